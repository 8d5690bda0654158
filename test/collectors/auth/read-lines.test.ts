import { createReadStream, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readLines, sortLogFiles } from '../../../src/collectors/auth/read-lines.js';

/** A stream that hands out `data` in chunks of the given sizes (the last size repeats). */
function chunked(data: Buffer, sizes: number[]): Readable {
  const parts: Buffer[] = [];
  let i = 0;
  let k = 0;
  while (i < data.length) {
    const n = sizes[Math.min(k++, sizes.length - 1)];
    parts.push(data.subarray(i, i + n));
    i += n;
  }
  return Readable.from(parts, { objectMode: false });
}

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const l of it) out.push(l);
  return out;
}

describe('readLines', () => {
  it('splits on \\n, removes one trailing \\r, keeps empty lines and a last line without \\n', async () => {
    const text = 'a\r\nb\n\nc\r\r\nlast';
    expect(await collect(readLines(chunked(Buffer.from(text), [1])))).toEqual(['a', 'b', '', 'c\r', 'last']);
    expect(await collect(readLines(chunked(Buffer.from('x\n'), [100])))).toEqual(['x']);
    expect(await collect(readLines(Readable.from([], { objectMode: false })))).toEqual([]);
    expect(await collect(readLines(chunked(Buffer.from('\n'), [1])))).toEqual(['']);
  });

  it('decodes UTF-8 split across chunks, and never throws on bad bytes', async () => {
    const good = Buffer.from('r\u00e9mi \u{1F600}\nok\n', 'utf8');
    expect(await collect(readLines(chunked(good, [2, 1])))).toEqual(['r\u00e9mi \u{1F600}', 'ok']);
    const bad = Buffer.concat([Buffer.from('Invalid user '), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(' from 192.0.2.1\nnext')]);
    expect(await collect(readLines(chunked(bad, [3])))).toEqual(['Invalid user \uFFFD(\uFFFD from 192.0.2.1', 'next']);
  });

  it('accepts string chunks (a stream with an encoding set)', async () => {
    const s = new PassThrough();
    s.setEncoding('utf8');
    s.end('one\ntwo');
    expect(await collect(readLines(s))).toEqual(['one', 'two']);
  });

  it('gunzips by magic bytes, even when the magic is split across chunks', async () => {
    const text = Array.from({ length: 500 }, (_, i) => `Dec 10 06:55:${String(i % 60).padStart(2, '0')} h sshd[${i}]: line ${i}`).join('\n') + '\n';
    const gz = zlib.gzipSync(Buffer.from(text));
    expect(gz[0]).toBe(0x1f);
    for (const sizes of [[1], [2], [1, 7], [gz.length]]) {
      const lines = await collect(readLines(chunked(gz, sizes)));
      expect(lines).toHaveLength(500);
      expect(lines[499]).toBe('Dec 10 06:55:19 h sshd[499]: line 499');
    }
  });

  it('reads concatenated gzip members and a gzip file named without .gz', async () => {
    const gz = Buffer.concat([zlib.gzipSync('a\nb\n'), zlib.gzipSync('c\n')]);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'irt-lines-'));
    const file = path.join(dir, 'auth.log.1');
    writeFileSync(file, gz);
    expect(await collect(readLines(createReadStream(file)))).toEqual(['a', 'b', 'c']);
  });

  it('keeps what a truncated .gz holds; corrupt gzip data rejects', async () => {
    const text = Array.from({ length: 2000 }, (_, i) => `line ${i} ${'x'.repeat(40)}`).join('\n');
    const gz = zlib.gzipSync(text, { level: 1 });
    const cut = gz.subarray(0, Math.floor(gz.length / 2));
    const lines = await collect(readLines(chunked(cut, [512])));
    expect(lines.length).toBeGreaterThan(100);
    expect(lines.length).toBeLessThan(2000);
    expect(lines[0]).toBe(`line 0 ${'x'.repeat(40)}`);
    const corrupt = Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from('definitely not deflate data')]);
    await expect(collect(readLines(chunked(corrupt, [4])))).rejects.toThrow();
  });

  it('does not treat a text starting with 0x1f alone as gzip', async () => {
    expect(await collect(readLines(chunked(Buffer.from('\u001fhello\n'), [1])))).toEqual(['\u001fhello']);
  });

  it('streams: the first line comes out before the source is read to the end', async () => {
    let pulled = 0;
    async function* source(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 1000; i++) {
        pulled++;
        yield Buffer.from(`line ${i}\n`);
      }
    }
    const it = readLines(Readable.from(source(), { objectMode: false, highWaterMark: 16 }))[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.value).toBe('line 0');
    expect(pulled).toBeLessThan(1000);
    await it.return?.(undefined);
  });

  it('streams gzip too', async () => {
    const text = Array.from({ length: 50_000 }, (_, i) => `line ${i} ${'y'.repeat(30)}`).join('\n');
    const gz = zlib.gzipSync(text);
    let handedOut = 0;
    const parts: Buffer[] = [];
    for (let i = 0; i < gz.length; i += 1024) parts.push(gz.subarray(i, i + 1024));
    async function* source(): AsyncGenerator<Buffer> {
      for (const p of parts) {
        handedOut++;
        yield p;
      }
    }
    const it = readLines(Readable.from(source(), { objectMode: false, highWaterMark: 1024 }))[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe(`line 0 ${'y'.repeat(30)}`);
    expect(handedOut).toBeLessThan(parts.length);
    await it.return?.(undefined);
  });

  it('cuts a line longer than maxLineBytes but keeps the following lines', async () => {
    const data = Buffer.from(`${'z'.repeat(100)}\nshort\n`);
    expect(await collect(readLines(chunked(data, [7]), { maxLineBytes: 10 }))).toEqual(['z'.repeat(10), 'short']);
  });
});

describe('sortLogFiles', () => {
  it('orders numbered rotations oldest first, the live file last', () => {
    expect(sortLogFiles(['auth.log', 'auth.log.1', 'auth.log.2.gz', 'auth.log.10.gz', 'auth.log.3.gz', 'auth.log.4.gz'])).toEqual([
      'auth.log.10.gz', 'auth.log.4.gz', 'auth.log.3.gz', 'auth.log.2.gz', 'auth.log.1', 'auth.log',
    ]);
  });

  it('orders dateext rotations by date', () => {
    expect(sortLogFiles(['secure', 'secure-20240108', 'secure-20240101.gz', 'secure-20231225'])).toEqual([
      'secure-20231225', 'secure-20240101.gz', 'secure-20240108', 'secure',
    ]);
  });

  it('groups by directory and base name, and does not mutate its input', () => {
    const input = ['/var/log/secure', '/var/log/auth.log', '/var/log/auth.log.1', '/var/log/secure-20240101', '/old/auth.log.2.gz'];
    const copy = [...input];
    expect(sortLogFiles(input)).toEqual([
      '/old/auth.log.2.gz', '/var/log/auth.log.1', '/var/log/auth.log', '/var/log/secure-20240101', '/var/log/secure',
    ]);
    expect(input).toEqual(copy);
  });
});
