import { runRule } from '../../../src/rules/types.js';
import { describe, expect, it } from 'vitest';
import { bruteforce } from '../../../src/rules/auth/bruteforce.js';
import { loginAfterFailures } from '../../../src/rules/auth/login-after-failures.js';
import { rootLogin } from '../../../src/rules/auth/root-login.js';
import { accepted, cleanBaseline, factsFrom, failed } from './helpers.js';

const range = (n: number, f: (i: number) => string[]) => Array.from({ length: n }, (_, i) => f(i)).flat();

describe('the auth rules on a clean baseline', () => {
  it('stay silent: key logins, a couple of typos, scanners, fewer failures than the threshold', async () => {
    const facts = await factsFrom(cleanBaseline());
    // The baseline does hold failures, logins and a sudo: the rules had something to look at.
    expect(facts.authTally!.map((r) => [r.address, r.failures])).toEqual([['203.0.113.20', 9], ['203.0.113.21', 3], ['192.0.2.11', 2], ['192.0.2.10', 0], ['198.51.100.200', 0]]);
    expect(facts.authLogins).toHaveLength(3);
    expect(runRule(bruteforce, facts, bruteforce.thresholds)).toEqual([]);
    expect(runRule(loginAfterFailures, facts, loginAfterFailures.thresholds)).toEqual([]);
    expect(runRule(rootLogin, facts, rootLogin.thresholds)).toEqual([]);
  });
});

describe('auth.bruteforce', () => {
  it('flags an address at the threshold: count, times, users tried, the invalid-user share, the next steps', async () => {
    const facts = await factsFrom([
      ...cleanBaseline(),
      ...range(7, (i) => failed('198.51.100.66', 'root', 1000 + i)),
      ...range(3, (i) => failed('198.51.100.66', ['admin', 'pi', 'git'][i], 1010 + i, { invalid: true })),
    ]);
    const [f, ...rest] = runRule(bruteforce, facts, bruteforce.thresholds);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({
      rule: 'auth.bruteforce',
      severity: 'medium',
      title: 'SSH brute force from 198.51.100.66: 10 failed logins',
      mitre: ['T1110', 'T1110.001'],
      subject: { ip: '198.51.100.66', failures: 10, firstFailure: '2024-03-04T08:16:40.000Z', lastFailure: '2024-03-04T08:16:52.000Z', invalidUserShare: 0.3, acceptedLogins: 0 },
      evidence: ['artifacts/auth-tally.json', 'artifacts/auth-events.jsonl'],
    });
    expect(f.detail).toContain('10 failed ssh logins from 198.51.100.66 between 2024-03-04T08:16:40.000Z and 2024-03-04T08:16:52.000Z');
    expect(f.detail).toContain('users tried: root 7, admin 1, git 1, pi 1');
    expect(f.detail).toContain('30% for names that are not accounts');
    expect(f.detail).toMatch(/fail2ban/);
    expect(f.detail).toMatch(/PasswordAuthentication no/);
    expect(f.detail).toMatch(/iptables -A INPUT -s ADDRESS -j DROP/);
  });

  it('is high at ten times the threshold, and follows the playbook threshold', async () => {
    const facts = await factsFrom(range(25, (i) => failed('198.51.100.66', 'root', i)));
    expect(runRule(bruteforce, facts, { failures: 10 })[0].severity).toBe('medium');
    expect(runRule(bruteforce, facts, { failures: 3 })[0].severity).toBe('medium');
    expect(runRule(bruteforce, facts, { failures: 2.5 })[0].severity).toBe('high');
    expect(runRule(bruteforce, facts, { failures: 26 })).toEqual([]);
  });

  it('counts a PAM line once with its Failed line, and rsyslog repeats in full', async () => {
    const facts = await factsFrom([
      'Mar  4 08:00:00 web1 sshd[77]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.9  user=root',
      'Mar  4 08:00:02 web1 sshd[77]: Failed password for root from 203.0.113.9 port 4000 ssh2',
      'Mar  4 08:00:12 web1 sshd[77]: message repeated 5 times: [ Failed password for root from 203.0.113.9 port 4000 ssh2]',
      'Mar  4 08:00:12 web1 sshd[77]: Disconnecting: Too many authentication failures for root [preauth]',
      'Mar  4 08:00:12 web1 sshd[77]: PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.9  user=root',
    ]);
    expect(runRule(bruteforce, facts, { failures: 6 }).map((f) => f.subject.failures)).toEqual([6]);
    expect(runRule(bruteforce, facts, { failures: 7 })).toEqual([]);
  });

  it('says when the address also got in', async () => {
    const facts = await factsFrom([...range(10, (i) => failed('198.51.100.66', 'root', i)), ...accepted('198.51.100.66', 'deploy', 100)]);
    expect(runRule(bruteforce, facts, bruteforce.thresholds)[0].detail).toContain('This address also logged in successfully 1 time(s), last as deploy at 2024-03-04T08:01:40.000Z (password)');
  });
});

describe('auth.login-after-failures', () => {
  it('flags the login that ended a brute force: address, user, failures first, the session', async () => {
    const facts = await factsFrom([
      ...cleanBaseline(),
      ...range(12, (i) => failed('203.0.113.5', i < 6 ? 'root' : 'deploy', 2000 + i * 3)),
      ...accepted('203.0.113.5', 'deploy', 2100, 'password', 25),
      ...accepted('203.0.113.5', 'deploy', 4000, 'password'),
    ]);
    const found = runRule(loginAfterFailures, facts, loginAfterFailures.thresholds);
    expect(found).toHaveLength(1);
    const [f] = found;
    expect(f).toMatchObject({
      rule: 'auth.login-after-failures',
      severity: 'critical',
      title: 'Login accepted after 12 failures: deploy from 203.0.113.5 (password)',
      mitre: ['T1110.001', 'T1078', 'T1021.004'],
      subject: {
        ip: '203.0.113.5', user: 'deploy', method: 'password', time: '2024-03-04T08:35:00.000Z', logout: '2024-03-04T09:00:00.000Z',
        failuresBefore: 12, firstFailure: '2024-03-04T08:33:20.000Z', lastFailure: '2024-03-04T08:33:53.000Z', counted: 'from-address',
      },
    });
    expect(typeof f.subject.pid).toBe('number');
    expect(f.detail).toContain('203.0.113.5 failed to log in 12 time(s) between 2024-03-04T08:33:20.000Z and 2024-03-04T08:33:53.000Z, then logged in as deploy');
    expect(f.detail).toMatch(/password at 2024-03-04T08:35:00.000Z, port \d+, sshd pid \d+, closed at 2024-03-04T09:00:00.000Z \(\/var\/log\/auth.log:\d+\)/);
    expect(f.detail).toContain('Users it tried over the whole log: deploy, root.');
    expect(f.detail).toMatch(/authorized_keys/);
  });

  it('flags a password spray: the account failed from many addresses, each under the threshold', async () => {
    const facts = await factsFrom([...range(11, (i) => failed(`198.18.0.${i + 1}`, 'carol', 3000 + i * 40)), ...accepted('198.18.0.200', 'carol', 3600)]);
    const [f] = runRule(loginAfterFailures, facts, loginAfterFailures.thresholds);
    expect(f).toMatchObject({ severity: 'critical', subject: { ip: '198.18.0.200', user: 'carol', failuresBefore: 11, counted: 'for-user' } });
    expect(f.detail).toContain('the password of carol failed 11 time(s) from 11 address(es)');
    expect(runRule(bruteforce, facts, bruteforce.thresholds)).toEqual([]);
  });

  it('a key login after failures from the same address is high and says why; after a spray it is not flagged', async () => {
    const byAddress = await factsFrom([...range(10, (i) => failed('203.0.113.5', 'root', i)), ...accepted('203.0.113.5', 'root', 100, 'publickey')]);
    const [f] = runRule(loginAfterFailures, byAddress, loginAfterFailures.thresholds);
    expect(f.severity).toBe('high');
    expect(f.detail).toContain('The login used a key, not a guessed password');
    const spray = await factsFrom([...range(10, (i) => failed(`198.18.0.${i + 1}`, 'root', i)), ...accepted('192.0.2.10', 'root', 100, 'publickey')]);
    expect(runRule(loginAfterFailures, spray, loginAfterFailures.thresholds)).toEqual([]);
  });

  it('does not add up failures across an earlier success from the same address', async () => {
    const facts = await factsFrom([
      ...range(6, (i) => failed('192.0.2.11', 'bob', i * 10)), ...accepted('192.0.2.11', 'bob', 100),
      ...range(6, (i) => failed('192.0.2.11', 'bob', 1000 + i * 10)), ...accepted('192.0.2.11', 'bob', 1100),
    ]);
    expect(runRule(loginAfterFailures, facts, loginAfterFailures.thresholds)).toEqual([]);
    expect(runRule(loginAfterFailures, facts, { failures: 6 })).toHaveLength(1);
  });
});

describe('auth.root-login', () => {
  it('one finding per address, naming the methods and keys', async () => {
    const facts = await factsFrom([
      ...cleanBaseline(),
      ...accepted('192.0.2.50', 'root', 2000, 'publickey'),
      ...accepted('192.0.2.50', 'root', 3000, 'publickey'),
      ...accepted('203.0.113.77', 'root', 3500, 'password'),
    ]);
    const found = runRule(rootLogin, facts, rootLogin.thresholds);
    expect(found.map((f) => [f.severity, f.title])).toEqual([
      ['high', 'root logged in over ssh from 192.0.2.50 (publickey 2)'],
      ['high', 'root logged in over ssh from 203.0.113.77 (password 1)'],
    ]);
    expect(found[0]).toMatchObject({ mitre: ['T1078', 'T1021.004'], subject: { ip: '192.0.2.50', user: 'root', logins: 2, keys: ['ED25519 SHA256:Q2hlY2sgdGhhdCB0aGlzIGlzIGEgZmluZ2VycHJpbnQ'] } });
    expect(found[0].detail).toContain('sshd accepted 2 login(s) of root from 192.0.2.50 between 2024-03-04T08:33:20.000Z and 2024-03-04T08:50:00.000Z');
    expect(found[0].detail).toContain('ssh-keygen -lf /root/.ssh/authorized_keys');
    expect(found[1].detail).toContain("root's password worked over ssh");
  });
});
