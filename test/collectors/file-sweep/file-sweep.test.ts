/**
 * The file sweep on fake roots made here: a kit in a hidden /dev/shm folder, a setuid shell copy
 * in /var/tmp, a packaged and an unpackaged setuid binary, old files outside the window, a link
 * to /etc/shadow (never followed), and caps that bite.
 */
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bodyfileLine, bodyfileName, modeString } from '../../../src/collectors/file-sweep/bodyfile.js';
import { sweep, type SweepLimits } from '../../../src/collectors/file-sweep/file-sweep.js';
import type { CollectOptions } from '../../../src/collectors/types.js';
import { CaseStore } from '../../../src/evidence/store.js';
import { createHostContext } from '../../../src/host/context.js';
import { runRule } from '../../../src/rules/types.js';
import { newExecutable } from '../../../src/rules/file/new-executable.js';
import { setuidUnpackaged } from '../../../src/rules/file/setuid-unpackaged.js';
import { tmpDir } from '../../helpers/bundle.js';
import { buildRpm, hasRpm, rpm, rpmInstall } from '../../helpers/rpm.js';
import { readFileSync } from 'node:fs';

const OPTIONS: CollectOptions = { sshPorts: [], maxFileBytes: 1 << 20, maxCommandBytes: 1 << 20, commandTimeoutMs: 10_000, toolLists: { names: [], hashes: [] } };
const LIMITS: SweepLimits = { maxEntries: 100_000, maxDepth: 32, maxMs: 30_000, maxRecords: 10_000 };
const ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]), Buffer.alloc(100)]);

function put(root: string, rel: string, data: string | Buffer, mode = 0o644): void {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  writeFileSync(path.join(root, rel), data);
  chmodSync(path.join(root, rel), mode);
}

async function run(root: string, windowStart: string, limits = LIMITS) {
  const store = await CaseStore.create(tmpDir('irt-sweep-out-'), 'C');
  const host = createHostContext({ root });
  const window = { start: windowStart, end: new Date().toISOString(), source: 'since' as const, reason: 'test' };
  const r = await sweep({ host, sink: store, options: OPTIONS, facts: { window } }, limits);
  return { ...r, store, window };
}

async function scene() {
  const root = tmpDir('irt-sweep-');
  put(root, 'etc/passwd', 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n');
  put(root, 'var/lib/dpkg/info/login.list', '/.\n/usr\n/usr/bin\n/usr/bin/su\n');
  put(root, 'usr/bin/su', ELF, 0o4755);
  put(root, 'tmp/old-tool', ELF, 0o755);
  put(root, 'home/alice/notes.txt', 'hello');
  await new Promise((r) => setTimeout(r, 20));
  const windowStart = new Date().toISOString();
  await new Promise((r) => setTimeout(r, 20));
  put(root, 'dev/shm/.x/pscan2', ELF, 0o755);
  put(root, 'dev/shm/.x/run.sh', '#!/bin/sh\n./pscan2 22\n', 0o755);
  put(root, 'dev/shm/.x/data.txt', 'ips');
  put(root, 'var/tmp/.s', ELF, 0o4755);
  put(root, 'usr/bin/evil', ELF, 0o4755);
  put(root, 'home/alice/.cargo/bin/rg', ELF, 0o755);
  put(root, 'etc/shadow', 'root:*:19000:0:99999:7:::\n', 0o640);
  symlinkSync('/etc/shadow', path.join(root, 'tmp/shadow-link'));
  return { root, windowStart };
}

describe('file sweep', () => {
  it('records what changed in the window, with times, hashes and the bodyfile line; links never followed', async () => {
    const { root, windowStart } = await scene();
    const { facts, sources, store } = await run(root, windowStart);
    const paths = facts.changedFiles.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['/dev/shm/.x', '/dev/shm/.x/pscan2', '/dev/shm/.x/run.sh', '/var/tmp/.s', '/tmp/shadow-link', '/home/alice/.cargo/bin/rg', '/usr/bin/evil']));
    expect(paths).not.toContain('/tmp/old-tool');
    expect(paths).not.toContain('/home/alice/notes.txt');
    const kit = facts.changedFiles.find((f) => f.path === '/dev/shm/.x/pscan2')!;
    expect(kit).toMatchObject({ executable: 'elf', writableDir: '/dev/shm', hiddenDir: '.x', type: 'file' });
    expect(kit.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(facts.changedFiles.find((f) => f.path === '/dev/shm/.x/run.sh')!.executable).toBe('script');
    expect(facts.changedFiles.find((f) => f.path === '/dev/shm/.x/data.txt')!.executable).toBeNull();
    expect(facts.changedFiles.find((f) => f.path === '/tmp/shadow-link')).toMatchObject({ type: 'link', linkTarget: '/etc/shadow', sha256: null });
    const body = readFileSync(path.join(store.dir, 'artifacts/bodyfile.txt'), 'utf8');
    expect(body).toContain(`|/dev/shm/.x/pscan2|${kit.ino}|-rwxr-xr-x|`);
    expect(body).toContain('|/tmp/shadow-link -> /etc/shadow|');
    expect(body).not.toContain('root:*');
    expect(sources.find((s) => s.id === 'file-sweep')!.status).toBe('ok');
    expect(store.timelineEvents.some((e) => e.source === 'file-sweep' && e.path === '/dev/shm/.x/pscan2')).toBe(true);
  });

  it('set-id files: packaged, unpackaged, in a writable folder; the rules', async () => {
    const { root, windowStart } = await scene();
    const { facts, window } = await run(root, windowStart);
    expect(facts.setuidFiles.map((f) => [f.path, f.package, f.packaged, f.writableDir]).sort()).toEqual([
      ['/usr/bin/evil', null, false, null],
      ['/usr/bin/su', 'login', true, null],
      ['/var/tmp/.s', null, false, '/var/tmp'],
    ]);
    const su = runRule(setuidUnpackaged, facts);
    expect(su.map((f) => [f.subject.path, f.severity])).toEqual([
      ['/var/tmp/.s', 'critical'],
      ['/usr/bin/evil', 'high'],
    ]);
    const exe = runRule(newExecutable, { ...facts, window });
    expect(exe.map((f) => [f.subject.path, f.severity]).sort()).toEqual([
      ['/dev/shm/.x/pscan2', 'high'],
      ['/dev/shm/.x/run.sh', 'high'],
      ['/home/alice/.cargo/bin/rg', 'low'],
      ['/var/tmp/.s', 'critical'],
    ]);
  });

  it('a clean root (nothing changed in the window): no finding', async () => {
    const { root } = await scene();
    const { facts, window } = await run(root, new Date(Date.now() + 60_000).toISOString());
    expect(facts.changedFiles).toEqual([]);
    expect(runRule(newExecutable, { ...facts, window })).toEqual([]);
    expect(runRule(setuidUnpackaged, { ...facts, setuidFiles: facts.setuidFiles.filter((f) => f.path === '/usr/bin/su') })).toEqual([]);
  });

  it('caps bite and say so: entries, depth, records', async () => {
    const { root, windowStart } = await scene();
    let deep = 'tmp';
    for (let i = 0; i < 10; i++) deep += `/d${i}`;
    put(root, `${deep}/f`, 'x');
    const depth = await run(root, windowStart, { ...LIMITS, maxDepth: 4 });
    expect(depth.sources.find((s) => s.id === 'file-sweep')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/deeper than 4 levels not entered/) });
    const few = await run(root, windowStart, { ...LIMITS, maxEntries: 5 });
    expect(few.sources.find((s) => s.id === 'file-sweep')).toMatchObject({ detail: expect.stringMatching(/stopped at the cap of 5 entries/) });
    const rec = await run(root, windowStart, { ...LIMITS, maxRecords: 2 });
    expect(rec.facts.changedFiles.length).toBe(2);
    expect(rec.sources.find((s) => s.id === 'file-sweep')).toMatchObject({ detail: expect.stringMatching(/past the cap of 2 counted/) });
  });
});

describe.skipIf(!hasRpm)('set-id files on a root whose packages the real rpm installed', () => {
  it("owners come from rpmdb.sqlite: the package's setuid program is packaged, a dropped one is not, as rpm's own file list says", async () => {
    const root = tmpDir('irt-sweep-rpm-');
    put(root, 'etc/passwd', 'root:x:0:0:root:/root:/bin/bash\n');
    const pkg = buildRpm({ name: 'shadow-utils', files: [{ path: '/usr/bin/newgrp', content: ELF, mode: 0o4755 }, { path: '/usr/bin/chage', content: ELF, mode: 0o4755 }] });
    rpmInstall(root, [pkg], '/usr/lib/sysimage/rpm');
    const windowStart = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    put(root, 'usr/bin/.sshd-helper', ELF, 0o4755);
    put(root, 'var/tmp/.s', ELF, 0o4755);
    const { facts, sources } = await run(root, windowStart);
    const listed = new Set(rpm(root, '/usr/lib/sysimage/rpm', ['-qa', '--qf', '[%{FILENAMES}\\n]']).split('\n'));
    expect(facts.setuidFiles.length).toBe(4);
    for (const f of facts.setuidFiles) expect(f.packaged, f.path).toBe(listed.has(f.path));
    expect(facts.setuidFiles.find((f) => f.path === '/usr/bin/newgrp')).toMatchObject({ package: 'shadow-utils', packaged: true });
    expect(sources.find((s) => s.id === 'file-sweep.packages')).toMatchObject({ status: 'ok', path: '/usr/lib/sysimage/rpm/rpmdb.sqlite' });
    expect(runRule(setuidUnpackaged, facts).map((f) => f.subject.path).sort()).toEqual(['/usr/bin/.sshd-helper', '/var/tmp/.s']);
  });

  it('a Berkeley DB database is named as not read: ownership unknown, only the writable-folder copy is reported', async () => {
    const root = tmpDir('irt-sweep-bdb-');
    put(root, 'usr/bin/chage', ELF, 0o4755);
    put(root, 'var/lib/rpm/Packages', Buffer.alloc(8192, 0x62));
    const windowStart = new Date().toISOString();
    put(root, 'var/tmp/.s', ELF, 0o4755);
    const { facts, sources } = await run(root, windowStart);
    expect(facts.setuidFiles.map((f) => f.packaged)).toEqual([null, null]);
    expect(sources.find((s) => s.id === 'file-sweep.packages')).toMatchObject({ status: 'skipped', path: '/var/lib/rpm/Packages', reason: expect.stringContaining('Berkeley DB') });
    expect(runRule(setuidUnpackaged, facts).map((f) => f.subject.path)).toEqual(['/var/tmp/.s']);
  });
});

describe('bodyfile', () => {
  it('mode strings as ls prints them', () => {
    expect(modeString('file', 0o4755)).toBe('-rwsr-xr-x');
    expect(modeString('file', 0o2644)).toBe('-rw-r-Sr--');
    expect(modeString('dir', 0o1777)).toBe('drwxrwxrwt');
    expect(modeString('link', 0o777)).toBe('lrwxrwxrwx');
  });

  it('names with | and newlines stay one field on one line', () => {
    expect(bodyfileName('/tmp/a|b\nc%')).toBe('/tmp/a%7Cb%0Ac%25');
    const line = bodyfileLine({ path: '/tmp/x|y', type: 'file', linkTarget: null, mode: 0o755, uid: 0, gid: 0, size: 3, ino: '42', atime: '2024-01-01T00:00:00.000Z', mtime: '2024-01-01T00:00:01.000Z', ctime: '2024-01-01T00:00:02.000Z', btime: null, inWindow: ['mtime'], executable: null, sha256: null, md5: null, writableDir: '/tmp', hiddenDir: null, area: '/tmp' });
    expect(line).toBe('0|/tmp/x%7Cy|42|-rwxr-xr-x|0|0|3|1704067200|1704067201|1704067202|0\n');
  });
});
