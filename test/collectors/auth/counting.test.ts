import { runRule } from '../../../src/rules/types.js';
/**
 * Attempts counted as a responder counts them: stacked PAM and keys offered before the accepted
 * one are not failures, `PAM N more authentication failures` adds what no Failed line covered,
 * text after `ssh2:` never supplies the address, zone ids do not make a second row. Lines written
 * from the catalogue (catalogue.ts), not copied from any log.
 */
import { describe, expect, it } from 'vitest';
import { bruteforce } from '../../../src/rules/auth/bruteforce.js';
import { loginAfterFailures } from '../../../src/rules/auth/login-after-failures.js';
import { factsFrom } from '../../rules/auth/helpers.js';

const row = (facts: Awaited<ReturnType<typeof factsFrom>>, address: string) => facts.authTally!.find((r) => r.address === address);

/** An SSSD login: pam_unix fails, pam_sss lets the user in, sshd accepts the password. */
function sssdLogin(i: number): string[] {
  const p = 5000 + i;
  const t = `Mar  5 09:${String(i).padStart(2, '0')}:00`;
  return [
    `${t} web1 sshd[${p}]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.30  user=jdoe`,
    `${t} web1 sshd[${p}]: pam_sss(sshd:auth): authentication success; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.30 user=jdoe`,
    `${t} web1 sshd[${p}]: Accepted password for jdoe from 192.0.2.30 port ${50000 + i} ssh2`,
    `${t} web1 sshd[${p}]: pam_unix(sshd:session): session opened for user jdoe(uid=10001) by (uid=0)`,
  ];
}

/** LogLevel VERBOSE, three keys in the agent: two are refused, the third is accepted. */
function agentLogin(i: number): string[] {
  const p = 6000 + i;
  const t = `Mar  5 10:${String(i).padStart(2, '0')}:00`;
  return [
    `${t} web1 sshd[${p}]: Connection from 192.0.2.31 port ${51000 + i} on 192.0.2.1 port 22 rdomain ""`,
    `${t} web1 sshd[${p}]: Failed publickey for ops from 192.0.2.31 port ${51000 + i} ssh2: RSA SHA256:b3BzLWxhcHRvcC1yc2Eta2V5LW9uZQ`,
    `${t} web1 sshd[${p}]: Failed publickey for ops from 192.0.2.31 port ${51000 + i} ssh2: ECDSA SHA256:b3BzLWxhcHRvcC1lY2RzYS1rZXk`,
    `${t} web1 sshd[${p}]: Accepted publickey for ops from 192.0.2.31 port ${51000 + i} ssh2: ED25519 SHA256:b3BzLWVkMjU1MTktd29yay1rZXk`,
    `${t} web1 sshd[${p}]: pam_unix(sshd:session): session opened for user ops(uid=1002) by (uid=0)`,
  ];
}

describe('attempts counted right', () => {
  it("one root refusal logged twice (the monitor's line, then the pre-auth child's [preauth] twin) counts once", async () => {
    // As a real OpenSSH 9.2 with PermitRootLogin no logs a login with root's key (the live sshd test).
    const facts = await factsFrom([
      'Mar  5 10:00:00 web1 sshd[10815]: ROOT LOGIN REFUSED FROM 127.0.0.4 port 49627',
      'Mar  5 10:00:00 web1 sshd[10815]: ROOT LOGIN REFUSED FROM 127.0.0.4 port 49627 [preauth]',
      'Mar  5 10:00:00 web1 sshd[10815]: Connection closed by authenticating user root 127.0.0.4 port 49627 [preauth]',
      // Two attempts on one connection (two keys root trusts): two refusals.
      'Mar  5 10:01:00 web1 sshd[10816]: ROOT LOGIN REFUSED FROM 127.0.0.4 port 49700',
      'Mar  5 10:01:00 web1 sshd[10816]: ROOT LOGIN REFUSED FROM 127.0.0.4 port 49700 [preauth]',
      'Mar  5 10:01:01 web1 sshd[10816]: ROOT LOGIN REFUSED FROM 127.0.0.4 port 49700',
      'Mar  5 10:01:01 web1 sshd[10816]: ROOT LOGIN REFUSED FROM 127.0.0.4 port 49700 [preauth]',
      // An older sshd without privilege separation logs it once, with no twin.
      'Mar  5 10:02:00 web1 sshd[10817]: ROOT LOGIN REFUSED FROM 127.0.0.4',
    ]);
    expect(row(facts, '127.0.0.4')).toMatchObject({ rootRefused: 4, failures: 0, firstRootRefused: '2024-03-05T10:00:00.000Z', lastRootRefused: '2024-03-05T10:02:00.000Z' });
  });

  it('stacked PAM: twelve SSSD logins are no failure and raise nothing', async () => {
    const facts = await factsFrom(Array.from({ length: 12 }, (_, i) => sssdLogin(i)).flat());
    expect(row(facts, '192.0.2.30')).toMatchObject({ failures: 0, acceptedCount: 12 });
    expect(runRule(bruteforce, facts, { failures: 10 })).toEqual([]);
    expect(runRule(loginAfterFailures, facts, { failures: 10 })).toEqual([]);
  });

  it('keys offered before the accepted one are counted apart, not as failures; six logins raise nothing', async () => {
    const facts = await factsFrom(Array.from({ length: 6 }, (_, i) => agentLogin(i)).flat());
    expect(row(facts, '192.0.2.31')).toMatchObject({ failures: 0, keysBeforeLogin: 12, acceptedCount: 6 });
    expect(runRule(bruteforce, facts, { failures: 10 })).toEqual([]);
    expect(runRule(loginAfterFailures, facts, { failures: 10 })).toEqual([]);
  });

  it('a refused key of a connection that never logs in is a failure', async () => {
    const facts = await factsFrom([
      'Mar  5 11:00:00 web1 sshd[7001]: Failed publickey for root from 203.0.113.40 port 40000 ssh2: RSA SHA256:YXR0YWNrZXIta2V5LW9uZQ',
      'Mar  5 11:00:01 web1 sshd[7001]: Failed publickey for root from 203.0.113.40 port 40000 ssh2: RSA SHA256:YXR0YWNrZXIta2V5LXR3bw',
      'Mar  5 11:00:02 web1 sshd[7001]: Connection closed by authenticating user root 203.0.113.40 port 40000 [preauth]',
      'Mar  5 11:00:03 web1 sshd[7002]: Failed publickey for root from 203.0.113.40 port 40001 ssh2: RSA SHA256:YXR0YWNrZXIta2V5LXRocmVl',
    ]);
    expect(row(facts, '203.0.113.40')).toMatchObject({ failures: 3, keysBeforeLogin: 0, failuresByMethod: { publickey: 3 } });
  });

  it('PAM N more authentication failures after one Failed line counts N + 1 in all', async () => {
    const facts = await factsFrom([
      'Mar  5 12:00:00 web1 sshd[7100]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.41  user=root',
      'Mar  5 12:00:02 web1 sshd[7100]: Failed password for root from 203.0.113.41 port 41000 ssh2',
      'Mar  5 12:00:09 web1 sshd[7100]: Connection closed by authenticating user root 203.0.113.41 port 41000 [preauth]',
      'Mar  5 12:00:09 web1 sshd[7100]: PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.41  user=root',
    ]);
    expect(row(facts, '203.0.113.41')).toMatchObject({ failures: 3, failuresByMethod: { password: 1, pam: 2 } });
  });

  it('PAM N more after N + 1 Failed lines (rsyslog repeats expanded) adds nothing', async () => {
    const facts = await factsFrom([
      'Mar  5 12:10:00 web1 sshd[7200]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.42  user=root',
      'Mar  5 12:10:02 web1 sshd[7200]: Failed password for root from 203.0.113.42 port 42000 ssh2',
      'Mar  5 12:10:20 web1 sshd[7200]: message repeated 5 times: [ Failed password for root from 203.0.113.42 port 42000 ssh2]',
      'Mar  5 12:10:20 web1 sshd[7200]: Disconnecting: Too many authentication failures for root [preauth]',
      'Mar  5 12:10:20 web1 sshd[7200]: PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.42  user=root',
    ]);
    expect(row(facts, '203.0.113.42')).toMatchObject({ failures: 6, failuresByMethod: { password: 6 }, maxAttempts: 1 });
  });

  it('text after ssh2: never supplies the address', async () => {
    const facts = await factsFrom([
      'Mar  5 13:00:00 web1 sshd[7300]: Failed password for root from 127.0.0.1 port 58946 ssh2: from 10.10.1.2 port 55555 ssh2',
      'Mar  5 13:00:01 web1 sshd[7301]: Failed publickey for root from 127.0.0.1 port 58947 ssh2: RSA-CERT SHA256:Y2VydA ID x from 10.10.1.3 port 1 ssh2 (serial 1) CA RSA SHA256:Y2E',
    ]);
    expect(facts.authTally!.map((r) => [r.address, r.failures])).toEqual([['127.0.0.1', 2]]);
  });

  it('an IPv6 zone id does not make a second row', async () => {
    const facts = await factsFrom([
      'Mar  5 14:00:00 web1 sshd[7400]: Failed password for root from fe80::1%eth0 port 40000 ssh2',
      'Mar  5 14:00:01 web1 sshd[7401]: Failed password for root from fe80::1 port 40001 ssh2',
      'Mar  5 14:00:02 web1 sshd[7402]: Invalid user admin from fe80::1%eth0 port 40002',
    ]);
    expect(facts.authTally!.map((r) => [r.address, r.failures, r.invalidUsers])).toEqual([['fe80::1', 2, 1]]);
  });

  it('fatal: Unable to negotiate is a key-exchange failure of its address', async () => {
    const facts = await factsFrom([
      'Mar  5 15:00:00 web1 sshd-session[7500]: fatal: Unable to negotiate with 203.0.113.43 port 43000: no matching host key type found. Their offer: ssh-dss [preauth]',
      'Mar  5 15:00:01 web1 sshd[7501]: Unable to negotiate with 203.0.113.43 port 43001: no matching key exchange method found. Their offer: diffie-hellman-group1-sha1 [preauth]',
    ]);
    expect(row(facts, '203.0.113.43')).toMatchObject({ failures: 0, kexFailures: 2 });
  });
});
