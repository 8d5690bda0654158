import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/model/finding.js';
import type { PidWalk } from '../../src/model/kernel.js';
import { extract, tmpDir } from '../helpers/bundle.js';
import { isRoot, runCli } from '../helpers/cli.js';

const made: string[] = [];
const sleepers: number[] = [];

afterAll(() => {
  for (const pid of sleepers) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

describe('a process hidden by a mount over /proc/PID', () => {
  it('is found by pid, with its parent, in a private mount namespace; the pid walk stays silent', async (ctx) => {
    ctx.skip(!isRoot, 'needs root: mounting over /proc/PID takes CAP_SYS_ADMIN in a private mount namespace');
    const out = tmpDir('irt-hide-mount-');
    made.push(out);
    const pidFile = path.join(out, 'sleeper.pid');
    // Inside `unshare -m` (private propagation) nothing leaks to this machine's mounts: a sleep is
    // started, an empty tmpfs mounted over its /proc folder, then ir-triage runs in that namespace.
    const script = `sleep 300 & echo $! > "${pidFile}"; mount -t tmpfs irt-hide /proc/$! || exit 97; "$@"; rc=$?; kill $(cat "${pidFile}"); exit $rc`;
    const r = await runCli(['collect', '--out', out, '--case', 'HIDE', '--json'], { prefix: ['unshare', '-m', '--propagation', 'private', '--', 'sh', '-c', script, 'sh'] });
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    sleepers.push(pid);
    ctx.skip(r.code === 97, 'this kernel refused a tmpfs mount over /proc/PID');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    const hits = (summary.findings as Finding[]).filter((f) => f.rule === 'process.hidden-by-mount');
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({ severity: 'critical', subject: { pid, path: `/proc/${pid}` } });
    expect(hits[0].subject.parents).toHaveLength(1);
    // The pid walk covers the space and finds nothing hidden from the listing on this machine.
    expect((summary.findings as Finding[]).filter((f) => f.rule === 'process.hidden')).toEqual([]);
    const caseDir = extract(summary.bundle);
    made.push(path.dirname(caseDir));
    const walk = JSON.parse(readFileSync(path.join(caseDir, 'artifacts/pid-walk.json'), 'utf8')) as PidWalk;
    expect(walk.walkedTo).toBe(walk.upperBound);
    expect(walk.hidden).toEqual([]);
    const mounts = readFileSync(path.join(caseDir, 'artifacts/proc-mounts.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(mounts).toEqual([expect.objectContaining({ pid, fsType: 'tmpfs', source: 'irt-hide', alive: true })]);
    const verify = await runCli(['verify', summary.bundle]);
    expect(verify.code).toBe(0);
  }, 120_000);
});
