import { describe, expect, it } from 'vitest';
import type { AttemptRecord } from '../../../src/collectors/auth/aggregate.js';
import { DayRows, dayRowMessage, dayRowUser, MAX_NAMES, MAX_OPEN_DAYS } from '../../../src/collectors/auth/day-rows.js';

function rec(time: string, ip: string, user: string | null, count = 2, extra: Partial<AttemptRecord> = {}): AttemptRecord {
  return {
    kind: 'attempts', time, lastTime: time, ip, user, invalidUser: false, count, failures: count,
    kinds: { failed: count }, methods: { password: count }, source: '/var/log/auth.log', firstLine: 10, lastLine: 10 + count, pids: [7], ...extra,
  };
}

describe('DayRows: attempts per address and UTC day', () => {
  it('folds the minutes of one address and day into one row, closed once the next day is past the lag', () => {
    const d = new DayRows();
    expect(d.add(rec('2024-03-01T00:00:05.000Z', '192.0.2.7', 'root'))).toEqual([]);
    expect(d.add(rec('2024-03-01T23:59:00.000Z', '192.0.2.7', 'admin', 3, { invalidUser: true, firstLine: 900, lastLine: 903 }))).toEqual([]);
    expect(d.add(rec('2024-03-01T12:00:00.000Z', '198.51.100.1', null, 1))).toEqual([]);
    // Into the next day, within the minute aggregator's lag: nothing closes yet.
    expect(d.add(rec('2024-03-02T00:05:00.000Z', '192.0.2.7', 'root'))).toEqual([]);
    const closed = d.add(rec('2024-03-02T00:30:00.000Z', '203.0.113.9', 'root'));
    expect(closed.map((r) => [r.ip, r.day, r.count, r.time, r.lastTime])).toEqual([
      ['192.0.2.7', '2024-03-01', 5, '2024-03-01T00:00:05.000Z', '2024-03-01T23:59:00.000Z'],
      ['198.51.100.1', '2024-03-01', 1, '2024-03-01T12:00:00.000Z', '2024-03-01T12:00:00.000Z'],
    ]);
    expect(dayRowMessage(closed[0])).toBe('5 attempts from 192.0.2.7 on 2024-03-01, 5 failed (password 5) as invalid user admin 3, root 2: failed 5 [/var/log/auth.log:10-903]');
    expect(dayRowUser(closed[0])).toBeNull();
    expect(dayRowUser(closed[1])).toBeNull();
    const rest = d.end();
    expect(rest.map((r) => [r.ip, r.count])).toEqual([['192.0.2.7', 2], ['203.0.113.9', 2]]);
    expect(dayRowUser(rest[0])).toBe('root');
    expect(d.rows).toBe(4);
  });

  it('names the most tried users and counts the rest, however many names a spray tries', () => {
    const d = new DayRows();
    for (let i = 0; i < 500; i++) d.add(rec(`2024-03-01T10:${String(i % 60).padStart(2, '0')}:00.000Z`, '192.0.2.7', `u${i}`, 1));
    d.add(rec('2024-03-01T11:00:00.000Z', '192.0.2.7', 'root', 40));
    const [row] = d.end();
    expect(row.count).toBe(540);
    expect(row.users.size).toBeLessThanOrEqual(64);
    const msg = dayRowMessage(row);
    expect(msg).toMatch(/ as root 40, u1 1, u10 1, u11 1, u12 1, \+more names \(496\): /);
    expect(msg.split(', ').filter((p) => /^u\d+ 1$/.test(p))).toHaveLength(MAX_NAMES - 1);
  });

  it('keeps at most MAX_OPEN_DAYS rows open: the oldest opened are written out, counts still add up', () => {
    const d = new DayRows();
    let out = 0;
    let sum = 0;
    const n = MAX_OPEN_DAYS + 5000;
    for (let i = 0; i < n; i++) {
      for (const r of d.add(rec('2024-03-01T10:00:00.000Z', `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, 'root', 1))) {
        out++;
        sum += r.count;
      }
    }
    expect(out).toBeGreaterThan(0);
    for (const r of d.end()) sum += r.count;
    expect(sum).toBe(n);
  });
});
