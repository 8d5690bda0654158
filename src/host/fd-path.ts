/**
 * Walking folders an attacker controls through directory descriptors, one component at a time,
 * never following a link: the one such walk, used by quarantine, disable's undo and quarantine's.
 *
 * Node has no openat(2). Opening `/proc/self/fd/<dirfd>/<name>` does the same: the kernel jumps to
 * the directory that descriptor holds (a magic link, not a path looked up again by name) and looks
 * `<name>` up inside it; with O_NOFOLLOW a final symbolic link is not followed (ELOOP, or ENOTDIR
 * with O_DIRECTORY). A folder swapped for a link at any moment can therefore never lead outside:
 * what is open stays what was checked, and every name is resolved in a folder already held.
 *
 * Descriptors are O_PATH: no permission is needed to hold one (an owner's 0200 file or 0300 folder
 * can still be reached), and opening one never has the side effects of opening a device or a fifo.
 * fstat works on them; chmod goes through `/proc/self/fd/<fd>`, which acts on the inode the
 * descriptor holds (what glibc's fchmodat does for AT_SYMLINK_NOFOLLOW), never on a link.
 */
import { chmodSync, closeSync, constants, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, statfsSync, type BigIntStats } from 'node:fs';
import { errnoCode } from './errors.js';

/** Linux O_PATH (the same value on every architecture Node ships for); Node does not export it. */
export const O_PATH = 0o10000000;

const { O_DIRECTORY, O_NOFOLLOW } = constants;
const PROC_SUPER_MAGIC = 0x9fa0;

let procChecked = false;

/** /proc must be the kernel's procfs: everything here goes through /proc/self/fd. */
export function checkProc(): void {
  if (procChecked) return;
  let type: number;
  try {
    type = Number(statfsSync('/proc/self/fd').type);
  } catch (err) {
    throw Object.assign(new Error(`/proc is not available (${errnoCode(err) ?? String(err)}): it is needed to walk the folder safely`), { code: 'ENOPROC' });
  }
  if (type !== PROC_SUPER_MAGIC) throw Object.assign(new Error('/proc is not the kernel procfs: it is needed to walk the folder safely'), { code: 'ENOPROC' });
  procChecked = true;
}

/** The path that names `name` inside the folder `dirfd` holds (or the descriptor itself). */
export function atPath(dirfd: number, name?: Buffer | string): Buffer {
  const base = Buffer.from(fdPath(dirfd));
  if (name === undefined) return base;
  const n = Buffer.isBuffer(name) ? name : Buffer.from(name);
  checkName(n);
  return Buffer.concat([base, Buffer.from('/'), n]);
}

/** One path component: not empty, no slash, no NUL, not . or .. */
export function checkName(name: Buffer): void {
  const s = name.toString('latin1');
  if (name.length === 0 || name.length > 255 || s.includes('/') || s.includes('\0') || s === '.' || s === '..') {
    throw Object.assign(new Error(`not a single file name: ${JSON.stringify(name.toString('utf8'))}`), { code: 'EBADNAME' });
  }
}

/** The components of an absolute path, as bytes; refuses ., .. and empty components (a record holds canonical paths). */
export function components(absolute: Buffer | string): Buffer[] {
  const bytes = Buffer.isBuffer(absolute) ? absolute : Buffer.from(absolute);
  if (bytes[0] !== 0x2f) throw Object.assign(new Error('not an absolute path'), { code: 'EBADNAME' });
  const parts: Buffer[] = [];
  let start = 1;
  for (let i = 1; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== 0x2f) continue;
    const part = bytes.subarray(start, i);
    start = i + 1;
    if (part.length === 0 && i === bytes.length) break; // a trailing slash
    checkName(part);
    parts.push(part);
  }
  return parts;
}

/** An O_PATH descriptor of `name` inside `dirfd`, the last component never followed (a symlink gives the link itself). */
export function openPathAt(dirfd: number, name: Buffer | string, directory = false): number {
  return openSync(atPath(dirfd, name), O_PATH | O_NOFOLLOW | (directory ? O_DIRECTORY : 0));
}

/**
 * Opens a folder from / down, one component at a time, each O_NOFOLLOW | O_DIRECTORY inside the
 * previous one: a symlink anywhere on the way is refused (ENOTDIR), never followed.
 */
export function openDirNoFollow(absolute: Buffer | string): number {
  const parts = components(absolute);
  return descend(openSync('/', O_PATH | O_DIRECTORY), parts, true);
}

/** Opens `rel` (components) below the folder `topfd` holds, every folder on the way O_NOFOLLOW | O_DIRECTORY, the last one O_PATH | O_NOFOLLOW. */
export function openBelow(topfd: number, rel: Buffer[]): number {
  if (rel.length === 0) return openSync(atPath(topfd), O_PATH | O_DIRECTORY);
  return descend(openSync(atPath(topfd), O_PATH | O_DIRECTORY), rel, false);
}

/**
 * Opens an absolute path component by component from /, each with O_NOFOLLOW | O_DIRECTORY: a
 * link anywhere on the way is refused (ENOTDIR/ELOOP), never followed. The path must already be
 * real (no links, no ..; empty components are skipped). Returns the folder's descriptor and its
 * parent's (for mount checks).
 */
export function openDirFromRoot(realPath: string | Buffer): { fd: number; parentFd: number } {
  checkProc();
  const bytes = Buffer.isBuffer(realPath) ? realPath : Buffer.from(realPath);
  if (bytes[0] !== 0x2f) throw Object.assign(new Error('not an absolute path'), { code: 'EINVAL' });
  const parts: Buffer[] = [];
  let start = 1;
  for (let i = 1; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== 0x2f) continue;
    if (i > start) parts.push(bytes.subarray(start, i));
    start = i + 1;
  }
  if (parts.length === 0) return { fd: openSync('/', O_PATH | O_DIRECTORY), parentFd: openSync('/', O_PATH | O_DIRECTORY) };
  const parentFd = descend(openSync('/', O_PATH | O_DIRECTORY), parts.slice(0, -1), true);
  try {
    return { fd: openPathAt(parentFd, parts.at(-1)!, true), parentFd };
  } catch (err) {
    closeSync(parentFd);
    throw err;
  }
}

/**
 * From the folder `fd` holds down through `parts`, one openPathAt at a time (each descriptor closed
 * once the next is open, all of them on a failure); the last part a folder only when `lastIsDir`.
 */
function descend(fd: number, parts: Buffer[], lastIsDir: boolean): number {
  try {
    for (const [i, part] of parts.entries()) {
      const next = openPathAt(fd, part, i < parts.length - 1 || lastIsDir);
      closeSync(fd);
      fd = next;
    }
    return fd;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

export function fstatBig(fd: number): BigIntStats {
  return fstatSync(fd, { bigint: true });
}

/** The path that names what a descriptor holds. */
export function fdPath(fd: number): string {
  return `/proc/self/fd/${fd}`;
}

/** The names in the directory a descriptor holds (never . or ..), as bytes. */
export function readdirFd(dirfd: number): Buffer[] {
  return readdirSync(fdPath(dirfd), { encoding: 'buffer' }) as Buffer[];
}

/** The id of the mount a descriptor's file lies on (/proc/self/fdinfo): a bind mount has its own, even on the same device. */
export function mountId(fd: number): string {
  const m = /^mnt_id:\s*(\d+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
  if (!m) throw Object.assign(new Error('no mnt_id in /proc/self/fdinfo'), { code: 'ENOPROC' });
  return m[1];
}

/** chmod the inode the descriptor holds (an O_PATH descriptor: through its /proc/self/fd link, which a symlink refuses). */
export function chmodFd(fd: number, mode: number): void {
  chmodSync(atPath(fd), mode);
}

/** mkdir of one name inside the folder `dirfd` holds. */
export function mkdirAt(dirfd: number, name: Buffer | string, mode: number): void {
  mkdirSync(atPath(dirfd, name), { mode });
}

export function closeQuietly(fd: number | null): void {
  if (fd === null) return;
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}
