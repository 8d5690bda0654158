import { chmodSync, closeSync, constants, fstatSync, openSync, readdirSync, readFileSync, statfsSync, type BigIntStats } from 'node:fs';
import { errnoCode } from '../host/errors.js';

/**
 * Walking a folder an attacker controls through directory descriptors, one component at a time.
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
 * descriptor holds (what glibc's fchmodat does for AT_SYMLINK_NOFOLLOW).
 */

/** O_PATH (Linux, every architecture Node ships for; Node does not export it). */
export const O_PATH = 0o10000000;
const NOFOLLOW = constants.O_NOFOLLOW;
const DIRECTORY = constants.O_DIRECTORY;
const PROC_SUPER_MAGIC = 0x9fa0;

/** The longest name a Linux filesystem allows in one component. */
const NAME_MAX = 255;

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

/** The path that names what a descriptor holds. */
export function fdPath(fd: number): string {
  return `/proc/self/fd/${fd}`;
}

/** `<name>` inside the directory a descriptor holds, as bytes (names are bytes, and need not be UTF-8). */
export function atPath(dirFd: number, name: Buffer): Buffer {
  if (name.length === 0 || name.length > NAME_MAX || name.includes(0x2f) || name.includes(0) || name.equals(Buffer.from('.')) || name.equals(Buffer.from('..'))) {
    throw Object.assign(new Error(`not a single file name: ${JSON.stringify(name.toString('latin1'))}`), { code: 'EBADNAME' });
  }
  return Buffer.concat([Buffer.from(`${fdPath(dirFd)}/`), name]);
}

/** openat(dirFd, name, O_PATH | O_NOFOLLOW [| O_DIRECTORY]). */
export function openPathAt(dirFd: number, name: Buffer, directory = false): number {
  return openSync(atPath(dirFd, name), O_PATH | NOFOLLOW | (directory ? DIRECTORY : 0));
}

/**
 * Opens an absolute path component by component from /, each with O_NOFOLLOW | O_DIRECTORY: a
 * link anywhere on the way is refused (ENOTDIR/ELOOP), never followed. The path must already be
 * real (no links, no ..). Returns the folder's descriptor and its parent's (for mount checks).
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
  let fd = openSync('/', O_PATH | DIRECTORY);
  let parentFd = -1;
  try {
    for (const part of parts) {
      const next = openPathAt(fd, part, true);
      if (parentFd >= 0) closeSync(parentFd);
      parentFd = fd;
      fd = next;
    }
  } catch (err) {
    closeSync(fd);
    if (parentFd >= 0) closeSync(parentFd);
    throw err;
  }
  if (parentFd < 0) parentFd = openSync('/', O_PATH | DIRECTORY);
  return { fd, parentFd };
}

export function fstatBig(fd: number): BigIntStats {
  return fstatSync(fd, { bigint: true });
}

/** The names in the directory a descriptor holds (never . or ..), as bytes. */
export function readdirFd(dirFd: number): Buffer[] {
  return readdirSync(fdPath(dirFd), { encoding: 'buffer' }) as Buffer[];
}

/** chmod the inode a descriptor holds (the descriptor's, not a name's). */
export function chmodFd(fd: number, mode: number): void {
  chmodSync(fdPath(fd), mode);
}

/** The id of the mount a descriptor's file lies on (/proc/self/fdinfo): a bind mount has its own, even on the same device. */
export function mountId(fd: number): string {
  const m = /^mnt_id:\s*(\d+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
  if (!m) throw Object.assign(new Error('no mnt_id in /proc/self/fdinfo'), { code: 'ENOPROC' });
  return m[1];
}

export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}
