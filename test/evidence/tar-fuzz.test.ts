import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { verifyBundle } from '../../src/evidence/verify.js';
import { tmpDir } from '../helpers/bundle.js';
import { craftCase, packCase } from '../helpers/craft.js';
import { tarGz, tarHeader } from '../helpers/tar-bytes.js';
import { readFileSync } from 'node:fs';

/**
 * The tar reader on bytes it was never meant to see: every input ends in a report (never a
 * throw, never a hang), not intact, with its problems named. Seeds are random each run; a
 * failure prints the bytes' length and the case.
 */

const dir = tmpDir('irt-tarfuzz-');
let n = 0;
async function verifyBytes(bytes: Buffer) {
  const file = path.join(dir, `b${n++}.tar.gz`);
  writeFileSync(file, bytes);
  const r = await verifyBundle(file);
  expect(r.ok).toBe(false);
  expect(r.problems.length).toBeGreaterThan(0);
  for (const p of r.problems) expect(typeof p).toBe('string');
  return r;
}

const good = readFileSync(packCase(craftCase(tmpDir('irt-tarfuzz-case-'), 'FUZZ', { files: { 'findings.json': '[]', 'artifacts/x.jsonl': '{"a":1}\n'.repeat(200) } }), path.join(tmpDir('irt-tarfuzz-b-'), 'FUZZ.tar.gz')));

describe('the tar reader on hostile bytes', () => {
  it('a real bundle cut at every length: named as unreadable or incomplete', async () => {
    for (let cut = 0; cut < good.length; cut += Math.max(1, Math.floor(good.length / 60))) {
      const r = await verifyBytes(good.subarray(0, cut));
      expect(r.problems.join('\n')).toMatch(/not a readable \.tar\.gz|missing|is missing|unexpected end/);
    }
  }, 60_000);

  it('random bytes, raw and gzipped: always a report', async () => {
    for (let i = 0; i < 60; i++) {
      const bytes = randomBytes(1 + Math.floor(Math.random() * 4096));
      await verifyBytes(i % 2 ? bytes : gzipSync(bytes));
    }
  }, 60_000);

  it('the real bundle with random bytes flipped after gunzip: always a report', async () => {
    const { gunzipSync } = await import('node:zlib');
    const raw = gunzipSync(good);
    for (let i = 0; i < 60; i++) {
      const copy = Buffer.from(raw);
      for (let k = 0; k < 8; k++) copy[Math.floor(Math.random() * copy.length)] = Math.floor(Math.random() * 256);
      await verifyBytes(gzipSync(copy));
    }
  }, 60_000);

  it('headers with huge size fields (octal and base-256) and no data behind them', async () => {
    const base256 = Buffer.alloc(12);
    base256[0] = 0x80;
    base256.writeUIntBE(2 ** 47, 6, 6); // 128 TiB
    const negative = Buffer.alloc(12, 0xff); // base-256 in two's complement: -1
    negative[11] = 0xfe;
    for (const size of [8 * 2 ** 30 - 1, base256, negative, 2 ** 33 - 1]) {
      const r = await verifyBytes(tarGz([tarHeader('HUGE/files/x', size)]));
      expect(r.problems.join('\n')).toMatch(/larger than 4 GiB|not a size|not a readable \.tar\.gz/);
    }
  });
});
