import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeFsError, RootedFs } from '../../src/host/rooted-fs.js';
import { tmpDir } from '../helpers/bundle.js';

function fakeRoot(): string {
  const root = tmpDir('irt-root-');
  mkdirSync(path.join(root, 'etc'));
  mkdirSync(path.join(root, 'var/log'), { recursive: true });
  writeFileSync(path.join(root, 'etc/hostname'), 'imagehost\n');
  writeFileSync(path.join(root, 'var/log/auth.log'), 'a\n');
  writeFileSync(path.join(root, 'var/log/auth.log.1'), 'b\n');
  writeFileSync(path.join(root, 'var/log/auth.log.2.gz'), 'c');
  writeFileSync(path.join(root, 'var/log/syslog'), 'd');
  return root;
}

describe('RootedFs', () => {
  it('reads files inside the root', async () => {
    const fs = new RootedFs(fakeRoot());
    expect(await fs.readText('/etc/hostname')).toBe('imagehost\n');
  });

  it('resolves an absolute link inside the root, never on the examiner machine', async () => {
    const root = fakeRoot();
    // In the image, /etc/passwd -> /etc/hostname; on this machine /etc/passwd is something else.
    symlinkSync('/etc/hostname', path.join(root, 'etc/passwd'));
    const fs = new RootedFs(root);
    expect(await fs.readText('/etc/passwd')).toBe('imagehost\n');
  });

  it('never climbs out of the root through ..', async () => {
    const root = fakeRoot();
    symlinkSync('../../../../../../../../etc/hostname', path.join(root, 'var/log/escape'));
    const fs = new RootedFs(root);
    expect(await fs.resolve('/var/log/escape')).toBe(path.join(root, 'etc/hostname'));
    expect(await fs.readText('/var/log/escape')).toBe('imagehost\n');
    expect(await fs.resolve('/../../etc/shadow')).toBe(path.join(root, 'etc/shadow'));
  });

  it('reports link loops as ELOOP with one clear line', async () => {
    const root = fakeRoot();
    symlinkSync('/loop-b', path.join(root, 'loop-a'));
    symlinkSync('/loop-a', path.join(root, 'loop-b'));
    const fs = new RootedFs(root);
    const err = await fs.readText('/loop-a').catch((e) => e);
    expect(describeFsError(err, '/loop-a')).toBe('ELOOP: /loop-a: too many symbolic links');
  });

  it('lists rotations by pattern, sorted', async () => {
    const fs = new RootedFs(fakeRoot());
    expect(await fs.list('/var/log', 'auth.log*')).toEqual(['/var/log/auth.log', '/var/log/auth.log.1', '/var/log/auth.log.2.gz']);
    expect(await fs.list('/nope', '*')).toEqual([]);
  });

  it('cuts a read at maxBytes and says so', async () => {
    const root = fakeRoot();
    writeFileSync(path.join(root, 'big'), Buffer.alloc(5000, 1));
    const r = await new RootedFs(root).readFile('/big', 100);
    expect(r.truncated).toBe(true);
    expect(r.data.length).toBe(100);
  });

  it('reads proc-style files that stat as size 0', async () => {
    const r = await new RootedFs('/').readFile('/proc/self/status');
    expect(statSync('/proc/self/status').size).toBe(0);
    expect(r.data.toString()).toMatch(/^Name:/);
  });

  it('does not change the access time of what it reads (O_NOATIME)', async () => {
    const root = fakeRoot();
    const file = path.join(root, 'var/log/auth.log');
    // An old atime, older than mtime: relatime would update it on a plain read.
    utimesSync(file, new Date('2020-01-01T00:00:00Z'), new Date('2021-01-01T00:00:00Z'));
    const before = statSync(file).atimeMs;
    await new RootedFs(root).readText('/var/log/auth.log');
    expect(statSync(file).atimeMs).toBe(before);
  });

  it('describes common errors in one line', async () => {
    const err = await new RootedFs(fakeRoot()).readText('/var/log/missing').catch((e) => e);
    expect(describeFsError(err, '/var/log/missing')).toBe('ENOENT: /var/log/missing: no such file');
  });
});

describe('RootedFs.realPath: the name a path really has inside the root', () => {
  it('follows /usr-merge links, absolute and relative targets, never above the root; keeps missing parts and, on request, the last name', async () => {
    const root = tmpDir('irt-realpath-');
    mkdirSync(path.join(root, 'usr/bin'), { recursive: true });
    mkdirSync(path.join(root, 'usr/lib/x86_64-linux-gnu'), { recursive: true });
    writeFileSync(path.join(root, 'usr/bin/ps'), 'ps');
    writeFileSync(path.join(root, 'usr/lib/x86_64-linux-gnu/libkeyutils.so.1.9'), 'kit');
    symlinkSync('usr/bin', path.join(root, 'bin'));
    symlinkSync('/usr/lib', path.join(root, 'lib'));
    symlinkSync('libkeyutils.so.1.9', path.join(root, 'usr/lib/x86_64-linux-gnu/libkeyutils.so.1'));
    symlinkSync('../../../../../etc', path.join(root, 'usr/bin/up'));
    symlinkSync('/loop2', path.join(root, 'loop1'));
    symlinkSync('/loop1', path.join(root, 'loop2'));
    const fs = new RootedFs(root);
    expect(await fs.realPath('/bin/ps')).toBe('/usr/bin/ps');
    expect(await fs.realPath('/lib/x86_64-linux-gnu/libkeyutils.so.1')).toBe('/usr/lib/x86_64-linux-gnu/libkeyutils.so.1.9');
    expect(await fs.realPath('/lib/x86_64-linux-gnu/libkeyutils.so.1', true)).toBe('/usr/lib/x86_64-linux-gnu/libkeyutils.so.1');
    expect(await fs.realPath('/usr/bin/up/passwd')).toBe('/etc/passwd');
    expect(await fs.realPath('/bin/../sbin/./sshd')).toBe('/usr/sbin/sshd');
    expect(await fs.realPath('/usr/bin/ps/not-a-dir')).toBe('/usr/bin/ps/not-a-dir');
    await expect(fs.realPath('/loop1/x')).rejects.toMatchObject({ code: 'ELOOP' });
  });
});

describe('RootedFs: links and identities through the door', () => {
  it('readlink reads the last component as written, its folders resolved inside the root', async () => {
    const root = fakeRoot();
    // /logs -> /var/log inside the image; /logs/wtmp is a link to /dev/null (never followed).
    symlinkSync('/var/log', path.join(root, 'logs'));
    symlinkSync('/dev/null', path.join(root, 'var/log/wtmp'));
    const fs = new RootedFs(root);
    expect(await fs.readlink('/logs/wtmp')).toBe('/dev/null');
    expect((await fs.lstat('/logs/wtmp')).isSymbolicLink()).toBe(true);
    // A folder link pointing above the root stays inside it.
    symlinkSync('../../../../../../var/log', path.join(root, 'up'));
    expect(await fs.readlink('/up/wtmp')).toBe('/dev/null');
    await expect(fs.readlink('/etc/hostname')).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(fs.readlink('/var/log/none')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('stat and lstat give bigint inodes on request, the same file as the number form', async () => {
    const root = fakeRoot();
    symlinkSync('/etc/hostname', path.join(root, 'etc/name-link'));
    const fs = new RootedFs(root);
    const big = await fs.stat('/etc/name-link', { bigint: true });
    expect(typeof big.ino).toBe('bigint');
    expect(big.ino).toBe(BigInt(statSync(path.join(root, 'etc/hostname')).ino));
    expect(big.isFile()).toBe(true);
    const lbig = await fs.lstat('/etc/name-link', { bigint: true });
    expect(typeof lbig.ino).toBe('bigint');
    expect(lbig.isSymbolicLink()).toBe(true);
    expect(lbig.ino).not.toBe(big.ino);
    expect((await fs.stat('/etc/name-link')).ino).toBe(Number(big.ino));
  });

  it('realFolder names one folder once whatever link leads to it', async () => {
    const root = fakeRoot();
    symlinkSync('/var/log', path.join(root, 'logs'));
    const fs = new RootedFs(root);
    expect(await fs.realFolder('/logs')).toBe(await fs.realFolder('/var/log'));
    expect(await fs.realFolder('/logs')).toBe(path.join(root, 'var/log'));
  });

  it('walks entries by their path below the root, never through a link, and refuses a path outside it', async () => {
    const root = fakeRoot();
    symlinkSync('/etc/hostname', path.join(root, 'var/log/link'));
    const fs = new RootedFs(root);
    const dir = await fs.resolve('/var/log');
    const names = fs.listEntriesSync(dir).sort();
    expect(names).toEqual(['auth.log', 'auth.log.1', 'auth.log.2.gz', 'link', 'syslog']);
    expect(fs.lstatChildSync(dir, 'link')?.isSymbolicLink()).toBe(true);
    expect(fs.lstatChildSync(dir, 'auth.log', true)?.ino).toBe(BigInt(statSync(path.join(root, 'var/log/auth.log')).ino));
    expect(fs.lstatChildSync(dir, 'auth.log')?.ino).toBe(statSync(path.join(root, 'var/log/auth.log')).ino);
    expect(fs.lstatChildSync(dir, 'gone')).toBeNull();
    // A name is one component: never a way up or down.
    for (const bad of ['..', '.', '', '../../etc', 'a/b']) expect(() => fs.lstatChildSync(dir, bad)).toThrow(/EESCAPE/);
    expect(await fs.readlinkEntry(path.join(dir, 'link'))).toBe('/etc/hostname');
    expect((await fs.lstatEntry(path.join(dir, 'link'))).isSymbolicLink()).toBe(true);
    // Opening a link met by the walk is refused (O_NOFOLLOW), a plain file is read.
    await expect(fs.openEntry(path.join(dir, 'link'))).rejects.toMatchObject({ code: 'ELOOP' });
    const h = await fs.openEntry(path.join(dir, 'auth.log'));
    expect((await h.readFile()).toString()).toBe('a\n');
    await h.close();
    // The synchronous reader: a link or a FIFO is never opened (no hang), a file is read from any position.
    expect(fs.openEntrySync(path.join(dir, 'link'))).toBeNull();
    expect(spawnSync('mkfifo', [path.join(dir, 'fifo')]).status).toBe(0);
    expect(fs.openEntrySync(path.join(dir, 'fifo'))).toBeNull();
    const r = fs.openEntrySync(path.join(dir, 'auth.log'))!;
    const buf = Buffer.alloc(8);
    expect(buf.toString('utf8', 0, r.readSync(buf, 0))).toBe('a\n');
    expect(buf.toString('utf8', 0, await r.read(buf, 1))).toBe('\n');
    r.close();
    for (const outside of [path.dirname(root), path.join(root, '..', 'x'), '/etc', 'var/log']) {
      expect(() => fs.listEntriesSync(outside)).toThrow(/EESCAPE/);
      expect(() => fs.lstatChildSync(outside, 'x')).toThrow(/EESCAPE/);
      expect(() => fs.openEntrySync(path.join(outside, 'passwd'))).toThrow(/EESCAPE/);
      await expect(fs.openEntry(path.join(outside, 'passwd'))).rejects.toMatchObject({ code: 'EESCAPE' });
    }
  });
});
