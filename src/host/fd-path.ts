/**
 * Paths resolved one component at a time through directory descriptors, never following a link.
 * Node has no openat(2); opening `/proc/self/fd/<dirfd>/<name>` resolves `<name>` inside the very
 * folder that descriptor holds (the magic link is the descriptor, whatever its path became), so
 * a component swapped for a symlink at any moment cannot lead anywhere else. Descriptors are
 * O_PATH: opening one has no side effect (a device or a fifo is never really opened), fstat
 * works on it, and chmod through its /proc/self/fd link acts on that inode, never on a link.
 */
import { chmodSync, closeSync, constants, fstatSync, mkdirSync, openSync, type BigIntStats } from 'node:fs';

/** Linux O_PATH (the same value on x86-64 and arm64); Node does not export it. */
export const O_PATH = 0o10000000;

const { O_DIRECTORY, O_NOFOLLOW } = constants;

/** The path that names `name` inside the folder `dirfd` holds (or the descriptor itself). */
export function atPath(dirfd: number, name?: Buffer | string): Buffer {
  const base = Buffer.from(`/proc/self/fd/${dirfd}`);
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
