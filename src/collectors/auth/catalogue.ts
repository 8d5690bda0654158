/**
 * The catalogue of sshd (OpenSSH 6.x to 10.x, INFO and VERBOSE) and Dropbear messages about an
 * authentication or what comes before one, as a typed table: the classifier (parse-sshd.ts) runs
 * these entries and nothing else, and test/collectors/auth/catalogue.test.ts runs every sample
 * line through the parser and through `ir-triage analyze --json` and checks its kind.
 *
 * Written from OpenSSH's own sources (auth.c auth_log / auth_root_allowed / allowed_user /
 * auth_maxtries_exceeded, auth2.c, auth-pam.c, monitor.c preambles, sshd.c / sshd-session.c
 * grace_alarm_handler and the banner exchange, kex.c, dispatch.c, packet.c
 * sshpkt_fmt_connection_id, srclimit.c) and Dropbear's (svr-auth.c, svr-authpasswd.c,
 * svr-authpubkey.c, svr-main.c, common-session.c). The sample lines are the project's own,
 * written in the format each version prints.
 *
 * Kinds (docs/analyze.md, "Message kinds"): an AuthEvent kind, or 'ignored' for a message that is
 * known and says nothing about an attempt (a listener starting, a session's byte counts, a line
 * that repeats what another line already counted).
 */
import { isIP } from 'node:net';
import type { AuthEvent } from '../../model/auth.js';

export type AuthKind = AuthEvent['kind'];
export type CatalogueKind = AuthKind | 'ignored';

/** Details beyond AuthEvent that some messages carry; absent when not applicable. */
export interface AuthDetail {
  /** The remote host as logged when it is not an IP address (UseDNS yes, or PAM `rhost=` holding a name). */
  rhost?: string;
  /** sudo `USER=`, su `(to root)`: the account switched to. */
  targetUser?: string;
  /** PAM session lines: the `by alice(uid=1000)` user. */
  byUser?: string;
  /** sudo: the command (`COMMAND=`). */
  command?: string;
  /** sudo/su: the failure text before the fields (`3 incorrect password attempts`, `user NOT in sudoers`, `FAILED`). */
  reason?: string;
  /** PAM lines: the service in `pam_unix(SERVICE:auth)` (sshd, sudo, su, …). */
  pamService?: string;
  /**
   * pam-failure from `PAM N more authentication failures` (the summary PAM writes when the
   * connection ends): N. Absent on a plain `authentication failure` line, which stands for one.
   */
  pamCount?: number;
}

/** What a message says, without time/host/source. Fields that do not apply are null. */
export interface ClassifiedMessage extends AuthDetail, Pick<AuthEvent, 'kind' | 'method' | 'user' | 'invalidUser' | 'ip' | 'port' | 'key'> {}

/** Which text an entry's pattern is matched against. */
export type CatalogueScope =
  /** sshd, sshd-session, sshd-auth: the message with a leading `error: ` / `fatal: ` removed. */
  | 'sshd'
  /** The body of a PAM line of any auth program, after `pam_unix(sshd:auth): ` (or the whole message of an old `sshd(pam_unix)` tag). */
  | 'pam'
  /** dropbear: the message. */
  | 'dropbear';

export interface CatalogueEntry {
  /** Stable name of the message. */
  id: string;
  kind: CatalogueKind;
  scope: CatalogueScope;
  /** The versions that write it: `OpenSSH 7.3–10.x`, `Dropbear 2013.58–2025.x`. */
  versions: string;
  /** Syslog level at which the program writes it (what LogLevel must be for it to appear). */
  level: 'INFO' | 'VERBOSE' | 'ERROR' | 'FATAL' | 'NOTICE' | 'WARNING';
  /** The source file that writes it. */
  source: string;
  /** Literal starts one of which the text must have for the pattern to be tried at all (the hot path). */
  starts: string[];
  pattern: RegExp;
  /** The fields a match gives. Entries of kind 'ignored' give kind 'other'. */
  build: (m: RegExpExecArray, text: string) => ClassifiedMessage;
  /** A whole log line as the program writes it (RFC 3164, host `box`). */
  sample: string;
}

export function blank(kind: AuthKind = 'other'): ClassifiedMessage {
  return { kind, method: null, user: null, invalidUser: false, ip: null, port: null, key: null };
}

/**
 * Sets ip when `addr` is an IP address, rhost otherwise. A scope id (`fe80::1%eth0`) is dropped so
 * that an address has one row; `[…]` brackets are removed; an IPv4-mapped IPv6 address
 * (`::ffff:192.0.2.1`, as Dropbear writes) becomes the IPv4 address.
 */
export function withAddress(c: ClassifiedMessage, addr: string | undefined): ClassifiedMessage {
  if (addr === undefined || addr === '') return c;
  let a = addr.startsWith('[') && addr.endsWith(']') ? addr.slice(1, -1) : addr;
  const pct = a.indexOf('%');
  if (pct > 0 && a.includes(':')) a = a.slice(0, pct);
  if (a.startsWith('::ffff:') && isIP(a.slice(7)) === 4) a = a.slice(7);
  if (isIP(a)) c.ip = a;
  else c.rhost = a;
  return c;
}

export function port(p: string | undefined): number | null {
  if (p === undefined) return null;
  const n = Number(p);
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : null;
}

const PREAUTH = / \[preauth\]$/;

/** `authenticating user` / `invalid user` preambles (7.5+) only exist before authentication. */
function preambleKind(preamble: string | undefined, preauth: boolean): AuthKind {
  return preauth || preamble === 'authenticating user' || preamble === 'invalid user' ? 'preauth-disconnect' : 'other';
}

function preambleUser(c: ClassifiedMessage, preamble: string | undefined, user: string | undefined): void {
  if (preamble === undefined) return;
  c.user = user ?? '';
  c.invalidUser = preamble === 'invalid user';
}

/** `logname= uid=0 euid=0 tty=ssh ruser= rhost=H  user=U` */
export function pamFailureFields(c: ClassifiedMessage, kv: string): ClassifiedMessage {
  const rhost = /(?:^|\s)rhost=(\S*)/.exec(kv)?.[1];
  const user = /(?:^|\s)user=(.*)$/.exec(kv)?.[1]?.trim();
  if (user) c.user = user;
  return withAddress(c, rhost);
}

/** `HOST:PORT` as Dropbear writes a peer (IPv6 without brackets: the port follows the last colon). */
function dropbearPeer(c: ClassifiedMessage, peer: string): ClassifiedMessage {
  const inner = peer.startsWith('<') && peer.endsWith('>') ? peer.slice(1, -1) : peer;
  const colon = inner.lastIndexOf(':');
  if (colon <= 0) return withAddress(c, inner);
  c.port = port(inner.slice(colon + 1));
  return withAddress(c, inner.slice(0, colon));
}

const USER_PREAMBLE = '(?:(authenticating user|invalid user|user) (.*) )';

/**
 * `Accepted|Failed|Postponed|Partial METHOD for [invalid user ]USER from ADDR port N ssh2[: EXTRA]`
 * (auth.c auth_log). A valid user is an account of the box, whose name cannot imitate the tail:
 * the FIRST ` from ADDR port N ssh2` is the address, and text after `ssh2: ` (a key, a
 * certificate's ID, which the client chooses) never supplies it. An invalid user's name is the
 * client's and may imitate the tail: the LAST one is the address, and what follows it must be a
 * key description (`TYPE FINGERPRINT …`) or nothing.
 */
const AUTH_RESULT_HEAD = /^(Accepted|Failed|Postponed|Partial) (\S+) for /;
const TAIL_VALID = /^(.*?) from (\S+) port (\d+)(?: ssh\d?)?(?:: (.*?))?(?: \[preauth\])?$/;
const TAIL_INVALID = /^(.*) from (\S+) port (\d+)(?: ssh\d?)?(?:: ([A-Za-z0-9@._-]+ [A-Za-z0-9]+:\S*.*?))?(?: \[preauth\])?$/;

function authResult(head: RegExpExecArray, text: string): ClassifiedMessage | null {
  let rest = text.slice(head[0].length);
  const invalid = rest.startsWith('invalid user ') || rest.startsWith('illegal user ');
  if (invalid) rest = rest.slice('invalid user '.length);
  const m = (invalid ? TAIL_INVALID : TAIL_VALID).exec(rest);
  if (!m) return null;
  const kind: AuthKind = head[1] === 'Accepted' ? 'accepted' : head[1] === 'Failed' ? 'failed' : 'other';
  const c = blank(kind);
  c.method = head[2];
  c.invalidUser = invalid;
  c.user = m[1];
  c.port = port(m[3]);
  c.key = m[4] !== undefined && m[4] !== '' ? m[4] : null;
  return withAddress(c, m[2]);
}

/** An entry whose match gives the address and port of groups `ipAt` and `ipAt + 1`. */
function addrPort(kind: AuthKind, ipAt = 1): (m: RegExpExecArray) => ClassifiedMessage {
  return (m) => {
    const c = blank(kind);
    c.port = port(m[ipAt + 1]);
    return withAddress(c, m[ipAt]);
  };
}

const known = (): ClassifiedMessage => blank();

/** The OpenSSH / PAM / Dropbear catalogue. Order matters only where two patterns share a start. */
export const CATALOGUE: readonly CatalogueEntry[] = [
  // ---- results of an authentication attempt (auth.c auth_log) ----
  {
    id: 'accepted', kind: 'accepted', scope: 'sshd', versions: 'OpenSSH 6.x–10.x', level: 'INFO', source: 'auth.c',
    starts: ['Accepted '], pattern: AUTH_RESULT_HEAD, build: (m, t) => authResult(m, t) ?? blank(),
    sample: 'Mar  3 10:00:01 box sshd[2001]: Accepted publickey for alice from 192.0.2.10 port 50100 ssh2: ED25519 SHA256:q5V0mYhL3oCkJ3sQ2a9eKc0mTqYl8b3m1p7k2JmR4xE',
  },
  {
    id: 'accepted-password', kind: 'accepted', scope: 'sshd', versions: 'OpenSSH 6.x–10.x', level: 'INFO', source: 'auth.c',
    starts: ['Accepted '], pattern: AUTH_RESULT_HEAD, build: (m, t) => authResult(m, t) ?? blank(),
    sample: 'Mar  3 10:00:02 box sshd-session[2002]: Accepted password for bob from 2001:db8::10 port 50101 ssh2',
  },
  {
    id: 'failed-password', kind: 'failed', scope: 'sshd', versions: 'OpenSSH 6.x–10.x', level: 'INFO', source: 'auth.c',
    starts: ['Failed '], pattern: AUTH_RESULT_HEAD, build: (m, t) => authResult(m, t) ?? blank(),
    sample: 'Mar  3 10:00:03 box sshd[2003]: Failed password for root from 198.51.100.20 port 40001 ssh2',
  },
  {
    id: 'failed-invalid-user', kind: 'failed', scope: 'sshd', versions: 'OpenSSH 6.x–10.x', level: 'INFO', source: 'auth.c',
    starts: ['Failed '], pattern: AUTH_RESULT_HEAD, build: (m, t) => authResult(m, t) ?? blank(),
    sample: 'Mar  3 10:00:04 box sshd[2004]: Failed password for invalid user oracle from 198.51.100.21 port 40002 ssh2',
  },
  {
    id: 'failed-none', kind: 'failed', scope: 'sshd', versions: 'OpenSSH 6.x–10.x', level: 'INFO', source: 'auth.c',
    starts: ['Failed '], pattern: AUTH_RESULT_HEAD, build: (m, t) => authResult(m, t) ?? blank(),
    sample: 'Mar  3 10:00:05 box sshd[2005]: Failed none for invalid user 0 from 198.51.100.22 port 40003 ssh2',
  },
  {
    id: 'failed-publickey', kind: 'failed', scope: 'sshd', versions: 'OpenSSH 6.8–10.x (SHA256 fingerprints; MD5 hex before)', level: 'VERBOSE', source: 'auth.c',
    starts: ['Failed '], pattern: AUTH_RESULT_HEAD, build: (m, t) => authResult(m, t) ?? blank(),
    sample: 'Mar  3 10:00:06 box sshd-auth[2006]: Failed publickey for carol from 198.51.100.23 port 40004 ssh2: RSA SHA256:Hk2t3wV7s5aQ9cE1rT0yU8iO4pL6kJ2hG3fD5sA7zX0',
  },
  {
    id: 'failed-keyboard-interactive', kind: 'failed', scope: 'sshd', versions: 'OpenSSH 6.x–10.x', level: 'INFO', source: 'auth.c',
    starts: ['Failed '], pattern: AUTH_RESULT_HEAD, build: (m, t) => authResult(m, t) ?? blank(),
    sample: 'Mar  3 10:00:07 box sshd[2007]: Failed keyboard-interactive/pam for invalid user ubnt from 198.51.100.24 port 40005 ssh2',
  },
  {
    id: 'postponed', kind: 'ignored', scope: 'sshd', versions: 'OpenSSH 6.x–10.x', level: 'VERBOSE', source: 'auth.c',
    starts: ['Postponed ', 'Partial '], pattern: AUTH_RESULT_HEAD, build: (m, t) => authResult(m, t) ?? blank(),
    sample: 'Mar  3 10:00:08 box sshd[2008]: Postponed keyboard-interactive for dave from 192.0.2.11 port 50102 ssh2 [preauth]',
  },
  {
    id: 'partial', kind: 'ignored', scope: 'sshd', versions: 'OpenSSH 6.2–10.x (AuthenticationMethods)', level: 'INFO', source: 'auth.c',
    starts: ['Partial '], pattern: AUTH_RESULT_HEAD, build: (m, t) => authResult(m, t) ?? blank(),
    sample: 'Mar  3 10:00:09 box sshd[2009]: Partial publickey for erin from 192.0.2.12 port 50103 ssh2: ED25519 SHA256:Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXg',
  },
  // ---- a credential accepted, then refused by PermitRootLogin (auth.c auth_root_allowed) ----
  {
    id: 'root-login-refused', kind: 'root-refused', scope: 'sshd', versions: 'OpenSSH 7.3–10.x (with port); 6.x–7.2 without', level: 'INFO', source: 'auth.c',
    starts: ['ROOT LOGIN REFUSED FROM '], pattern: /^ROOT LOGIN REFUSED FROM (\S+?)(?: port (\d+))?(?: \[preauth\])?$/,
    build: (m) => {
      const c = addrPort('root-refused')(m);
      c.user = 'root';
      return c;
    },
    sample: 'Mar  3 10:01:00 box sshd[2100]: ROOT LOGIN REFUSED FROM 203.0.113.50 port 41000',
  },
  {
    id: 'root-login-refused-old', kind: 'root-refused', scope: 'sshd', versions: 'OpenSSH 6.x–7.2', level: 'INFO', source: 'auth.c',
    starts: ['ROOT LOGIN REFUSED FROM '], pattern: /^ROOT LOGIN REFUSED FROM (\S+?)(?: port (\d+))?(?: \[preauth\])?$/,
    build: (m) => {
      const c = addrPort('root-refused')(m);
      c.user = 'root';
      return c;
    },
    sample: 'Mar  3 10:01:01 box sshd[2101]: ROOT LOGIN REFUSED FROM 203.0.113.51',
  },
  // ---- user names that are not accounts, or accounts sshd will not let in ----
  {
    id: 'invalid-user', kind: 'invalid-user', scope: 'sshd', versions: 'OpenSSH 7.3–10.x (with port); before without', level: 'INFO', source: 'auth.c',
    starts: ['Invalid user ', 'Illegal user '], pattern: /^(?:Invalid|Illegal) user (.*) from (\S+)(?: port (\d+))?$/,
    build: (m) => {
      const c = addrPort('invalid-user', 2)(m);
      c.user = m[1];
      c.invalidUser = true;
      return c;
    },
    sample: 'Mar  3 10:02:00 box sshd[2200]: Invalid user hadoop from 203.0.113.60 port 42000',
  },
  {
    id: 'invalid-user-old', kind: 'invalid-user', scope: 'sshd', versions: 'OpenSSH 6.x–7.2', level: 'INFO', source: 'auth.c',
    starts: ['Invalid user ', 'Illegal user '], pattern: /^(?:Invalid|Illegal) user (.*) from (\S+)(?: port (\d+))?$/,
    build: (m) => {
      const c = addrPort('invalid-user', 2)(m);
      c.user = m[1];
      c.invalidUser = true;
      return c;
    },
    sample: 'Mar  3 10:02:01 box sshd[2201]: Invalid user webmaster from 203.0.113.61',
  },
  {
    id: 'user-not-allowed', kind: 'invalid-user', scope: 'sshd', versions: 'OpenSSH 6.x–10.x', level: 'INFO', source: 'auth.c allowed_user',
    starts: ['User '], pattern: /^User (.*) from (\S+) not allowed because (.*)$/,
    build: (m) => {
      const c = withAddress(blank('invalid-user'), m[2]);
      c.user = m[1];
      c.invalidUser = true;
      return c;
    },
    sample: 'Mar  3 10:02:02 box sshd[2202]: User backup from 203.0.113.62 not allowed because not listed in AllowUsers',
  },
  {
    id: 'input-userauth-request', kind: 'ignored', scope: 'sshd', versions: 'OpenSSH 6.x–7.4 (repeats the Invalid user line)', level: 'INFO', source: 'auth2.c',
    starts: ['input_userauth_request: '], pattern: /^input_userauth_request: (?:invalid|illegal) user (.*?)(?: \[preauth\])?$/,
    build: (m) => {
      const c = blank();
      c.user = m[1];
      c.invalidUser = true;
      return c;
    },
    sample: 'Mar  3 10:02:03 box sshd[2201]: input_userauth_request: invalid user webmaster [preauth]',
  },
  // ---- MaxAuthTries ----
  {
    id: 'max-attempts-exceeded', kind: 'max-attempts', scope: 'sshd', versions: 'OpenSSH 7.4–10.x', level: 'ERROR', source: 'auth.c auth_maxtries_exceeded',
    starts: ['maximum authentication attempts exceeded for '],
    pattern: /^maximum authentication attempts exceeded for ((?:invalid|illegal) user )?(.*) from (\S+) port (\d+)(?: ssh\d?)?(?: \[preauth\])?$/,
    build: (m) => {
      const c = addrPort('max-attempts', 3)(m);
      c.invalidUser = m[1] !== undefined;
      c.user = m[2];
      return c;
    },
    sample: 'Mar  3 10:03:00 box sshd[2300]: error: maximum authentication attempts exceeded for root from 203.0.113.70 port 43000 ssh2 [preauth]',
  },
  {
    id: 'too-many-failures-old', kind: 'max-attempts', scope: 'sshd', versions: 'OpenSSH 6.x–7.4', level: 'INFO', source: 'auth.c / packet.c',
    starts: ['Disconnecting: Too many authentication failures'],
    pattern: /^Disconnecting: Too many authentication failures(?: for ((?:invalid|illegal) user )?(.*?))?(?: \[preauth\])?$/,
    build: (m) => {
      const c = blank('max-attempts');
      c.invalidUser = m[1] !== undefined;
      if (m[2] !== undefined) c.user = m[2];
      return c;
    },
    sample: 'Mar  3 10:03:01 box sshd[2301]: Disconnecting: Too many authentication failures for root [preauth]',
  },
  {
    id: 'disconnecting-preamble', kind: 'max-attempts', scope: 'sshd', versions: 'OpenSSH 7.5–10.x', level: 'INFO', source: 'packet.c sshpkt_fmt_connection_id',
    starts: ['Disconnecting '],
    pattern: new RegExp(`^Disconnecting ${USER_PREAMBLE}(\\S+) port (\\d+): (.*)$`),
    build: (m) => {
      const preauth = PREAUTH.test(m[5]);
      const kind: AuthKind = m[5].startsWith('Too many authentication failures') ? 'max-attempts' : preambleKind(m[1], preauth);
      const c = addrPort(kind, 3)(m);
      preambleUser(c, m[1], m[2]);
      return c;
    },
    sample: 'Mar  3 10:03:02 box sshd[2302]: Disconnecting invalid user admin 203.0.113.71 port 43001: Too many authentication failures [preauth]',
  },
  // ---- connections that end before authentication ----
  {
    id: 'connection-closed', kind: 'preauth-disconnect', scope: 'sshd', versions: 'OpenSSH 7.5–10.x', level: 'INFO', source: 'packet.c',
    starts: ['Connection closed by ', 'Connection reset by '],
    pattern: new RegExp(`^Connection (?:closed|reset) by ${USER_PREAMBLE}?(\\S+) port (\\d+)( \\[preauth\\])?$`),
    build: (m) => {
      const c = addrPort(preambleKind(m[1], m[5] !== undefined), 3)(m);
      preambleUser(c, m[1], m[2]);
      return c;
    },
    sample: 'Mar  3 10:04:00 box sshd[2400]: Connection closed by authenticating user root 203.0.113.80 port 44000 [preauth]',
  },
  {
    id: 'connection-reset', kind: 'preauth-disconnect', scope: 'sshd', versions: 'OpenSSH 7.5–10.x', level: 'INFO', source: 'packet.c',
    starts: ['Connection reset by '],
    pattern: new RegExp(`^Connection (?:closed|reset) by ${USER_PREAMBLE}?(\\S+) port (\\d+)( \\[preauth\\])?$`),
    build: (m) => {
      const c = addrPort(preambleKind(m[1], m[5] !== undefined), 3)(m);
      preambleUser(c, m[1], m[2]);
      return c;
    },
    sample: 'Mar  3 10:04:01 box sshd-session[2401]: Connection reset by 203.0.113.81 port 44001 [preauth]',
  },
  {
    id: 'connection-closed-old', kind: 'preauth-disconnect', scope: 'sshd', versions: 'OpenSSH 6.x–7.4', level: 'INFO', source: 'packet.c',
    starts: ['Connection closed by ', 'Connection reset by '], pattern: /^Connection (?:closed|reset) by (\S+)( \[preauth\])?$/,
    build: (m) => withAddress(blank(m[2] !== undefined ? 'preauth-disconnect' : 'other'), m[1]),
    sample: 'Mar  3 10:04:02 box sshd[2402]: Connection closed by 203.0.113.82 [preauth]',
  },
  {
    id: 'disconnected-from', kind: 'preauth-disconnect', scope: 'sshd', versions: 'OpenSSH 7.5–10.x', level: 'INFO', source: 'packet.c',
    starts: ['Disconnected from '],
    pattern: new RegExp(`^Disconnected from ${USER_PREAMBLE}?(\\S+) port (\\d+)( \\[preauth\\])?$`),
    build: (m) => {
      const c = addrPort(preambleKind(m[1], m[5] !== undefined), 3)(m);
      preambleUser(c, m[1], m[2]);
      return c;
    },
    sample: 'Mar  3 10:04:03 box sshd[2403]: Disconnected from invalid user test 203.0.113.83 port 44003 [preauth]',
  },
  {
    id: 'disconnected-from-user', kind: 'ignored', scope: 'sshd', versions: 'OpenSSH 7.5–10.x (a session ends)', level: 'INFO', source: 'packet.c',
    starts: ['Disconnected from '],
    pattern: new RegExp(`^Disconnected from ${USER_PREAMBLE}?(\\S+) port (\\d+)( \\[preauth\\])?$`),
    build: (m) => {
      const c = addrPort(preambleKind(m[1], m[5] !== undefined), 3)(m);
      preambleUser(c, m[1], m[2]);
      return c;
    },
    sample: 'Mar  3 10:04:04 box sshd-session[2001]: Disconnected from user alice 192.0.2.10 port 50100',
  },
  {
    id: 'received-disconnect', kind: 'preauth-disconnect', scope: 'sshd', versions: 'OpenSSH 7.3–10.x', level: 'INFO', source: 'packet.c',
    starts: ['Received disconnect from '], pattern: /^Received disconnect from (\S+) port (\d+): ?(\d+): (.*)$/,
    build: (m, t) => addrPort(PREAUTH.test(t) ? 'preauth-disconnect' : 'other')(m),
    sample: 'Mar  3 10:04:05 box sshd[2405]: Received disconnect from 203.0.113.85 port 44005:11: Bye Bye [preauth]',
  },
  {
    id: 'received-disconnect-old', kind: 'preauth-disconnect', scope: 'sshd', versions: 'OpenSSH 6.x–7.2', level: 'INFO', source: 'packet.c',
    starts: ['Received disconnect from '], pattern: /^Received disconnect from (\S+): (\d+): (.*)$/,
    build: (m, t) => withAddress(blank(PREAUTH.test(t) ? 'preauth-disconnect' : 'other'), m[1]),
    sample: 'Mar  3 10:04:06 box sshd[2406]: Received disconnect from 203.0.113.86: 11: Bye Bye [preauth]',
  },
  {
    id: 'read-error', kind: 'preauth-disconnect', scope: 'sshd', versions: 'OpenSSH 7.5–10.x', level: 'INFO', source: 'packet.c',
    starts: ['Read error from remote host '], pattern: /^Read error from remote host (\S+) port (\d+): .*?( \[preauth\])?$/,
    build: (m) => addrPort(m[3] !== undefined ? 'preauth-disconnect' : 'other')(m),
    sample: 'Mar  3 10:04:07 box sshd[2407]: Read error from remote host 203.0.113.87 port 44007: Connection reset by peer [preauth]',
  },
  {
    id: 'dispatch-run-fatal', kind: 'preauth-disconnect', scope: 'sshd', versions: 'OpenSSH 7.5–10.x', level: 'ERROR', source: 'dispatch.c',
    starts: ['ssh_dispatch_run_fatal: Connection from '],
    pattern: new RegExp(`^ssh_dispatch_run_fatal: Connection from ${USER_PREAMBLE}?(\\S+) port (\\d+): `),
    build: (m, t) => {
      const c = addrPort(preambleKind(m[1], PREAUTH.test(t)), 3)(m);
      preambleUser(c, m[1], m[2]);
      return c;
    },
    sample: 'Mar  3 10:04:08 box sshd[2408]: fatal: ssh_dispatch_run_fatal: Connection from 203.0.113.88 port 44008: message authentication code incorrect [preauth]',
  },
  // ---- probes: no identification, bad banners, key-exchange failures, timeouts ----
  {
    id: 'no-identification', kind: 'no-identification', scope: 'sshd', versions: 'OpenSSH 6.x–7.9', level: 'INFO', source: 'sshd.c',
    starts: ['Did not receive identification string from '], pattern: /^Did not receive identification string from (\S+)(?: port (\d+))?$/,
    build: addrPort('no-identification'),
    sample: 'Mar  3 10:05:00 box sshd[2500]: Did not receive identification string from 203.0.113.90 port 45000',
  },
  {
    id: 'bad-protocol-identification', kind: 'no-identification', scope: 'sshd', versions: 'OpenSSH 6.x–7.9', level: 'INFO', source: 'sshd.c',
    starts: ['Bad protocol version identification '], pattern: /^Bad protocol version identification .* from (\S+?)(?: port (\d+))?$/,
    build: addrPort('no-identification'),
    sample: "Mar  3 10:05:01 box sshd[2501]: Bad protocol version identification 'GET / HTTP/1.1' from 203.0.113.91 port 45001",
  },
  {
    id: 'banner-exchange', kind: 'no-identification', scope: 'sshd', versions: 'OpenSSH 8.0–10.x', level: 'INFO', source: 'sshd.c / kex.c',
    starts: ['banner exchange: Connection from '], pattern: /^banner exchange: Connection from (\S+) port (\d+): /,
    build: addrPort('no-identification'),
    sample: 'Mar  3 10:05:02 box sshd-session[2502]: banner exchange: Connection from 203.0.113.92 port 45002: invalid format',
  },
  {
    id: 'kex-exchange-identification', kind: 'no-identification', scope: 'sshd', versions: 'OpenSSH 8.0–10.x (VERBOSE from 9.5)', level: 'ERROR', source: 'kex.c',
    starts: ['kex_exchange_identification: '], pattern: /^kex_exchange_identification: /,
    build: () => blank('no-identification'),
    sample: 'Mar  3 10:05:03 box sshd[2503]: error: kex_exchange_identification: Connection closed by remote host',
  },
  {
    id: 'protocol-major-differ', kind: 'kex-failed', scope: 'sshd', versions: 'OpenSSH 6.x–7.9', level: 'INFO', source: 'sshd.c',
    starts: ['Protocol major versions differ for '], pattern: /^Protocol major versions differ for (\S+?)(?: port (\d+))?: /,
    build: addrPort('kex-failed'),
    sample: 'Mar  3 10:05:04 box sshd[2504]: Protocol major versions differ for 203.0.113.94 port 45004: SSH-2.0-OpenSSH_7.4 vs. SSH-1.5-Scanner',
  },
  {
    id: 'unable-to-negotiate', kind: 'kex-failed', scope: 'sshd', versions: 'OpenSSH 7.3–10.x (with `fatal:` in some)', level: 'ERROR', source: 'kex.c / dispatch.c',
    starts: ['Unable to negotiate with '], pattern: /^Unable to negotiate with (\S+) port (\d+): /,
    build: addrPort('kex-failed'),
    sample: 'Mar  3 10:05:05 box sshd[2505]: Unable to negotiate with 203.0.113.95 port 45005: no matching key exchange method found. Their offer: diffie-hellman-group1-sha1 [preauth]',
  },
  {
    id: 'unable-to-negotiate-fatal', kind: 'kex-failed', scope: 'sshd', versions: 'OpenSSH 7.3–10.x', level: 'FATAL', source: 'dispatch.c sshpkt_fatal',
    starts: ['Unable to negotiate with '], pattern: /^Unable to negotiate with (\S+) port (\d+): /,
    build: addrPort('kex-failed'),
    sample: 'Mar  3 10:05:06 box sshd-session[2506]: fatal: Unable to negotiate with 203.0.113.96 port 45006: no matching host key type found. Their offer: ssh-dss [preauth]',
  },
  {
    id: 'timeout-before-authentication', kind: 'auth-timeout', scope: 'sshd', versions: 'OpenSSH 6.x–10.x (port from 7.x)', level: 'FATAL', source: 'sshd.c / sshd-session.c grace_alarm_handler',
    starts: ['Timeout before authentication for '], pattern: /^Timeout before authentication for (\S+?)(?: port (\d+))?$/,
    build: addrPort('auth-timeout'),
    sample: 'Mar  3 10:05:07 box sshd[2507]: fatal: Timeout before authentication for 203.0.113.97 port 45007',
  },
  // ---- PAM (the body after `pam_unix(sshd:auth): `) ----
  {
    id: 'pam-authentication-failure', kind: 'pam-failure', scope: 'pam', versions: 'Linux-PAM (any)', level: 'NOTICE', source: 'pam_unix',
    starts: ['authentication failure;'], pattern: /^authentication failure;(.*)$/,
    build: (m) => pamFailureFields(blank('pam-failure'), m[1]),
    sample: 'Mar  3 10:06:00 box sshd[2600]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.100  user=root',
  },
  {
    id: 'pam-more-failures', kind: 'pam-failure', scope: 'pam', versions: 'Linux-PAM (any)', level: 'NOTICE', source: 'pam_unix',
    starts: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], pattern: /^(\d+) more authentication failures?;(.*)$/,
    build: (m) => {
      const c = pamFailureFields(blank('pam-failure'), m[2]);
      c.pamCount = Number(m[1]);
      return c;
    },
    sample: 'Mar  3 10:06:01 box sshd[2601]: pam_unix(sshd:auth): 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.101  user=root',
  },
  {
    id: 'pam-session-opened', kind: 'session-opened', scope: 'pam', versions: 'Linux-PAM (uid= from 1.5)', level: 'INFO', source: 'pam_unix',
    starts: ['session opened for user '], pattern: /^session opened for user (\S+?)(?:\(uid=\d+\))?(?: by (.*))?$/,
    build: (m) => {
      const c = blank('session-opened');
      c.user = m[1];
      const by = m[2] !== undefined ? /^(\S*?)(?:\(uid=\d+\))?$/.exec(m[2].trim())?.[1] : undefined;
      if (by) c.byUser = by;
      return c;
    },
    sample: 'Mar  3 10:00:01 box sshd[2001]: pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)',
  },
  {
    id: 'pam-session-closed', kind: 'session-closed', scope: 'pam', versions: 'Linux-PAM (any)', level: 'INFO', source: 'pam_unix',
    starts: ['session closed for user '], pattern: /^session closed for user (\S+?)(?:\(uid=\d+\))?$/,
    build: (m) => {
      const c = blank('session-closed');
      c.user = m[1];
      return c;
    },
    sample: 'Mar  3 10:04:04 box sshd[2001]: pam_unix(sshd:session): session closed for user alice',
  },
  {
    id: 'pam-check-pass', kind: 'ignored', scope: 'pam', versions: 'Linux-PAM (the Failed line counts it)', level: 'NOTICE', source: 'pam_unix',
    starts: ['check pass;'], pattern: /^check pass; user unknown$/, build: known,
    sample: 'Mar  3 10:06:02 box sshd[2602]: pam_unix(sshd:auth): check pass; user unknown',
  },
  {
    id: 'pam-authentication-success', kind: 'ignored', scope: 'pam', versions: 'pam_sss, pam_ldap (a stacked module let the user in)', level: 'NOTICE', source: 'pam_sss',
    starts: ['authentication success;'], pattern: /^authentication success;/, build: known,
    sample: 'Mar  3 10:06:03 box sshd[2603]: pam_sss(sshd:auth): authentication success; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.13 user=frank',
  },
  {
    id: 'pam-received-for-user', kind: 'ignored', scope: 'pam', versions: 'pam_sss (the module\'s own answer)', level: 'NOTICE', source: 'pam_sss',
    starts: ['received for user '], pattern: /^received for user (.*): (\d+) \((.*)\)$/, build: known,
    sample: 'Mar  3 10:06:04 box sshd[2604]: pam_sss(sshd:auth): received for user grace: 7 (Authentication failure)',
  },
  {
    id: 'pam-summary', kind: 'pam-failure', scope: 'sshd', versions: 'OpenSSH with UsePAM (auth-pam.c), any', level: 'NOTICE', source: 'Linux-PAM via auth-pam.c',
    starts: ['PAM '], pattern: /^PAM (\d+) more authentication failures?;(.*)$/,
    build: (m) => {
      const c = pamFailureFields(blank('pam-failure'), m[2]);
      c.pamCount = Number(m[1]);
      return c;
    },
    sample: 'Mar  3 10:06:05 box sshd[2605]: PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.105  user=root',
  },
  {
    id: 'pam-ignoring-max-retries', kind: 'ignored', scope: 'sshd', versions: 'OpenSSH with UsePAM, any', level: 'INFO', source: 'Linux-PAM via auth-pam.c',
    starts: ['PAM service('], pattern: /^PAM service\(\S+\) ignoring max retries; \d+ > \d+$/, build: known,
    sample: 'Mar  3 10:06:06 box sshd[2605]: PAM service(sshd) ignoring max retries; 6 > 3',
  },
  {
    id: 'pam-error-authentication-failure', kind: 'ignored', scope: 'sshd', versions: 'OpenSSH with UsePAM (the Failed keyboard-interactive line counts it)', level: 'ERROR', source: 'auth-pam.c',
    starts: ['PAM: '], pattern: /^PAM: (?:Authentication failure|User not known to the underlying authentication module|Permission denied) for (?:(?:illegal|invalid) user )?(.*) from (\S+)$/,
    build: (m) => {
      const c = withAddress(blank(), m[2]);
      c.user = m[1];
      return c;
    },
    sample: 'Mar  3 10:06:07 box sshd[2007]: error: PAM: Authentication failure for invalid user ubnt from 198.51.100.24',
  },
  // ---- known lines that say nothing about an attempt ----
  {
    id: 'connection-from', kind: 'ignored', scope: 'sshd', versions: 'OpenSSH 6.x–10.x', level: 'VERBOSE', source: 'sshd.c',
    starts: ['Connection from '], pattern: /^Connection from (\S+) port (\d+) on \S+ port \d+/,
    build: addrPort('other'),
    sample: 'Mar  3 10:07:00 box sshd[2700]: Connection from 203.0.113.110 port 47000 on 192.0.2.1 port 22 rdomain ""',
  },
  {
    id: 'drop-connection', kind: 'ignored', scope: 'sshd', versions: 'OpenSSH 9.8–10.x (PerSourcePenalties, MaxStartups)', level: 'VERBOSE', source: 'sshd.c / srclimit.c',
    starts: ['drop connection #'], pattern: /^drop connection #\d+ from \[([^\]]+)\]:(\d+) on /,
    build: addrPort('other'),
    sample: 'Mar  3 10:07:01 box sshd[900]: drop connection #0 from [203.0.113.111]:47001 on [192.0.2.1]:22 penalty: failed authentication',
  },
  {
    id: 'srclimit-penalise', kind: 'ignored', scope: 'sshd', versions: 'OpenSSH 9.8–10.x', level: 'VERBOSE', source: 'srclimit.c',
    starts: ['srclimit_penalise: '], pattern: /^srclimit_penalise: /, build: known,
    sample: 'Mar  3 10:07:02 box sshd[900]: srclimit_penalise: ipv4: new 203.0.113.111/32 deferred penalty of 30 seconds for penalty: failed authentication',
  },
  {
    id: 'maxstartups', kind: 'ignored', scope: 'sshd', versions: 'OpenSSH 9.x–10.x', level: 'INFO', source: 'sshd.c',
    starts: ['beginning MaxStartups throttling', 'exited MaxStartups throttling'], pattern: /^(?:beginning|exited) MaxStartups throttling/, build: known,
    sample: 'Mar  3 10:07:03 box sshd[900]: error: beginning MaxStartups throttling',
  },
  {
    id: 'reverse-mapping', kind: 'ignored', scope: 'sshd', versions: 'OpenSSH 6.x–10.x (UseDNS yes)', level: 'INFO', source: 'canohost.c',
    starts: ['reverse mapping checking getaddrinfo for '], pattern: /^reverse mapping checking getaddrinfo for \S+ \[([^\]]+)\] failed/,
    build: (m) => withAddress(blank(), m[1]),
    sample: 'Mar  3 10:07:04 box sshd[2704]: reverse mapping checking getaddrinfo for host.example [203.0.113.114] failed - POSSIBLE BREAK-IN ATTEMPT!',
  },
  {
    id: 'address-maps-to', kind: 'ignored', scope: 'sshd', versions: 'OpenSSH 6.x–10.x (UseDNS yes)', level: 'INFO', source: 'canohost.c',
    starts: ['Address '], pattern: /^Address (\S+) maps to \S+, but this does not map back to the address/,
    build: (m) => withAddress(blank(), m[1]),
    sample: 'Mar  3 10:07:05 box sshd[2705]: Address 203.0.113.115 maps to host.example, but this does not map back to the address - POSSIBLE BREAK-IN ATTEMPT!',
  },
  {
    id: 'server-listening', kind: 'ignored', scope: 'sshd', versions: 'OpenSSH 6.x–10.x', level: 'INFO', source: 'sshd.c',
    starts: ['Server listening on '], pattern: /^Server listening on /, build: known,
    sample: 'Mar  3 09:59:00 box sshd[900]: Server listening on 0.0.0.0 port 22.',
  },
  {
    id: 'received-signal', kind: 'ignored', scope: 'sshd', versions: 'OpenSSH 6.x–10.x', level: 'INFO', source: 'sshd.c',
    starts: ['Received signal ', 'Received SIGHUP'], pattern: /^Received (?:signal \d+; terminating\.|SIGHUP; restarting\.)$/, build: known,
    sample: 'Mar  3 23:59:00 box sshd[900]: Received signal 15; terminating.',
  },
  {
    id: 'starting-session', kind: 'ignored', scope: 'sshd', versions: 'OpenSSH 7.6–10.x', level: 'INFO', source: 'session.c',
    starts: ['Starting session: '], pattern: /^Starting session: .* from (\S+) port (\d+)/, build: addrPort('other'),
    sample: 'Mar  3 10:00:01 box sshd[2001]: Starting session: shell on pts/0 for alice from 192.0.2.10 port 50100 id 0',
  },
  {
    id: 'close-session', kind: 'ignored', scope: 'sshd', versions: 'OpenSSH 7.6–10.x', level: 'VERBOSE', source: 'session.c',
    starts: ['Close session: '], pattern: /^Close session: user \S+ from (\S+) port (\d+)/, build: addrPort('other'),
    sample: 'Mar  3 10:04:04 box sshd[2001]: Close session: user alice from 192.0.2.10 port 50100 id 0',
  },
  {
    id: 'user-child', kind: 'ignored', scope: 'sshd', versions: 'OpenSSH 6.x–10.x', level: 'VERBOSE', source: 'monitor.c',
    starts: ['User child is on pid '], pattern: /^User child is on pid \d+$/, build: known,
    sample: 'Mar  3 10:00:01 box sshd[2001]: User child is on pid 2010',
  },
  {
    id: 'transferred', kind: 'ignored', scope: 'sshd', versions: 'OpenSSH 6.x–10.x', level: 'VERBOSE', source: 'session.c',
    starts: ['Transferred: '], pattern: /^Transferred: sent \d+, received \d+ bytes$/, build: known,
    sample: 'Mar  3 10:04:04 box sshd[2001]: Transferred: sent 3120, received 2944 bytes',
  },
  {
    id: 'timeout-client', kind: 'ignored', scope: 'sshd', versions: 'OpenSSH 7.5–10.x', level: 'INFO', source: 'serverloop.c',
    starts: ['Timeout, client not responding'], pattern: /^Timeout, client not responding/, build: known,
    sample: 'Mar  3 10:08:00 box sshd[2001]: Timeout, client not responding from user alice 192.0.2.10 port 50100',
  },
  // ---- Dropbear (svr-auth*.c, svr-main.c, common-session.c) ----
  {
    id: 'dropbear-child-connection', kind: 'ignored', scope: 'dropbear', versions: 'Dropbear 0.5x–2025.x', level: 'INFO', source: 'svr-main.c',
    starts: ['Child connection from '], pattern: /^Child connection from (\S+)$/, build: (m) => dropbearPeer(blank(), m[1]),
    sample: 'Mar  3 10:09:00 box dropbear[3000]: Child connection from 203.0.113.120:48000',
  },
  {
    id: 'dropbear-bad-password', kind: 'failed', scope: 'dropbear', versions: 'Dropbear 0.5x–2025.x', level: 'WARNING', source: 'svr-authpasswd.c',
    starts: ['Bad password attempt for ', 'Bad PAM password attempt for '], pattern: /^Bad (?:PAM )?password attempt for '(.*)' from (\S+)$/,
    build: (m) => {
      const c = dropbearPeer(blank('failed'), m[2]);
      c.method = 'password';
      c.user = m[1];
      return c;
    },
    sample: "Mar  3 10:09:01 box dropbear[3000]: Bad password attempt for 'root' from 203.0.113.120:48000",
  },
  {
    id: 'dropbear-nonexistent-user', kind: 'invalid-user', scope: 'dropbear', versions: 'Dropbear 2013.x–2025.x (older name the user)', level: 'WARNING', source: 'svr-auth.c',
    starts: ['Login attempt for nonexistent user'], pattern: /^Login attempt for nonexistent user(?: '(.*)')? from (\S+)$/,
    build: (m) => {
      const c = dropbearPeer(blank('invalid-user'), m[2]);
      c.invalidUser = true;
      if (m[1] !== undefined) c.user = m[1];
      return c;
    },
    sample: 'Mar  3 10:09:02 box dropbear[3001]: Login attempt for nonexistent user from 203.0.113.121:48001',
  },
  {
    id: 'dropbear-password-succeeded', kind: 'accepted', scope: 'dropbear', versions: 'Dropbear 0.5x–2025.x', level: 'NOTICE', source: 'svr-authpasswd.c',
    starts: ['Password auth succeeded for ', 'PAM password auth succeeded for '], pattern: /^(?:PAM )?[Pp]assword auth succeeded for '(.*)' from (\S+)$/,
    build: (m) => {
      const c = dropbearPeer(blank('accepted'), m[2]);
      c.method = 'password';
      c.user = m[1];
      return c;
    },
    sample: "Mar  3 10:09:03 box dropbear[3002]: Password auth succeeded for 'admin' from 192.0.2.14:50104",
  },
  {
    id: 'dropbear-pubkey-succeeded', kind: 'accepted', scope: 'dropbear', versions: 'Dropbear 0.5x–2025.x (key text varies)', level: 'NOTICE', source: 'svr-authpubkey.c',
    starts: ['Pubkey auth succeeded for '], pattern: /^Pubkey auth succeeded for '(.*)' with (.*) from (\S+)$/,
    build: (m) => {
      const c = dropbearPeer(blank('accepted'), m[3]);
      c.method = 'publickey';
      c.user = m[1];
      c.key = m[2];
      return c;
    },
    sample: "Mar  3 10:09:04 box dropbear[3003]: Pubkey auth succeeded for 'root' with ssh-ed25519 key SHA256:Zm9vYmFyYmF6cXV4 from 192.0.2.15:50105",
  },
  {
    id: 'dropbear-max-tries', kind: 'max-attempts', scope: 'dropbear', versions: 'Dropbear 2013.x–2025.x', level: 'INFO', source: 'common-session.c',
    starts: ['Exit before auth from '], pattern: /^Exit before auth from (<[^>]*>):(?: \(user '(.*)', \d+ fails\):)? Max auth tries reached/,
    build: (m) => {
      const c = dropbearPeer(blank('max-attempts'), m[1]);
      if (m[2] !== undefined) c.user = m[2];
      return c;
    },
    sample: "Mar  3 10:09:05 box dropbear[3000]: Exit before auth from <203.0.113.120:48000>: (user 'root', 10 fails): Max auth tries reached - user 'root'",
  },
  {
    id: 'dropbear-timeout', kind: 'auth-timeout', scope: 'dropbear', versions: 'Dropbear 2013.x–2025.x', level: 'INFO', source: 'common-session.c',
    starts: ['Exit before auth from '], pattern: /^Exit before auth from (<[^>]*>):(?: \(user '(.*)', \d+ fails\):)? Timeout before auth/,
    build: (m) => dropbearPeer(blank('auth-timeout'), m[1]),
    sample: 'Mar  3 10:09:06 box dropbear[3004]: Exit before auth from <203.0.113.124:48004>: Timeout before auth',
  },
  {
    id: 'dropbear-no-matching-algo', kind: 'kex-failed', scope: 'dropbear', versions: 'Dropbear 2013.x–2025.x', level: 'INFO', source: 'common-session.c',
    starts: ['Exit before auth from '], pattern: /^Exit before auth from (<[^>]*>):(?: \(user '(.*)', \d+ fails\):)? No matching algo/,
    build: (m) => dropbearPeer(blank('kex-failed'), m[1]),
    sample: 'Mar  3 10:09:07 box dropbear[3005]: Exit before auth from <203.0.113.125:48005>: No matching algo kex',
  },
  {
    id: 'dropbear-exit-before-auth', kind: 'preauth-disconnect', scope: 'dropbear', versions: 'Dropbear 2013.x–2025.x', level: 'INFO', source: 'common-session.c',
    starts: ['Exit before auth from '], pattern: /^Exit before auth from (<[^>]*>):(?: \(user '(.*)', \d+ fails\):)? /,
    build: (m) => {
      const c = dropbearPeer(blank('preauth-disconnect'), m[1]);
      if (m[2] !== undefined) c.user = m[2];
      return c;
    },
    sample: 'Mar  3 10:09:08 box dropbear[3006]: Exit before auth from <203.0.113.126:48006>: Exited normally',
  },
  {
    id: 'dropbear-exit', kind: 'ignored', scope: 'dropbear', versions: 'Dropbear 0.5x–2025.x (a session ends)', level: 'INFO', source: 'common-session.c',
    starts: ['Exit ('], pattern: /^Exit \((.*)\) from (<[^>]*>): /, build: (m) => dropbearPeer(blank(), m[2]),
    sample: 'Mar  3 10:09:09 box dropbear[3002]: Exit (admin) from <192.0.2.14:50104>: Disconnect received',
  },
  {
    id: 'dropbear-root-rejected', kind: 'failed', scope: 'dropbear', versions: 'Dropbear 0.5x–2025.x (-w)', level: 'WARNING', source: 'svr-auth.c',
    starts: ['root login rejected'], pattern: /^root login rejected$/,
    build: () => {
      const c = blank('failed');
      c.method = 'none';
      c.user = 'root';
      return c;
    },
    sample: 'Mar  3 10:09:10 box dropbear[3000]: root login rejected',
  },
  {
    id: 'dropbear-user-rejected', kind: 'failed', scope: 'dropbear', versions: 'Dropbear 0.5x–2025.x', level: 'WARNING', source: 'svr-auth.c',
    starts: ['User account ', "User '"], pattern: /^User (?:account )?'(.*)' (?:is locked|has invalid shell, rejected|has blank password, rejected)$/,
    build: (m) => {
      const c = blank('failed');
      c.method = 'none';
      c.user = m[1];
      return c;
    },
    sample: "Mar  3 10:09:11 box dropbear[3007]: User account 'nobody' is locked",
  },
  {
    id: 'dropbear-early-exit', kind: 'ignored', scope: 'dropbear', versions: 'Dropbear 0.5x–2025.x', level: 'INFO', source: 'svr-main.c',
    starts: ['Early exit: ', 'Running in background', 'Not backgrounding', 'Failed listening on '], pattern: /^(?:Early exit: |Running in background|Not backgrounding|Failed listening on )/, build: known,
    sample: 'Mar  3 09:59:01 box dropbear[899]: Running in background',
  },
];

/** Entries per scope, indexed by the first character of their starts (the hot path tries only a few). */
export interface CatalogueIndex {
  get(scope: CatalogueScope, text: string): readonly CatalogueEntry[];
}

function buildIndex(): CatalogueIndex {
  const byScope = new Map<CatalogueScope, Map<string, CatalogueEntry[]>>();
  const seen = new Map<CatalogueScope, Set<string>>();
  for (const e of CATALOGUE) {
    let idx = byScope.get(e.scope);
    if (!idx) byScope.set(e.scope, (idx = new Map()));
    let patterns = seen.get(e.scope);
    if (!patterns) seen.set(e.scope, (patterns = new Set()));
    // Entries sharing starts and pattern (two samples of one message) are tried once.
    const sig = `${e.starts.join('\u0000')}\u0001${e.pattern.source}`;
    if (patterns.has(sig)) continue;
    patterns.add(sig);
    for (const ch of new Set(e.starts.map((s) => s[0]))) {
      let list = idx.get(ch);
      if (!list) idx.set(ch, (list = []));
      list.push(e);
    }
  }
  const none: CatalogueEntry[] = [];
  return { get: (scope, text) => byScope.get(scope)?.get(text[0]) ?? none };
}

export const CATALOGUE_INDEX: CatalogueIndex = buildIndex();

/** The entry of `text` in `scope` and what it says; null when no entry matches (not understood). */
export function matchCatalogue(scope: CatalogueScope, text: string): { entry: CatalogueEntry; cls: ClassifiedMessage } | null {
  for (const e of CATALOGUE_INDEX.get(scope, text)) {
    let starts = false;
    for (const s of e.starts) {
      if (text.startsWith(s)) {
        starts = true;
        break;
      }
    }
    if (!starts) continue;
    const m = e.pattern.exec(text);
    if (!m) continue;
    return { entry: e, cls: e.build(m, text) };
  }
  return null;
}
