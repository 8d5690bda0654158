import { describe, expect, it } from 'vitest';
import {
  makeYearResolver, parseIsoTimestamp, parseSyslogLine, zoneOffset, type YearResolver,
} from '../../../src/collectors/auth/parse-syslog.js';

/** A resolver that always answers `year` (for tests about the prefix, not the year). */
const fixedYear = (year: number): YearResolver => () => year;

describe('parseSyslogLine: RFC 3164', () => {
  it('splits the loghub form', () => {
    const r = parseSyslogLine(
      'Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186',
      { yearResolver: fixedYear(2016) },
    );
    expect(r).toEqual({
      format: 'rfc3164',
      time: new Date('2016-12-10T06:55:46Z'),
      rawTime: 'Dec 10 06:55:46',
      host: 'LabSZ',
      program: 'sshd',
      pid: 24200,
      message: 'Invalid user webmaster from 173.234.31.186',
    });
  });

  it('accepts a space-padded day and the 9.8+/10.0 program names', () => {
    const a = parseSyslogLine('Jul  3 14:59:17 host sshd-session[1571]: Failed password for root from 192.0.2.1 port 56502 ssh2', { yearResolver: fixedYear(2024) });
    expect(a?.time?.toISOString()).toBe('2024-07-03T14:59:17.000Z');
    expect(a?.rawTime).toBe('Jul  3 14:59:17');
    expect([a?.program, a?.pid]).toEqual(['sshd-session', 1571]);
    const b = parseSyslogLine('Apr  9 01:02:03 h sshd-auth[77]: Connection closed by invalid user x 192.0.2.9 port 4 [preauth]', { yearResolver: fixedYear(2025) });
    expect([b?.program, b?.pid, b?.message]).toEqual(['sshd-auth', 77, 'Connection closed by invalid user x 192.0.2.9 port 4 [preauth]']);
  });

  it('returns each kind of tag as written', () => {
    const cases: [string, string | null, number | null, string][] = [
      ['Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; x', 'sshd(pam_unix)', 19939, 'authentication failure; x'],
      ['Jun 15 04:06:18 combo su(pam_unix)[21416]: session opened for user cyrus by (uid=0)', 'su(pam_unix)', 21416, 'session opened for user cyrus by (uid=0)'],
      ['Jan  2 03:04:05 h sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/bash', 'sudo', null, '   alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/bash'],
      ['Jan  2 03:04:05 h su[812]: (to root) alice on pts/0', 'su', 812, '(to root) alice on pts/0'],
      ['Jan  2 03:04:05 h CRON[1]: (root) CMD (true)', 'CRON', 1, '(root) CMD (true)'],
      ['Jan  2 03:04:05 h postfix/smtpd[99]: connect from x', 'postfix/smtpd', 99, 'connect from x'],
      ['Jun 15 04:06:20 combo logrotate: ALERT exited abnormally with [1]', 'logrotate', null, 'ALERT exited abnormally with [1]'],
      ['Dec 10 07:13:56 LabSZ last message repeated 5 times', null, null, 'last message repeated 5 times'],
      ['Jun 19 04:09:11 combo syslogd 1.4.1: restart.', null, null, 'syslogd 1.4.1: restart.'],
    ];
    for (const [line, program, pid, message] of cases) {
      const r = parseSyslogLine(line, { yearResolver: fixedYear(2005) });
      expect(r, line).not.toBeNull();
      expect([r?.program, r?.pid, r?.message], line).toEqual([program, pid, message]);
      expect(r?.format).toBe('rfc3164');
    }
  });

  it('strips a <PRI> and the Solaris [ID n facility.level] marker', () => {
    const r = parseSyslogLine(
      '<38>Oct 15 19:11:38 solhost sshd[429]: [ID 800047 auth.info] Failed password for root from 192.0.2.7 port 3333 ssh2',
      { yearResolver: fixedYear(2010) },
    );
    expect(r?.host).toBe('solhost');
    expect(r?.message).toBe('Failed password for root from 192.0.2.7 port 3333 ssh2');
  });

  it('has no time without a year resolver, and keeps the raw stamp', () => {
    const r = parseSyslogLine('Dec 10 06:55:46 LabSZ sshd[24200]: x');
    expect(r?.time).toBeNull();
    expect(r?.rawTime).toBe('Dec 10 06:55:46');
  });

  it('applies a fixed or zone-based UTC offset to the wall clock', () => {
    const line = 'Jan 15 12:00:00 h sshd[1]: x';
    expect(parseSyslogLine(line, { yearResolver: fixedYear(2024), utcOffset: 120 })?.time?.toISOString()).toBe('2024-01-15T10:00:00.000Z');
    const berlin = zoneOffset('Europe/Berlin');
    expect(parseSyslogLine(line, { yearResolver: fixedYear(2024), utcOffset: berlin })?.time?.toISOString()).toBe('2024-01-15T11:00:00.000Z');
    const summer = 'Jul 15 12:00:00 h sshd[1]: x';
    expect(parseSyslogLine(summer, { yearResolver: fixedYear(2024), utcOffset: berlin })?.time?.toISOString()).toBe('2024-07-15T10:00:00.000Z');
    expect(zoneOffset('America/New_York')(Date.UTC(2024, 0, 15, 12))).toBe(-300);
  });

  it('rejects impossible dates and clocks', () => {
    expect(parseSyslogLine('Feb 30 01:02:03 h sshd[1]: x', { yearResolver: fixedYear(2024) })).toBeNull();
    expect(parseSyslogLine('Foo 10 01:02:03 h sshd[1]: x', { yearResolver: fixedYear(2024) })).toBeNull();
    expect(parseSyslogLine('Dec 10 25:02:03 h sshd[1]: x', { yearResolver: fixedYear(2024) })).toBeNull();
    expect(parseSyslogLine('not a syslog line at all')).toBeNull();
    expect(parseSyslogLine('')).toBeNull();
  });

  it('gives Feb 29 a time only in a leap year', () => {
    const line = 'Feb 29 12:00:00 h sshd[1]: x';
    expect(parseSyslogLine(line, { yearResolver: fixedYear(2024) })?.time?.toISOString()).toBe('2024-02-29T12:00:00.000Z');
    const r = parseSyslogLine(line, { yearResolver: fixedYear(2023) });
    expect(r?.time).toBeNull();
    expect(r?.message).toBe('x');
  });
});

describe('parseSyslogLine: RFC 3339 (Debian 12 rsyslog)', () => {
  it('keeps milliseconds and applies the offset', () => {
    const r = parseSyslogLine('2024-01-02T03:04:05.123456+00:00 deb12 sshd[2716]: Accepted publickey for root from 192.0.2.1 port 5 ssh2: ED25519 SHA256:abc');
    expect(r).toEqual({
      format: 'rfc3339',
      time: new Date('2024-01-02T03:04:05.123Z'),
      rawTime: '2024-01-02T03:04:05.123456+00:00',
      host: 'deb12',
      program: 'sshd',
      pid: 2716,
      message: 'Accepted publickey for root from 192.0.2.1 port 5 ssh2: ED25519 SHA256:abc',
    });
    expect(parseSyslogLine('2015-04-16T18:02:50.321974-04:00 h sshd[1]: x')?.time?.toISOString()).toBe('2015-04-16T22:02:50.321Z');
    // journalctl -o short-iso: +hhmm without a colon; Z.
    expect(parseSyslogLine('2024-06-01T10:00:00+0200 h sshd-session[9]: x')?.time?.toISOString()).toBe('2024-06-01T08:00:00.000Z');
    expect(parseSyslogLine('2024-06-01T10:00:00Z h sshd[9]: x')?.time?.toISOString()).toBe('2024-06-01T10:00:00.000Z');
  });

  it('needs no year resolver', () => {
    const resolver = (): number => {
      throw new Error('must not be called');
    };
    expect(parseSyslogLine('2024-06-01T10:00:00Z h sshd[9]: x', { yearResolver: resolver })?.pid).toBe(9);
  });

  it('rejects an impossible stamp', () => {
    expect(parseSyslogLine('2024-02-30T10:00:00Z h sshd[9]: x')).toBeNull();
    expect(parseIsoTimestamp('2024-13-01T00:00:00Z')).toBeNull();
    expect(parseIsoTimestamp('2024-01-01T00:00:00', 60)?.toISOString()).toBe('2023-12-31T23:00:00.000Z');
  });
});

describe('parseSyslogLine: RFC 5424', () => {
  it('splits the forwarded form with nil MSGID and SD', () => {
    const r = parseSyslogLine('<38>1 2019-07-08T17:40:16.954167-04:00 hostname.example.com sshd 57915 - - Failed unknown for invalid user redmond from 192.0.2.1 port 59197 ssh2');
    expect(r).toEqual({
      format: 'rfc5424',
      time: new Date('2019-07-08T21:40:16.954Z'),
      rawTime: '2019-07-08T17:40:16.954167-04:00',
      host: 'hostname.example.com',
      program: 'sshd',
      pid: 57915,
      message: 'Failed unknown for invalid user redmond from 192.0.2.1 port 59197 ssh2',
    });
  });

  it('skips structured data, with escaped brackets and quotes in values', () => {
    const r = parseSyslogLine('<86>1 2024-03-01T00:00:00Z h sshd-session 12 ID47 [a@1 k="x\\]y" q="\\"z\\""][b@2 n="1"] \uFEFFFailed password for root from 198.51.100.2 port 1 ssh2');
    expect(r?.message).toBe('Failed password for root from 198.51.100.2 port 1 ssh2');
    expect(r?.program).toBe('sshd-session');
  });

  it('maps nil values to null', () => {
    const r = parseSyslogLine('<38>1 - - - - - - hello');
    expect(r).toMatchObject({ format: 'rfc5424', time: null, host: null, program: null, pid: null, message: 'hello' });
  });
});

describe('makeYearResolver', () => {
  /** Feeds "Mmm dd hh:mm:ss" stamps in order through one resolver; returns the ISO times. */
  function walk(mtime: string, stamps: string[]): string[] {
    const yearResolver = makeYearResolver(new Date(mtime));
    return stamps.map((s) => parseSyslogLine(`${s} h sshd[1]: x`, { yearResolver })?.time?.toISOString() ?? 'null');
  }

  it('crosses a year boundary: Dec lines in the previous year, Jan lines in the mtime year', () => {
    expect(walk('2024-01-03T08:00:00Z', ['Dec 30 23:00:00', 'Dec 31 23:59:59', 'Jan  1 00:00:01', 'Jan  3 07:00:00'])).toEqual([
      '2023-12-30T23:00:00.000Z', '2023-12-31T23:59:59.000Z', '2024-01-01T00:00:01.000Z', '2024-01-03T07:00:00.000Z',
    ]);
  });

  it('keeps the mtime year when the file starts before the mtime', () => {
    expect(walk('2024-06-01T00:00:00Z', ['Mar  1 00:00:00', 'May 31 00:00:00'])).toEqual([
      '2024-03-01T00:00:00.000Z', '2024-05-31T00:00:00.000Z',
    ]);
  });

  it('allows one day of slack after the mtime (unknown zone), not more', () => {
    expect(walk('2024-06-01T00:00:00Z', ['Jun  1 20:00:00'])).toEqual(['2024-06-01T20:00:00.000Z']);
    expect(walk('2024-06-01T00:00:00Z', ['Jun  2 00:00:01'])).toEqual(['2023-06-02T00:00:01.000Z']);
  });

  it('does not take a few seconds out of order across a month end for a new year', () => {
    expect(walk('2024-03-01T00:00:00Z', ['Jan 31 23:59:58', 'Feb  1 00:00:01', 'Jan 31 23:59:59', 'Feb  1 00:00:02'])).toEqual([
      '2024-01-31T23:59:58.000Z', '2024-02-01T00:00:01.000Z', '2024-01-31T23:59:59.000Z', '2024-02-01T00:00:02.000Z',
    ]);
  });

  it('does not take a clock stepped back within a month for a new year', () => {
    expect(walk('2024-04-01T00:00:00Z', ['Mar 20 00:00:00', 'Mar  1 00:00:00'])).toEqual([
      '2024-03-20T00:00:00.000Z', '2024-03-01T00:00:00.000Z',
    ]);
  });

  it('increments at every Dec → Jan, also after silent months', () => {
    expect(walk('2025-02-01T00:00:00Z', ['Nov 20 00:00:00', 'Jan  5 00:00:00', 'Feb  1 00:00:00'])).toEqual([
      '2024-11-20T00:00:00.000Z', '2025-01-05T00:00:00.000Z', '2025-02-01T00:00:00.000Z',
    ]);
    expect(walk('2025-01-10T00:00:00Z', ['Dec 20 00:00:00', 'Jan  2 00:00:00'])[0]).toBe('2024-12-20T00:00:00.000Z');
  });

  it('gives each rotated file its own start (one resolver per file)', () => {
    // auth.log.1 ended in December, auth.log is the live file of January.
    expect(walk('2023-12-31T23:59:00Z', ['Dec 24 00:00:00', 'Dec 31 23:58:00'])).toEqual([
      '2023-12-24T00:00:00.000Z', '2023-12-31T23:58:00.000Z',
    ]);
    expect(walk('2024-01-07T00:00:00Z', ['Jan  1 00:00:00', 'Jan  6 00:00:00'])).toEqual([
      '2024-01-01T00:00:00.000Z', '2024-01-06T00:00:00.000Z',
    ]);
  });

  it('calls back once per line, so a resolver sees the lines in order', () => {
    const seen: number[] = [];
    const inner = makeYearResolver(new Date('2024-01-03T00:00:00Z'));
    const spy: YearResolver = (...a) => {
      seen.push(a[0]);
      return inner(...a);
    };
    for (const s of ['Dec 31 00:00:00', 'Jan  1 00:00:00']) parseSyslogLine(`${s} h sshd[1]: x`, { yearResolver: spy });
    expect(seen).toEqual([11, 0]);
  });
});
