import { describe, expect, it } from 'vitest';
import { classifyMessage, type ClassifiedMessage } from '../../../src/collectors/auth/parse-sshd.js';

/** The full expected result: defaults for the fields not given. */
function c(fields: Partial<ClassifiedMessage>): ClassifiedMessage {
  return { kind: 'other', method: null, user: null, invalidUser: false, ip: null, port: null, key: null, ...fields };
}

type Case = [program: string, message: string, expected: ClassifiedMessage];

function check(cases: Case[]): void {
  for (const [program, message, expected] of cases) {
    expect(classifyMessage(program, message), `${program}: ${message}`).toEqual(expected);
  }
}

describe('classifyMessage: authentication results', () => {
  it('reads Failed/Accepted lines of every generation', () => {
    check([
      // pre-7.5 (loghub)
      ['sshd', 'Failed password for root from 112.95.230.3 port 45378 ssh2',
        c({ kind: 'failed', method: 'password', user: 'root', ip: '112.95.230.3', port: 45378 })],
      ['sshd', 'Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2',
        c({ kind: 'failed', method: 'password', user: 'webmaster', invalidUser: true, ip: '173.234.31.186', port: 38926 })],
      ['sshd', 'Failed none for invalid user 0 from 5.188.10.180 port 49811 ssh2',
        c({ kind: 'failed', method: 'none', user: '0', invalidUser: true, ip: '5.188.10.180', port: 49811 })],
      ['sshd', 'Accepted password for fztu from 119.137.62.142 port 49116 ssh2',
        c({ kind: 'accepted', method: 'password', user: 'fztu', ip: '119.137.62.142', port: 49116 })],
      ['sshd', 'Accepted publickey for git from 192.0.2.1 port 57904 ssh2: DSA 36:48:aa:bb',
        c({ kind: 'accepted', method: 'publickey', user: 'git', ip: '192.0.2.1', port: 57904, key: 'DSA 36:48:aa:bb' })],
      // 8.x
      ['sshd', 'Failed publickey for invalid user graysky from 127.0.0.1 port 37954 ssh2: RSA SHA256:v3dpapGleDaUKf+0NsYlu2Pe1k8',
        c({ kind: 'failed', method: 'publickey', user: 'graysky', invalidUser: true, ip: '127.0.0.1', port: 37954, key: 'RSA SHA256:v3dpapGleDaUKf+0NsYlu2Pe1k8' })],
      ['sshd', 'Accepted keyboard-interactive/pam for bob from 2001:db8::5 port 50000 ssh2',
        c({ kind: 'accepted', method: 'keyboard-interactive/pam', user: 'bob', ip: '2001:db8::5', port: 50000 })],
      ['sshd', 'Failed keyboard-interactive/pam for invalid user oracle from 198.51.100.9 port 4242 ssh2',
        c({ kind: 'failed', method: 'keyboard-interactive/pam', user: 'oracle', invalidUser: true, ip: '198.51.100.9', port: 4242 })],
      // 9.8+ sshd-session, 10 sshd-auth
      ['sshd-session', 'Failed password for root from 192.0.2.1 port 56502 ssh2',
        c({ kind: 'failed', method: 'password', user: 'root', ip: '192.0.2.1', port: 56502 })],
      ['sshd-session', 'Accepted publickey for root from 203.0.113.5 port 40022 ssh2: ED25519 SHA256:Zm9vYmFyYmF6',
        c({ kind: 'accepted', method: 'publickey', user: 'root', ip: '203.0.113.5', port: 40022, key: 'ED25519 SHA256:Zm9vYmFyYmF6' })],
      ['sshd-auth', 'Failed publickey for admin from 203.0.113.6 port 1 ssh2: ECDSA SHA256:AAAA',
        c({ kind: 'failed', method: 'publickey', user: 'admin', ip: '203.0.113.6', port: 1, key: 'ECDSA SHA256:AAAA' })],
      // RFC 5424 example: method "unknown"
      ['sshd', 'Failed unknown for invalid user redmond from 192.0.2.1 port 59197 ssh2',
        c({ kind: 'failed', method: 'unknown', user: 'redmond', invalidUser: true, ip: '192.0.2.1', port: 59197 })],
      ['sshd', 'Postponed keyboard-interactive for bob from 192.0.2.3 port 9 ssh2 [preauth]',
        c({ kind: 'other', method: 'keyboard-interactive', user: 'bob', ip: '192.0.2.3', port: 9 })],
    ]);
  });

  it('handles empty, spaced and hostile user names', () => {
    check([
      ['sshd', 'Failed password for invalid user  from 192.0.2.4 port 22 ssh2',
        c({ kind: 'failed', method: 'password', user: '', invalidUser: true, ip: '192.0.2.4', port: 22 })],
      ['sshd', 'Failed password for invalid user john smith from 192.0.2.5 port 23 ssh2',
        c({ kind: 'failed', method: 'password', user: 'john smith', invalidUser: true, ip: '192.0.2.5', port: 23 })],
      // A name that imitates the tail cannot move the address.
      ['sshd', 'Failed password for invalid user x from 6.6.6.6 port 22 ssh2 from 192.0.2.6 port 24 ssh2',
        c({ kind: 'failed', method: 'password', user: 'x from 6.6.6.6 port 22 ssh2', invalidUser: true, ip: '192.0.2.6', port: 24 })],
      // Even when the fake tail ends in ": " (where a key fingerprint would go).
      ['sshd', 'Failed password for invalid user a from 6.6.6.6 port 1 ssh2: b from 192.0.2.6 port 24 ssh2',
        c({ kind: 'failed', method: 'password', user: 'a from 6.6.6.6 port 1 ssh2: b', invalidUser: true, ip: '192.0.2.6', port: 24 })],
      ['sshd', 'Invalid user x from 6.6.6.6 from 192.0.2.6', c({ kind: 'invalid-user', user: 'x from 6.6.6.6', invalidUser: true, ip: '192.0.2.6' })],
      // A valid user literally named "invalid".
      ['sshd', 'Failed password for invalid from 192.0.2.7 port 25 ssh2',
        c({ kind: 'failed', method: 'password', user: 'invalid', ip: '192.0.2.7', port: 25 })],
      ['sshd', 'Invalid user  from 192.0.2.8 port 26', c({ kind: 'invalid-user', user: '', invalidUser: true, ip: '192.0.2.8', port: 26 })],
    ]);
  });

  it('keeps a host name (UseDNS yes) out of ip', () => {
    check([
      ['sshd', 'Failed password for root from host.example.net port 22 ssh2',
        c({ kind: 'failed', method: 'password', user: 'root', port: 22, rhost: 'host.example.net' })],
    ]);
  });
});

describe('classifyMessage: invalid users, limits, disconnects', () => {
  it('reads Invalid user with and without port', () => {
    check([
      ['sshd', 'Invalid user webmaster from 173.234.31.186', c({ kind: 'invalid-user', user: 'webmaster', invalidUser: true, ip: '173.234.31.186' })],
      ['sshd', 'Invalid user ftp from 192.0.2.2 port 37220', c({ kind: 'invalid-user', user: 'ftp', invalidUser: true, ip: '192.0.2.2', port: 37220 })],
      ['sshd-session', 'Invalid user ubnt admin from 192.0.2.3 port 1', c({ kind: 'invalid-user', user: 'ubnt admin', invalidUser: true, ip: '192.0.2.3', port: 1 })],
      ['sshd', 'input_userauth_request: invalid user webmaster [preauth]', c({ user: 'webmaster', invalidUser: true })],
    ]);
  });

  it('reads the max-attempts forms', () => {
    check([
      ['sshd', 'error: maximum authentication attempts exceeded for root from 61.0.0.1 port 49940 ssh2 [preauth]',
        c({ kind: 'max-attempts', user: 'root', ip: '61.0.0.1', port: 49940 })],
      ['sshd-session', 'error: maximum authentication attempts exceeded for invalid user admin from 192.0.2.9 port 5 ssh2 [preauth]',
        c({ kind: 'max-attempts', user: 'admin', invalidUser: true, ip: '192.0.2.9', port: 5 })],
      ['sshd', 'Disconnecting: Too many authentication failures for root [preauth]', c({ kind: 'max-attempts', user: 'root' })],
      ['sshd', 'Disconnecting: Too many authentication failures for invalid user guest [preauth]', c({ kind: 'max-attempts', user: 'guest', invalidUser: true })],
      ['sshd', 'Disconnecting authenticating user root 192.0.2.10 port 7: Too many authentication failures [preauth]',
        c({ kind: 'max-attempts', user: 'root', ip: '192.0.2.10', port: 7 })],
    ]);
  });

  it('reads connection ends before and after 7.5', () => {
    check([
      ['sshd', 'Connection closed by 173.234.31.186 [preauth]', c({ kind: 'preauth-disconnect', ip: '173.234.31.186' })],
      ['sshd', 'Connection closed by 192.0.2.10 port 46038 [preauth]', c({ kind: 'preauth-disconnect', ip: '192.0.2.10', port: 46038 })],
      ['sshd', 'Connection closed by authenticating user root 192.0.2.10 port 46038 [preauth]',
        c({ kind: 'preauth-disconnect', user: 'root', ip: '192.0.2.10', port: 46038 })],
      ['sshd-auth', 'Connection closed by invalid user  192.0.2.68 port 34916 [preauth]',
        c({ kind: 'preauth-disconnect', user: '', invalidUser: true, ip: '192.0.2.68', port: 34916 })],
      ['sshd-session', 'Connection closed by invalid user test user 192.0.2.69 port 1 [preauth]',
        c({ kind: 'preauth-disconnect', user: 'test user', invalidUser: true, ip: '192.0.2.69', port: 1 })],
      ['sshd', 'Connection closed by 192.0.2.11 port 5', c({ ip: '192.0.2.11', port: 5 })],
      ['sshd', 'Disconnected from authenticating user root 192.0.2.6 port 33553 [preauth]',
        c({ kind: 'preauth-disconnect', user: 'root', ip: '192.0.2.6', port: 33553 })],
      ['sshd', 'Disconnected from invalid user admin 192.0.2.7 port 1 [preauth]',
        c({ kind: 'preauth-disconnect', user: 'admin', invalidUser: true, ip: '192.0.2.7', port: 1 })],
      ['sshd', 'Disconnected from 192.0.2.8 port 2 [preauth]', c({ kind: 'preauth-disconnect', ip: '192.0.2.8', port: 2 })],
      ['sshd-session', 'Disconnected from user alice 192.0.2.9 port 3', c({ user: 'alice', ip: '192.0.2.9', port: 3 })],
      ['sshd', 'Received disconnect from 52.80.34.196: 11: Bye Bye [preauth]', c({ kind: 'preauth-disconnect', ip: '52.80.34.196' })],
      ['sshd', 'Received disconnect from 198.51.100.76 port 58846:11: Bye Bye [preauth]',
        c({ kind: 'preauth-disconnect', ip: '198.51.100.76', port: 58846 })],
      ['sshd', 'Received disconnect from 2001:db8::1: 11: Bye Bye [preauth]', c({ kind: 'preauth-disconnect', ip: '2001:db8::1' })],
      ['sshd', 'error: Received disconnect from 195.154.37.122: 3: com.jcraft.jsch.JSchException: Auth fail [preauth]',
        c({ kind: 'preauth-disconnect', ip: '195.154.37.122' })],
      ['sshd', 'Received disconnect from 119.137.62.142: 11: disconnected by user', c({ ip: '119.137.62.142' })],
      ['sshd', 'fatal: Timeout before authentication for 192.0.2.14 port 55555', c({ kind: 'auth-timeout', ip: '192.0.2.14', port: 55555 })],
      ['sshd', 'Unable to negotiate with 192.0.2.15 port 1234: no matching key exchange method found. [preauth]',
        c({ kind: 'kex-failed', ip: '192.0.2.15', port: 1234 })],
      ['sshd-session', 'fatal: Unable to negotiate with 192.0.2.15 port 1235: no matching host key type found. Their offer: ssh-dss [preauth]',
        c({ kind: 'kex-failed', ip: '192.0.2.15', port: 1235 })],
    ]);
  });

  it('reads the no-identification forms', () => {
    check([
      ['sshd', 'Did not receive identification string from 123.235.32.19', c({ kind: 'no-identification', ip: '123.235.32.19' })],
      ['sshd', 'error: kex_exchange_identification: Connection closed by remote host', c({ kind: 'no-identification' })],
      ['sshd-session', 'banner exchange: Connection from 192.0.2.12 port 44105: invalid format', c({ kind: 'no-identification', ip: '192.0.2.12', port: 44105 })],
    ]);
  });

  it('takes addresses from informational lines without making them events of a kind', () => {
    check([
      ['sshd', 'reverse mapping checking getaddrinfo for ns.example.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!', c({ ip: '173.234.31.186' })],
      ['sshd-session', 'Connection from 192.0.2.20 port 5000 on 10.0.0.1 port 22 rdomain ""', c({ ip: '192.0.2.20', port: 5000 })],
      ['sshd', 'drop connection #0 from [192.0.2.21]:5001 on [10.0.0.1]:22 penalty: failed authentication', c({ ip: '192.0.2.21', port: 5001 })],
      ['sshd', 'Server listening on 0.0.0.0 port 22.', c({})],
      ['sshd', 'PAM service(sshd) ignoring max retries; 6 > 3', c({})],
    ]);
  });
});

describe('classifyMessage: PAM', () => {
  it('reads pam_unix auth failures; rhost becomes ip only when it is an IP', () => {
    check([
      ['sshd', 'pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=5.36.59.76.dynamic-dsl-ip.omantel.net.om  user=root',
        c({ kind: 'pam-failure', user: 'root', rhost: '5.36.59.76.dynamic-dsl-ip.omantel.net.om', pamService: 'sshd' })],
      ['sshd', 'pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=173.234.31.186 ',
        c({ kind: 'pam-failure', ip: '173.234.31.186', pamService: 'sshd' })],
      ['sshd-session', 'pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=2001:db8::7  user=alice',
        c({ kind: 'pam-failure', user: 'alice', ip: '2001:db8::7', pamService: 'sshd' })],
      // old PAM: its own tag, no module prefix
      ['sshd(pam_unix)', 'authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 ',
        c({ kind: 'pam-failure', ip: '218.188.2.4', pamService: 'sshd' })],
      ['sshd', 'PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=106.5.5.195  user=root',
        c({ kind: 'pam-failure', user: 'root', ip: '106.5.5.195', pamCount: 5 })],
      ['sshd', 'PAM 1 more authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=106.5.5.196',
        c({ kind: 'pam-failure', ip: '106.5.5.196', pamCount: 1 })],
      ['sshd', 'pam_unix(sshd:auth): check pass; user unknown', c({ pamService: 'sshd' })],
    ]);
  });

  it('reads sessions, old and new PAM', () => {
    check([
      ['sshd', 'pam_unix(sshd:session): session opened for user fztu by (uid=0)', c({ kind: 'session-opened', user: 'fztu', pamService: 'sshd' })],
      ['sshd-session', 'pam_unix(sshd:session): session opened for user root(uid=0) by (uid=0)', c({ kind: 'session-opened', user: 'root', pamService: 'sshd' })],
      ['sshd', 'pam_unix(sshd:session): session closed for user fztu', c({ kind: 'session-closed', user: 'fztu', pamService: 'sshd' })],
      ['sshd(pam_unix)', 'session opened for user test by (uid=509)', c({ kind: 'session-opened', user: 'test', pamService: 'sshd' })],
      ['su(pam_unix)', 'session closed for user news', c({ kind: 'session-closed', user: 'news', pamService: 'su' })],
    ]);
  });
});

describe('classifyMessage: sudo and su', () => {
  it('reads sudo command lines and failures', () => {
    check([
      ['sudo', '  alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/bash',
        c({ kind: 'sudo', user: 'alice', targetUser: 'root', command: '/bin/bash' })],
      ['sudo', 'alice : 3 incorrect password attempts ; TTY=pts/1 ; PWD=/tmp ; USER=root ; COMMAND=/usr/bin/id -u',
        c({ kind: 'sudo', user: 'alice', targetUser: 'root', command: '/usr/bin/id -u', reason: '3 incorrect password attempts' })],
      ['sudo', 'mallory : user NOT in sudoers ; TTY=pts/2 ; PWD=/ ; USER=root ; COMMAND=/bin/sh -c echo a ; echo b',
        c({ kind: 'sudo', user: 'mallory', targetUser: 'root', command: '/bin/sh -c echo a ; echo b', reason: 'user NOT in sudoers' })],
      ['sudo', 'bob : TTY=unknown ; PWD=/srv ; USER=www-data ; GROUP=www-data ; ENV=A=1 ; COMMAND=/usr/bin/env',
        c({ kind: 'sudo', user: 'bob', targetUser: 'www-data', command: '/usr/bin/env' })],
      ['sudo', 'pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1000)',
        c({ kind: 'session-opened', user: 'root', byUser: 'alice', pamService: 'sudo' })],
      ['sudo', 'pam_unix(sudo:auth): authentication failure; logname=alice uid=1000 euid=0 tty=/dev/pts/0 ruser=alice rhost=  user=alice',
        c({ kind: 'pam-failure', user: 'alice', pamService: 'sudo' })],
      ['sudo', 'unable to resolve host box', c({})],
    ]);
  });

  it('reads su lines', () => {
    check([
      ['su', '(to root) alice on pts/0', c({ kind: 'su', user: 'alice', targetUser: 'root' })],
      ['su', 'pam_unix(su:session): session opened for user root(uid=0) by alice(uid=1000)',
        c({ kind: 'session-opened', user: 'root', byUser: 'alice', pamService: 'su' })],
      ['su', 'pam_unix(su-l:session): session closed for user root', c({ kind: 'session-closed', user: 'root', pamService: 'su-l' })],
      ['su', 'FAILED su for root by alice', c({ kind: 'su', user: 'alice', targetUser: 'root', reason: 'FAILED' })],
      ['su', 'Successful su for root by alice', c({ kind: 'su', user: 'alice', targetUser: 'root' })],
    ]);
  });
});

describe('classifyMessage: everything else', () => {
  it('is other, also for auth-looking text from other programs', () => {
    check([
      ['CRON', 'pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)', c({})],
      ['systemd-logind', 'New session 5 of user alice.', c({})],
      ['ftpd', 'Failed password for root from 192.0.2.1 port 1 ssh2', c({})],
      ['sshd', 'fatal: Write failed: Connection reset by peer [preauth]', c({})],
      ['sshd', '', c({})],
    ]);
  });
});
