import { describe, expect, it } from 'vitest';
import type { AuthAddressRow, AuthLoginRecord } from '../../src/model/auth.js';
import { dayInWindow, DEFAULT_WINDOW_DAYS, incidentWindow, inWindow, windowFromFacts } from '../../src/model/window.js';

const NOW = new Date('2026-03-10T12:00:00.000Z');

function row(address: string, failures: number, firstFailure: string | null, accepted: string[] = []): AuthAddressRow {
  return { address, failures, firstFailure, accepted: accepted.map((time) => ({ time, user: 'root', method: 'password', port: 1, key: null })) } as unknown as AuthAddressRow;
}

describe('the incident window', () => {
  it('--since wins', () => {
    expect(incidentWindow({ since: '2026-03-01T00:00:00Z', now: NOW, authTally: [row('192.0.2.1', 500, '2026-01-01T00:00:00Z')] })).toEqual({
      start: '2026-03-01T00:00:00.000Z',
      end: '2026-03-10T12:00:00.000Z',
      source: 'since',
      reason: 'the incident window starts at 2026-03-01T00:00:00.000Z (--since)',
    });
  });

  it('else the first failure or login of an address with 10 or more failures', () => {
    const w = incidentWindow({
      now: NOW,
      authTally: [row('192.0.2.1', 9, '2026-01-01T00:00:00Z'), row('198.51.100.2', 10, '2026-03-02T00:00:00Z', ['2026-02-28T00:00:00Z']), row('203.0.113.3', 3000, '2026-03-04T00:00:00Z')],
    });
    expect(w).toMatchObject({ start: '2026-02-28T00:00:00.000Z', source: 'auth' });
    expect(w.reason).toContain('198.51.100.2');
  });

  it('an accepted login after many failures counts too', () => {
    const login = { time: '2026-03-03T00:00:00Z', address: '203.0.113.9', failuresFromAddress: { count: 12, first: '2026-03-02T23:00:00Z', last: null } } as unknown as AuthLoginRecord;
    expect(incidentWindow({ now: NOW, authLogins: [login] })).toMatchObject({ start: '2026-03-02T23:00:00.000Z', source: 'auth' });
  });

  it(`else ${DEFAULT_WINDOW_DAYS} days before the collection`, () => {
    expect(incidentWindow({ now: NOW, authTally: [row('192.0.2.1', 2, '2026-01-01T00:00:00Z')] })).toMatchObject({
      start: '2026-02-08T12:00:00.000Z',
      source: 'default',
      reason: 'the incident window is the 30 days before the collection (from 2026-02-08T12:00:00.000Z): no --since, and no address with 10 or more failures in the auth log',
    });
    expect(incidentWindow({ now: NOW }).reason).toMatch(/no auth log read before this step$/);
  });

  it('times and shadow days inside it; an existing window is reused', () => {
    const w = incidentWindow({ since: '2026-03-01T12:00:00Z', now: NOW });
    expect([inWindow(w, '2026-03-01T11:59:59Z'), inWindow(w, '2026-03-01T12:00:00Z'), inWindow(w, '2027-01-01T00:00:00Z'), inWindow(w, null), inWindow(w, 'garbage')]).toEqual([false, true, true, false, false]);
    const day = Math.floor(Date.parse('2026-03-01T00:00:00Z') / 86_400_000);
    expect([dayInWindow(w, day - 1), dayInWindow(w, day), dayInWindow(w, null)]).toEqual([false, true, false]);
    expect(windowFromFacts({ window: w }, '2020-01-01', NOW)).toBe(w);
    expect(windowFromFacts({}, '2020-01-01T00:00:00Z', NOW).source).toBe('since');
  });
});
