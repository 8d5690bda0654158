import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { missingPrivsepDir, privateNamespaceSshdT, sshdConfigCollector } from '../../../src/collectors/sshd-config/sshd-config.js';
import type { CollectContext } from '../../../src/collectors/types.js';
import { CaseStore } from '../../../src/evidence/store.js';
import { createHostContext, type Exec } from '../../../src/host/context.js';
import type { CommandResult, CommandSpec } from '../../../src/host/exec.js';
import type { SshdConfigRecord } from '../../../src/model/access.js';
import { tmpDir } from '../../helpers/bundle.js';
import { isRoot } from '../../helpers/cli.js';

const REFUSAL = 'Missing privilege separation directory: /run/sshd\n';

function result(spec: CommandSpec, exitCode: number, stdout: string, stderr = ''): CommandResult {
  return { name: spec.name, argv: spec.argv, startedAt: new Date(0).toISOString(), durationMs: 1, exitCode, signal: null, timedOut: false, truncated: false, notInstalled: false, error: null, stdout: Buffer.from(stdout), stderr };
}

/** The box's sshd as it answers with no /run/sshd: the plain run refuses, the private-namespace run prints. */
function boxWithoutPrivsepDir(calls: string[][], second: (spec: CommandSpec) => CommandResult): Exec {
  return async (spec) => {
    calls.push(spec.argv);
    if (spec.argv.join(' ') === 'sshd -T') return result(spec, 255, '', REFUSAL);
    return second(spec);
  };
}

async function collect(exec: Exec, isRootUser = true) {
  const root = tmpDir('irt-sshdcfg-root-');
  mkdirSync(path.join(root, 'etc/ssh'), { recursive: true });
  writeFileSync(path.join(root, 'etc/ssh/sshd_config'), 'PermitRootLogin no\nPasswordAuthentication no\n');
  const store = await CaseStore.create(tmpDir('irt-sshdcfg-out-'), 'S');
  const ctx: CollectContext = {
    host: createHostContext({ root, mode: 'live', procDir: null, exec, isRoot: isRootUser }),
    sink: store,
    facts: {},
    options: { sshPorts: [], maxFileBytes: 1 << 20, maxCommandBytes: 1 << 20, commandTimeoutMs: 5000, toolLists: { names: [], hashes: [] } },
  };
  const r = await sshdConfigCollector.collect(ctx);
  const record = JSON.parse(readFileSync(path.join(store.dir, 'artifacts/sshd-config.json'), 'utf8')) as SshdConfigRecord;
  return { r, record, dir: store.dir, source: r.sources.find((s) => s.id === 'sshd-config.sshd-T') };
}

describe('sshd -T on a box with no /run/sshd (sshd not running)', () => {
  it('reads the folder sshd asks for, and refuses paths it could not mount over safely', () => {
    expect(missingPrivsepDir(REFUSAL)).toEqual({ dir: '/run/sshd', parent: '/run' });
    expect(missingPrivsepDir('sshd: Missing privilege separation directory: /var/empty/sshd')).toEqual({ dir: '/var/empty/sshd', parent: '/var/empty' });
    for (const bad of ['/sshd', '/', '/run/../etc', '/run//sshd', '/run/./sshd', '/run/$(reboot)', '/run/`id`']) expect(missingPrivsepDir(`Missing privilege separation directory: ${bad}`), bad).toBeNull();
    expect(missingPrivsepDir('sshd: no hostkeys available -- exiting.')).toBeNull();
  });

  it('runs sshd -T again in a private mount namespace, keeps the refusal, and says how the view was had', async () => {
    const calls: string[][] = [];
    const { record, dir, source } = await collect(
      boxWithoutPrivsepDir(calls, (spec) => result(spec, 0, 'permitrootlogin no\npasswordauthentication no\nport 22\n')),
    );
    expect(calls).toEqual([['sshd', '-T'], privateNamespaceSshdT({ dir: '/run/sshd', parent: '/run' })]);
    // The folder travels as an argument, never inside the script text.
    expect(calls[1].slice(-3)).toEqual(['sh', '/run', '/run/sshd']);
    expect(source).toMatchObject({ status: 'ok', path: 'commands/sshd-T.txt', detail: 'the box has no /run/sshd (sshd is not running): sshd -T ran in a private mount namespace with an empty one' });
    expect(record.sshdT).toMatchObject({ permitrootlogin: ['no'], port: ['22'] });
    expect(record.disagreements).toEqual([]);
    expect(readFileSync(path.join(dir, 'commands/sshd-T-no-privsep-dir.json'), 'utf8')).toContain('Missing privilege separation directory');
  });

  it('when the private run fails too, both failures are named and the files still give the settings', async () => {
    const calls: string[][] = [];
    const { record, source } = await collect(boxWithoutPrivsepDir(calls, (spec) => result(spec, 1, '', 'unshare: unshare failed: Operation not permitted\n')));
    expect(source).toMatchObject({ status: 'skipped', reason: 'sshd -T failed: the box has no /run/sshd (sshd is not running): sshd -T ran in a private mount namespace with an empty one, and failed there too: unshare: unshare failed: Operation not permitted' });
    expect(record.sshdT).toBeNull();
    expect(record.settings.permitrootlogin.value).toEqual(['no']);
  });

  it('without root it does not try, and says why', async () => {
    const calls: string[][] = [];
    const { source } = await collect(boxWithoutPrivsepDir(calls, () => { throw new Error('no second run without root'); }), false);
    expect(calls).toEqual([['sshd', '-T']]);
    expect(source).toMatchObject({ status: 'skipped', path: 'commands/sshd-T-no-privsep-dir.txt' });
    expect((source as { reason: string }).reason).toMatch(/has no \/run\/sshd \(sshd is not running\), which sshd -T requires/);
  });

  const sshdMissing = spawnSync('sshd', ['-V']).error !== undefined;
  const noMountNamespace = !isRoot || spawnSync('unshare', ['--mount', '--propagation', 'private', 'true']).status !== 0;
  it.skipIf(!isRoot || sshdMissing || noMountNamespace)("the real private-namespace run prints this box's configuration and leaves /run/sshd as it was (root)", () => {
    const before = existsSync('/run/sshd') ? statSync('/run/sshd').ino : null;
    const argv = privateNamespaceSshdT({ dir: '/run/sshd', parent: '/run' });
    const out = execFileSync(argv[0], argv.slice(1), { encoding: 'utf8' });
    expect(out).toMatch(/^port \d+$/m);
    expect(out).toMatch(/^permitrootlogin /m);
    expect(existsSync('/run/sshd') ? statSync('/run/sshd').ino : null).toBe(before);
  });
});
