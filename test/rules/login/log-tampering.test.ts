import { runRule } from '../../../src/rules/types.js';
import { describe, expect, it } from 'vitest';
import type { KnownFacts } from '../../../src/model/facts.js';
import type { LoginTamperingSignal } from '../../../src/model/logins.js';
import { logTampering } from '../../../src/rules/login/log-tampering.js';

const COPIES = {
  '/var/log/wtmp': 'files/logins/var/log/wtmp',
  '/var/log/btmp': 'files/logins/var/log/btmp',
  '/run/utmp': 'files/logins/run/utmp',
};

function facts(signals: LoginTamperingSignal[]): KnownFacts {
  return { loginTampering: signals, loginCopies: COPIES };
}

describe('login.log-tampering', () => {
  it('stays silent on clean records', () => {
    expect(runRule(logTampering, facts([]), logTampering.thresholds)).toEqual([]);
  });

  it('records zeroed between real ones are critical; a zeroed tail is high', () => {
    const found = runRule(logTampering, facts([
      { kind: 'zero-records', file: '/var/log/wtmp', index: 8, count: 1, inside: true, detail: 'record 8 is all zero bytes (wiped entry)' },
      { kind: 'zero-records', file: '/var/log/wtmp', index: 20, count: 2, inside: true, detail: 'records 20-21 (2 records) are all zero bytes (wiped entries)' },
      { kind: 'zero-records', file: '/var/log/btmp', index: 40, count: 3, inside: false, detail: 'records 40-42 (3 records) are all zero bytes (wiped entries)' },
    ]), {});
    expect(found.map((f) => [f.severity, f.title, f.subject.path, f.evidence])).toEqual([
      ['critical', 'Wiped records in /var/log/wtmp: 3 record(s) zeroed between real ones', '/var/log/wtmp', ['artifacts/utmp.jsonl', 'files/logins/var/log/wtmp']],
      ['high', '/var/log/btmp ends in 3 zeroed record(s)', '/var/log/btmp', ['artifacts/failed-logins.jsonl', 'files/logins/var/log/btmp']],
    ]);
    expect(found[0].detail).toMatch(/^record 8 is all zero bytes \(wiped entry\); records 20-21 .*log cleaners/);
    expect(found[0].mitre).toEqual(['T1070', 'T1070.002']);
  });

  it('one finding per file for time running backwards, the first five places named', () => {
    const signals = Array.from({ length: 7 }, (_, i): LoginTamperingSignal => ({ kind: 'time-backwards', file: '/var/log/wtmp', index: 10 + i, detail: `record ${10 + i} is earlier` }));
    const [f, ...rest] = runRule(logTampering, facts(signals), {});
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: 'high', title: 'Time runs backwards in /var/log/wtmp (7 place(s))', subject: { path: '/var/log/wtmp', signals: 7 } });
    expect(f.detail).toMatch(/^record 10 is earlier; .*record 14 is earlier; and 2 more\. /);
  });

  it('a cut file and a log linked to /dev/null are high', () => {
    const found = runRule(logTampering, facts([
      { kind: 'trailing-bytes', file: '/var/log/wtmp.1', detail: '184 byte(s) after the last whole 384-byte record' },
      { kind: 'not-a-file', file: '/var/log/btmp', detail: '/var/log/btmp is a symbolic link to /dev/null: nothing written to it is kept' },
    ]), {});
    expect(found.map((f) => [f.severity, f.title])).toEqual([
      ['high', '/var/log/wtmp.1 is cut or damaged: its size is not a whole number of records'],
      ['high', 'Login records are not being kept: /var/log/btmp is not a file'],
    ]);
    expect(found[0].evidence).toEqual(['artifacts/utmp.jsonl']);
    expect(found[0].detail).toContain('Every whole record was still read');
  });

  it('one finding per process for a utmp session whose process is gone and an sshd session utmp does not list', () => {
    const found = runRule(logTampering, facts([
      { kind: 'utmp-gone', file: '/run/utmp', pid: 1200, user: 'root', line: 'pts/1', detail: '/run/utmp lists root on pts/1 (pid 1200), but no process 1200 is running' },
      { kind: 'sshd-without-utmp', file: '/run/utmp', pid: 2100, user: 'mallory', line: 'pts/4', detail: '"sshd-session: mallory@pts/4" (pid 2100) holds pts/4' },
    ]), {});
    expect(found.map((f) => [f.severity, f.title, f.subject])).toEqual([
      ['high', 'utmp lists a session whose process is gone: root on pts/1 (pid 1200)', { pid: 1200, user: 'root', ip: null, path: '/run/utmp', line: 'pts/1' }],
      ['high', 'sshd session with no utmp record: mallory@pts/4 (pid 2100)', { pid: 2100, user: 'mallory', ip: null, path: '/run/utmp', line: 'pts/4' }],
    ]);
    expect(found[1].evidence).toEqual(['artifacts/sessions.jsonl', 'artifacts/utmp.jsonl', 'files/logins/run/utmp', 'artifacts/processes.jsonl']);
    expect(found[1].detail).toContain('the lsof step');
  });
});
