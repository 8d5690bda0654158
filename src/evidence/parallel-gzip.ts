import { availableParallelism } from 'node:os';
import { Transform, type TransformCallback } from 'node:stream';
import { deflateRawSync, gzip } from 'node:zlib';

/** Bytes compressed as one gzip member. */
export const MEMBER_BYTES = 4 * 1024 * 1024;
/**
 * Members compressed at once (zlib runs them on libuv's thread pool: every core counts): one per
 * core and one more, at most 4. Each holds its block and its output in memory.
 */
export const IN_FLIGHT = Math.min(4, Math.max(2, availableParallelism() + 1));
/** Bytes tried at each end of a block to tell compressed data (a rotated .gz log) from the rest. */
const SAMPLE_BYTES = 64 * 1024;
/** A sample that level 1 cannot shrink below this share of its size is not compressible. */
const INCOMPRESSIBLE = 0.97;

function gzipAsync(buf: Buffer, level: number): Promise<Buffer> {
  return new Promise((resolve, reject) => gzip(buf, { level }, (err, out) => (err ? reject(err) : resolve(out))));
}

/**
 * The level a block is compressed at: `level`, or 1 when both its ends are already compressed
 * data (a rotated `.gz` log, stored in the tar as it is on the box): level 6 would spend the CPU of
 * a log many times its size to win nothing.
 */
export function blockLevel(block: Buffer, level: number): number {
  if (level <= 1 || block.length < 4 * SAMPLE_BYTES) return level;
  const shrinks = (part: Buffer) => deflateRawSync(part, { level: 1 }).length < part.length * INCOMPRESSIBLE;
  if (shrinks(block.subarray(0, SAMPLE_BYTES)) || shrinks(block.subarray(block.length - SAMPLE_BYTES))) return level;
  return 1;
}

/**
 * gzip on every core: the input is cut into MEMBER_BYTES blocks, each compressed on its own as a
 * gzip member, several at once, written out in order. Concatenated members are one valid gzip
 * file (RFC 1952 §2.2): `gzip -d`, `tar -xzf` and Node's gunzip read them whole. Each member starts
 * with an empty dictionary, which costs well under 1 % of the size at 4 MiB. A block of data that
 * is already compressed is compressed at level 1 (blockLevel).
 */
export class ParallelGzip extends Transform {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly queue: Promise<Buffer>[] = [];

  constructor(private readonly level = 6) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes < MEMBER_BYTES) return done();
    this.cut();
    this.drainTo(IN_FLIGHT - 1).then(() => done(), done);
  }

  override _flush(done: TransformCallback): void {
    if (this.pendingBytes > 0 || this.queue.length === 0) this.cut();
    this.drainTo(0).then(() => done(), done);
  }

  private cut(): void {
    const block = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    const p = gzipAsync(block, blockLevel(block, this.level));
    // Rejections are seen in order by drainTo; never unhandled meanwhile.
    p.catch(() => {});
    this.queue.push(p);
  }

  /**
   * Writes out finished members, oldest first, until at most `left` are in flight. The stream
   * holds back the next chunk while what was pushed waits for a slow reader (the Transform's own
   * backpressure), so memory stays at IN_FLIGHT blocks and their output.
   */
  private async drainTo(left: number): Promise<void> {
    while (this.queue.length > left) this.push(await this.queue.shift()!);
  }
}
