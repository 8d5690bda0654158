import { Transform, type TransformCallback } from 'node:stream';
import { gzip } from 'node:zlib';

/** Bytes compressed as one gzip member. */
export const MEMBER_BYTES = 4 * 1024 * 1024;
/** Members compressed at once (zlib runs them on libuv's thread pool: every core counts). */
export const IN_FLIGHT = 4;

function gzipAsync(buf: Buffer, level: number): Promise<Buffer> {
  return new Promise((resolve, reject) => gzip(buf, { level }, (err, out) => (err ? reject(err) : resolve(out))));
}

/**
 * gzip on every core: the input is cut into MEMBER_BYTES blocks, each compressed on its own as a
 * gzip member, several at once, written out in order. Concatenated members are one valid gzip
 * file (RFC 1952 §2.2): `gzip -d`, `tar -xzf` and Node's gunzip read them whole. Each member starts
 * with an empty dictionary, which costs well under 1 % of the size at 4 MiB.
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
    const p = gzipAsync(block, this.level);
    // Rejections are seen in order by drainTo; never unhandled meanwhile.
    p.catch(() => {});
    this.queue.push(p);
  }

  /** Writes out finished members, oldest first, until at most `left` are in flight. */
  private async drainTo(left: number): Promise<void> {
    while (this.queue.length > left) this.push(await this.queue.shift()!);
  }
}
