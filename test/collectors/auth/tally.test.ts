import { describe, expect, it } from 'vitest';
import { AuthTally, BoundedCounter, type TallyEvent } from '../../../src/collectors/auth/tally.js';

function ev(fields: Partial<TallyEvent>): TallyEvent {
  return {
    time: '2024-01-01T00:00:00.000Z', program: 'sshd', kind: 'failed', method: 'password', user: 'root',
    invalidUser: false, ip: '192.0.2.1', port: 22, key: null, ...fields,
  };
}

describe('AuthTally', () => {
  it('counts Failed lines and uncovered pam failures, never covered ones', () => {
    const t = new AuthTally();
    t.addAll([
      ev({ kind: 'pam-failure', method: null, covered: true }),
      ev({ time: '2024-01-01T00:00:02.000Z' }),
      ev({ kind: 'pam-failure', method: null, covered: false, time: '2024-01-01T00:00:05.000Z' }),
      ev({ kind: 'pam-failure', method: null, covered: false, pamCount: 4, time: '2024-01-01T00:00:06.000Z' }),
      ev({ kind: 'pam-failure', method: null, covered: true, pamCount: 9 }),
      ev({ method: 'none', user: 'x', invalidUser: true, time: '2023-12-31T23:59:59.000Z' }),
    ]);
    const [row] = t.toRows();
    expect(row).toMatchObject({
      address: '192.0.2.1', isIp: true, failures: 7,
      failuresByMethod: { password: 1, pam: 5, none: 1 },
      failuresInvalidUser: 1,
      firstFailure: '2023-12-31T23:59:59.000Z',
      lastFailure: '2024-01-01T00:00:06.000Z',
      distinctUsers: 2,
      distinctUsersExact: true,
    });
    expect(row.users).toEqual([
      { user: 'root', count: 6, exact: true, error: 0 },
      { user: 'x', count: 1, exact: true, error: 0 },
    ]);
    expect(t.userFailures()).toEqual(row.users);
  });

  it('keeps invalid users, limits, disconnects and accepted logins per address', () => {
    const t = new AuthTally({ maxAcceptedPerAddress: 2 });
    t.addAll([
      ev({ kind: 'invalid-user', user: 'a', invalidUser: true }),
      ev({ kind: 'invalid-user', user: 'b', invalidUser: true }),
      ev({ kind: 'max-attempts', method: null }),
      ev({ kind: 'preauth-disconnect', method: null, user: null }),
      ev({ kind: 'no-identification', method: null, user: null }),
      ev({ kind: 'accepted', time: '2024-01-02T00:00:00.000Z', user: 'root', method: 'publickey', port: 5, key: 'ED25519 SHA256:k1' }),
      ev({ kind: 'accepted', time: '2024-01-03T00:00:00.000Z', user: 'git', method: 'password', port: 6 }),
      ev({ kind: 'accepted', time: '2024-01-04T00:00:00.000Z', user: 'ops', method: 'password', port: 7 }),
      ev({ kind: 'session-opened', method: null }),
      ev({ kind: 'other', method: null }),
    ]);
    const [row] = t.toRows();
    expect(row).toMatchObject({
      failures: 0, invalidUsers: 2, maxAttempts: 1, preauthDisconnects: 1, noIdentification: 1, acceptedCount: 3,
      firstFailure: null, firstSeen: '2024-01-01T00:00:00.000Z', lastSeen: '2024-01-04T00:00:00.000Z',
    });
    expect(row.accepted).toEqual([
      { time: '2024-01-02T00:00:00.000Z', user: 'root', method: 'publickey', port: 5, key: 'ED25519 SHA256:k1' },
      { time: '2024-01-03T00:00:00.000Z', user: 'git', method: 'password', port: 6, key: null },
    ]);
    expect(row.lastAccepted).toEqual({ time: '2024-01-04T00:00:00.000Z', user: 'ops', method: 'password', port: 7, key: null });
  });

  it('sorts rows by failures desc, then address', () => {
    const t = new AuthTally();
    for (const [ip, n] of [['192.0.2.9', 1], ['192.0.2.3', 5], ['192.0.2.4', 5], ['198.51.100.1', 2]] as const) {
      for (let i = 0; i < n; i++) t.add(ev({ ip }));
    }
    t.add(ev({ kind: 'accepted', ip: '203.0.113.1' }));
    expect(t.toRows().map((r) => [r.address, r.failures])).toEqual([
      ['192.0.2.3', 5], ['192.0.2.4', 5], ['198.51.100.1', 2], ['192.0.2.9', 1], ['203.0.113.1', 0],
    ]);
  });

  it('keys by rhost when there is no ip; skips non-sshd programs and address-less events for rows', () => {
    const t = new AuthTally();
    t.add(ev({ kind: 'pam-failure', method: null, covered: false, ip: null, rhost: 'dsl.example.net', program: 'sshd(pam_unix)' }));
    t.add(ev({ kind: 'pam-failure', method: null, covered: false, ip: null, program: 'sudo', user: 'alice' }));
    t.add(ev({ kind: 'failed', ip: null, user: 'nobody' }));
    t.add(ev({ kind: 'failed', program: 'ftpd' }));
    t.add(ev({ kind: 'sudo', program: 'sudo', ip: null }));
    expect(t.toRows().map((r) => [r.address, r.isIp, r.failures])).toEqual([['dsl.example.net', false, 1]]);
    expect(t.failuresWithoutAddress).toBe(1);
    expect(t.userFailures().map((u) => u.user).sort()).toEqual(['nobody', 'root']);
    expect(t.events).toBe(5);
  });

  it('holds memory per address, not per event: 200 000 events from 3 addresses', () => {
    const t = new AuthTally({ topUsers: 5, maxUsersPerAddress: 16, maxAcceptedPerAddress: 3, maxUsers: 100 });
    const ips = ['192.0.2.1', '192.0.2.2', '192.0.2.3'];
    for (let i = 0; i < 200_000; i++) {
      const ip = ips[i % 3];
      // Dictionary attack (a new user each time) mixed with a heavy hitter.
      t.add(ev({ ip, user: i % 2 === 0 ? 'root' : `u${i}`, time: new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString() }));
      if (i % 1000 === 0) t.add(ev({ kind: 'accepted', ip, user: 'x' }));
    }
    expect(t.size).toBe(3);
    const rows = t.toRows();
    expect(rows.reduce((s, r) => s + r.failures, 0)).toBe(200_000);
    for (const r of rows) {
      expect(r.users.length).toBe(5);
      expect(r.accepted.length).toBe(3);
      expect(r.distinctUsersExact).toBe(false);
      // The heavy hitter survives bounded counting, with its exact count.
      expect(r.users[0]).toEqual({ user: 'root', count: expect.any(Number), exact: true, error: 0 });
      expect(r.users[0].count).toBeGreaterThan(33_000);
    }
    expect(t.userFailures(1)[0]).toEqual({ user: 'root', count: 100_000, exact: true, error: 0 });
  });
});

describe('BoundedCounter', () => {
  it('is exact within capacity', () => {
    const c = new BoundedCounter(3);
    for (const k of ['a', 'b', 'a', 'c', 'a', 'b']) c.add(k);
    expect(c.top(10).map((u) => [u.user, u.count, u.exact])).toEqual([['a', 3, true], ['b', 2, true], ['c', 1, true]]);
    expect([c.distinct, c.exact]).toEqual([3, true]);
  });

  it('replaces the smallest counter when full and never under-counts a kept key', () => {
    const c = new BoundedCounter(2);
    c.add('a', 5);
    c.add('b', 1);
    c.add('c');
    // c took over b's counter: count 1 + 1, error 1.
    expect(c.top(10)).toEqual([
      { user: 'a', count: 5, exact: true, error: 0 },
      { user: 'c', count: 2, exact: false, error: 1 },
    ]);
    expect([c.distinct, c.exact]).toEqual([3, false]);
    expect(() => new BoundedCounter(0)).toThrow(RangeError);
  });
});
