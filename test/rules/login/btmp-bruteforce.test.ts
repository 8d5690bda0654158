import { runRule } from '../../../src/rules/types.js';
import { describe, expect, it } from 'vitest';
import type { AuthAddressRow } from '../../../src/model/auth.js';
import type { KnownFacts } from '../../../src/model/facts.js';
import type { UtmpRecord } from '../../../src/model/logins.js';
import { btmpBruteforce } from '../../../src/rules/login/btmp-bruteforce.js';

let index = 0;
function failed(over: Partial<UtmpRecord>): UtmpRecord {
  const sec = 1_762_156_800 + index * 8;
  return {
    file: '/var/log/btmp', index: index++, type: 6, typeName: 'LOGIN_PROCESS', pid: 2900, line: 'ssh:notty', id: '', user: 'root',
    host: '203.0.113.66', addr: '203.0.113.66', exitTermination: 0, exitStatus: 0, session: 0,
    time: new Date(sec * 1000).toISOString().replace('.000Z', '.000000Z'), sec, usec: 0, ...over,
  };
}
const many = (n: number, over: Partial<UtmpRecord> = {}) => Array.from({ length: n }, () => failed(over));
const tallyRow = (address: string, failures: number) => ({ address, failures }) as unknown as AuthAddressRow;
const run = (facts: Partial<KnownFacts>, failures = 10) => runRule(btmpBruteforce, facts as KnownFacts, { failures });

describe('login.btmp-bruteforce', () => {
  it('stays silent below the threshold, on local failures, and on an empty btmp', () => {
    expect(run({ failedLogins: [] })).toEqual([]);
    expect(run({ failedLogins: many(9) })).toEqual([]);
    expect(run({ failedLogins: many(30, { host: '', addr: null, line: 'tty1' }) })).toEqual([]);
    expect(run({ failedLogins: many(30, { host: ':0', addr: null }) })).toEqual([]);
  });

  it('leaves an address the auth log already reports as a brute force to auth.bruteforce', () => {
    expect(run({ failedLogins: many(15), authTally: [tallyRow('203.0.113.66', 15)] })).toEqual([]);
    expect(run({ failedLogins: many(15), authTally: [tallyRow('203.0.113.66', 10)] })).toEqual([]);
  });

  it('says when the auth log holds none of it, or only part, or was not read', () => {
    const none = run({ failedLogins: many(12), authTally: [tallyRow('198.51.100.1', 50)], loginCopies: { '/var/log/btmp': 'files/logins/var/log/btmp' } });
    expect(none.map((f) => [f.severity, f.title])).toEqual([['medium', '12 failed logins from 203.0.113.66 in btmp, none in the auth log']]);
    expect(none[0].detail).toContain('hold no failed login from this address: they were rotated away, cleared or never kept');
    expect(none[0].subject).toMatchObject({ ip: '203.0.113.66', failures: 12, authLogFailures: 0 });
    expect(none[0].evidence).toEqual(['artifacts/failed-logins.jsonl', 'files/logins/var/log/btmp']);

    const part = run({ failedLogins: many(12), authTally: [tallyRow('203.0.113.66', 3)] });
    expect(part[0].detail).toContain('hold only 3 failed login(s) from this address');
    expect(part[0].title).toBe('12 failed logins from 203.0.113.66 in btmp');

    const unread = run({ failedLogins: many(12) });
    expect(unread[0].detail).toContain('No auth log or journal was read');
    expect(unread[0].subject.authLogFailures).toBeNull();
  });

  it('groups by address across rotated files, counts users, spans first to last, and is high at ten times the threshold', () => {
    const records = [
      ...many(60, { user: 'admin' }),
      ...many(45, { user: 'oracle', file: '/var/log/btmp.1' }),
      ...many(11, { addr: null, host: 'scanner.example.net' }),
    ];
    const f = run({ failedLogins: records, authTally: [] });
    expect(f.map((x) => [x.severity, x.subject.ip, x.subject.host, x.subject.failures])).toEqual([
      ['high', '203.0.113.66', null, 105],
      ['medium', null, 'scanner.example.net', 11],
    ]);
    expect(f[0].detail).toContain('users tried: "admin" 60, "oracle" 45; files: /var/log/btmp, /var/log/btmp.1');
    expect(f[0].subject.firstFailure).toBe(records[0].time);
    expect(f[0].subject.lastFailure).toBe(records[104].time);
  });

  it('quotes user names from the box as JSON strings, so escapes stay visible', () => {
    const f = run({ failedLogins: many(10, { user: '\u001b]0;pwned\u0007' }) });
    expect(f[0].detail).toContain('"\\u001b]0;pwned\\u0007" 10');
  });
});
