/**
 * The shortcuts taken for gigabyte logs give the same answers as the plain way: times formatted
 * once per day, lines decoded in place, regexes skipped by their literal starts.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AuthLogParser } from '../../../src/collectors/auth/events.js';
import { classifyMessage } from '../../../src/collectors/auth/parse-sshd.js';
import { readLines } from '../../../src/collectors/auth/read-lines.js';

async function lines(chunks: Buffer[]): Promise<string[]> {
  const out: string[] = [];
  for await (const l of readLines(Readable.from(chunks))) out.push(l);
  return out;
}

describe('the hot path', () => {
  it('formats event times exactly as toISOString, across days, years and milliseconds', () => {
    const parser = new AuthLogParser({ source: 'x' });
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 2000; i++) {
      const ms = Math.floor(rand() * Date.UTC(2100, 0, 1));
      const iso = new Date(ms).toISOString();
      const [e] = parser.push(`${iso} h sshd[1]: Accepted password for a from 192.0.2.1 port 1 ssh2`, i + 1);
      expect(e.time).toBe(iso);
    }
  });

  it('keeps pids in least-recently-seen order: a pid seen again is not the next one dropped', () => {
    const p = new AuthLogParser({ source: 'x', maxPids: 2, yearResolver: () => 2024 });
    const pam = (pid: number, ip: string) => `Mar  1 10:00:00 h sshd[${pid}]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}  user=u${pid}`;
    const out = [
      pam(1, '192.0.2.1'),
      pam(2, '192.0.2.2'),
      'Mar  1 10:00:01 h sshd[1]: Connection from 192.0.2.1 port 5 on 192.0.2.100 port 22 rdomain ""',
      // A third pid: the least recently seen (2, not 1) is dropped and its PAM line flushed alone.
      'Mar  1 10:00:02 h sshd[3]: Accepted password for c from 192.0.2.3 port 7 ssh2',
      'Mar  1 10:00:03 h sshd[1]: Failed password for u1 from 192.0.2.1 port 5 ssh2',
    ].flatMap((l, i) => p.push(l, i + 1).map((e) => ({ at: i + 1, pid: e.pid, kind: e.kind, covered: e.covered })));
    expect(out.filter((e) => e.kind === 'pam-failure')).toEqual([
      { at: 4, pid: 2, kind: 'pam-failure', covered: false },
      { at: 5, pid: 1, kind: 'pam-failure', covered: true },
    ]);
  });

  it('splits lines the same whatever the chunk boundaries (in-place and carried-over lines)', async () => {
    const text = Buffer.from('first\r\nsécond line\n\nthird — ünïcode\nlast without newline');
    const whole = await lines([text]);
    expect(whole).toEqual(['first', 'sécond line', '', 'third — ünïcode', 'last without newline']);
    for (const size of [1, 2, 3, 5, 7, 16]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < text.length; i += size) chunks.push(text.subarray(i, i + size));
      expect(await lines(chunks)).toEqual(whole);
    }
  });

  it('cuts an over-long line at maxLineBytes on both paths', async () => {
    const text = Buffer.from(`${'a'.repeat(50)}\n${'b'.repeat(10)}\n`);
    const read = async (chunks: Buffer[]) => {
      const out: string[] = [];
      for await (const l of readLines(Readable.from(chunks), { maxLineBytes: 20 })) out.push(l);
      return out;
    };
    expect(await read([text])).toEqual(['a'.repeat(20), 'b'.repeat(10)]);
    expect(await read([text.subarray(0, 30), text.subarray(30)])).toEqual(['a'.repeat(20), 'b'.repeat(10)]);
  });

  it('still classifies messages whose level prefix (error:, fatal:) comes first', () => {
    expect(classifyMessage('sshd', 'error: maximum authentication attempts exceeded for root from 192.0.2.1 port 22 ssh2 [preauth]')).toMatchObject({ kind: 'max-attempts', ip: '192.0.2.1' });
    expect(classifyMessage('sshd', 'fatal: Timeout before authentication for 192.0.2.1 port 22')).toMatchObject({ kind: 'auth-timeout', ip: '192.0.2.1' });
    expect(classifyMessage('sshd', 'error: Received disconnect from 192.0.2.1 port 22:3: bad [preauth]')).toMatchObject({ kind: 'preauth-disconnect' });
    expect(classifyMessage('sshd', 'Failed password for x from 192.0.2.1 port 1 ssh2')).toMatchObject({ kind: 'failed' });
    expect(classifyMessage('sshd', 'Something else entirely')).toMatchObject({ kind: 'other' });
  });
});
