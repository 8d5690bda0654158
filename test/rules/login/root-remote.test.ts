import { runRule } from '../../../src/rules/types.js';
import { describe, expect, it } from 'vitest';
import type { KnownFacts } from '../../../src/model/facts.js';
import type { SessionRecord } from '../../../src/model/logins.js';
import { isRemoteHost } from '../../../src/rules/login/remote-host.js';
import { rootRemote } from '../../../src/rules/login/root-remote.js';
import { proc } from '../../helpers/records.js';

function session(over: Partial<SessionRecord>): SessionRecord {
  return {
    user: 'alice', line: 'pts/0', host: '203.0.113.7', addr: '203.0.113.7', pid: 1100,
    login: '2024-03-01T08:00:00.000000Z', logout: '2024-03-01T08:30:00.000000Z', end: 'logout',
    source: 'wtmp', file: '/var/log/wtmp', ...over,
  };
}

/** A box where root only ever logs in locally and users log in remotely. */
function cleanSessions(): SessionRecord[] {
  return [
    session({ user: 'reboot', line: 'system boot', host: '6.1.0-18-amd64', addr: null, pid: 0, login: '2024-03-01T00:00:00.000000Z', logout: null, end: 'reboot' }),
    session({}),
    session({ user: 'root', line: 'tty1', host: '', addr: null, pid: 612, login: '2024-03-01T07:00:00.000000Z', logout: null, end: 'still-logged-in' }),
    session({ user: 'root', line: ':0', host: ':0', addr: null, pid: 700, login: '2024-03-01T07:30:00.000000Z' }),
    session({ user: 'root', line: 'pts/4', host: 'tmux(4242).%0', addr: null, pid: 4243, login: '2024-03-01T07:40:00.000000Z' }),
    session({ user: 'root', line: 'pts/5', host: ':S.0', addr: null, pid: 4300, login: '2024-03-01T07:50:00.000000Z' }),
    session({ user: 'bob', host: '198.51.100.9', addr: '198.51.100.9', source: 'wtmpdb', file: '/var/lib/wtmpdb/wtmp.db', pid: 0 }),
  ];
}

const COPIES = { '/var/log/wtmp': 'files/logins/var/log/wtmp', '/run/utmp': 'files/logins/run/utmp' };

describe('login.root-remote', () => {
  it('stays silent on a clean baseline: root only on the console, a display or a multiplexer', () => {
    expect(runRule(rootRemote, { sessions: cleanSessions() }, rootRemote.thresholds)).toEqual([]);
  });

  it('live: one finding per remote host, copies of one session folded, still logged in named with its pid', () => {
    const open = { user: 'root', line: 'pts/1', host: '203.0.113.50', addr: '203.0.113.50', pid: 1200, login: '2024-03-01T09:00:00.250000Z', logout: null, end: 'still-logged-in' as const };
    const facts: KnownFacts = {
      processes: [proc({ pid: 1200 })],
      loginCopies: COPIES,
      sessions: [
        ...cleanSessions(),
        session({ user: 'root', line: 'pts/0', host: '203.0.113.50', addr: '203.0.113.50', pid: 900, login: '2024-02-20T10:00:00.000000Z', logout: '2024-02-20T10:10:00.000000Z' }),
        session({ ...open, source: 'utmp', file: '/run/utmp' }),
        session({ ...open }),
        // wtmpdb stamps the same login a moment later, and knows no pid.
        session({ ...open, line: 'ssh', pid: 0, login: '2024-03-01T09:00:01.100000Z', source: 'wtmpdb', file: '/var/lib/wtmpdb/wtmp.db' }),
      ],
    };
    const found = runRule(rootRemote, facts, {});
    expect(found).toHaveLength(1);
    const [f] = found;
    expect(f).toMatchObject({
      rule: 'login.root-remote',
      severity: 'high',
      title: 'root logged in from 203.0.113.50 (2 sessions), still logged in',
      mitre: ['T1078'],
      subject: { user: 'root', ip: '203.0.113.50', host: '203.0.113.50', pid: 1200, sessions: 2, stillLoggedIn: true },
      evidence: ['artifacts/sessions.jsonl', 'files/logins/run/utmp', 'files/logins/var/log/wtmp'],
    });
    expect(f.detail).toContain('2 times between 2024-02-20T10:00:00.000000Z and 2024-03-01T09:00:00.250000Z');
    expect(f.detail).toContain('recorded in /run/utmp, /var/lib/wtmpdb/wtmp.db, /var/log/wtmp');
    expect(f.detail).toContain('Latest first: 2024-03-01T09:00:00.250000Z on pts/1, still logged in (pid 1200); 2024-02-20T10:00:00.000000Z on pts/0, logged out at 2024-02-20T10:10:00.000000Z.');
    expect(f.detail).toContain('right now');
  });

  it('offline: an open session is "no logout recorded", never "still logged in", and names no pid', () => {
    const facts: KnownFacts = {
      sessions: [session({ user: 'root', line: 'pts/1', host: '203.0.113.50', addr: '203.0.113.50', pid: 1200, logout: null, end: 'still-logged-in' })],
    };
    const [f] = runRule(rootRemote, facts, {});
    expect(f.title).toBe('root logged in from 203.0.113.50, no logout recorded');
    expect(f.subject).toMatchObject({ pid: null, stillLoggedIn: false });
    expect(f.detail).toContain('no logout recorded (open when the records were last written)');
    expect(f.detail).not.toContain('right now');
    expect(f.evidence).toEqual(['artifacts/sessions.jsonl']);
  });

  it('separates hosts; a host name without an address has no ip; a crash and a loopback login are described', () => {
    const facts: KnownFacts = {
      sessions: [
        session({ user: 'root', host: 'jump.example.net', addr: null, logout: '2024-03-02T00:00:00.000000Z', end: 'crash' }),
        session({ user: 'root', host: '127.0.0.1', addr: '127.0.0.1', login: '2024-03-01T09:00:00.000000Z' }),
      ],
    };
    const found = runRule(rootRemote, facts, {});
    expect(found.map((f) => [f.subject.host, f.subject.ip])).toEqual([
      ['jump.example.net', null],
      ['127.0.0.1', '127.0.0.1'],
    ]);
    expect(found[0].detail).toContain('no logout before the reboot at 2024-03-02T00:00:00.000000Z');
  });

  it('names the five latest sessions and counts the rest', () => {
    const sessions = Array.from({ length: 8 }, (_, i) =>
      session({ user: 'root', host: '192.0.2.99', addr: '192.0.2.99', pid: 100 + i, login: `2024-03-0${i + 1}T10:00:00.000000Z`, logout: `2024-03-0${i + 1}T10:05:00.000000Z` }),
    );
    const [f] = runRule(rootRemote, { sessions }, {});
    expect(f.title).toBe('root logged in from 192.0.2.99 (8 sessions)');
    expect(f.detail).toContain('Latest first: 2024-03-08T10:00:00.000000Z');
    expect(f.detail).toContain('; and 3 earlier.');
    expect(f.detail).not.toContain('2024-03-03T10:00:00.000000Z on');
  });
});

describe('isRemoteHost', () => {
  it.each([
    ['', false], ['  ', false], [':0', false], [':0.0', false], [':1', false], [':S.0', false], ['tmux(1234).%0', false],
    ['203.0.113.5', true], ['2001:db8::1', true], ['::1', true], ['jump.example.net', true], ['203.0.113.5 via mosh [99]', true],
  ])('%j → %s', (host, remote) => {
    expect(isRemoteHost(host)).toBe(remote);
  });
});
