import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatProgress, metered, type ProgressTask } from '../../src/model/progress.js';

const MiB = 1024 * 1024;

describe('formatBytes and formatDuration', () => {
  it('gives sizes in binary units with three significant digits', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(12.25 * MiB)).toBe('12.3 MiB');
    expect(formatBytes(300 * MiB)).toBe('300 MiB');
    expect(formatBytes(1.5 * 1024 * MiB)).toBe('1.50 GiB');
    expect(formatBytes(-1)).toBe('?');
    expect(formatBytes(Number.NaN)).toBe('?');
  });

  it('gives durations in seconds, minutes and hours', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(42.4)).toBe('42s');
    expect(formatDuration(185)).toBe('3m05s');
    expect(formatDuration(3720)).toBe('1h02m');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('?');
  });
});

describe('formatProgress', () => {
  it('shows bytes of total, the percentage, the rate and the time left', () => {
    const line = formatProgress({ label: 'reading /var/log/auth.log', done: 100 * MiB, total: 300 * MiB, elapsedMs: 2000 }, 120);
    expect(line).toBe('reading /var/log/auth.log  100 MiB of 300 MiB (33%)  50.0 MiB/s  4s left');
  });

  it('shows no rate or time left before a quarter second or a first byte', () => {
    expect(formatProgress({ label: 'x', done: 5 * MiB, total: 10 * MiB, elapsedMs: 100 }, 80)).toBe('x  5.00 MiB of 10.0 MiB (50%)');
    expect(formatProgress({ label: 'x', done: 0, total: 10 * MiB, elapsedMs: 5000 }, 80)).toBe('x  0 B of 10.0 MiB (0%)');
  });

  it('shows what was read so far when the total is zero or unknown, never a division by zero', () => {
    const zero = formatProgress({ label: 'reading empty.log', done: 0, total: 0, elapsedMs: 3000 }, 80);
    expect(zero).toBe('reading empty.log  0 B');
    const grown = formatProgress({ label: 'reading grew.log', done: 2 * MiB, total: 0, elapsedMs: 1000 }, 80);
    expect(grown).toBe('reading grew.log  2.00 MiB  2.00 MiB/s');
    const unknown = formatProgress({ label: 'exporting the journal (journalctl)', done: 4 * MiB, total: null, elapsedMs: 2000 }, 80);
    expect(unknown).toBe('exporting the journal (journalctl)  4.00 MiB  2.00 MiB/s');
    expect(zero + grown + unknown).not.toMatch(/NaN|Infinity|left/);
  });

  it('caps the percentage at 100 and drops the time left when a file grew past its size', () => {
    const line = formatProgress({ label: 'reading auth.log', done: 12 * MiB, total: 10 * MiB, elapsedMs: 1000 }, 80);
    expect(line).toBe('reading auth.log  12.0 MiB of 10.0 MiB (100%)  12.0 MiB/s');
  });

  it('sanitises a hostile name: no escape or control character reaches the terminal', () => {
    const label = 'reading /var/log/auth.log\x1b]0;pwned\x07\x1b[2J\r\n\u202e.gol';
    const line = formatProgress({ label, done: MiB, total: 2 * MiB, elapsedMs: 1000 }, 200);
    expect(line).not.toMatch(/[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
    expect(line).toContain('reading /var/log/auth.log');
    expect(line).toContain('1.00 MiB of 2.00 MiB (50%)');
  });

  it('fits the columns, keeping the end of a long path and the figures', () => {
    const label = `reading /var/log/${'a'.repeat(200)}/auth.log.1`;
    const line = formatProgress({ label, done: MiB, total: 2 * MiB, elapsedMs: 1000 }, 80);
    expect(line.length).toBeLessThanOrEqual(80);
    expect(line).toMatch(/^reading …a+\/auth\.log\.1  1\.00 MiB of 2\.00 MiB \(50%\)  1\.00 MiB\/s  1s left$/);
  });
});

describe('metered', () => {
  it('passes the chunks on unchanged, counts each, and ends the task when the stream ends', async () => {
    const added: number[] = [];
    let ended = 0;
    const task: ProgressTask = { add: (n) => added.push(n), done: () => ended++ };
    const out: Buffer[] = [];
    for await (const b of metered(Readable.from([Buffer.from('ab'), 'cde', new Uint8Array([1, 2, 3, 4])]), task)) out.push(b);
    expect(Buffer.concat(out)).toEqual(Buffer.from([0x61, 0x62, 0x63, 0x64, 0x65, 1, 2, 3, 4]));
    expect(added).toEqual([2, 3, 4]);
    expect(ended).toBe(1);
  });

  it('ends the task when the reader stops early or the stream fails', async () => {
    let ended = 0;
    const task: ProgressTask = { add: () => {}, done: () => ended++ };
    for await (const _ of metered(Readable.from([Buffer.from('a'), Buffer.from('b')]), task)) break;
    expect(ended).toBe(1);
    const failing = new Readable({ read() { this.destroy(new Error('EIO')); } });
    await expect((async () => { for await (const _ of metered(failing, task)); })()).rejects.toThrow('EIO');
    expect(ended).toBe(2);
  });
});
