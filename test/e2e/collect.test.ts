import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { extract, listFiles, tmpDir } from '../helpers/bundle.js';
import { isRoot, REPO, runCli } from '../helpers/cli.js';
import { canMount, countInodes, mountSmallTmpfs } from '../helpers/small-fs.js';

const NOBODY = 65534;

function bundleIn(out: string): string {
  const names = readdirSync(out).filter((n) => n.endsWith('.tar.gz'));
  expect(names).toHaveLength(1);
  return path.join(out, names[0]);
}

/** A user other than root can read the built tool only if every folder up to it is searchable. */
function readableByOthers(p: string): boolean {
  for (let dir = p; dir !== '/'; dir = path.dirname(dir)) {
    if ((statSync(dir).mode & 0o005) !== 0o005) return false;
  }
  return true;
}

describe('ir-triage collect (the real CLI on this machine)', () => {
  it('writes a bundle that the system tar, sha256sum and verify accept', async () => {
    const out = tmpDir('irt-e2e-');
    const r = await runCli(['collect', '--out', out, '--case', 'E2E-1', '--examiner', 'alice', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(Object.keys(summary).sort()).toEqual(['bundle', 'case', 'findings', 'incidents', 'partial', 'sha256', 'verdict']);
    // Every finding of this machine is in exactly one incident.
    expect(summary.incidents.flatMap((i: { findings: string[] }) => i.findings).sort()).toEqual(summary.findings.map((f: { id: string }) => f.id).sort());
    expect(summary.verdict).toEqual({ level: expect.stringMatching(/^(compromised|attacking|attacked|suspicious|clean)$/), headline: expect.any(String), partial: summary.partial });
    expect(summary.bundle).toBe(path.join(out, 'E2E-1.tar.gz'));
    expect(summary.case).toBe('E2E-1');
    expect(Array.isArray(summary.findings)).toBe(true);

    // The staging folder is gone; only the bundle and its sidecar remain.
    expect(readdirSync(out).sort()).toEqual(['E2E-1.tar.gz', 'E2E-1.tar.gz.sha256']);
    const sidecar = readFileSync(`${summary.bundle}.sha256`, 'utf8');
    expect(sidecar).toBe(`${summary.sha256}  E2E-1.tar.gz\n`);
    execFileSync('sha256sum', ['-c', 'E2E-1.tar.gz.sha256'], { cwd: out });

    const tops = execFileSync('tar', ['tzf', summary.bundle], { encoding: 'utf8' }).trim().split('\n');
    expect(new Set(tops.map((t) => t.split('/')[0]))).toEqual(new Set(['E2E-1']));
    const caseDir = extract(summary.bundle);
    execFileSync('sha256sum', ['--quiet', '-c', 'SHA256SUMS'], { cwd: caseDir });
    const files = listFiles(caseDir);
    for (const f of ['manifest.json', 'SHA256SUMS', 'custody.jsonl', 'findings.json', 'report.md', 'report.html', 'timeline.csv', 'artifacts/host.json', 'commands/ps-auxwwf.txt', 'commands/ps-auxwwf.json']) {
      expect(files).toContain(f);
    }

    const manifest = JSON.parse(readFileSync(path.join(caseDir, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ case: 'E2E-1', examiner: 'alice', mode: 'live', root: isRoot, tool: { name: 'ir-triage' } });
    expect(manifest.commandLine).toEqual(['ir-triage', 'collect', '--out', out, '--case', 'E2E-1', '--examiner', 'alice', '--json']);
    expect(Date.parse(manifest.endedAt)).toBeGreaterThanOrEqual(Date.parse(manifest.startedAt));
    const listed = manifest.files.map((f: { path: string }) => f.path).sort();
    expect(listed).toEqual(files.filter((f) => f !== 'manifest.json' && f !== 'SHA256SUMS'));
    for (const s of manifest.sources) expect(['ok', 'error', 'skipped']).toContain(s.status);

    // Raw command output comes with its argv, exit code, duration and truncation.
    const ps = JSON.parse(readFileSync(path.join(caseDir, 'commands/ps-auxwwf.json'), 'utf8'));
    expect(ps).toMatchObject({ argv: ['ps', 'auxwwf'], exitCode: 0, timedOut: false, truncated: false });
    expect(readFileSync(path.join(caseDir, 'commands/ps-auxwwf.txt'), 'utf8')).toMatch(/^USER\s+PID/);

    const host = JSON.parse(readFileSync(path.join(caseDir, 'artifacts/host.json'), 'utf8'));
    expect(host.hostname).toBe(readFileSync('/etc/hostname', 'utf8').trim());

    const custody = readFileSync(path.join(caseDir, 'custody.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(custody[0]).toMatchObject({ seq: 1, event: 'case-opened', examiner: 'alice' });
    expect(custody.at(-1)).toMatchObject({ event: 'case-closed' });

    const v = await runCli(['verify', summary.bundle]);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^intact: /);
  });

  it('writes nothing outside --out, and leaves what it reads unchanged', async () => {
    const work = tmpDir('irt-quiet-');
    const [cwd, home, tmp, out] = ['cwd', 'home', 'tmp', 'out'].map((d) => {
      mkdirSync(path.join(work, d));
      return path.join(work, d);
    });
    const watched = ['/etc/hostname', '/etc/os-release', '/etc/machine-id', '/var/log', '/var/log/wtmp', '/var/log/btmp', '/run/utmp', '/etc/passwd'].filter(existsSync);
    // Other tests of the suite run at the same time and change some of these (useradd, a real sshd
    // writing btmp and wtmp): as root, the collect reads private copies bind-mounted over them in
    // its own mount namespace, and the copies are what is compared, so only the collect can change them.
    const isolate = isRoot && spawnSync('unshare', ['-m', '--propagation', 'private', 'true']).status === 0;
    const shadow = tmpDir('irt-quiet-shadow-');
    const copies = new Map<string, string>();
    if (isolate) {
      for (const [i, p] of watched.entries()) {
        if (p !== '/var/log' && p.startsWith('/var/log/')) continue; // inside the /var/log copy
        const copy = path.join(shadow, String(i));
        execFileSync('cp', ['-a', '-L', '-T', p, copy]);
        copies.set(p, copy);
      }
      for (const p of watched) if (p.startsWith('/var/log/')) copies.set(p, path.join(copies.get('/var/log')!, p.slice('/var/log/'.length)));
    }
    const at = (p: string) => copies.get(p) ?? p;
    const snap = () =>
      watched.map((p) => {
        const st = statSync(at(p));
        return { p, mtime: st.mtimeMs, ctime: st.ctimeMs, size: st.size, list: st.isDirectory() ? readdirSync(at(p)).sort() : null };
      });
    const before = snap();
    const mounts = [...copies].filter(([p]) => p === '/var/log' || !p.startsWith('/var/log/')).map(([p, copy]) => `mount --bind '${copy}' '${p}'`);
    const prefix = isolate ? ['unshare', '-m', '--propagation', 'private', 'bash', '-c', `set -e; ${mounts.join('; ')}; exec "$@"`, 'bash'] : [];
    const r = await runCli(['collect', '--out', out, '--case', 'QUIET'], { cwd, env: { ...process.env, HOME: home, TMPDIR: tmp }, prefix });
    expect(r.code).toBe(0);
    expect(snap()).toEqual(before);
    expect(readdirSync(cwd)).toEqual([]);
    expect(readdirSync(home)).toEqual([]);
    expect(readdirSync(tmp)).toEqual([]);
    expect(readdirSync(out).sort()).toEqual(['QUIET.tar.gz', 'QUIET.tar.gz.sha256']);
  });

  it.skipIf(!isRoot)('as an unprivileged user the bundle is marked partial (needs root to switch user)', async () => {
    if (!readableByOthers(REPO)) return expect.fail(`${REPO} is not readable by other users`);
    const out = tmpDir('irt-nobody-');
    chmodSync(out, 0o777);
    const r = await runCli(['collect', '--out', out, '--case', 'NOBODY', '--json'], {
      prefix: ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'],
      env: { ...process.env, HOME: out },
    });
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.partial).toBe(true);
    const manifest = JSON.parse(readFileSync(path.join(extract(summary.bundle), 'manifest.json'), 'utf8'));
    expect(manifest.root).toBe(false);
    expect(manifest.partialReasons[0]).toMatch(/^not run as root/);
    expect((await runCli(['verify', summary.bundle])).code).toBe(0);
  });

  it('refuses an --out that is a file, or not writable, in one line', async () => {
    const dir = tmpDir('irt-badout-');
    const file = path.join(dir, 'afile');
    writeFileSync(file, 'x');
    const r = await runCli(['collect', '--out', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`ir-triage: --out ${file} is not a folder\n`);
    expect(r.stdout).toBe('');

    const under = await runCli(['collect', '--out', path.join(file, 'sub')]);
    expect(under.code).toBe(1);
    expect(under.stderr).toBe(`ir-triage: cannot create the output folder ${path.join(file, 'sub')}: ENOTDIR\n`);

    const proc = await runCli(['collect', '--out', '/proc/irt-cannot-exist/x']);
    expect(proc.code).toBe(1);
    expect(proc.stderr).toMatch(/^ir-triage: cannot create the output folder \/proc\/irt-cannot-exist\/x: E[A-Z]+\n$/);

    // A folder the user cannot write to (as root: run as nobody against a root-owned folder).
    const ro = path.join(dir, 'ro');
    mkdirSync(ro);
    chmodSync(ro, 0o555);
    chmodSync(dir, 0o755);
    const asUser = isRoot && readableByOthers(REPO) ? ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'] : [];
    if (isRoot && asUser.length === 0) return;
    const r2 = await runCli(['collect', '--out', ro], { prefix: asUser });
    expect(r2.code).toBe(1);
    expect(r2.stderr).toBe(`ir-triage: --out ${ro} is not writable\n`);
  });

  it('records a command that hangs as killed at its timeout, and goes on', async () => {
    const out = tmpDir('irt-timeout-');
    const r = await runCli(['collect', '--out', out, '--case', 'SLOW', '--json', '--command-timeout', '1']);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.partial).toBe(true);
    const caseDir = extract(summary.bundle);
    const manifest = JSON.parse(readFileSync(path.join(caseDir, 'manifest.json'), 'utf8'));
    const ps = manifest.sources.find((s: { id: string }) => s.id === 'command.ps-auxwwf');
    expect(ps).toMatchObject({ status: 'error', message: 'killed at its timeout (1 ms)' });
    expect(JSON.parse(readFileSync(path.join(caseDir, 'commands/ps-auxwwf.json'), 'utf8')).timedOut).toBe(true);
    expect(manifest.sources.find((s: { id: string }) => s.id === 'host.os-release').status).toBe('ok');
  });

  it('on Ctrl-C records the interruption, still writes a verifiable partial bundle, and exits 130', async () => {
    const out = tmpDir('irt-int-');
    let pid = 0;
    const running = runCli(['collect', '--out', out, '--case', 'INT', '--json'], { onSpawn: (p) => (pid = p) });
    // As soon as the case's folder is there (its custody log not yet written): an interruption
    // while the case opens is recorded as one a moment later.
    const caseFolder = path.join(out, 'INT');
    for (let i = 0; i < 2000 && !existsSync(caseFolder); i++) await new Promise((res) => setTimeout(res, 2));
    process.kill(pid, 'SIGINT');
    const r = await running;
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/interrupted/);
    const summary = JSON.parse(r.stdout);
    expect(summary.partial).toBe(true);
    const caseDir = extract(summary.bundle);
    const events = readFileSync(path.join(caseDir, 'custody.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).event);
    expect(events).toContain('interrupted');
    const manifest = JSON.parse(readFileSync(path.join(caseDir, 'manifest.json'), 'utf8'));
    expect(manifest.interrupted).toBe(true);
    expect((await runCli(['verify', summary.bundle])).code).toBe(0);
  });

  // A tmpfs with room for the staging folder and not one inode more: the disk fills as the bundle is begun.
  it.skipIf(!canMount)('when the disk fills while bundling: a clear error, and the staging folder is kept', async () => {
    const root = tmpDir('irt-full-root-');
    mkdirSync(path.join(root, 'etc'));
    writeFileSync(path.join(root, 'etc/hostname'), 'victim\n');
    const probe = tmpDir('irt-full-probe-');
    expect((await runCli(['collect', '--root', root, '--out', probe, '--case', 'FULL', '--keep-dir'])).code).toBe(0);
    const small = mountSmallTmpfs(1 + countInodes(path.join(probe, 'FULL')))!;
    try {
      const out = small.dir;
      const r = await runCli(['collect', '--root', root, '--out', out, '--case', 'FULL']);
      expect(r.stderr).toBe(`ir-triage: could not write the bundle ${path.join(out, 'FULL.tar.gz')}: the disk is full; the staged evidence is kept in ${path.join(out, 'FULL')}\n`);
      expect(r.code).toBe(1);
      expect(readdirSync(out)).toEqual(['FULL']);
      expect((await runCli(['verify', path.join(out, 'FULL')])).code).toBe(0);
    } finally {
      small.unmount();
    }
  });

  it('reads a mounted image offline with --root: live-only sources are skipped, not partial', async () => {
    const root = tmpDir('irt-image-');
    mkdirSync(path.join(root, 'etc'));
    writeFileSync(path.join(root, 'etc/hostname'), 'victim\n');
    writeFileSync(path.join(root, 'etc/os-release'), 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_ID="12"\n');
    writeFileSync(path.join(root, 'etc/machine-id'), 'abc\n');
    writeFileSync(path.join(root, 'etc/timezone'), 'Europe/Berlin\n');
    const out = tmpDir('irt-off-');
    const r = await runCli(['collect', '--root', root, '--out', out, '--json']);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.case).toMatch(/^victim-\d{8}T\d{6}Z$/);
    const caseDir = extract(summary.bundle);
    const manifest = JSON.parse(readFileSync(path.join(caseDir, 'manifest.json'), 'utf8'));
    expect(manifest.mode).toBe('offline');
    expect(manifest.sources.find((s: { id: string }) => s.id === 'box-processes')).toMatchObject({ status: 'skipped' });
    expect(manifest.sources.some((s: { status: string }) => s.status === 'error')).toBe(false);
    expect(summary.partial).toBe(!isRoot);
    const host = JSON.parse(readFileSync(path.join(caseDir, 'artifacts/host.json'), 'utf8'));
    expect(host).toMatchObject({ hostname: 'victim', timezone: 'Europe/Berlin', machineId: 'abc' });
    expect(existsSync(path.join(caseDir, 'commands'))).toBe(false);
  });
});

describe('the command line', () => {
  it('without a terminal and without a command prints usage and exits 2', async () => {
    const r = await runCli([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Usage: ir-triage/);
  });

  it('help works as a command and as a flag', async () => {
    const a = await runCli(['help']);
    const b = await runCli(['--help']);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).toMatch(/collect/);
    const c = await runCli(['help', 'collect']);
    expect(c.stdout).toMatch(/--fail-on <level>/);
  });

  it('usage errors exit 2 with one line', async () => {
    const r = await runCli(['collect', '--fail-on', 'severe']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--fail-on/);
    const bad = await runCli(['collect', '--case', '../escape']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^ir-triage: --case "..\/escape": use letters/);
    expect((await runCli(['frobnicate'])).code).toBe(2);
  });

  it('lists the playbooks', async () => {
    const r = await runCli(['playbooks']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ssh-compromise — SSH compromise triage/);
  });
});
