/**
 * Reading login record files through the rooted filesystem: what the path is (a file, missing, or a
 * link to /dev/null), and its bytes under a cap. A utmp-format file over the cap keeps its newest
 * records (the tail, cut on a record boundary): the latest logins matter most in a triage.
 * Rotations ending in .gz are decompressed here; other compressions are not.
 */
import { createGunzip } from 'node:zlib';
import { type FileHandle, type RootedFs } from '../../host/rooted-fs.js';
import { refuseSecret } from '../../host/secrets.js';
import { errorCode } from '../../host/errors.js';

export type FileShape =
  | { kind: 'file'; sizeBytes: number }
  | { kind: 'missing' }
  /** Something other than a regular file where a log should be: a link to /dev/null, a folder, a FIFO. */
  | { kind: 'not-a-file'; description: string };

function describeType(st: { isDirectory(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isFIFO(): boolean; isSocket(): boolean }): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * What sits at `file` inside the root. Only its last component is looked at as a link: `ln -sf
 * /dev/null /var/log/wtmp` is a classic way to stop logins being recorded, and in a mounted image
 * that link's target does not exist, so it must not read as "missing". Errors other than
 * ENOENT/ENOTDIR throw.
 */
export async function fileShape(fs: RootedFs, file: string): Promise<FileShape> {
  let lst;
  try {
    lst = await fs.lstat(file);
  } catch (err) {
    if (errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR') return { kind: 'missing' };
    throw err;
  }
  if (lst.isSymbolicLink()) {
    const target = await fs.readlink(file);
    if (target === '/dev/null') return { kind: 'not-a-file', description: 'a symbolic link to /dev/null' };
    let st;
    try {
      st = await fs.stat(file);
    } catch (err) {
      if (errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR') {
        return { kind: 'not-a-file', description: `a symbolic link to ${target}, which does not exist` };
      }
      throw err;
    }
    if (!st.isFile()) return { kind: 'not-a-file', description: `a symbolic link to ${target}, ${describeType(st)}` };
    return { kind: 'file', sizeBytes: st.size };
  }
  if (!lst.isFile()) return { kind: 'not-a-file', description: describeType(lst) };
  return { kind: 'file', sizeBytes: lst.size };
}

export interface LoginFileRead {
  /** The content parsed: the whole file, or its newest part when it is over the cap. Decompressed for .gz. */
  data: Buffer;
  /** The bytes read from disk (still compressed for .gz): what is preserved in the bundle. */
  raw: Buffer;
  /** Size of the content (decompressed for .gz), of which `data` is the tail. */
  contentBytes: number;
  /** Offset of `data` in the content: 0 unless the cap cut the oldest part. */
  startByte: number;
  /** What the cap left out, in words for the source table; null when nothing was cut. */
  cut: string | null;
  /** The gzip stream ended before its end marker (cut by the cap, or damaged): the last record may be partial. */
  endedEarly: boolean;
}

/** Where a tail window of at most maxBytes starts, on a record boundary. */
export function tailStart(sizeBytes: number, maxBytes: number, recordSize: number): number {
  if (sizeBytes <= maxBytes) return 0;
  return Math.ceil((sizeBytes - maxBytes) / recordSize) * recordSize;
}

/** Reads `length` bytes from `start`, fewer if the file is shorter. */
export async function readRange(handle: FileHandle, start: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buf, done, length - done, start + done);
    if (bytesRead === 0) break; // the file shrank while we read it
    done += bytesRead;
  }
  return buf.subarray(0, done);
}

/**
 * Decompresses gzip bytes keeping at most the last maxBytes of output (on a record boundary), so
 * a huge or hostile rotation never holds more than the cap in memory. A stream that ends early
 * keeps what came out before the end.
 */
export async function gunzipTail(
  compressed: Buffer,
  maxBytes: number,
  recordSize: number,
  signal?: AbortSignal,
): Promise<{ data: Buffer; contentBytes: number; startByte: number; endedEarly: boolean }> {
  const chunks: Buffer[] = [];
  let kept = 0;
  let total = 0;
  let endedEarly = false;
  await new Promise<void>((resolve, reject) => {
    const gunzip = createGunzip();
    gunzip.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      kept += chunk.length;
      total += chunk.length;
      while (chunks.length > 1 && kept - chunks[0].length >= maxBytes) kept -= chunks.shift()!.length;
      if (signal?.aborted) {
        endedEarly = true;
        gunzip.destroy();
        resolve();
      }
    });
    gunzip.on('end', () => resolve());
    gunzip.on('error', (err) => {
      // "unexpected end of file" (Z_BUF_ERROR): a cut stream. Damage after some output: keep it.
      if (errorCode(err) === 'Z_BUF_ERROR' || total > 0) {
        endedEarly = true;
        resolve();
      } else {
        reject(new Error(`not a gzip file: ${err.message}`));
      }
    });
    gunzip.end(compressed);
  });
  const dropped = total - kept;
  const startByte = tailStart(total, maxBytes, recordSize);
  return { data: Buffer.concat(chunks).subarray(startByte - dropped), contentBytes: total, startByte, endedEarly };
}

/**
 * Reads a login file under the cap. Plain files: the newest maxBytes (whole records). `.gz`: the
 * first maxBytes of compressed bytes, decompressed, of which the newest maxBytes are kept.
 */
export async function readLoginFile(fs: RootedFs, file: string, maxBytes: number, recordSize: number, signal?: AbortSignal): Promise<LoginFileRead> {
  if (file.endsWith('.gz')) {
    const { data: raw, truncated } = await fs.readFile(file, maxBytes);
    const out = await gunzipTail(raw, maxBytes, recordSize, signal);
    // A login file linked to /etc/shadow would put hash pieces in the user and host fields.
    refuseSecret(file, out.data);
    const cuts: string[] = [];
    if (truncated) cuts.push(`only the first ${maxBytes} bytes of the compressed file read and copied (the cap)`);
    if (out.startByte > 0) cuts.push(`decompressed to ${out.contentBytes} bytes: only the newest ${out.contentBytes - out.startByte} parsed (the cap)`);
    if (out.endedEarly && !truncated) cuts.push('the gzip stream ends early (damaged or cut): what came before was read');
    return { data: out.data, raw, contentBytes: out.contentBytes, startByte: out.startByte, cut: cuts.length ? cuts.join('; ') : null, endedEarly: out.endedEarly };
  }
  const handle = await fs.open(file);
  try {
    const sizeBytes = (await handle.stat()).size;
    const startByte = tailStart(sizeBytes, maxBytes, recordSize);
    const data = await readRange(handle, startByte, sizeBytes - startByte);
    refuseSecret(file, data);
    const cutText = startByte > 0 ? `${sizeBytes} bytes: only the newest ${data.length} read and copied, from byte ${startByte} (the cap)` : null;
    return { data, raw: data, contentBytes: sizeBytes, startByte, cut: cutText, endedEarly: false };
  } finally {
    await handle.close();
  }
}
