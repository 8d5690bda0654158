import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/model/finding.js';
import type { ProcessRecord } from '../../src/model/processes.js';
import { extract, tmpDir } from '../helpers/bundle.js';
import { runCli } from '../helpers/cli.js';

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const SLEEP = '/bin/sleep';

let kitDir: string;
let shmDir: string;
const children: ChildProcess[] = [];
/** Folders of this file's own, removed at the end. */
const cleanup: string[] = [];
let scanner: ChildProcess;
let fakeSshd: ChildProcess;
let preloaded: ChildProcess;
let caseDir: string;
let findings: Finding[];
let records: ProcessRecord[];
let cliPid = 0;

function start(file: string, args: string[], opts: Parameters<typeof spawn>[2] = {}): ChildProcess {
  const child = spawn(file, args, { stdio: 'ignore', ...opts });
  children.push(child);
  return child;
}

async function waitExec(pid: number, exe: string): Promise<void> {
  // The child has exec'd once its /proc exe link names the program.
  for (let i = 0; i < 200; i++) {
    try {
      if (execFileSync('readlink', [`/proc/${pid}/exe`], { encoding: 'utf8' }).startsWith(exe)) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`pid ${pid} never ran ${exe}`);
}

beforeAll(async () => {
  // The malware's own layouts: a scanner in "/tmp/…/.. /", a fake sshd in a hidden /dev/shm folder
  // deleted after start, and a process started with LD_PRELOAD.
  kitDir = path.join(mkdtempSync('/tmp/irt-kit-'), '.. ');
  mkdirSync(kitDir);
  copyFileSync(SLEEP, path.join(kitDir, 'pscan2'));
  scanner = start(path.join(kitDir, 'pscan2'), ['300'], { cwd: kitDir });

  shmDir = mkdtempSync('/dev/shm/.irt-');
  const sshdCopy = path.join(shmDir, 'sshd');
  copyFileSync(SLEEP, sshdCopy);
  fakeSshd = start(sshdCopy, ['301'], { cwd: shmDir });
  await waitExec(fakeSshd.pid!, sshdCopy);
  unlinkSync(sshdCopy);

  // In a folder of its own: its working folder is scanned as the malware's (the checkout's root,
  // inherited, may hold an earlier run's test report, whose text names kit indicators).
  const preloadedCwd = mkdtempSync('/tmp/irt-preload-cwd-');
  cleanup.push(preloadedCwd);
  preloaded = start(SLEEP, ['302'], { cwd: preloadedCwd, env: { PATH: '/usr/bin:/bin', LD_PRELOAD: path.join(kitDir, 'libhide.so'), SECRET_TOKEN: 'do-not-keep-me' } });
  await waitExec(scanner.pid!, path.join(kitDir, 'pscan2'));
  await waitExec(preloaded.pid!, SLEEP.replace('/bin/', '/usr/bin/'));

  const out = tmpDir('irt-proc-e2e-');
  const r = await runCli(['collect', '--out', out, '--case', 'PROC', '--json'], { onSpawn: (p) => (cliPid = p) });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const summary = JSON.parse(r.stdout);
  findings = summary.findings;
  caseDir = extract(summary.bundle);
  records = readFileSync(path.join(caseDir, 'artifacts/processes.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}, 120_000);

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(path.dirname(kitDir), { recursive: true, force: true });
  rmSync(shmDir, { recursive: true, force: true });
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

const rulesFor = (pid: number) => findings.filter((f) => f.subject.pid === pid).map((f) => f.rule).sort();

describe('collect against processes planted the way SSH kits run', () => {
  it('flags the renamed scanner in "/tmp/…/.. /" by name and by folder', () => {
    expect(rulesFor(scanner.pid!)).toEqual(['process.exe-in-writable-dir', 'process.known-tool']);
    const known = findings.find((f) => f.rule === 'process.known-tool' && f.subject.pid === scanner.pid)!;
    expect(known.severity).toBe('high');
    expect(known.subject.path).toBe(path.join(kitDir, 'pscan2'));
  });

  it('flags the deleted fake sshd as a masquerade and a deleted executable, and recovers it byte for byte', () => {
    const pid = fakeSshd.pid!;
    expect(rulesFor(pid)).toEqual(['process.deleted-exe', 'process.exe-in-writable-dir', 'process.masquerade']);
    const mask = findings.find((f) => f.rule === 'process.masquerade' && f.subject.pid === pid)!;
    expect(mask.severity).toBe('critical');
    const preserved = mask.evidence.find((e) => e.startsWith('files/'))!;
    expect(preserved).toBe(`files/${pid}-sshd`);
    expect(sha256(path.join(caseDir, preserved))).toBe(sha256(SLEEP));
    const open = readFileSync(path.join(caseDir, 'artifacts/open-files.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const entry = open.find((o) => o.pid === pid);
    expect(entry).toMatchObject({ exe: path.join(shmDir, 'sshd'), exeDeleted: true, cwd: shmDir, folders: [shmDir] });
    expect(entry.preserved.sha256).toBe(sha256(SLEEP));
    expect(entry.parents[0].pid).toBe(process.pid);
    expect(mask.evidence).toContain(`commands/lsof-p-${pid}.txt`);
    expect(readFileSync(path.join(caseDir, `commands/lsof-p-${pid}.txt`), 'utf8')).toMatch(/sleep|sshd/);
  });

  it('flags LD_PRELOAD and keeps no other environment value', () => {
    expect(rulesFor(preloaded.pid!)).toEqual(['process.preload']);
    const rec = records.find((r) => r.pid === preloaded.pid)!;
    expect(rec.ldPreload).toBe(path.join(kitDir, 'libhide.so'));
    // grep exits 1 when nothing in the whole bundle holds the secret.
    expect(() => execFileSync('grep', ['-r', '-q', 'do-not-keep-me', caseDir])).toThrow();
  });

  it('flags nothing for kernel threads, the test runner, ir-triage itself or the real sshd', () => {
    const kernel = new Set(records.filter((r) => r.kernelThread && r.exe === null).map((r) => r.pid));
    expect(kernel.size).toBeGreaterThan(0);
    const ours = new Set([process.pid, process.ppid, cliPid]);
    for (const f of findings) {
      const pid = f.subject.pid as number | null;
      if (pid === null) continue;
      expect(kernel.has(pid)).toBe(false);
      expect(ours.has(pid)).toBe(false);
      const rec = records.find((r) => r.pid === pid);
      expect(rec?.exe === '/usr/sbin/sshd' && !rec.exeDeleted).toBe(false);
    }
  });

  it('agrees with the box ps: no pid hidden either way on this machine', () => {
    const view = JSON.parse(readFileSync(path.join(caseDir, 'artifacts/process-crossview.json'), 'utf8'));
    expect(view.onlyInProc).toEqual([]);
    expect(view.onlyInPs).toEqual([]);
    // And every pid still alive now that ps lists is in the artifact, unless it started after the run.
    const now = execFileSync('ps', ['-e', '-o', 'pid=,lstart='], { encoding: 'utf8', env: { LC_ALL: 'C', PATH: '/usr/bin:/bin', TZ: 'UTC' } });
    const collected = new Set(records.map((r) => r.pid));
    const manifest = JSON.parse(readFileSync(path.join(caseDir, 'manifest.json'), 'utf8'));
    const started = Date.parse(manifest.startedAt);
    for (const line of now.trim().split('\n')) {
      const [pidText, ...rest] = line.trim().split(/\s+/);
      const startedAt = Date.parse(`${rest.join(' ')} UTC`);
      if (startedAt < started - 1000) expect(collected.has(Number(pidText))).toBe(true);
    }
  });

  it('hashes every executable once per distinct file', () => {
    const sleepers = records.filter((r) => r.exe === SLEEP.replace('/bin/', '/usr/bin/') || r.exe === SLEEP);
    expect(sleepers.length).toBeGreaterThan(0);
    for (const r of sleepers) expect(r.exeSha256).toBe(sha256(SLEEP));
  });
});
