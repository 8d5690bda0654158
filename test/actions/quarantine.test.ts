import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, linkSync, lstatSync, mkdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { READ_ONLY_SINK } from '../../src/actions/common.js';
import { protectedReason } from '../../src/actions/protected-paths.js';
import {
  applyQuarantine,
  bundleRel,
  displayName,
  planQuarantine,
  type QuarantineRecord,
} from '../../src/actions/quarantine.js';
import { checkRecord, planRestoreQuarantine, restoreQuarantine } from '../../src/actions/restore-quarantine.js';
import { tmpDir } from '../helpers/bundle.js';
import { isRoot } from '../helpers/cli.js';
import { actionContext } from './helpers.js';

const mode = (p: string) => lstatSync(p).mode & 0o7777;
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** A malware folder with files and folders of different modes, and a symlink to a file outside it. */
function kit(): { base: string; dir: string; outside: string; modes: Record<string, number> } {
  const base = tmpDir('irt-q-');
  const dir = path.join(base, '.. ');
  const outside = path.join(base, 'outside.txt');
  writeFileSync(outside, 'not part of the kit\n');
  chmodSync(outside, 0o644);
  const modes: Record<string, number> = {
    '': 0o755,
    'pscan2': 0o755,
    'sshd': 0o700,
    'pass.txt': 0o644,
    'run.sh': 0o775,
    'shared.log': 0o666,
    'sub': 0o755,
    'sub/deep': 0o700,
    'sub/deep/vuln.txt': 0o644,
    'sub/g': 0o750,
    'priv': 0o750,
    'priv/key': 0o600,
  };
  if (isRoot) modes['suid'] = 0o4755;
  mkdirSync(dir);
  for (const rel of Object.keys(modes).filter((r) => r !== '').sort()) {
    const p = path.join(dir, rel);
    if (['sub', 'sub/deep', 'priv'].includes(rel)) mkdirSync(p);
    else writeFileSync(p, `content of ${rel}\n`);
  }
  symlinkSync(outside, path.join(dir, 'link'));
  for (const [rel, m] of Object.entries(modes)) chmodSync(path.join(dir, rel), m);
  return { base, dir, outside, modes };
}

describe('quarantine: plan, apply, restore on a real folder', () => {
  it('sets exactly mode & ~0555 on every file and folder, leaves the symlink and its target alone, and restore puts every mode back', async () => {
    const { dir, outside, modes } = kit();
    const { ctx, store, events } = await actionContext();
    const linkBefore = lstatSync(path.join(dir, 'link'));

    const plan = await planQuarantine(ctx, dir);
    expect(plan.refused).toBeNull();
    expect(plan.data.folder).toBe(dir);
    // Files first, then folders deepest first, the folder itself last.
    const chmods = plan.changes.filter((c) => c.op === 'chmod');
    expect(chmods).toHaveLength(Object.keys(modes).length);
    expect(chmods.at(-1)).toEqual({ op: 'chmod', target: dir, detail: '0755 → 0200' });
    const order = chmods.map((c) => path.relative(dir, c.target));
    expect(order.indexOf('sub/deep')).toBeLessThan(order.indexOf('sub'));
    expect(Math.max(...['pscan2', 'sub/deep/vuln.txt', 'priv/key'].map((f) => order.indexOf(f)))).toBeLessThan(order.indexOf('sub/deep'));
    expect(plan.changes.find((c) => c.target === path.join(dir, 'link'))).toBeUndefined();
    expect(plan.warnings.join('\n')).toMatch(/link: a symbolic link: left alone, and so is what it points to/);
    expect(plan.warnings.join('\n')).toMatch(/root is not stopped/);
    expect(plan.warnings.join('\n')).toMatch(/`sh file`, `perl file`/);
    expect(plan.warnings.join('\n')).toMatch(/ld-linux/);
    expect(plan.warnings.join('\n')).toMatch(/Running processes are not stopped/);
    // Planning changed nothing.
    for (const [rel, m] of Object.entries(modes)) expect(mode(path.join(dir, rel)), rel).toBe(m);

    const result = await applyQuarantine(ctx, plan);
    expect(result.ok).toBe(true);
    expect(result.undoRecord).toBe('actions/quarantine-1.json');
    const expected: Record<string, number> = {
      '': 0o200, 'pscan2': 0o200, 'sshd': 0o200, 'pass.txt': 0o200, 'run.sh': 0o220, 'shared.log': 0o222,
      'sub': 0o200, 'sub/deep': 0o200, 'sub/deep/vuln.txt': 0o200, 'sub/g': 0o200, 'priv': 0o200, 'priv/key': 0o200,
    };
    if (isRoot) expected['suid'] = 0o4200;
    for (const [rel, m] of Object.entries(modes)) {
      expect(mode(path.join(dir, rel)), rel).toBe(m & ~0o555);
      expect(mode(path.join(dir, rel)), rel).toBe(expected[rel]);
    }
    // The link is the same link, pointing at the same untouched file.
    const linkAfter = lstatSync(path.join(dir, 'link'));
    expect([linkAfter.ino, linkAfter.mode, linkAfter.mtimeMs]).toEqual([linkBefore.ino, linkBefore.mode, linkBefore.mtimeMs]);
    expect(readlinkSync(path.join(dir, 'link'))).toBe(outside);
    expect(mode(outside)).toBe(0o644);

    // Every regular file was copied and hashed before the change; the record keeps every mode.
    const record = JSON.parse(readFileSync(path.join(store.dir, result.undoRecord!), 'utf8')) as QuarantineRecord;
    expect(record).toMatchObject({ action: 'quarantine', version: 1, folder: dir, copies: 'files/quarantine/1' });
    for (const rel of Object.keys(modes).filter((r) => statSync(path.join(dir, r)).isFile())) {
      const e = record.entries.find((x) => x.rel === rel)!;
      expect(e, rel).toMatchObject({ type: 'file', modeBefore: modes[rel], modeAfter: modes[rel] & ~0o555, changed: true });
      expect(e.copy).toMatchObject({ path: `files/quarantine/1/${rel}`, sha256: sha256(`content of ${rel}\n`), truncated: false });
      expect(readFileSync(path.join(store.dir, e.copy!.path), 'utf8')).toBe(`content of ${rel}\n`);
      expect(store.files.get(e.copy!.path)?.sha256).toBe(e.copy!.sha256);
    }
    expect(record.entries.find((x) => x.rel === 'link')).toMatchObject({ type: 'symlink', changed: false, modeBefore: linkBefore.mode & 0o7777 });
    expect(record.entries.find((x) => x.rel === 'sub')).toMatchObject({ type: 'dir', modeBefore: 0o755, modeAfter: 0o200, ino: String(statSync(path.join(dir, 'sub')).ino) });
    expect(events.map((e) => e.event)).toEqual(['action-applied']);
    expect(events[0].details).toMatchObject({ action: 'quarantine', record: 'actions/quarantine-1.json', changed: Object.keys(modes).length });

    // The restore plan lists folders top-down, then files; then the undo brings back every mode.
    const rplan = await planRestoreQuarantine(ctx, record);
    const rorder = rplan.changes.map((c) => path.relative(dir, c.target));
    expect(rorder.slice(0, 4)).toEqual(['', 'priv', 'sub', 'sub/deep']);
    expect(rorder.slice(4).every((r) => statSync(path.join(dir, r)).isFile())).toBe(true);
    const undone = await restoreQuarantine(ctx, rplan);
    expect(undone.ok).toBe(true);
    for (const [rel, m] of Object.entries(modes)) expect(mode(path.join(dir, rel)), rel).toBe(m);
    expect(mode(outside)).toBe(0o644);
    expect(events.map((e) => e.event)).toEqual(['action-applied', 'action-undone']);
    expect(events[1].details).toMatchObject({ restored: Object.keys(modes).length, leftAloneCount: 0 });
  });

  it('plans without writing anything (a read-only sink)', async () => {
    const { dir, modes } = kit();
    const { ctx } = await actionContext();
    const plan = await planQuarantine({ ...ctx, sink: READ_ONLY_SINK }, dir);
    expect(plan.refused).toBeNull();
    for (const [rel, m] of Object.entries(modes)) expect(mode(path.join(dir, rel))).toBe(m);
  });

  it('resolves .. and symlinks in the target before anything else', async () => {
    const { base, dir } = kit();
    const via = path.join(base, 'via');
    symlinkSync(dir, via);
    const { ctx } = await actionContext();
    const plan = await planQuarantine(ctx, path.join(via, 'sub', '..'));
    expect(plan.refused).toBeNull();
    expect(plan.data.folder).toBe(dir);
  });

  it('refuses protected system folders, however they are reached', async () => {
    const { base } = kit();
    symlinkSync('/etc', path.join(base, 'etc-link'));
    const { ctx } = await actionContext();
    for (const [target, real] of [['/usr/bin', '/usr/bin'], ['/etc', '/etc'], ['/home', '/home'], ['/tmp/../usr/bin', '/usr/bin'], [path.join(base, 'etc-link'), '/etc'], ['/', '/'], ['/var/log', '/var/log']] as const) {
      const plan = await planQuarantine(ctx, target);
      expect(plan.refused, target).toMatch(/refused \(--force overrides/);
      expect(plan.refused, target).toContain(real === '/' ? '/ is the whole system' : real);
      expect(plan.changes).toEqual([]);
    }
  });

  it('knows which folders are protected', () => {
    const refused = ['/', '/bin', '/boot', '/dev', '/etc', '/home', '/lib', '/lib32', '/lib64', '/libx32', '/proc', '/root', '/run', '/sbin', '/srv', '/sys', '/usr', '/var', '/tmp', '/opt',
      '/usr/bin', '/usr/sbin', '/var/lib', '/var/log', '/var/tmp', '/etc/ssh', '/etc/cron.d', '/home/alice', '/run/user', '/usr/lib/x86_64-linux-gnu', '/usr/local/bin', '/var/lib/dpkg',
      '/var/spool/cron', '/proc/1', '/proc/self/cwd', '/sys/fs/cgroup', '/dev/shm', '/dev/pts', '/boot/grub', '/usr/share/doc'];
    const allowed = ['/home/alice/.hidden', '/home/alice/.config/x', '/tmp/.. ', '/tmp/x', '/var/tmp/.x', '/dev/shm/.x', '/dev/shm/.x/y', '/root/.x', '/root/tools',
      '/usr/lib/.x', '/var/lib/.cache', '/opt/app', '/usr/share/doc/pkg', '/var/www/html/uploads', '/etc/ssh/.x/y'];
    for (const p of refused) expect(protectedReason(p), p).not.toBeNull();
    for (const p of allowed) expect(protectedReason(p), p).toBeNull();
  });

  it('with --force, a protected folder is planned and changed (inside a fake root)', async () => {
    const root = tmpDir('irt-root-');
    mkdirSync(path.join(root, 'etc/evil'), { recursive: true });
    writeFileSync(path.join(root, 'etc/evil/x'), 'x');
    chmodSync(path.join(root, 'etc/evil/x'), 0o755);
    const plain = await actionContext({ host: { root, mode: 'live', procDir: null } });
    expect((await planQuarantine(plain.ctx, '/etc/evil')).refused).toBe('/etc/evil is a system folder: refused (--force overrides, at your own risk)');
    const forced = await actionContext({ force: true, host: { root, mode: 'live', procDir: null } });
    const plan = await planQuarantine(forced.ctx, '/etc/evil');
    expect(plan.refused).toBeNull();
    expect(plan.data).toMatchObject({ folder: '/etc/evil', hostFolder: path.join(root, 'etc/evil') });
    expect(plan.warnings[0]).toBe('/etc/evil is a system folder: going ahead only because of --force.');
    expect((await applyQuarantine(forced.ctx, plan)).ok).toBe(true);
    expect(mode(path.join(root, 'etc/evil/x'))).toBe(0o200);
  });

  it('refuses a target that is not a folder, or does not exist', async () => {
    const { dir } = kit();
    const { ctx, events } = await actionContext();
    expect((await planQuarantine(ctx, path.join(dir, 'pscan2'))).refused).toMatch(/is not a folder/);
    expect((await planQuarantine(ctx, path.join(dir, 'nope'))).refused).toBe(`${path.join(dir, 'nope')}: no such folder`);
    const refusedPlan = await planQuarantine(ctx, '/etc');
    const r = await applyQuarantine(ctx, refusedPlan);
    expect(r.ok).toBe(false);
    expect(events).toEqual([{ event: 'action-refused', details: expect.objectContaining({ action: 'quarantine', reason: expect.stringMatching(/^\/etc is a top-level system folder/) }) }]);
  });

  it('refuses a file replaced between plan and apply, and never follows a file swapped for a symlink', async () => {
    const { dir, outside } = kit();
    const { ctx } = await actionContext();
    const plan = await planQuarantine(ctx, dir);
    // pscan2 replaced by another file (new inode, mode 0755); sshd swapped for a symlink to a file outside.
    unlinkSync(path.join(dir, 'pscan2'));
    writeFileSync(path.join(dir, 'pscan2'), 'new');
    chmodSync(path.join(dir, 'pscan2'), 0o755);
    renameSync(path.join(dir, 'sshd'), path.join(dir, '..sshd-moved'));
    symlinkSync(outside, path.join(dir, 'sshd'));
    // A folder replaced by a symlink to a folder outside: nothing below it is reached through it.
    const elsewhere = path.join(path.dirname(dir), 'elsewhere');
    mkdirSync(path.join(elsewhere, 'deep'), { recursive: true });
    writeFileSync(path.join(elsewhere, 'deep', 'vuln.txt'), 'victim');
    chmodSync(path.join(elsewhere, 'deep', 'vuln.txt'), 0o644);
    renameSync(path.join(dir, 'sub'), path.join(path.dirname(dir), 'sub-moved'));
    symlinkSync(elsewhere, path.join(dir, 'sub'));

    const result = await applyQuarantine(ctx, plan);
    expect(result.ok).toBe(false);
    expect(mode(path.join(dir, 'pscan2'))).toBe(0o755);
    expect(mode(outside)).toBe(0o644);
    expect(mode(path.join(elsewhere, 'deep', 'vuln.txt'))).toBe(0o644);
    expect(mode(path.join(elsewhere, 'deep'))).toBe(statSync(path.join(elsewhere, 'deep')).mode & 0o7777);
    const byTarget = new Map(result.applied.map((a) => [path.relative(dir, a.target), a]));
    expect(byTarget.get('pscan2')).toMatchObject({ ok: false, detail: expect.stringMatching(/^refused: replaced by another file since it was seen/) });
    expect(byTarget.get('sshd')).toMatchObject({ ok: false, detail: expect.stringMatching(/^refused: /) });
    expect(byTarget.get('sub/deep/vuln.txt')).toMatchObject({ ok: false });
    expect(byTarget.get('pass.txt')).toMatchObject({ ok: true, detail: 'chmod 0644 → 0200' });
    expect(mode(path.join(dir, 'pass.txt'))).toBe(0o200);
  });

  it('restore leaves an entry whose mode changed since the quarantine alone, unless forced; a replaced one always', async () => {
    const { dir } = kit();
    const { ctx } = await actionContext();
    const applied = await applyQuarantine(ctx, await planQuarantine(ctx, dir));
    const record = JSON.parse(readFileSync(path.join((ctx.sink as unknown as { dir: string }).dir, applied.undoRecord!), 'utf8')) as QuarantineRecord;
    chmodSync(path.join(dir, 'pass.txt'), 0o600);
    rmSync(path.join(dir, 'shared.log'));
    writeFileSync(path.join(dir, 'shared.log'), 'other');
    chmodSync(path.join(dir, 'shared.log'), 0o222);

    const plan = await planRestoreQuarantine(ctx, record);
    expect(plan.warnings.join('\n')).toContain(`${path.join(dir, 'pass.txt')}: its mode changed since the quarantine: left alone (--force restores it) (now 0600, quarantine set 0200)`);
    expect(plan.warnings.join('\n')).toContain(`${path.join(dir, 'shared.log')}: replaced by another file since the quarantine: left alone`);
    const r = await restoreQuarantine(ctx, plan);
    expect(r.ok).toBe(false);
    expect(mode(path.join(dir, 'pass.txt'))).toBe(0o600);
    expect(mode(path.join(dir, 'shared.log'))).toBe(0o222);
    expect(mode(path.join(dir, 'pscan2'))).toBe(0o755);
    // What was shown is what is changed: the two entries left alone are reported, not touched.
    expect(r.applied.filter((a) => a.ok).map((a) => a.target)).toEqual(plan.changes.map((c) => c.target));
    expect(r.applied.filter((a) => !a.ok).map((a) => path.relative(dir, a.target)).sort()).toEqual(['pass.txt', 'shared.log']);

    const forcedPlan = await planRestoreQuarantine(ctx, record, { force: true });
    expect(forcedPlan.data.items.find((i) => i.rel === 'pscan2')?.action).toBe('already');
    const forced = await restoreQuarantine(ctx, forcedPlan, { force: true });
    expect(mode(path.join(dir, 'pass.txt'))).toBe(0o644);
    expect(mode(path.join(dir, 'shared.log'))).toBe(0o222);
    // Only the entry whose mode changed is forced; the replaced one is never listed, and what is already back is left out.
    expect(forced.applied.filter((a) => a.ok).map((a) => path.relative(dir, a.target))).toEqual(['pass.txt']);
    expect(forced.applied.filter((a) => !a.ok).map((a) => path.relative(dir, a.target))).toEqual(['shared.log']);
  });

  it('records a copy cut at maxFileBytes as truncated, and still quarantines the file', async () => {
    const { dir } = kit();
    writeFileSync(path.join(dir, 'big.bin'), Buffer.alloc(1000, 7));
    const { ctx, store } = await actionContext({ maxFileBytes: 100 });
    const r = await applyQuarantine(ctx, await planQuarantine(ctx, dir));
    const record = JSON.parse(readFileSync(path.join(store.dir, r.undoRecord!), 'utf8')) as QuarantineRecord;
    expect(record.maxFileBytes).toBe(100);
    expect(record.entries.find((e) => e.rel === 'big.bin')!.copy).toEqual({ path: 'files/quarantine/1/big.bin', size: 100, truncated: true, cut: 'file', sha256: sha256(Buffer.alloc(100, 7)) });
    expect(mode(path.join(dir, 'big.bin'))).toBe(0o200);
  });

  it('leaves a file alone whose hard links reach outside the folder (its mode is shared)', async () => {
    const { base, dir } = kit();
    const outsideLink = path.join(base, 'hardlink-outside');
    linkSync(path.join(dir, 'pass.txt'), outsideLink);
    linkSync(path.join(dir, 'pscan2'), path.join(dir, 'sub', 'pscan2-again'));
    const { ctx } = await actionContext();
    const plan = await planQuarantine(ctx, dir);
    expect(plan.warnings.join('\n')).toContain(`${path.join(dir, 'pass.txt')}: has 1 hard link(s) outside the folder that share its mode: left alone (--force changes it anyway)`);
    await applyQuarantine(ctx, plan);
    expect(mode(outsideLink)).toBe(0o644);
    // Both names of a file linked only inside the folder are quarantined.
    expect(mode(path.join(dir, 'sub', 'pscan2-again'))).toBe(0o200);
  });

  it('handles file names that are not UTF-8, or carry newlines and backslashes', async () => {
    const { dir } = kit();
    const weird = Buffer.concat([Buffer.from(dir + '/'), Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe])]);
    writeFileSync(weird, 'bytes');
    chmodSync(weird, 0o755);
    writeFileSync(path.join(dir, 'new\nline\\x'), 'nl');
    chmodSync(path.join(dir, 'new\nline\\x'), 0o700);
    const { ctx, store } = await actionContext();
    const plan = await planQuarantine(ctx, dir);
    expect(plan.changes.map((c) => c.target)).toContain(`${dir}/bad\\xff\\xfe`);
    const r = await applyQuarantine(ctx, plan);
    expect(r.ok).toBe(true);
    expect(lstatSync(weird).mode & 0o7777).toBe(0o200);
    const record = JSON.parse(readFileSync(path.join(store.dir, r.undoRecord!), 'utf8')) as QuarantineRecord;
    const bad = record.entries.find((e) => e.relHex === '626164fffe')!;
    expect(bad.copy!.path).toMatch(/^files\/quarantine\/1\/bad__~[0-9a-f]{12}$/);
    expect(record.entries.find((e) => e.rel === 'new\nline\\x')!.copy!.path).toMatch(/^files\/quarantine\/1\/new_line_x~[0-9a-f]{12}$/);
    await restoreQuarantine(ctx, await planRestoreQuarantine(ctx, record));
    expect(lstatSync(weird).mode & 0o7777).toBe(0o755);
    expect(mode(path.join(dir, 'new\nline\\x'))).toBe(0o700);
  });

  it.skipIf(!isRoot)('does not enter another filesystem mounted inside the folder (root only: mounts a tmpfs)', async (t) => {
    const { dir } = kit();
    const mnt = path.join(dir, 'mnt');
    mkdirSync(mnt);
    chmodSync(mnt, 0o755);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'irt-test', mnt], { stdio: 'pipe' });
    } catch (err) {
      t.skip(`cannot mount a tmpfs here: ${(err as Error).message.split('\n')[0]}`);
      return;
    }
    try {
      writeFileSync(path.join(mnt, 'inside'), 'x');
      chmodSync(path.join(mnt, 'inside'), 0o755);
      chmodSync(mnt, 0o755);
      const { ctx } = await actionContext();
      const plan = await planQuarantine(ctx, dir);
      expect(plan.warnings.join('\n')).toContain(`${mnt}: on another filesystem (a mount point): left alone and not entered`);
      await applyQuarantine(ctx, plan);
      expect(mode(mnt)).toBe(0o755);
      expect(mode(path.join(mnt, 'inside'))).toBe(0o755);
    } finally {
      execFileSync('umount', [mnt]);
    }
  });

  it('checks an undo record before trusting it', () => {
    const base: QuarantineRecord = {
      action: 'quarantine', version: 1, appliedAt: '', record: 'actions/quarantine-1.json', summary: '', target: '/tmp/x', folder: '/tmp/x', hostFolder: '/tmp/x',
      copies: 'files/quarantine/1', maxFileBytes: 1, entries: [
        { rel: 'a', relHex: '61', type: 'file', dev: '1', ino: '2', btime: '0', modeBefore: 0o4755, modeAfter: 0o4200, changed: true, outcome: '' },
        { rel: '', relHex: '', type: 'dir', dev: '1', ino: '1', btime: '0', modeBefore: 0o755, modeAfter: 0o200, changed: true, outcome: '' },
      ],
    };
    expect(checkRecord(base)).toBe(base);
    const withEntry = (e: Partial<QuarantineRecord['entries'][0]>) => ({ ...base, entries: [{ ...base.entries[0], ...e }, base.entries[1]] });
    expect(() => checkRecord(withEntry({ modeBefore: 0o4755, modeAfter: 0o0200 }))).toThrow(/mode change quarantine cannot have made/);
    expect(() => checkRecord(withEntry({ modeBefore: 0o777, modeAfter: 0o200 }))).toThrow(/mode change/);
    expect(() => checkRecord(withEntry({ relHex: Buffer.from('../../etc/shadow').toString('hex') }))).toThrow(/leaves the folder/);
    expect(() => checkRecord({ ...base, action: 'freeze' })).toThrow(/not a quarantine record/);
    expect(() => checkRecord({ ...base, version: 2 })).toThrow(/version 2/);
    // Bits added back beyond r and x, a path with an empty or '.' part, a changed link, no entry for the folder itself.
    expect(() => checkRecord(withEntry({ modeBefore: 0o4755, modeAfter: 0o755 & ~0o555 | 0o4000 | 0o020 }))).toThrow(/mode change/);
    expect(() => checkRecord(withEntry({ relHex: Buffer.from('a//b').toString('hex') }))).toThrow(/leaves the folder/);
    expect(() => checkRecord(withEntry({ type: 'symlink' }))).toThrow(/symbolic link or special file/);
    expect(() => checkRecord({ ...base, entries: [base.entries[0]] })).toThrow(/exactly one entry for the folder itself/);
    expect(() => checkRecord({ ...base, hostFolder: '/tmp/../etc' })).toThrow(/not a plain absolute path/);
  });

  it('makes bundle paths safe and collision-free, and shows names as they are', () => {
    expect(bundleRel(Buffer.from('sub/pscan2').toString('hex'))).toBe('sub/pscan2');
    expect(bundleRel(Buffer.from('.. /sshd').toString('hex'))).toMatch(/^\.\._~[0-9a-f]{12}\/sshd$/);
    expect(bundleRel(Buffer.from('a\\b').toString('hex'))).not.toBe(bundleRel(Buffer.from('a_b').toString('hex')));
    expect(displayName(Buffer.from([0x61, 0xff]))).toBe('a\\xff');
    expect(displayName(Buffer.from('é'))).toBe('é');
  });

  it('takes a folder of 10,000 files in seconds (timing printed, not asserted)', async () => {
    const base = tmpDir('irt-q10k-');
    const dir = path.join(base, 'kit');
    mkdirSync(dir);
    for (let d = 0; d < 100; d++) {
      mkdirSync(path.join(dir, `d${d}`));
      for (let f = 0; f < 100; f++) writeFileSync(path.join(dir, `d${d}`, `f${f}`), `${d}/${f}`);
    }
    const { ctx, store } = await actionContext();
    const before = mode(path.join(dir, 'd99', 'f99'));
    const t0 = performance.now();
    const plan = await planQuarantine(ctx, dir);
    const t1 = performance.now();
    const r = await applyQuarantine(ctx, plan);
    const t2 = performance.now();
    const record = JSON.parse(readFileSync(path.join((ctx.sink as unknown as { dir: string }).dir, r.undoRecord!), 'utf8')) as QuarantineRecord;
    const u = await restoreQuarantine(ctx, await planRestoreQuarantine(ctx, record));
    const t3 = performance.now();
    console.log(`quarantine of 10,000 files in 100 folders: plan ${Math.round(t1 - t0)} ms, apply (copy + chmod) ${Math.round(t2 - t1)} ms, restore ${Math.round(t3 - t2)} ms`);
    expect(r.ok).toBe(true);
    expect(u.ok).toBe(true);
    expect(record.entries.find((e) => e.rel === 'd99/f99')).toMatchObject({ modeBefore: before, modeAfter: before & ~0o555, changed: true });
    expect(record.entries.filter((e) => e.changed)).toHaveLength(10_101);
    expect(record.entries.filter((e) => e.copy)).toHaveLength(10_000);
    expect(mode(path.join(dir, 'd99', 'f99'))).toBe(before);
    // 30,000 small files: not left behind in /tmp.
    rmSync(base, { recursive: true, force: true });
    rmSync(store.outDir, { recursive: true, force: true });
  });
});
