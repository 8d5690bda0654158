import { closeSync, constants, fstatSync, lstatSync, openSync, promises as fsp, read, readdirSync, readSync, realpathSync, type BigIntStats, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { errorCode } from './errors.js';

export type { BigIntStats, Stats } from 'node:fs';
export type { FileHandle } from 'node:fs/promises';

const MAX_LINK_HOPS = 40;
const READ_CHUNK = 1024 * 1024;

/** An error reading evidence: carries the errno code for the source table. */
export class RootedFsError extends Error {
  constructor(
    readonly code: string,
    readonly target: string,
    message: string,
  ) {
    super(message);
  }
}

/** One clear line for the manifest: "ENOENT: /var/log/auth.log: no such file". */
export function describeFsError(err: unknown, target: string): string {
  const code = errorCode(err);
  const reason: Record<string, string> = {
    ENOENT: 'no such file',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ELOOP: 'too many symbolic links',
    EISDIR: 'is a folder',
    ENOTDIR: 'a path component is not a folder',
    EESCAPE: 'link points outside the root',
    ESWAPPED: 'changed while it was opened',
  };
  // A link not followed says itself what it is and where it leads.
  if ((code === 'ELINKOUT' || code === 'ESECRET') && err instanceof Error) return err.message;
  return `${code}: ${target}: ${reason[code] ?? (err instanceof Error ? err.message : String(err))}`;
}

/** A link (or hard link) not followed: its content never reaches a record or the bundle. */
export interface RefusedLink {
  /** The path asked for, inside the root. */
  path: string;
  /** The link met on the way, inside the root, and what it holds (null for a hard link). */
  link: string;
  target: string | null;
  reason: string;
}

/** One symbolic link met while resolving a path. */
interface Hop {
  link: string;
  target: string;
  uid: number;
}

export interface ReadResult {
  data: Buffer;
  /** The file was longer than maxBytes and was cut. */
  truncated: boolean;
}

/**
 * File access inside one root: `/` on a live box, a fake root in tests, a mounted image offline.
 * Paths are absolute as seen from inside the root. Symbolic links are resolved as a chroot would:
 * absolute targets are taken relative to the root and `..` never climbs above it, so a link
 * planted in an image can never make us read the examiner's own files. Opens use O_NOATIME where
 * the kernel allows, so reading evidence does not trample access times.
 */
export class RootedFs {
  readonly root: string;
  /** Links refused by open (see linkRefusal), once per path asked for; listed in the manifest. */
  readonly refused: RefusedLink[] = [];
  private noatime = constants.O_NOATIME ?? 0;
  /** The folder last found below the root by `child` (a walk asks for many entries of one folder in a row). */
  private checkedFolder: string | null = null;
  /** The root as the kernel names it (for the check of what a descriptor really opened). */
  private readonly kernelRoot: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    try {
      this.kernelRoot = realpathSync.native(this.root);
    } catch {
      this.kernelRoot = this.root;
    }
  }

  get isHostRoot(): boolean {
    return this.root === '/';
  }

  /** The path on the examiner's machine for `inside`, with links resolved inside the root. */
  async resolve(inside: string): Promise<string> {
    if (this.isHostRoot) return path.resolve('/', inside);
    return this.resolveChrooted(inside);
  }

  /** The path on the examiner's machine, without resolving links (for lstat/readlink of the last part). */
  hostPath(inside: string): string {
    return path.join(this.root, path.resolve('/', inside));
  }

  private async resolveChrooted(inside: string): Promise<string> {
    return path.join(this.root, await this.realPath(inside));
  }

  /**
   * The real path of `inside`, as seen inside the root: every link followed the way a chroot
   * would (absolute targets taken from the root, `..` never above it), the last component too
   * unless `keepLast`. Missing components are kept as they are. Live, the kernel follows links
   * on open; this names the file for both (/bin/ps → /usr/bin/ps on a /usr-merged box).
   */
  async realPath(inside: string, keepLast = false): Promise<string> {
    return (await this.walk(inside, keepLast)).real;
  }

  /** realPath, with every link met on the way (inside the root), its target and its owner. */
  private async walk(inside: string, keepLast = false): Promise<{ real: string; hops: Hop[] }> {
    const hopsMet: Hop[] = [];
    // Not normalised first: `..` after a link goes up from where the link led, as the kernel does.
    const pending = inside.split('/').filter(Boolean);
    const last = keepLast ? pending.pop() : undefined;
    const done: string[] = [];
    let hops = 0;
    while (pending.length > 0) {
      const part = pending.shift()!;
      if (part === '.') continue;
      if (part === '..') {
        done.pop();
        continue;
      }
      const candidate = path.join(this.root, ...done, part);
      let st: Stats;
      try {
        st = await fsp.lstat(candidate);
      } catch (err) {
        if (errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR') {
          // Nothing below a missing name can be a link: the rest is taken as written.
          done.push(part);
          for (const rest of pending) {
            if (rest === '..') done.pop();
            else if (rest !== '.') done.push(rest);
          }
          break;
        }
        throw err;
      }
      if (st.isSymbolicLink()) {
        if (++hops > MAX_LINK_HOPS) throw new RootedFsError('ELOOP', inside, `ELOOP: ${inside}`);
        const target = await fsp.readlink(candidate);
        hopsMet.push({ link: `/${[...done, part].join('/')}`, target, uid: st.uid });
        if (target.startsWith('/')) done.length = 0;
        pending.unshift(...target.split('/').filter(Boolean));
      } else {
        done.push(part);
      }
    }
    if (last !== undefined) done.push(last);
    return { real: `/${done.join('/')}`, hops: hopsMet };
  }

  /**
   * Opens for reading with O_NOATIME (falling back quietly when the kernel refuses it: EPERM),
   * after a walk that notes every link on the way. A link someone other than root owns is followed
   * only to a file that same account owns: ~/.bashrc → /etc/shadow or ~/.ssh → /root/.ssh is
   * refused (ELINKOUT) and noted in `refused`, with the link and its target. The checks are made
   * on the opened descriptor, and what the kernel opened must be what the walk named, so a swap
   * between the walk and the open cannot lead elsewhere (ESWAPPED).
   */
  async open(inside: string): Promise<FileHandle> {
    const { real, hops } = await this.walk(inside);
    const host = path.join(this.root, real);
    // O_NOFOLLOW: the walk resolved the last component; a link there now is a swap. O_NONBLOCK: a FIFO never hangs the read.
    const handle = await openNoAtime(host, this.noatime, constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      const st = await handle.stat();
      const refusal = hops.length > 0 || st.nlink > 1 ? await this.linkRefusal(inside, real, hops, st) : null;
      if (refusal) {
        if (!this.refused.some((r) => r.path === inside)) this.refused.push(refusal);
        throw new RootedFsError('ELINKOUT', inside, `${inside}: ${refusal.reason}`);
      }
      const opened = await fsp.readlink(`/proc/self/fd/${handle.fd}`).catch(() => null);
      const expected = path.join(this.kernelRoot, real);
      if (opened !== null && opened !== expected && opened !== `${expected} (deleted)`) {
        throw new RootedFsError('ESWAPPED', inside, `ESWAPPED: ${inside}: opened ${opened}, not ${expected}`);
      }
      return handle;
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /**
   * Why the file `real` (stat `st`), reached from `inside` through `hops`, is not the account's own:
   * a link owned by a non-root account that leads to a file another account owns, or a hard link,
   * in a folder a non-root account owns, to a file that account does not own. Null when it is fine.
   */
  private async linkRefusal(inside: string, real: string, hops: Hop[], st: Stats): Promise<RefusedLink | null> {
    for (const h of hops) {
      if (h.uid === 0 || h.uid === st.uid) continue;
      return { path: inside, link: h.link, target: h.target, reason: `a link owned by uid ${h.uid} to ${h.target} (${real}, owned by uid ${st.uid}): the link is recorded, not followed` };
    }
    if (st.isFile() && st.nlink > 1) {
      const folder = await fsp.lstat(path.dirname(path.join(this.root, real))).catch(() => null);
      if (folder && folder.uid !== 0 && folder.uid !== st.uid) {
        return { path: inside, link: real, target: null, reason: `a hard link (${st.nlink} names) to a file owned by uid ${st.uid} in a folder owned by uid ${folder.uid}: not read` };
      }
    }
    return null;
  }

  /** Reads a whole file up to maxBytes. Works for /proc-style files that stat as size 0. */
  async readFile(inside: string, maxBytes = 64 * 1024 * 1024): Promise<ReadResult> {
    return readAndClose(await this.open(inside), maxBytes);
  }

  async readText(inside: string, maxBytes?: number): Promise<string> {
    return (await this.readFile(inside, maxBytes)).data.toString('utf8');
  }

  /** Like readText, but a missing file is null (other errors still throw). */
  async readTextIfExists(inside: string, maxBytes?: number): Promise<string | null> {
    try {
      return await this.readText(inside, maxBytes);
    } catch (err) {
      if (errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR') return null;
      throw err;
    }
  }

  /** stat of `inside`, every link followed inside the root; `{ bigint: true }` for exact inode and nanosecond times. */
  stat(inside: string): Promise<Stats>;
  stat(inside: string, options: { bigint: true }): Promise<BigIntStats>;
  async stat(inside: string, options?: { bigint: true }): Promise<Stats | BigIntStats> {
    const real = await this.resolve(inside);
    return options?.bigint ? fsp.stat(real, { bigint: true }) : fsp.stat(real);
  }

  /** lstat of `inside`: its folders resolved inside the root, the last component itself not followed. */
  lstat(inside: string): Promise<Stats>;
  lstat(inside: string, options: { bigint: true }): Promise<BigIntStats>;
  async lstat(inside: string, options?: { bigint: true }): Promise<Stats | BigIntStats> {
    const last = await this.lastComponent(inside);
    return options?.bigint ? fsp.lstat(last, { bigint: true }) : fsp.lstat(last);
  }

  /** What the symbolic link at `inside` holds, as written (never followed): its folders resolved inside the root. */
  async readlink(inside: string): Promise<string> {
    return fsp.readlink(await this.lastComponent(inside));
  }

  /**
   * The folder `inside` on the examiner's machine with every link resolved: the kernel's real path
   * live, the chroot-style walk in an image. Two names for one folder give one answer.
   */
  async realFolder(inside: string): Promise<string> {
    return this.isHostRoot ? fsp.realpath(path.resolve('/', inside)) : this.resolve(inside);
  }

  /** The path on the examiner's machine of `inside` with its folders resolved and its last component as it is. */
  private async lastComponent(inside: string): Promise<string> {
    const abs = path.resolve('/', inside);
    const parent = await this.resolve(path.dirname(abs));
    return path.join(parent, path.basename(abs));
  }

  /*
   * A walk that never follows a link (the file sweep) names what it meets by its path on the
   * examiner's machine: it starts from what `resolve` gave and goes down folder by folder, so
   * every entry is a real name below the root. These take such paths and refuse one outside the
   * root (EESCAPE); none of them follows a link in the last component.
   */

  /** lstat of a path a walk met, with bigint inode and nanosecond times. */
  async lstatEntry(host: string): Promise<BigIntStats> {
    return fsp.lstat(this.below(host), { bigint: true });
  }

  /** The names in a folder a walk met, listed synchronously (a walk of many small calls is several times faster without the thread pool). */
  listEntriesSync(folder: string): string[] {
    return readdirSync(this.below(folder));
  }

  /**
   * lstat of the entry `name` (as listEntriesSync gave it: one component) of a folder a walk met,
   * synchronously, with number times (milliseconds, a first look: exact to well under a
   * millisecond) or, with `exact`, bigint inode and nanosecond times; null when gone or unreadable.
   */
  lstatChildSync(folder: string, name: string): Stats | null;
  lstatChildSync(folder: string, name: string, exact: true): BigIntStats | null;
  lstatChildSync(folder: string, name: string, exact?: true): Stats | BigIntStats | null {
    const p = this.child(folder, name);
    try {
      return (exact ? lstatSync(p, { bigint: true, throwIfNoEntry: false }) : lstatSync(p, { throwIfNoEntry: false })) ?? null;
    } catch {
      return null;
    }
  }

  /** `folder/name` for a folder below the root and a name of one component; EESCAPE otherwise. */
  private child(folder: string, name: string): string {
    if (folder !== this.checkedFolder) {
      this.below(folder);
      this.checkedFolder = folder;
    }
    if (name === '' || name === '.' || name === '..' || name.includes('/')) throw new RootedFsError('EESCAPE', name, `EESCAPE: ${JSON.stringify(name)}: not one name of a folder`);
    return folder.endsWith('/') ? folder + name : `${folder}/${name}`;
  }

  /** Opens a file a walk met for reading: O_NOATIME, never through a link (O_NOFOLLOW), never hanging on a FIFO (O_NONBLOCK). */
  async openEntry(host: string): Promise<FileHandle> {
    return openNoAtime(this.below(host), this.noatime, constants.O_NOFOLLOW | constants.O_NONBLOCK);
  }

  /**
   * Opens a regular file a walk met, synchronously (thousands of small executables are read
   * without a thread-pool round trip each): O_NOATIME (quietly without it when the kernel refuses),
   * never through a link (O_NOFOLLOW), never hanging on a FIFO (O_NONBLOCK). Null when it cannot
   * be opened, or when what was opened is not a regular file (swapped for a FIFO or a device).
   */
  openEntrySync(host: string): EntryReader | null {
    const real = this.below(host);
    const flags = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
    let fd: number;
    try {
      try {
        fd = openSync(real, flags | this.noatime);
      } catch (err) {
        if (!this.noatime || errorCode(err) !== 'EPERM') throw err;
        fd = openSync(real, flags);
      }
    } catch {
      return null;
    }
    try {
      if (fstatSync(fd).isFile()) return new EntryReader(fd);
    } catch {
      // fall through: closed below
    }
    closeSync(fd);
    return null;
  }

  /** What the link a walk met holds, as written. */
  async readlinkEntry(host: string): Promise<string> {
    return fsp.readlink(this.below(host));
  }

  /** Throws EESCAPE unless `host` is the root or below it: a tree walk (tree-walk.ts) starts only there. */
  checkWalkStart(host: string): void {
    this.below(host);
  }

  /** `host` itself when it is the root or below it; EESCAPE otherwise. */
  private below(host: string): string {
    const rel = path.relative(this.root, host);
    if (path.isAbsolute(host) && rel !== '..' && !rel.startsWith('../') && !path.isAbsolute(rel)) return host;
    throw new RootedFsError('EESCAPE', host, `EESCAPE: ${host}: outside the root ${this.root}`);
  }

  async readdir(inside: string): Promise<string[]> {
    return fsp.readdir(await this.resolve(inside));
  }

  async exists(inside: string): Promise<boolean> {
    try {
      await this.stat(inside);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Files in one folder whose names match a simple pattern (`*` and `?` only), sorted.
   * Enough for rotations such as /var/log/auth.log* without a glob engine.
   */
  async list(dirInside: string, pattern: string): Promise<string[]> {
    let names: string[];
    try {
      names = await this.readdir(dirInside);
    } catch (err) {
      if (errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR') return [];
      throw err;
    }
    const re = globToRegExp(pattern);
    return names.filter((n) => re.test(n)).sort().map((n) => path.posix.join(dirInside, n));
  }
}

/** A regular file a walk met, opened by RootedFs.openEntrySync; close it when done. */
export class EntryReader {
  constructor(private readonly fd: number) {}

  /** Reads into `buf` from `position`, blocking (for the first bytes of a file). */
  readSync(buf: Buffer, position: number): number {
    return readSync(this.fd, buf, 0, buf.length, position);
  }

  /** Reads into `buf` from `position` off the event loop (for the rest of a large file). */
  read(buf: Buffer, position: number): Promise<number> {
    return new Promise((resolve, reject) => read(this.fd, buf, 0, buf.length, position, (err, n) => (err ? reject(err) : resolve(n))));
  }

  close(): void {
    closeSync(this.fd);
  }
}

export function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

/**
 * Opens read-only with O_NOATIME, so reading evidence keeps its access time (root may use it on
 * any file); quietly without it when the kernel refuses (EPERM: not root and not the owner).
 */
export async function openNoAtime(real: string, noatime = constants.O_NOATIME ?? 0, extraFlags = 0): Promise<FileHandle> {
  if (noatime) {
    try {
      return await fsp.open(real, constants.O_RDONLY | noatime | extraFlags);
    } catch (err) {
      if (errorCode(err) !== 'EPERM') throw err;
    }
  }
  return fsp.open(real, constants.O_RDONLY | extraFlags);
}

/** Reads until EOF or maxBytes, whatever stat says (proc files report size 0). */
export async function readHandle(handle: FileHandle, maxBytes: number): Promise<ReadResult> {
  const chunks: Buffer[] = [];
  let total = 0;
  // Small first: most evidence files (and every /proc file) are tiny, and stat cannot tell.
  let chunk = 16 * 1024;
  for (;;) {
    const want = Math.min(chunk, maxBytes + 1 - total);
    chunk = Math.min(chunk * 4, READ_CHUNK);
    if (want <= 0) break;
    const buf = Buffer.allocUnsafe(want);
    const { bytesRead } = await handle.read(buf, 0, want, null);
    if (bytesRead === 0) break;
    chunks.push(buf.subarray(0, bytesRead));
    total += bytesRead;
  }
  const data = Buffer.concat(chunks);
  if (data.length > maxBytes) return { data: data.subarray(0, maxBytes), truncated: true };
  return { data, truncated: false };
}

/** readHandle, then the handle closed whatever happened. */
export async function readAndClose(handle: FileHandle, maxBytes: number): Promise<ReadResult> {
  try {
    return await readHandle(handle, maxBytes);
  } finally {
    await handle.close();
  }
}
