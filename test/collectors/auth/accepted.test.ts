import { describe, expect, it } from 'vitest';
import { AcceptedLogins, type AcceptedLoginsOptions } from '../../../src/collectors/auth/accepted.js';
import { AuthLogParser } from '../../../src/collectors/auth/events.js';
import { makeYearResolver } from '../../../src/collectors/auth/parse-syslog.js';

function track(lines: string[], opts: AcceptedLoginsOptions = {}): AcceptedLogins {
  const parser = new AuthLogParser({ source: '/var/log/auth.log', yearResolver: makeYearResolver(new Date('2024-12-31T00:00:00Z')) });
  const t = new AcceptedLogins(opts);
  lines.forEach((l, i) => parser.push(l, i + 1).forEach((e) => t.add(e)));
  parser.end().forEach((e) => t.add(e));
  return t;
}

const fail = (ip: string, user: string, pid: number, time = '10:00:00', invalid = false) =>
  `Mar  1 ${time} h sshd[${pid}]: Failed password for ${invalid ? 'invalid user ' : ''}${user} from ${ip} port ${40000 + pid} ssh2`;
const accept = (ip: string, user: string, pid: number, method = 'password', time = '11:00:00') =>
  `Mar  1 ${time} h sshd[${pid}]: Accepted ${method} for ${user} from ${ip} port ${50000 + pid} ssh2${method === 'publickey' ? ': ED25519 SHA256:abc' : ''}`;

describe('accepted logins and the failures before them', () => {
  it('counts failures from the address since its previous accepted login', () => {
    const t = track([
      ...Array.from({ length: 12 }, (_, i) => fail('203.0.113.5', 'root', 100 + i, `10:00:${String(10 + i).padStart(2, '0')}`)),
      accept('203.0.113.5', 'deploy', 200),
      fail('203.0.113.5', 'deploy', 300, '11:30:00'),
      accept('203.0.113.5', 'deploy', 301, 'password', '11:31:00'),
    ]);
    const [first, second] = t.logins();
    expect(first).toMatchObject({
      user: 'deploy', address: '203.0.113.5', method: 'password', pid: 200, lineNo: 13, time: '2024-03-01T11:00:00.000Z',
      failuresFromAddress: { count: 12, first: '2024-03-01T10:00:10.000Z', last: '2024-03-01T10:00:21.000Z' },
    });
    expect(second.failuresFromAddress).toEqual({ count: 1, first: '2024-03-01T11:30:00.000Z', last: '2024-03-01T11:30:00.000Z' });
  });

  it('counts password failures of an account from any address, not invalid users or key probes', () => {
    const t = track([
      ...Array.from({ length: 5 }, (_, i) => fail(`198.18.0.${i + 1}`, 'carol', 100 + i)),
      fail('198.18.0.9', 'carol', 110, '10:00:05', true),
      `Mar  1 10:00:06 h sshd[111]: Failed publickey for carol from 198.18.0.10 port 1 ssh2: RSA SHA256:x`,
      `Mar  1 10:00:07 h sshd[112]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=198.18.0.11  user=carol`,
      `Mar  1 10:00:08 h sshd[112]: Connection closed by authenticating user carol 198.18.0.11 port 4 [preauth]`,
      accept('198.18.0.99', 'carol', 200),
    ]);
    const [login] = t.logins();
    // 5 Failed password + 1 PAM failure standing alone (no Failed line for pid 112).
    expect(login.failuresForUser).toMatchObject({ count: 6, addresses: 6, addressesCapped: false });
    expect(login.failuresFromAddress.count).toBe(0);
  });

  it('resets the user count at each accepted login of that user, whatever the method', () => {
    const t = track([fail('198.18.0.1', 'root', 1), accept('192.0.2.10', 'root', 2, 'publickey'), fail('198.18.0.1', 'root', 3), accept('192.0.2.10', 'root', 4, 'publickey')]);
    expect(t.logins().map((l) => l.failuresForUser.count)).toEqual([1, 1]);
  });

  it('ends a session at the PAM session closed of the same pid', () => {
    const t = track([
      accept('192.0.2.10', 'alice', 7),
      'Mar  1 11:00:00 h sshd[7]: pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)',
      'Mar  1 11:30:00 h sshd[8]: pam_unix(sshd:session): session closed for user alice',
      'Mar  1 11:45:00 h sshd[7]: pam_unix(sshd:session): session closed for user alice',
    ]);
    expect(t.logins()[0].logout).toBe('2024-03-01T11:45:00.000Z');
  });

  it('groups root logins per address with their methods and keys', () => {
    const t = track([
      accept('192.0.2.10', 'root', 1, 'publickey', '09:00:00'),
      accept('192.0.2.10', 'root', 2, 'password', '10:00:00'),
      accept('192.0.2.10', 'root', 3, 'publickey', '11:00:00'),
      accept('192.0.2.11', 'root', 4, 'publickey', '12:00:00'),
      accept('192.0.2.12', 'alice', 5),
    ]);
    expect(t.rootLogins().map((g) => [g.address, g.count, g.methods, g.keys, g.first.pid, g.last.pid])).toEqual([
      ['192.0.2.10', 3, { publickey: 2, password: 1 }, ['ED25519 SHA256:abc'], 1, 3],
      ['192.0.2.11', 1, { publickey: 1 }, ['ED25519 SHA256:abc'], 4, 4],
    ]);
  });

  it('stays bounded: logins with failures before them and plain ones are capped apart, the rest counted', () => {
    const lines: string[] = [];
    for (let i = 0; i < 5; i++) lines.push(accept('192.0.2.10', 'alice', i + 1));
    for (let i = 0; i < 4; i++) lines.push(fail(`203.0.113.${i}`, 'bob', 100 + i), accept(`203.0.113.${i}`, 'bob', 200 + i));
    const t = track(lines, { maxLogins: 3, maxUsers: 1 });
    expect(t.logins().map((l) => l.user)).toEqual(['alice', 'alice', 'alice', 'bob', 'bob', 'bob']);
    expect(t.loginsDropped).toBe(3);
    expect(t.accepted).toBe(9);
    // Only one user's counter is kept (alice never failed: bob's is the one).
    expect(t.usersDropped).toBe(0);
    const u = track([fail('1.1.1.1', 'a', 1), fail('1.1.1.1', 'b', 2), accept('2.2.2.2', 'b', 3)], { maxUsers: 1 });
    expect(u.usersDropped).toBe(1);
    expect(u.logins()[0].failuresForUser.count).toBe(0);
  });
});

describe('pairing failures with logins does not depend on the order of the lines', () => {
  const two = (n: number) => String(n).padStart(2, '0');
  /** auth.log.1 (older): twelve failures from 203.0.113.66, another brute force that never got in, then the login. */
  const older = [
    ...Array.from({ length: 12 }, (_, i) => `Mar  1 10:00:${two(i)} web1 sshd[${900 + i}]: Failed password for root from 203.0.113.66 port ${40000 + i} ssh2`),
    `Mar  1 10:05:00 web1 sshd[950]: Failed password for carol from 198.18.7.1 port 1 ssh2`,
  ];
  /** auth.log (newer): the password works a week later; then two more failures after it. */
  const newer = [
    'Mar  8 09:00:00 web1 sshd[990]: Accepted password for root from 203.0.113.66 port 41000 ssh2',
    'Mar  8 09:30:00 web1 sshd[991]: Failed password for root from 203.0.113.66 port 41001 ssh2',
    'Mar  8 09:30:05 web1 sshd[992]: Failed password for root from 203.0.113.66 port 41002 ssh2',
  ];
  const expected = { count: 12, first: '2024-03-01T10:00:00.000Z', last: '2024-03-01T10:00:11.000Z' };

  it('oldest first (the order a rotation is read in)', () => {
    const [login] = track([...older, ...newer]).logins();
    expect(login.failuresFromAddress).toEqual(expected);
    expect(login.failuresForUser.count).toBe(12);
  });

  it('newest first in one file (cat auth.log auth.log.1): the older half still reaches the login', () => {
    const t = track([...newer, ...older]);
    const [login] = t.logins();
    expect(login.failuresFromAddress).toEqual(expected);
    expect(login.failuresForUser).toMatchObject({ count: 12, addresses: 1 });
    expect(t.segmentBreaks).toBe(1);
  });

  it('newest first as separate sources (analyze auth.log auth.log.1)', () => {
    const t = new AcceptedLogins();
    const resolver = makeYearResolver(new Date('2024-12-31T00:00:00Z'));
    for (const [source, lines] of [['auth.log', newer], ['auth.log.1', older]] as const) {
      const parser = new AuthLogParser({ source, yearResolver: resolver });
      lines.forEach((l, i) => parser.push(l, i + 1).forEach((e) => t.add(e)));
      parser.end().forEach((e) => t.add(e));
    }
    expect(t.logins()[0]).toMatchObject({ source: 'auth.log', failuresFromAddress: expected });
  });

  it('failures after the last login stay unpaired in either order; each login takes only what came since the one before', () => {
    const second = ['Mar  9 08:00:00 web1 sshd[995]: Accepted password for root from 203.0.113.66 port 41005 ssh2'];
    for (const lines of [[...older, ...newer, ...second], [...newer, ...second, ...older], [...second, ...newer, ...older]]) {
      const logins = track(lines).logins().sort((a, b) => (a.time < b.time ? -1 : 1));
      expect(logins.map((l) => l.failuresFromAddress.count)).toEqual([12, 2]);
    }
  });

  it('lines a few seconds out of order (a journal merging processes) are not a new segment and pair as read', () => {
    const t = track([
      ...Array.from({ length: 10 }, (_, i) => `Mar  1 10:00:${two(10 + i)} web1 sshd[${900 + i}]: Failed password for root from 203.0.113.70 port ${40000 + i} ssh2`),
      'Mar  1 10:00:15 web1 sshd[990]: Accepted password for root from 203.0.113.70 port 41000 ssh2',
      'Mar  1 10:00:40 web1 sshd[991]: Accepted password for root from 203.0.113.70 port 41001 ssh2',
    ]);
    expect(t.segmentBreaks).toBe(0);
    expect(t.logins().map((l) => l.failuresFromAddress.count)).toEqual([10, 0]);
  });

  it('a log that steps back on every other line (shuffled, or made so) keeps every failure, in bounded spans', () => {
    const lines: string[] = [];
    for (let i = 0; i < 2000; i++) {
      // Alternately 10:xx and 08:xx: every second line steps back two hours.
      const hour = i % 2 === 0 ? 10 : 8;
      lines.push(`Mar  1 ${two(hour)}:${two(Math.floor(i / 60) % 60)}:${two(i % 60)} web1 sshd[${1000 + i}]: Failed password for root from 203.0.113.80 port ${i} ssh2`);
    }
    lines.push('Mar  1 12:00:00 web1 sshd[9000]: Accepted password for root from 203.0.113.80 port 9 ssh2');
    const t = track(lines);
    expect(t.segmentBreaks).toBeGreaterThan(900);
    expect(t.logins()[0].failuresFromAddress).toMatchObject({ count: 2000, first: '2024-03-01T08:00:01.000Z' });
    expect(t.logins()[0].failuresForUser.count).toBe(2000);
  });
});
