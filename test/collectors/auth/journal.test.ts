import { describe, expect, it } from 'vitest';
import { AuthLogParser, type AuthLogEvent } from '../../../src/collectors/auth/events.js';
import { journalFieldText, parseJournalJsonLine } from '../../../src/collectors/auth/journal.js';
import { makeYearResolver } from '../../../src/collectors/auth/parse-syslog.js';

/** One `journalctl -o json` line (field order and extra fields as journalctl writes them). */
function entry(fields: Record<string, unknown>): string {
  return JSON.stringify({
    __CURSOR: 's=abc;i=1',
    __MONOTONIC_TIMESTAMP: '123456',
    _BOOT_ID: 'b0',
    PRIORITY: '6',
    SYSLOG_FACILITY: '10',
    _TRANSPORT: 'syslog',
    _UID: '0',
    ...fields,
  });
}

describe('parseJournalJsonLine', () => {
  it('reads time (µs), host, identifier, pid and message', () => {
    const r = parseJournalJsonLine(entry({
      __REALTIME_TIMESTAMP: '1720018757123456',
      _HOSTNAME: 'deb13',
      _COMM: 'sshd-session',
      SYSLOG_IDENTIFIER: 'sshd-session',
      _PID: '1571',
      _SYSTEMD_UNIT: 'ssh.service',
      MESSAGE: 'Failed password for root from 192.0.2.1 port 56502 ssh2',
    }));
    expect(r).toEqual({
      time: new Date(1720018757123),
      rawTime: '1720018757123456',
      host: 'deb13',
      program: 'sshd-session',
      pid: 1571,
      message: 'Failed password for root from 192.0.2.1 port 56502 ssh2',
      comm: 'sshd-session',
      unit: 'ssh.service',
    });
  });

  it('decodes a MESSAGE given as byte values, invalid UTF-8 becoming U+FFFD', () => {
    const bytes = [...Buffer.from('Invalid user r\u00e9mi from 192.0.2.2 port 1', 'utf8')];
    const r = parseJournalJsonLine(entry({ __REALTIME_TIMESTAMP: '1', _COMM: 'sshd', _PID: '9', MESSAGE: bytes }));
    expect(r?.message).toBe('Invalid user r\u00e9mi from 192.0.2.2 port 1');
    const bad = [...Buffer.from('Invalid user '), 0xff, 0xfe, ...Buffer.from(' from 192.0.2.3')];
    expect(parseJournalJsonLine(entry({ _COMM: 'sshd', MESSAGE: bad }))?.message).toBe('Invalid user \uFFFD\uFFFD from 192.0.2.3');
  });

  it('falls back to _COMM and SYSLOG_PID, and takes the first of repeated values', () => {
    const r = parseJournalJsonLine(entry({ __REALTIME_TIMESTAMP: '2000', _COMM: 'sshd', SYSLOG_PID: '44', MESSAGE: ['first', 'second'] }));
    expect([r?.program, r?.pid, r?.message, r?.time?.getTime()]).toEqual(['sshd', 44, 'first', 2]);
    expect(journalFieldText([[104, 105], 'x'])).toBe('hi');
    expect(journalFieldText([])).toBe('');
    expect(journalFieldText(null)).toBeNull();
  });

  it('returns null for what is not an entry with a message', () => {
    expect(parseJournalJsonLine('')).toBeNull();
    expect(parseJournalJsonLine('{not json')).toBeNull();
    expect(parseJournalJsonLine('[1,2]')).toBeNull();
    expect(parseJournalJsonLine('"text"')).toBeNull();
    // journalctl without --all writes null for a field over its size limit.
    expect(parseJournalJsonLine(entry({ _COMM: 'sshd', MESSAGE: null }))).toBeNull();
  });

  it('has a null time when the timestamp is missing or malformed', () => {
    expect(parseJournalJsonLine(entry({ MESSAGE: 'x' }))?.time).toBeNull();
    expect(parseJournalJsonLine(entry({ MESSAGE: 'x', __REALTIME_TIMESTAMP: '12x' }))?.time).toBeNull();
  });
});

describe('AuthLogParser.pushRecord with journal entries', () => {
  const us = (iso: string): string => String(BigInt(Date.parse(iso)) * 1000n);

  it('classifies like the same lines from a syslog file, pam dedupe included', () => {
    const msgs: [string, string, string][] = [
      ['2024-07-03T14:59:15Z', '1571', 'pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.1  user=root'],
      ['2024-07-03T14:59:17Z', '1571', 'Failed password for root from 192.0.2.1 port 56502 ssh2'],
      ['2024-07-03T14:59:20Z', '1571', 'Accepted password for root from 192.0.2.1 port 56502 ssh2'],
      ['2024-07-03T14:59:20Z', '1571', 'pam_unix(sshd:session): session opened for user root(uid=0) by root(uid=0)'],
    ];
    const fromJournal = new AuthLogParser({ source: 'journal' });
    const j: AuthLogEvent[] = [];
    msgs.forEach(([t, pid, m], i) => {
      const rec = parseJournalJsonLine(entry({
        __REALTIME_TIMESTAMP: us(t), _HOSTNAME: 'h', _COMM: 'sshd-session', SYSLOG_IDENTIFIER: 'sshd-session', _PID: pid, MESSAGE: m,
      }));
      j.push(...fromJournal.pushRecord(rec, i + 1));
    });
    j.push(...fromJournal.end());

    const fromFile = new AuthLogParser({ source: 'journal', yearResolver: makeYearResolver(new Date('2024-07-04T00:00:00Z')) });
    const f: AuthLogEvent[] = [];
    msgs.forEach(([t, pid, m], i) => f.push(...fromFile.push(`${t.replace('Z', '+00:00')} h sshd-session[${pid}]: ${m}`, i + 1)));
    f.push(...fromFile.end());

    expect(j).toEqual(f);
    expect(j.map((e) => `${e.kind}:${String(e.covered)}`)).toEqual([
      'pam-failure:true', 'failed:undefined', 'accepted:undefined', 'session-opened:undefined',
    ]);
    expect(j[0].time).toBe('2024-07-03T14:59:15.000Z');
  });

  it('counts a null record as unparsed and ignores programs outside the auth set', () => {
    const p = new AuthLogParser({ source: 'journal' });
    expect(p.pushRecord(parseJournalJsonLine('{oops'), 1)).toEqual([]);
    const rec = parseJournalJsonLine(entry({ __REALTIME_TIMESTAMP: '1', _COMM: 'systemd', MESSAGE: 'Started ssh.service' }));
    expect(p.pushRecord(rec, 2)).toEqual([]);
    expect(Object.fromEntries(p.unknownByProgram)).toEqual({ '(unparsed)': 1, systemd: 1 });
    expect(p.stats).toMatchObject({ lines: 2, unparsed: 1, events: 0 });
  });
});
