import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { blockLevel, MEMBER_BYTES, ParallelGzip } from '../../src/evidence/parallel-gzip.js';

async function compress(input: Buffer, chunk = 65536): Promise<Buffer> {
  const parts: Buffer[] = [];
  const pieces = Array.from({ length: Math.ceil(input.length / chunk) }, (_, i) => input.subarray(i * chunk, (i + 1) * chunk));
  const gz = Readable.from(pieces).pipe(new ParallelGzip(6));
  for await (const p of gz) parts.push(p as Buffer);
  return Buffer.concat(parts);
}

describe('ParallelGzip', () => {
  it('writes gzip members, in order, that gzip and Node read back as the input', async () => {
    // Half random, half repetitive: several members, some compressing well.
    const input = Buffer.concat([randomBytes(MEMBER_BYTES + 12345), Buffer.alloc(2 * MEMBER_BYTES, 'Failed password for root\n')]);
    const out = await compress(input);
    expect(gunzipSync(out).equals(input)).toBe(true);
    // More than one member: each starts with the gzip magic.
    let members = 0;
    for (let i = out.indexOf(Buffer.from([0x1f, 0x8b, 0x08])); i >= 0; i = out.indexOf(Buffer.from([0x1f, 0x8b, 0x08]), i + 1)) members++;
    expect(members).toBeGreaterThanOrEqual(3);
    const gzip = spawnSync('gzip', ['-dc'], { input: out, maxBuffer: 1 << 26 });
    expect(gzip.status).toBe(0);
    expect(Buffer.compare(gzip.stdout, input)).toBe(0);
  });

  it('writes one valid empty member for no input', async () => {
    const out = await compress(Buffer.alloc(0));
    expect(gunzipSync(out).length).toBe(0);
  });

  it('compresses a block of already compressed data (a rotated .gz log) at level 1, the rest at the level asked', () => {
    // Addresses, ports and pids as varied as a real brute force's (a gzip of lines that repeat exactly would still shrink).
    const r = randomBytes(200_000 * 4);
    const log = Buffer.from(Array.from({ length: 200_000 }, (_, i) => `Mar  1 10:${r[4 * i] % 60}:${r[4 * i + 1] % 60} web1 sshd[${r.readUInt16LE(4 * i + 2)}]: Failed password for root from ${r[4 * i]}.${r[4 * i + 1]}.${r[4 * i + 2]}.${r[4 * i + 3]} port ${r.readUInt16LE(4 * i)} ssh2\n`).join(''));
    const gz = gzipSync(log).subarray(0, MEMBER_BYTES);
    expect(gz.length).toBeGreaterThan(1024 * 1024);
    expect(blockLevel(gz, 6)).toBe(1);
    expect(blockLevel(log.subarray(0, MEMBER_BYTES), 6)).toBe(6);
    // A block that ends in a compressed file but starts with text (a tar header, a small file) keeps the level.
    expect(blockLevel(Buffer.concat([log.subarray(0, 200_000), gz]), 6)).toBe(6);
    // Small blocks are not sampled.
    expect(blockLevel(randomBytes(1000), 6)).toBe(6);
  });

  it('reads back a stream of compressed and plain blocks whole', async () => {
    const input = Buffer.concat([randomBytes(2 * MEMBER_BYTES), Buffer.alloc(MEMBER_BYTES, 'session opened for user root\n'), randomBytes(MEMBER_BYTES / 2)]);
    const out = await compress(input);
    expect(gunzipSync(out).equals(input)).toBe(true);
    // Random data at level 1 grows by a few bytes a block at most, as at level 6.
    expect(out.length).toBeLessThan(input.length);
  });
});
