/**
 * The single-file builds, as a responder uses them: `npm run build:bundle` and `npm run build:sea`
 * here, then each file copied alone into an empty folder under /tmp (no node_modules there or
 * above) and run with an empty environment (`env -i PATH=/usr/bin:/bin`): the bundle with node
 * named by path, the binary directly, and the bundle again under Debian 12's own Node 18
 * (scripts/debian-node18.sh). Whatever they need beyond node must be inside the file.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRoot, REPO, runCli, type CliRun } from '../helpers/cli.js';

const BUILD_TIMEOUT_MS = 600_000;
const RUN_TIMEOUT_MS = 180_000;
const SAFE_ENV = ['PATH=/usr/bin:/bin'];
const SQLITE3 = '/usr/bin/sqlite3';
const AUTH_LOG = path.join(REPO, 'test/fixtures/auth/openssh-9.2-debian12-rsyslog-rfc3339.log');
const NODE18_DIR = '/tmp/irt-debian-node18';
const PKG = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every playbook in the checkout's playbooks/ folder, whatever it holds when the test runs. */
const shippedPlaybooks = () => readdirSync(path.join(REPO, 'playbooks')).filter((n) => /\.ya?ml$/.test(n)).map((n) => n.replace(/\.ya?ml$/, '')).sort();

function npmRun(script: string): void {
  const r = spawnSync('npm', ['run', '--silent', script], { cwd: REPO, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm run ${script} failed (${r.status}): ${r.stdout}${r.stderr}`);
}

/** Runs argv under `env -i PATH=/usr/bin:/bin` in cwd: nothing of this test's environment leaks in. */
function runBare(argv: string[], cwd: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/env', ['-i', ...SAFE_ENV, ...argv], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Unpacks a bundle with the system tar into a folder of this test; returns the case folder. */
function extract(bundle: string): string {
  const dir = mkdtempSync(path.join(work, 'x-'));
  execFileSync('tar', ['xzf', bundle, '-C', dir]);
  return path.join(dir, readdirSync(dir)[0]);
}

/**
 * A copy of /bin/sleep named pscan2, a scanner on the shipped tool list (playbooks/tools/names.txt),
 * once /proc shows it running as that file.
 */
async function startScanner(dir: string): Promise<ChildProcess> {
  const exe = path.join(dir, 'pscan2');
  copyFileSync('/bin/sleep', exe);
  const child = spawn(exe, ['600'], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const now = (() => {
      try {
        return readlinkSync(`/proc/${child.pid}/exe`);
      } catch {
        return null;
      }
    })();
    if (now === exe) return child;
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`${exe} did not start`);
}

/** A fake root whose only login record is a wtmpdb database made by the real sqlite3: reading it needs sql.js's wasm. */
function wtmpdbRoot(dir: string): string {
  const root = path.join(dir, 'root');
  mkdirSync(path.join(root, 'etc'), { recursive: true });
  mkdirSync(path.join(root, 'var/lib/wtmpdb'), { recursive: true });
  execFileSync('sh', ['-c', 'printf "root:x:0:0:root:/root:/bin/bash\\n" > etc/passwd && echo victim > etc/hostname', 'sh'], { cwd: root });
  execFileSync(SQLITE3, [path.join(root, 'var/lib/wtmpdb/wtmp.db')], {
    input: `CREATE TABLE wtmp(ID INTEGER PRIMARY KEY, Type INTEGER, User TEXT NOT NULL, Login INTEGER, Logout INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT) STRICT;
INSERT INTO wtmp VALUES(1, 3, 'root', 1709280000000000, 1709280600000000, 'ssh', '198.51.100.200', 'sshd');`,
  });
  return root;
}

/** Why Debian's Node 18 cannot run here; null when NODE18_DIR/node is ready (prepared now if need be). */
function node18Unavailable(): string | null {
  if (!isRoot) return 'needs root: the Debian node 18 launcher mounts an overlay in a private mount namespace';
  const r = spawnSync('bash', [path.join(REPO, 'scripts/debian-node18.sh'), NODE18_DIR], { encoding: 'utf8' });
  if (r.status !== 0) return `Debian's nodejs 18 could not be fetched with apt-get download and unpacked: ${(r.stderr || r.stdout).trim().split('\n').at(-1)}`;
  return null;
}

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const shellQuote = (a: string) => `'${a.replaceAll("'", `'\\''`)}'`;

/** Polls a tmux pane until its text matches. */
async function waitForPane(session: string, re: RegExp, timeoutMs = 120_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const pane = execFileSync('tmux', ['capture-pane', '-p', '-J', '-t', session, '-S', '-200'], { encoding: 'utf8' });
    if (re.test(pane)) return pane;
    if (Date.now() > until) throw new Error(`no ${re} in the terminal; it shows:\n${pane}`);
    await sleep(200);
  }
}

const work = mkdtempSync('/tmp/irt-single-');
const built = { bundle: '', sea: '' };
const node18Skip = node18Unavailable();

beforeAll(() => {
  npmRun('build:bundle');
  npmRun('build:sea');
  for (const [kind, name] of [['bundle', 'ir-triage.mjs'], ['sea', 'ir-triage']] as const) {
    const dir = path.join(work, kind);
    mkdirSync(dir);
    for (const f of [name, `${name}.sha256`]) copyFileSync(path.join(REPO, 'dist', f), path.join(dir, f));
    built[kind] = path.join(dir, name);
  }
}, BUILD_TIMEOUT_MS);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('single-file builds: one file to copy to the suspect box', () => {
  it('sit alone in a folder with no node_modules in it or above it, and match their .sha256', () => {
    for (const dir of [path.dirname(work), '/']) expect(existsSync(path.join(dir, 'node_modules')), path.join(dir, 'node_modules')).toBe(false);
    expect(readdirSync(path.join(work, 'bundle')).sort()).toEqual(['ir-triage.mjs', 'ir-triage.mjs.sha256']);
    expect(readdirSync(path.join(work, 'sea')).sort()).toEqual(['ir-triage', 'ir-triage.sha256']);
    // The handover check a responder runs on arrival.
    execFileSync('sha256sum', ['-c', 'ir-triage.mjs.sha256'], { cwd: path.join(work, 'bundle') });
    execFileSync('sha256sum', ['-c', 'ir-triage.sha256'], { cwd: path.join(work, 'sea') });
    // No sourcemap travels inside the shipped file.
    expect(readFileSync(built.bundle, 'utf8')).not.toMatch(/sourceMappingURL/);
  });

  it('stay out of the npm package, which ships dist/', () => {
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const files = (JSON.parse(r.stdout) as Array<{ files: Array<{ path: string }> }>)[0].files.map((f) => f.path);
    expect(files).toContain('bin/ir-triage.js');
    expect(files.filter((f) => f.startsWith('dist/ir-triage'))).toEqual([]);
  });
});

/** The same checks for each way of running a single file. */
const variants: Array<{ name: string; argv: () => string[]; skip: string | null }> = [
  { name: 'dist/ir-triage.mjs under this node', argv: () => [process.execPath, built.bundle], skip: null },
  { name: 'dist/ir-triage (SEA binary)', argv: () => [built.sea], skip: null },
  { name: "dist/ir-triage.mjs under Debian 12's Node 18", argv: () => [path.join(NODE18_DIR, 'node'), built.bundle], skip: node18Skip },
];

for (const v of variants) {
  describe.skipIf(v.skip !== null)(`${v.name}${v.skip ? ` (skipped: ${v.skip})` : ''}`, () => {
    const run = (args: string[], cwd = path.dirname(v.argv().at(-1)!)) => runBare([...v.argv(), ...args], cwd);

    it('--version and help answer from the file alone', async () => {
      const ver = await run(['--version']);
      expect(ver).toMatchObject({ code: 0, stderr: '' });
      expect(ver.stdout.trim()).toBe(PKG.version);
      const help = await run(['help']);
      expect(help.code).toBe(0);
      for (const cmd of ['collect', 'run', 'verify', 'analyze', 'playbooks', 'quarantine', 'restore']) expect(help.stdout).toMatch(new RegExp(`^  ${cmd}\\b`, 'm'));
    }, RUN_TIMEOUT_MS);

    it('playbooks lists every playbook of the checkout, embedded (under the file itself, which no real path can be)', async () => {
      const r = await run(['playbooks', '--json']);
      expect(r).toMatchObject({ code: 0, stderr: '' });
      const listed = JSON.parse(r.stdout) as Array<{ id: string; file: string; steps: unknown[] }>;
      expect(listed.map((p) => p.id).sort()).toEqual(shippedPlaybooks());
      const self = v.argv().at(-1)!;
      for (const p of listed) {
        expect(p.file.startsWith(`${self}/playbooks/`)).toBe(true);
        expect(p.steps.length).toBeGreaterThan(0);
      }
      // A name that is not embedded is refused as in the npm install, with the embedded ones listed.
      const nope = await run(['analyze', '--playbook', 'nope', AUTH_LOG]);
      expect(nope.code).toBe(2);
      expect(nope.stderr).toBe(`ir-triage: unknown playbook "nope" (shipped: ${shippedPlaybooks().join(', ')}; or give a path to a .yaml file)\n`);
    }, RUN_TIMEOUT_MS);

    it('collect writes only under --out, a bundle that sha256sum -c and both verifies accept, with the shipped tool list in use', async () => {
      const home = path.dirname(v.argv().at(-1)!);
      const kit = mkdtempSync(path.join(work, 'kit-'));
      const scanner = await startScanner(kit);
      const out = mkdtempSync(path.join(work, 'out-'));
      const before = readdirSync(home).sort();
      try {
        const r = await run(['collect', '--out', out, '--case', 'SINGLE-1', '--json'], home);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        const summary = JSON.parse(r.stdout) as { bundle: string; sha256: string; findings: Array<{ rule: string; subject: { pid: number | null } }> };
        expect(summary.bundle).toBe(path.join(out, 'SINGLE-1.tar.gz'));
        expect(readdirSync(out).sort()).toEqual(['SINGLE-1.tar.gz', 'SINGLE-1.tar.gz.sha256']);
        expect(readdirSync(home).sort()).toEqual(before);
        execFileSync('sha256sum', ['-c', 'SINGLE-1.tar.gz.sha256'], { cwd: out });

        // The embedded names.txt is what found the scanner.
        expect(summary.findings.some((f) => f.rule === 'process.known-tool' && f.subject.pid === scanner.pid)).toBe(true);
        const manifest = JSON.parse(readFileSync(path.join(extract(summary.bundle), 'manifest.json'), 'utf8'));
        expect(manifest.tool).toMatchObject({ name: 'ir-triage', version: PKG.version });
        // Every collector that read a shipped file (the tool lists of processes, persistence, ssh keys…)
        // found it: a plain fs read of such a path fails, since it lies below the file itself.
        const self = v.argv().at(-1)!;
        const shippedReads = manifest.sources.filter((s: { path?: string }) => s.path?.startsWith(`${self}/`));
        expect(shippedReads.filter((s: { status: string }) => s.status !== 'ok')).toEqual([]);
        const lists = manifest.sources.filter((s: { id: string }) => s.id === 'tool-list');
        expect(lists.map((s: { path: string }) => path.relative(self, s.path)).sort()).toEqual(['playbooks/tools/hashes.txt', 'playbooks/tools/names.txt']);

        const own = await run(['verify', summary.bundle], home);
        expect(own.code, own.stdout + own.stderr).toBe(0);
        expect(own.stdout).toMatch(/^intact: /);
        const installed = await runCli(['verify', summary.bundle]);
        expect(installed.code, installed.stdout + installed.stderr).toBe(0);
      } finally {
        scanner.kill('SIGKILL');
      }
    }, RUN_TIMEOUT_MS);

    it('collect --yara RULE runs the YARA engine from inside the file: a planted binary with a marker string, running from a hidden folder, is named by pid and path, and the shipped rules are embedded', async () => {
      const kit = path.join(mkdtempSync(path.join(work, 'yara-')), '.cache-x');
      mkdirSync(kit);
      const marker = `IRT-SINGLE-YARA-${process.pid}-${variants.indexOf(v)}-${Date.now()}`;
      const exe = path.join(kit, 'kworkerd');
      copyFileSync('/bin/sleep', exe);
      // Bytes after the ELF image change nothing in how it runs.
      appendFileSync(exe, `\n${marker}\n`);
      const rule = path.join(path.dirname(kit), 'planted.yar');
      writeFileSync(rule, `rule IrtSingleFile : test {\n  meta:\n    reference = "https://example.invalid/single-file"\n  strings:\n    $m = "${marker}"\n  condition:\n    $m\n}\n`);
      const planted = spawn(exe, ['600'], { stdio: 'ignore', cwd: kit });
      try {
        for (let i = 0; i < 100 && (() => { try { return readlinkSync(`/proc/${planted.pid}/exe`) !== exe; } catch { return true; } })(); i++) await sleep(50);
        const out = mkdtempSync(path.join(work, 'out-yara-'));
        const r = await run(['collect', '--out', out, '--case', 'SINGLE-YARA', '--json', '--yara', rule]);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        const summary = JSON.parse(r.stdout) as { bundle: string; findings: Array<{ rule: string; subject: { pid: number | null; path: string | null; yaraRule?: string } }> };
        const hits = summary.findings.filter((f) => f.rule === 'yara.match' && f.subject.pid === planted.pid);
        expect(hits.map((f) => [f.subject.yaraRule, f.subject.path])).toEqual([['IrtSingleFile', exe]]);
        const caseDir = extract(summary.bundle);
        const scan = JSON.parse(readFileSync(path.join(caseDir, 'artifacts/yara-scan.json'), 'utf8')) as { ruleFiles: string[]; rules: number };
        // The shipped rule files are read from inside the file itself, which no real path can be.
        const self = v.argv().at(-1)!;
        expect(scan.ruleFiles).toEqual([rule, ...['botnets.yar', 'miners.yar', 'ssh-scanners.yar'].map((f) => path.join(self, 'playbooks/yara', f))]);
        expect(scan.rules).toBeGreaterThanOrEqual(10);
        const manifest = JSON.parse(readFileSync(path.join(caseDir, 'manifest.json'), 'utf8')) as { sources: Array<{ id: string; status: string }> };
        expect(manifest.sources.filter((s) => s.id.startsWith('yara')).map((s) => [s.id, s.status])).toEqual([['yara', 'ok']]);
        const own = await run(['verify', summary.bundle]);
        expect(own.code, own.stdout + own.stderr).toBe(0);
      } finally {
        planted.kill('SIGKILL');
      }
    }, RUN_TIMEOUT_MS);

    it('analyze of an auth.log prints exactly what the npm install prints', async () => {
      const mine = await run(['analyze', '--json', AUTH_LOG]);
      expect(mine).toMatchObject({ code: 0, stderr: '' });
      const installed = await runCli(['analyze', '--json', AUTH_LOG]);
      expect(installed.code).toBe(0);
      expect(JSON.parse(mine.stdout).addresses.length).toBeGreaterThan(0);
      expect(mine.stdout).toBe(installed.stdout);
      // A playbook of the user's own is read from disk: a copy of the shipped one gives the same result.
      const own = path.join(mkdtempSync(path.join(work, 'pb-')), 'mine.yaml');
      copyFileSync(path.join(REPO, 'playbooks/ssh-compromise.yaml'), own);
      const withOwn = await run(['analyze', '--json', '--playbook', own, AUTH_LOG]);
      expect(withOwn).toMatchObject({ code: 0, stderr: '' });
      expect(withOwn.stdout).toBe(mine.stdout);
    }, RUN_TIMEOUT_MS);

    it.skipIf(!hasTmux)('run: the guided playbook draws its prompts in a terminal, and Ctrl-C still writes a bundle that verifies', async () => {
      const out = mkdtempSync(path.join(work, 'run-'));
      const session = `irt-single-${process.pid}-${variants.indexOf(v)}`;
      const argv = ['/usr/bin/env', '-i', ...SAFE_ENV, 'TERM=xterm-256color', ...v.argv(), 'run', '--out', out, '--case', 'SINGLE-RUN'];
      const shell = `${argv.map(shellQuote).join(' ')}; echo "EXIT=$?"; sleep 600`;
      execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '160', '-y', '50', shell], { cwd: path.dirname(v.argv().at(-1)!) });
      try {
        // The first question of the playbook: inquirer's prompt and ora's spinner have drawn.
        await waitForPane(session, /^\? /m);
        execFileSync('tmux', ['send-keys', '-t', session, 'C-c']);
        const pane = await waitForPane(session, /^EXIT=\d+/m);
        expect(pane).toMatch(/^EXIT=130$/m);
        const bundle = path.join(out, 'SINGLE-RUN.tar.gz');
        execFileSync('sha256sum', ['-c', 'SINGLE-RUN.tar.gz.sha256'], { cwd: out });
        const own = await run(['verify', bundle]);
        expect(own.code, own.stdout + own.stderr).toBe(0);
      } finally {
        spawnSync('tmux', ['kill-session', '-t', session]);
      }
    }, RUN_TIMEOUT_MS);

    it.skipIf(!existsSync(SQLITE3))('collect --root reads a wtmpdb database with the embedded sql.js wasm', async () => {
      const dir = mkdtempSync(path.join(work, 'wtmpdb-'));
      const root = wtmpdbRoot(dir);
      const out = path.join(dir, 'out');
      mkdirSync(out);
      const r = await run(['collect', '--root', root, '--out', out, '--case', 'SINGLE-DB', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const caseDir = extract(JSON.parse(r.stdout).bundle);
      const manifest = JSON.parse(readFileSync(path.join(caseDir, 'manifest.json'), 'utf8'));
      expect(manifest.sources.find((s: { id: string }) => s.id.startsWith('logins.wtmpdb'))).toMatchObject({ status: 'ok', path: '/var/lib/wtmpdb/wtmp.db' });
      const sessions = readFileSync(path.join(caseDir, 'artifacts/sessions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(sessions).toEqual([expect.objectContaining({ user: 'root', host: '198.51.100.200', source: 'wtmpdb', login: '2024-03-01T08:00:00.000000Z', logout: '2024-03-01T08:10:00.000000Z' })]);
    }, RUN_TIMEOUT_MS);
  });
}
