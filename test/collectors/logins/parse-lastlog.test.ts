import { describe, expect, it } from 'vitest';
import { LASTLOG_RECORD_SIZE, parseLastlog } from '../../../src/collectors/logins/parse-lastlog.js';

/** A sparse lastlog image: record for uid N at N * 292. */
function lastlog(entries: Array<{ uid: number; time: number; line?: string; host?: string }>, extraBytes = 0): Buffer {
  const maxUid = Math.max(...entries.map((e) => e.uid));
  const buf = Buffer.alloc((maxUid + 1) * LASTLOG_RECORD_SIZE + extraBytes);
  for (const e of entries) {
    const off = e.uid * LASTLOG_RECORD_SIZE;
    buf.writeInt32LE(e.time, off);
    if (e.line) buf.write(e.line, off + 4, 32, 'latin1');
    if (e.host) buf.write(e.host, off + 36, 256, 'latin1');
  }
  return buf;
}

describe('parseLastlog', () => {
  it('reads the set records of a sparse file by uid and skips time 0', () => {
    const buf = lastlog([
      { uid: 0, time: 1704067200, line: 'tty1' },
      { uid: 5, time: 0, line: 'pts/9', host: 'ignored.example' },
      { uid: 1000, time: 1704096000, line: 'pts/0', host: '203.0.113.7' },
    ]);
    expect(buf.length).toBe(1001 * 292);
    expect(parseLastlog(buf)).toEqual([
      { uid: 0, time: '2024-01-01T00:00:00.000000Z', line: 'tty1', host: '' },
      { uid: 1000, time: '2024-01-01T08:00:00.000000Z', line: 'pts/0', host: '203.0.113.7' },
    ]);
  });

  it('reads fields that fill their width without a NUL, and ignores a trailing partial record', () => {
    const line = 'p'.repeat(31) + 'Q';
    const host = 'h'.repeat(255) + 'Z';
    const buf = lastlog([{ uid: 3, time: 1704164645, line, host }], 100);
    const out = parseLastlog(buf);
    expect(out).toEqual([{ uid: 3, time: '2024-01-02T03:04:05.000000Z', line, host }]);
    expect(out[0].line).toHaveLength(32);
    expect(out[0].host).toHaveLength(256);
  });

  it('an empty file has no entries', () => {
    expect(parseLastlog(Buffer.alloc(0))).toEqual([]);
    expect(parseLastlog(Buffer.alloc(291, 1))).toEqual([]);
  });
});
