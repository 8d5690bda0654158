import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/model/finding.js';
import { extract, tmpDir } from '../helpers/bundle.js';
import { isRoot, runCli } from '../helpers/cli.js';

/*
 * Live, as root: a running scanner's executable (a copy of sleep at /tmp/…/.. /pscan2) keeps its
 * access time through a full `collect`, though collect hashes it and preserves a copy of it
 * through /proc/PID/exe. Its atime is set years before its mtime first: on a relatime mount a
 * read updates atime only when it is older than mtime (or a day old), so the test sees any read
 * that forgets O_NOATIME. A file of ours that collect reads through the host door (a planted
 * start-up script) gets the same check.
 */

const PAST = '2001-02-03 04:05:06';
const atime = (f: string) => statSync(f).atimeMs;

let kit = '';
let exe = '';
let rcFile = '';
let scanner: ChildProcess | null = null;
let out = '';
let caseDir = '';
let before: Record<string, number> = {};

describe.skipIf(!isRoot)('collect keeps access times (live, root)', () => {
  beforeAll(async () => {
    kit = path.join(mkdtempSync('/tmp/irt-atime-'), '.. ');
    mkdirSync(kit);
    exe = path.join(kit, 'pscan2');
    copyFileSync('/bin/sleep', exe);
    scanner = spawn(exe, ['600'], { stdio: 'ignore', cwd: kit });
    for (let i = 0; i < 200; i++) {
      if (existsSync(`/proc/${scanner.pid}/exe`) && execFileSync('readlink', [`/proc/${scanner.pid}/exe`], { encoding: 'utf8' }).startsWith(exe)) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    // A start-up script no package owns: the startup-files collector reads and copies it.
    rcFile = `/etc/profile.d/irt-atime-${path.basename(path.dirname(kit))}.sh`;
    writeFileSync(rcFile, `# test file\nexport IRT_ATIME=1\n`);
    for (const f of [exe, rcFile]) execFileSync('touch', ['-a', '-d', PAST, f]);
    before = { [exe]: atime(exe), [rcFile]: atime(rcFile) };
    expect(before[exe]).toBeLessThan(statSync(exe).mtimeMs);
    out = tmpDir('irt-atime-out-');
    const r = await runCli(['collect', '--out', out, '--json'], { timeout: 600_000 });
    expect(r.code, r.stderr).toBe(0);
    caseDir = extract(JSON.parse(r.stdout).bundle);
  }, 600_000);

  afterAll(() => {
    scanner?.kill('SIGKILL');
    if (rcFile) rmSync(rcFile, { force: true });
    if (kit) rmSync(path.dirname(kit), { recursive: true, force: true });
    if (out) rmSync(out, { recursive: true, force: true });
    if (caseDir) rmSync(path.dirname(caseDir), { recursive: true, force: true });
  });

  it('the scanner was hashed and preserved (so its executable was read)', async () => {
    const { readFileSync } = await import('node:fs');
    const findings = JSON.parse(readFileSync(path.join(caseDir, 'findings.json'), 'utf8')) as Finding[];
    const mine = findings.filter((f) => f.subject.pid === scanner!.pid);
    expect(mine.length).toBeGreaterThan(0);
    const preserved = execFileSync('find', [path.join(caseDir, 'files'), '-maxdepth', '1', '-name', `${scanner!.pid}-*`], { encoding: 'utf8' }).trim();
    expect(preserved, 'a preserved copy of the scanner').not.toBe('');
  });

  it("the scanner's executable and the start-up script keep their access times", () => {
    for (const f of [exe, rcFile]) expect(atime(f), f).toBe(before[f]);
  });
});
