/**
 * Streaming line reader for log files, plain or gzip (detected by the magic bytes 1f 8b, not by
 * the name). Holds at most one line (capped at maxLineBytes) plus one chunk in memory.
 */
import path from 'node:path';
import { pipeline, Readable } from 'node:stream';
import zlib from 'node:zlib';

export interface ReadLinesOptions {
  /**
   * Longest line kept, in bytes (default 1 MiB); the rest of a longer line is dropped (the line
   * still counts as one). Keeps a file without newlines from filling memory.
   */
  maxLineBytes?: number;
}

async function* asBuffers(stream: NodeJS.ReadableStream | Readable): AsyncGenerator<Buffer> {
  for await (const chunk of stream as AsyncIterable<Buffer | string | Uint8Array>) {
    if (typeof chunk === 'string') yield Buffer.from(chunk, 'utf8');
    else if (Buffer.isBuffer(chunk)) yield chunk;
    else yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
}

/** Byte chunks, gunzipped when the stream starts with 1f 8b. */
async function* decoded(stream: NodeJS.ReadableStream | Readable): AsyncGenerator<Buffer> {
  const it = asBuffers(stream)[Symbol.asyncIterator]();
  try {
    const head: Buffer[] = [];
    let headLen = 0;
    let done = false;
    while (headLen < 2) {
      const r = await it.next();
      if (r.done) {
        done = true;
        break;
      }
      head.push(r.value);
      headLen += r.value.length;
    }
    const first = Buffer.concat(head);
    const rest = async function* (): AsyncGenerator<Buffer> {
      if (first.length) yield first;
      if (done) return;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield r.value;
      }
    };
    if (first.length < 2 || first[0] !== 0x1f || first[1] !== 0x8b) {
      yield* rest();
      return;
    }
    // Z_SYNC_FLUSH: a truncated .gz (copied while being written) yields what it holds instead of
    // failing with "unexpected end of file". Corrupt data still throws.
    const gunzip = zlib.createGunzip({ finishFlush: zlib.constants.Z_SYNC_FLUSH });
    pipeline(Readable.from(rest(), { objectMode: false }), gunzip, () => {
      /* errors surface through the iteration of gunzip */
    });
    for await (const chunk of gunzip) yield chunk as Buffer;
  } finally {
    // Stopping early (or an error) closes the source stream.
    await it.return?.(undefined);
  }
}

const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });

function lineText(parts: Buffer[], len: number): string {
  let buf = parts.length === 1 ? parts[0] : Buffer.concat(parts, len);
  if (buf.length && buf[buf.length - 1] === 0x0d) buf = buf.subarray(0, buf.length - 1);
  return decoder.decode(buf);
}

/**
 * Lines of a stream, split on \n, one trailing \r removed, decoded as UTF-8 (bad bytes become
 * U+FFFD, never an error). A final line without \n is yielded; an empty stream yields nothing.
 */
export async function* readLines(
  stream: NodeJS.ReadableStream | Readable,
  opts: ReadLinesOptions = {},
): AsyncIterable<string> {
  for await (const batch of readLineBatches(stream, opts)) yield* batch;
}

/**
 * The same lines as readLines, handed over a chunk's worth at a time: one await per chunk, not
 * per line, which is what a gigabyte log needs.
 */
export async function* readLineBatches(
  stream: NodeJS.ReadableStream | Readable,
  opts: ReadLinesOptions = {},
): AsyncIterable<string[]> {
  const max = opts.maxLineBytes ?? 1 << 20;
  let parts: Buffer[] = [];
  let len = 0;
  let any = false;
  for await (const chunk of decoded(stream)) {
    const out: string[] = [];
    let start = 0;
    while (start <= chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl < 0 ? chunk.length : nl;
      if (nl >= 0 && len === 0) {
        // The whole line lies in this chunk: decode it in place, with no copy (the hot path).
        out.push(lineText([chunk.subarray(start, Math.min(end, start + max))], Math.min(end - start, max)));
        parts = [];
        any = false;
        start = nl + 1;
        continue;
      }
      if (end > start && len < max) {
        const take = Math.min(end - start, max - len);
        // Copy: the chunk may be reused by the producer once we move on.
        parts.push(Buffer.from(chunk.subarray(start, start + take)));
        len += take;
      }
      if (end > start) any = true;
      if (nl < 0) break;
      out.push(lineText(parts, len));
      parts = [];
      len = 0;
      any = false;
      start = nl + 1;
    }
    if (out.length > 0) yield out;
  }
  if (any) yield [lineText(parts, len)];
}

/** Compression suffixes logrotate may add. */
const COMPRESSED = /\.(gz|xz|bz2|zst|lz4|Z)$/;

interface RotationKey {
  group: string;
  /** 0 dated (by date), 1 numbered (higher = older), 2 the live file. */
  rank: number;
  n: number;
  date: string;
}

function rotationKey(name: string): RotationKey {
  const dir = path.posix.dirname(name.replaceAll('\\', '/'));
  const base = path.posix.basename(name.replaceAll('\\', '/')).replace(COMPRESSED, '');
  let m = /^(.*)\.(\d+)$/.exec(base);
  if (m) return { group: `${dir}/${m[1]}`, rank: 1, n: Number(m[2]), date: '' };
  m = /^(.*)-(\d{8}(?:\d{2})?)$/.exec(base) ?? /^(.*)-(\d{4}-\d{2}-\d{2})$/.exec(base);
  if (m) return { group: `${dir}/${m[1]}`, rank: 0, n: 0, date: m[2].replaceAll('-', '') };
  return { group: `${dir}/${base}`, rank: 2, n: 0, date: '' };
}

/**
 * Orders rotations oldest first, the live file last, per log (grouped by directory and base name):
 * auth.log.4.gz, auth.log.3.gz, auth.log.2.gz, auth.log.1, auth.log;
 * secure-20240101, secure-20240108, secure (logrotate dateext, also -YYYYMMDDHH and -YYYY-MM-DD).
 * Groups are in name order. Returns a new array.
 */
export function sortLogFiles(names: string[]): string[] {
  const keyed = names.map((name) => ({ name, k: rotationKey(name) }));
  keyed.sort((a, b) => {
    if (a.k.group !== b.k.group) return a.k.group < b.k.group ? -1 : 1;
    if (a.k.rank !== b.k.rank) return a.k.rank - b.k.rank;
    if (a.k.rank === 0 && a.k.date !== b.k.date) return a.k.date < b.k.date ? -1 : 1;
    if (a.k.rank === 1 && a.k.n !== b.k.n) return b.k.n - a.k.n;
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
  return keyed.map((x) => x.name);
}

/**
 * The same lines as readLineBatches, as blocks of bytes that hold whole lines only (each ending
 * in \n, but the stream's last line, which may not): a reader that works on bytes (the auth fast
 * path) splits them itself. A line longer than maxLineBytes is cut there, as readLineBatches
 * cuts it, so every line of a block is the line readLineBatches would give (before its \r is
 * removed and it is decoded). Holds at most one chunk plus one cut line.
 */
export async function* readLineBlocks(
  stream: NodeJS.ReadableStream | Readable,
  opts: ReadLinesOptions = {},
): AsyncIterable<Buffer> {
  const max = opts.maxLineBytes ?? 1 << 20;
  // The start of a line not ended yet (at most max bytes), and whether its rest is being skipped.
  let carry: Buffer | null = null;
  let skipping = false;
  for await (const chunk of decoded(stream)) {
    let start = 0;
    if (carry !== null || skipping) {
      const nl = chunk.indexOf(0x0a);
      const end = nl < 0 ? chunk.length : nl;
      if (!skipping) {
        const room = max - carry!.length;
        const take = Math.min(end, room);
        carry = take > 0 ? Buffer.concat([carry!, chunk.subarray(0, take)]) : carry;
        if (end > take) skipping = true;
      }
      if (nl < 0) continue;
      const line = Buffer.allocUnsafe(carry!.length + 1);
      carry!.copy(line);
      line[carry!.length] = 0x0a;
      yield line;
      carry = null;
      skipping = false;
      start = nl + 1;
    }
    const last = chunk.lastIndexOf(0x0a);
    if (last >= start) {
      // Lines longer than max inside the chunk are rare: cut them one by one, else yield in place.
      let long = false;
      for (let p = start; p <= last;) {
        const nl = chunk.indexOf(0x0a, p);
        if (nl - p > max) {
          long = true;
          break;
        }
        p = nl + 1;
      }
      if (!long) yield Buffer.from(chunk.subarray(start, last + 1));
      else {
        const parts: Buffer[] = [];
        for (let p = start; p <= last;) {
          const nl = chunk.indexOf(0x0a, p);
          if (nl - p > max) parts.push(chunk.subarray(p, p + max), Buffer.from([0x0a]));
          else parts.push(chunk.subarray(p, nl + 1));
          p = nl + 1;
        }
        yield Buffer.concat(parts);
      }
      start = last + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      carry = Buffer.from(rest.subarray(0, Math.min(rest.length, max)));
      skipping = rest.length > max;
    }
  }
  if (carry !== null && carry.length > 0) yield carry;
  else if (carry !== null && skipping) yield carry;
}
