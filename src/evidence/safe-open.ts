import { constants, promises as fsp, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { errnoCode } from '../host/errors.js';

/**
 * Files handed over (a bundle, its sidecar, a case folder's files, logs given to analyze) may be
 * anything: a FIFO that blocks the reader forever, a link to /dev/zero that never ends. They are
 * opened non-blocking (a FIFO open returns at once), without following a final symbolic link, and
 * kept only when fstat on the descriptor says regular file, so no swap after a check can matter.
 */

export class NotRegularFileError extends Error {
  readonly code = 'ENOTREG';
  constructor(readonly file: string, readonly what: string) {
    super(`${file}: ${what}, not a regular file: not read`);
  }
}

/** What a non-regular file is, in words. */
export function fileKind(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a folder';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

export interface OpenRegularOptions {
  /** Follow a final symbolic link (for a path the user typed); the result must still be a regular file. */
  follow?: boolean;
  /** Keep the access time (O_NOATIME; falls back without it where the kernel refuses). */
  noatime?: boolean;
}

/** Opens `file` for reading only if it is a regular file, checked on the descriptor. */
export async function openRegular(file: string, opts: OpenRegularOptions = {}): Promise<{ handle: FileHandle; stat: Stats }> {
  const base = constants.O_RDONLY | constants.O_NONBLOCK | (opts.follow ? 0 : constants.O_NOFOLLOW);
  let handle: FileHandle;
  try {
    handle = await fsp.open(file, base | (opts.noatime ? (constants.O_NOATIME ?? 0) : 0));
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ELOOP' && !opts.follow) throw new NotRegularFileError(file, 'a symbolic link (not followed)');
    if (code === 'EPERM' && opts.noatime) handle = await fsp.open(file, base);
    else throw err;
  }
  const stat = await handle.stat();
  if (!stat.isFile()) {
    await handle.close().catch(() => {});
    throw new NotRegularFileError(file, fileKind(stat));
  }
  return { handle, stat };
}

export class TooLargeError extends Error {
  readonly code = 'ETOOLARGE';
  constructor(readonly file: string, readonly maxBytes: number) {
    super(`${file}: larger than ${bytesLimitText(maxBytes)}: not read`);
  }
}

/** `64 MiB`. */
export function bytesLimitText(n: number): string {
  for (const [unit, size] of [['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) {
    if (n >= size && n % size === 0) return `${n / size} ${unit}`;
  }
  return `${n} bytes`;
}

/** A regular file's whole content, refused past maxBytes (counted as read, whatever stat said). */
export async function readRegular(file: string, maxBytes: number, opts: OpenRegularOptions = {}): Promise<Buffer> {
  const { handle, stat } = await openRegular(file, opts);
  try {
    if (stat.size > maxBytes) throw new TooLargeError(file, maxBytes);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(1 << 20, maxBytes + 1 - total));
      const { bytesRead } = await handle.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes) throw new TooLargeError(file, maxBytes);
      chunks.push(buf.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks, total);
  } finally {
    await handle.close().catch(() => {});
  }
}
