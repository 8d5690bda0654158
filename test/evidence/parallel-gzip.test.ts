import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MEMBER_BYTES, ParallelGzip } from '../../src/evidence/parallel-gzip.js';

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
});
