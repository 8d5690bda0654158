import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/model/finding.js';
import type { IntegrityRecord } from '../../src/model/integrity.js';
import { buildDebianRoot, compromise, removeMade, scratch } from '../collectors/integrity/fake-root.js';
import { extract } from '../helpers/bundle.js';
import { isRoot, runCli } from '../helpers/cli.js';

const RULE = 'integrity.modified-binary';
const extracted: string[] = [];
const made = (dir: string) => extracted.push(dir);
afterAll(() => {
  removeMade();
  for (const dir of extracted.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const hashOf = (tool: string, file: string) => execFileSync(tool, [file], { encoding: 'utf8' }).split(' ')[0];
const jsonl = <T>(file: string): T[] => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as T);

interface Collected {
  code: number | null;
  findings: Finding[];
  caseDir: string;
  records: IntegrityRecord[];
  manifest: { sources: Array<{ id: string; status: string; reason?: string }> };
}

async function collect(args: string[]): Promise<Collected> {
  const out = scratch('irt-integrity-e2e-');
  const r = await runCli(['collect', '--out', out, '--json', ...args]);
  expect(r.stdout, r.stderr).not.toBe('');
  const summary = JSON.parse(r.stdout);
  const caseDir = extract(summary.bundle);
  made(path.dirname(caseDir));
  return {
    code: r.code,
    findings: summary.findings,
    caseDir,
    records: jsonl<IntegrityRecord>(path.join(caseDir, 'artifacts/integrity.jsonl')),
    manifest: JSON.parse(readFileSync(path.join(caseDir, 'manifest.json'), 'utf8')),
  };
}

describe('collect --root on a fake Debian 12 root (the shipped playbook)', () => {
  it('fires on the replaced ps, the unpackaged ss first in PATH and the removed pwdx, with package and path', async () => {
    const root = buildDebianRoot();
    compromise(root);
    const run = await collect(['--root', root, '--case', 'INTEG-BAD', '--fail-on', 'critical']);
    expect(run.code).toBe(3);
    const ours = run.findings.filter((f) => f.rule === RULE);
    expect(ours.map((f) => [f.severity, f.subject.path, f.subject.package])).toEqual([
      ['critical', '/usr/bin/ps', 'procps'],
      ['critical', '/usr/local/bin/ss', null],
      ['high', '/usr/bin/pwdx', 'procps'],
    ]);
    const ps = ours[0];
    expect(ps.subject.sha256).toBe(hashOf('sha256sum', path.join(root, 'usr/bin/ps')));
    expect(ps.subject.md5).toBe(hashOf('md5sum', path.join(root, 'usr/bin/ps')));
    expect(ps.subject.expectedMd5).toBe(readFileSync(path.join(root, 'var/lib/dpkg/info/procps.md5sums'), 'utf8').split('\n').find((l) => l.endsWith('  bin/ps'))!.split(' ')[0]);
    // The kit's ps is in the bundle, byte for byte, and the bundle's own checks hold.
    expect(hashOf('sha256sum', path.join(run.caseDir, 'files/integrity/usr/bin/ps'))).toBe(ps.subject.sha256);
    expect(execFileSync('sha256sum', ['-c', '--quiet', 'SHA256SUMS'], { cwd: run.caseDir, encoding: 'utf8' })).toBe('');
    expect(run.manifest.sources.find((s) => s.id === 'integrity.dpkg-verify')).toMatchObject({ status: 'skipped' });
    const hashes = readFileSync(path.join(run.caseDir, 'artifacts/integrity-hashes.txt'), 'utf8');
    expect(hashes).toContain(`${ps.subject.sha256}  /usr/bin/ps\n`);
  });

  it('stays silent on the same root with every md5 matching', async () => {
    const run = await collect(['--root', buildDebianRoot(), '--case', 'INTEG-OK', '--fail-on', 'critical']);
    expect(run.findings.filter((f) => f.rule === RULE)).toEqual([]);
    expect(run.records.length).toBe(10);
    expect(run.records.every((r) => r.status === 'ok')).toBe(true);
  });
});

/** A playbook of the integrity step alone: the live runs below need nothing else. */
function integrityPlaybook(): string {
  const file = path.join(scratch('irt-integrity-pb-'), 'integrity-only.yaml');
  writeFileSync(
    file,
    [
      'title: Integrity only',
      'description: The box\'s own tools against the package database.',
      'steps:',
      '  - id: integrity',
      '    kind: collect',
      '    title: Integrity of the box\'s tools',
      '    why: The one step these runs need.',
      '    collect: [integrity]',
      '    rules: [integrity.modified-binary]',
      '',
    ].join('\n'),
  );
  return file;
}

/**
 * One byte flipped in a file of a package that neither the test runner nor CI uses: procps's
 * pwdx. procps owns ps, so its whole package is verified and pwdx with it.
 */
const TARGET = '/usr/bin/pwdx';
const owner = existsSync('/var/lib/dpkg/status') && existsSync(TARGET) ? spawnSync('dpkg', ['-S', TARGET], { encoding: 'utf8' }).stdout.split(':')[0] : '';
const liveSkip = !isRoot ? 'needs root: it replaces a packaged file for a moment' : owner !== 'procps' ? `${TARGET} is not procps's here (${owner || 'no dpkg'})` : null;

describe.skipIf(liveSkip !== null)(`collect live, with one byte flipped in ${TARGET} (restored after)`, () => {
  let originalSha = '';
  let original: { mode: number; uid: number; gid: number; atime: Date; mtime: Date };
  let aside = '';
  let flippedCopy = '';
  let playbook = '';
  let clean: Collected;
  let flipped: Collected;
  let oracleWhileFlipped = '';
  let afterRestore = '';

  /** Puts `source` at TARGET with the original's mode, owner and times, in one rename. */
  function install(source: string): void {
    const tmp = path.join(path.dirname(TARGET), `.${path.basename(TARGET)}.irt-${process.pid}`);
    copyFileSync(source, tmp);
    chmodSync(tmp, original.mode & 0o7777);
    chownSync(tmp, original.uid, original.gid);
    utimesSync(tmp, original.atime, original.mtime);
    renameSync(tmp, TARGET);
  }

  function restore(): void {
    if (aside && hashOf('sha256sum', TARGET) !== originalSha) install(aside);
  }

  beforeAll(async () => {
    const st = statSync(TARGET);
    original = { mode: st.mode, uid: st.uid, gid: st.gid, atime: st.atime, mtime: st.mtime };
    originalSha = hashOf('sha256sum', TARGET);
    const dir = scratch('irt-integrity-aside-');
    aside = path.join(dir, 'pwdx.orig');
    copyFileSync(TARGET, aside);
    const bytes = readFileSync(TARGET);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    flippedCopy = path.join(dir, 'pwdx.flipped');
    writeFileSync(flippedCopy, bytes);
    playbook = integrityPlaybook();

    clean = await collect(['--playbook', playbook, '--case', 'INTEG-LIVE-CLEAN']);
    try {
      install(flippedCopy);
      flipped = await collect(['--playbook', playbook, '--case', 'INTEG-LIVE-FLIP']);
      oracleWhileFlipped = execFileSync('dpkg', ['--verify', 'procps'], { encoding: 'utf8' });
    } finally {
      restore();
    }
    afterRestore = execFileSync('dpkg', ['--verify', 'procps'], { encoding: 'utf8' });
  }, 180_000);

  afterAll(() => restore());

  it('finds nothing on this machine before the flip', () => {
    expect(clean.code).toBe(0);
    expect(clean.findings.filter((f) => f.rule === RULE)).toEqual([]);
    expect(clean.records.find((r) => r.path === TARGET)).toMatchObject({ status: 'ok', package: 'procps', secondView: { tool: 'dpkg --verify', flags: null, agrees: true } });
    expect(clean.records.find((r) => r.realPath === '/usr/bin/ps')).toMatchObject({ status: 'ok', tools: ['ps'], package: 'procps' });
  });

  it('names the flipped file, its package and its hashes', () => {
    const ours = flipped.findings.filter((f) => f.rule === RULE);
    expect(ours.map((f) => [f.severity, f.subject.path, f.subject.package])).toEqual([['high', TARGET, 'procps']]);
    const [f] = ours;
    expect(f.subject.sha256).toBe(hashOf('sha256sum', flippedCopy));
    expect(f.subject.md5).toBe(hashOf('md5sum', flippedCopy));
    const packaged = readFileSync('/var/lib/dpkg/info/procps.md5sums', 'utf8').split('\n').find((l) => l.endsWith(`  ${TARGET.slice(1)}`))!.split(' ')[0];
    expect(f.subject.expectedMd5).toBe(packaged);
    expect(f.subject.expectedMd5).toBe(hashOf('md5sum', aside));
    expect(f.detail).toContain('dpkg --verify on the box reports it too (??5??????)');
    expect(hashOf('sha256sum', path.join(flipped.caseDir, 'files/integrity/usr/bin/pwdx'))).toBe(f.subject.sha256);
  });

  it('agrees with dpkg --verify, run as an oracle while the byte was flipped', () => {
    expect(oracleWhileFlipped.split('\n')).toContain(`??5??????   ${TARGET}`);
    expect(readFileSync(path.join(flipped.caseDir, 'commands/dpkg-verify.txt'), 'utf8').split('\n')).toContain(`??5??????   ${TARGET}`);
  });

  it('left the original back in place', () => {
    expect(hashOf('sha256sum', TARGET)).toBe(originalSha);
    expect(statSync(TARGET).mode).toBe(original.mode);
    expect(afterRestore).not.toContain(TARGET);
  });
});
