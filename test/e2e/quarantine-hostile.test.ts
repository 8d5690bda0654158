import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { extract, listFiles, tmpDir } from '../helpers/bundle.js';
import { BIN, isRoot, runCli } from '../helpers/cli.js';

/** Every entry below a folder with its mode and change time (a chmod, even to the same mode, moves the change time). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    const st = lstatSync(path.join(dir, rel), { bigint: true });
    out[rel] = `${(Number(st.mode) & 0o7777).toString(8)} ${st.ctimeNs}`;
    if (st.isDirectory()) for (const n of readdirSync(path.join(dir, rel))) walk(path.join(rel, n));
  };
  walk('');
  return out;
}

/** Every file below a folder, read whole. */
function contents(dir: string): string {
  return listFiles(dir)
    .map((f) => readFileSync(path.join(dir, f), 'latin1'))
    .join('\n');
}

/** A canary standing in for /etc: a marker in every file, modes of a system folder. */
function canary(base: string): { dir: string; marker: string } {
  const marker = `CANARY-${randomBytes(8).toString('hex')}`;
  const dir = path.join(base, 'canary');
  mkdirSync(path.join(dir, 'ssh'), { recursive: true });
  for (const f of ['shadow', 'passwd', 'ssh/sshd_config']) writeFileSync(path.join(dir, f), `${marker} ${f}\n`);
  chmodSync(path.join(dir, 'shadow'), 0o640);
  chmodSync(path.join(dir, 'ssh'), 0o755);
  chmodSync(dir, 0o755);
  return { dir, marker };
}

describe('quarantine on a hostile folder (the built CLI)', () => {
  it('a subfolder flipped between a folder and a link to a canary, thousands of times, while quarantine runs: the canary is never copied nor chmod-ed', async () => {
    const base = tmpDir('irt-qrace-');
    const { dir: canaryDir, marker } = canary(base);
    const before = snapshot(canaryDir);
    const kit = path.join(base, 'kit');
    const SUBS = 16;
    for (let i = 0; i < SUBS; i++) {
      mkdirSync(path.join(kit, `sub${i}`), { recursive: true });
      writeFileSync(path.join(kit, `sub${i}`, 'shadow'), 'inner\n');
    }
    for (let i = 0; i < 20; i++) writeFileSync(path.join(kit, `f${i}`), `kit file ${i}\n`);
    // The attacker's loop: renameat2(RENAME_EXCHANGE) swaps each subN with a link to the canary,
    // atomically and as fast as it can, so that subN is always there, half the time a folder and
    // half the time the link (Node has no renameat2: python3's ctypes calls it).
    const flipper = [
      'import ctypes, os, signal, sys',
      'libc = ctypes.CDLL(None, use_errno=True)',
      'kit, target, n = sys.argv[1], sys.argv[2], int(sys.argv[3])',
      'pairs = []',
      'for i in range(n):',
      "    link = os.path.join(kit, '.link%d' % i).encode()",
      '    os.symlink(target, link)',
      "    pairs.append((os.path.join(kit, 'sub%d' % i).encode(), link))",
      'stop = []',
      'signal.signal(signal.SIGTERM, lambda *_: stop.append(1))',
      'flips = 0',
      'while not stop:',
      '    for sub, link in pairs:',
      '        if libc.renameat2(-100, sub, -100, link, 2) == 0: flips += 1',
      'sys.stdout.write(str(flips))',
    ].join('\n');
    const child = spawn('python3', ['-c', flipper, kit, canaryDir, String(SUBS)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let flips = '';
    child.stdout!.on('data', (d) => (flips += d));
    const exited = new Promise<void>((res) => child.on('exit', () => res()));
    try {
      for (let run = 0; run < 12; run++) {
        const out = tmpDir('irt-qrace-out-');
        const r = await runCli(['quarantine', kit, '--yes', '--out', out, '--case', `RACE-${run}`, '--json']);
        expect([0, 1], r.stderr).toContain(r.code);
        const summary = JSON.parse(r.stdout);
        if (summary.bundle) {
          const caseDir = extract(summary.bundle);
          expect(contents(caseDir)).not.toContain(marker);
        }
        expect(snapshot(canaryDir)).toEqual(before);
      }
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    expect(Number(flips)).toBeGreaterThan(2000);
    expect(snapshot(canaryDir)).toEqual(before);
  }, 120_000);

  it('a tree deeper than PATH_MAX is walked to the bottom; beyond --max-depth it is named in the plan, the result and the bundle, and the run is not "done"', async () => {
    const base = tmpDir('irt-qdeep-');
    const kit = path.join(base, 'kit');
    mkdirSync(kit);
    const name = 'd'.repeat(40);
    const levels = 130; // 130 × 41 bytes: over 5,000 bytes of path, past PATH_MAX (4096)
    // mkdir through relative paths: a path this long cannot be named whole.
    const pit = (dir: string) => execFileSync('bash', ['-c', `cd "$1" && for i in $(seq ${levels}); do mkdir ${name} && cd ${name}; done && printf 'bottom of the pit\\n' > deepest && chmod 755 deepest`, '_', dir]);
    pit(kit);
    const deepMode = () => execFileSync('find', [kit, '-name', 'deepest', '-printf', '%m']).toString();
    expect(deepMode()).toBe('755');

    const out = tmpDir('irt-qdeep-out-');
    const r = await runCli(['quarantine', kit, '--yes', '--out', out, '--case', 'DEEP', '--json']);
    expect(r.stderr).toMatch(/^quarantine: /);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.ok).toBe(true);
    expect(deepMode()).toBe('200');
    const caseDir = extract(summary.bundle);
    const record = JSON.parse(readFileSync(path.join(caseDir, 'actions/quarantine-1.json'), 'utf8'));
    const deepest = record.entries.find((e: { rel: string }) => e.rel.endsWith('/deepest'));
    expect(deepest.rel.length).toBeGreaterThan(4096);
    expect(deepest).toMatchObject({ changed: true, modeBefore: 0o755, modeAfter: 0o200 });
    expect(readFileSync(path.join(caseDir, deepest.copy.path), 'utf8')).toBe('bottom of the pit\n');
    expect(record.notCovered).toEqual([]);
    rmSync(caseDir, { recursive: true, force: true });

    // Bounded: the plan names what lies beyond, the result is NOT ALL DONE, the bundle records it.
    const kit2 = path.join(base, 'kit2');
    mkdirSync(kit2);
    pit(kit2);
    const dry = await runCli(['quarantine', kit2, '--dry-run', '--json', '--max-depth', '100', '--out', out]);
    const plan = JSON.parse(dry.stdout);
    expect(plan.notCovered).toEqual([expect.objectContaining({ why: expect.stringMatching(/^at the depth bound \(100 levels\)/) })]);
    expect(plan.notCovered[0].path.split('/').length - kit2.split('/').length).toBe(100);
    const text = await runCli(['quarantine', kit2, '--yes', '--max-depth', '100', '--out', out, '--case', 'DEEP-BOUND']);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/Not covered: 1 \(1 beyond the depth bound\)/);
    expect(text.stdout).toMatch(/^NOT ALL DONE: quarantined .*; 1 not covered \(1 beyond the depth bound\)/m);
    expect(text.stdout).toMatch(/not done: .*: not covered: at the depth bound \(100 levels\)/);
    const bounded = extract(path.join(out, 'DEEP-BOUND.tar.gz'));
    const manifest = JSON.parse(readFileSync(path.join(bounded, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ partial: true, notCovered: 1, limits: { maxDepth: 100 } });
    const record2 = JSON.parse(readFileSync(path.join(bounded, 'actions/quarantine-1.json'), 'utf8'));
    expect(record2.notCovered).toEqual([expect.objectContaining({ kind: 'too-deep' })]);
    expect(record2.maxDepth).toBe(100);
    expect((await runCli(['verify', path.join(out, 'DEEP-BOUND.tar.gz')])).code).toBe(0);
    // rm walks by descriptors too; Node's rmSync names whole paths and cannot.
    execFileSync('rm', ['-rf', base, out]);
  }, 120_000);

  it('copies have a total cap as well as a per-file cap: what they leave out is named, and still chmod-ed', async () => {
    const base = tmpDir('irt-qcap-');
    const kit = path.join(base, 'kit');
    mkdirSync(kit);
    for (const f of ['a', 'b', 'c']) writeFileSync(path.join(kit, f), Buffer.alloc(3000, f));
    chmodSync(path.join(kit, 'c'), 0o755);
    const out = path.join(base, 'out');
    const r = await runCli(['quarantine', kit, '--yes', '--out', out, '--case', 'CAP', '--max-file-bytes', '2000', '--max-total-bytes', '3500', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('copy cut at 2000 of 3000 bytes (--max-file-bytes)');
    expect(r.stderr).toContain('not copied: the copies reach the total cap (--max-total-bytes 3500)');
    expect(lstatSync(path.join(kit, 'c')).mode & 0o7777).toBe(0o200);
    const caseDir = extract(JSON.parse(r.stdout).bundle);
    const record = JSON.parse(readFileSync(path.join(caseDir, 'actions/quarantine-1.json'), 'utf8'));
    const byName = Object.fromEntries(record.entries.map((e: { rel: string }) => [e.rel, e]));
    expect(byName.a.copy).toMatchObject({ size: 2000, truncated: true, cut: 'file' });
    expect(byName.b.copy).toMatchObject({ size: 1500, truncated: true, cut: 'total' });
    expect(byName.c).toMatchObject({ copy: null, changed: true });
    expect(record.maxTotalBytes).toBe(3500);
    expect(record.notCovered.map((g: { kind: string }) => g.kind)).toEqual(['copy-cut', 'copy-cut', 'copy-over-total']);
    const manifest = JSON.parse(readFileSync(path.join(caseDir, 'manifest.json'), 'utf8'));
    expect(manifest.partial).toBe(true);
    expect(manifest.partialReasons.join('\n')).toMatch(/3 entries of the folder not covered/);
  });

  it.skipIf(!isRoot)('a full --out (a small tmpfs): one line, no silent exit, nothing changed when the copies do not fit, and the staged case verifies (root: mounts a tmpfs)', async () => {
    const base = tmpDir('irt-qfull-');
    const kit = (name: string, sizes: number[]) => {
      const dir = path.join(base, name);
      mkdirSync(dir);
      sizes.forEach((size, i) => {
        writeFileSync(path.join(dir, `f${i}`), randomBytes(size));
        chmodSync(path.join(dir, `f${i}`), 0o755);
      });
      return dir;
    };
    const out = path.join(base, 'out');
    mkdirSync(out);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'irt-full', out]);
    try {
      // The copies do not fit: refused, nothing changed, no half copy left; the case is sealed or, if even that fails, kept and verifiable.
      const big = kit('big', [600 * 1024, 600 * 1024, 600 * 1024]);
      const r = await runCli(['quarantine', big, '--yes', '--out', out, '--case', 'FULL']);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/NOT ALL DONE: quarantine refused: could not copy .* into the case \(the disk is full\): nothing was changed/);
      for (let i = 0; i < 3; i++) expect(lstatSync(path.join(big, `f${i}`)).mode & 0o7777).toBe(0o755);
      const sealed = existsSync(path.join(out, 'FULL.tar.gz'));
      if (!sealed) expect(r.stderr).toMatch(/^ir-triage: could not write the bundle .*: the disk is full; the staged evidence is kept in .*\n$/);
      else expect(r.stderr).toBe('');
      expect((await runCli(['verify', path.join(out, sealed ? 'FULL.tar.gz' : 'FULL')])).code).toBe(0);
      execFileSync('bash', ['-c', 'rm -rf "$1"/*', '_', out]);

      // The copies fit, the bundle does not: the one line says the quarantine was applied and where its undo record is.
      const fits = kit('fits', [700 * 1024, 10, 10]);
      const r2 = await runCli(['quarantine', fits, '--yes', '--out', out, '--case', 'FULL2']);
      expect(r2.code).toBe(1);
      const staged = path.join(out, 'FULL2');
      // Whether the archive itself or its sidecar is the write that finds the disk full depends on how well the copies compress.
      expect([
        `ir-triage: could not write the bundle ${staged}.tar.gz: the disk is full; the staged evidence is kept in ${staged}; the quarantine was applied: its undo record is ${staged}/actions/quarantine-1.json\n`,
        `ir-triage: could not write the bundle's sidecar ${staged}.tar.gz.sha256: the disk is full; the staged evidence is kept in ${staged}; the quarantine was applied: its undo record is ${staged}/actions/quarantine-1.json\n`,
      ]).toContain(r2.stderr);
      expect(lstatSync(path.join(fits, 'f0')).mode & 0o7777).toBe(0o200);
      expect((await runCli(['verify', staged])).code).toBe(0);
      expect(JSON.parse(readFileSync(path.join(staged, 'actions/quarantine-1.json'), 'utf8')).entries).toHaveLength(4);
    } finally {
      execFileSync('umount', [out]);
    }
  });

  it.skipIf(!isRoot)('bind mounts of /etc, the systemd unit folders and a canary copy are refused; one inside the folder is not entered (root: a private mount namespace)', async () => {
    const base = tmpDir('irt-qbind-');
    const { dir: canaryDir } = canary(base);
    const before = snapshot(canaryDir);
    const m = (n: string) => {
      mkdirSync(path.join(base, n), { recursive: true });
      return path.join(base, n);
    };
    const binds: Array<[string, string]> = [
      ['/etc', m('etc-bind')],
      ['/usr/lib/systemd/system', m('unit-bind')],
      ['/etc/systemd/system', m('etc-unit-bind')],
      [canaryDir, m('canary-bind')],
      ['/etc/systemd/system', m('kit-holds/units')],
      [canaryDir, m('kit/mnt')],
    ].filter(([src]) => existsSync(src)) as Array<[string, string]>;
    writeFileSync(path.join(base, 'kit', 'payload'), 'x');
    chmodSync(path.join(base, 'kit', 'payload'), 0o755);
    const out = m('out');
    // Everything mounted in a private namespace: nothing leaks to the machine, and it all goes when the shell ends.
    const script = [
      'set -e',
      ...binds.map(([src, dst]) => `mount --bind "${src}" "${dst}"`),
      // Binds of the real system folders are only ever planned (--dry-run): were the protection to
      // fail, the test fails without a single chmod on this machine's /etc or unit folders.
      ...['etc-bind', 'unit-bind', 'etc-unit-bind', 'kit-holds'].map((t) => `node "${BIN}" quarantine "${base}/${t}" --dry-run --json --out "${out}" --case "B-${t}" > "${out}/${t}.json" || echo $? > "${out}/${t}.code"`),
      `node "${BIN}" quarantine "${base}/canary-bind" --yes --json --out "${out}" --case B-canary-bind > "${out}/canary-bind.json" || echo $? > "${out}/canary-bind.code"`,
      `node "${BIN}" quarantine "${base}/kit" --yes --json --out "${out}" --case B-kit > "${out}/kit.json"`,
    ].join('\n');
    execFileSync('unshare', ['-m', '--propagation', 'private', 'bash', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    const refusal = (t: string) => JSON.parse(readFileSync(path.join(out, `${t}.json`), 'utf8')).plan.refused as string;
    expect(refusal('etc-bind')).toMatch(/is, by device and inode, a protected folder \(\/etc is a top-level system folder\): refused/);
    if (existsSync('/usr/lib/systemd/system')) expect(refusal('unit-bind')).toMatch(/by device and inode, a protected folder/);
    if (existsSync('/etc/systemd/system')) {
      expect(refusal('etc-unit-bind')).toMatch(/by device and inode, a protected folder/);
      expect(refusal('kit-holds')).toMatch(/holds .*\/units, which is by device and inode a protected folder/);
    }
    expect(refusal('canary-bind')).toMatch(/is a mount point \(its own filesystem, or a bind mount of another folder\): refused/);
    const kit = JSON.parse(readFileSync(path.join(out, 'kit.json'), 'utf8'));
    expect(kit.ok).toBe(true);
    expect(lstatSync(path.join(base, 'kit', 'payload')).mode & 0o7777).toBe(0o200);
    const caseDir = extract(kit.bundle);
    const record = JSON.parse(readFileSync(path.join(caseDir, 'actions/quarantine-1.json'), 'utf8'));
    expect(record.entries.find((e: { rel: string }) => e.rel === 'mnt').outcome).toBe('left alone: a mount point (a bind mount of another folder): left alone and not entered');
    expect(record.entries.some((e: { rel: string }) => e.rel.startsWith('mnt/'))).toBe(false);
    expect(snapshot(canaryDir)).toEqual(before);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(base);
  });
});
