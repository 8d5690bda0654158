/**
 * Classifies one sshd / PAM / sudo / su log message into AuthEvent fields. Pure.
 *
 * Version tolerance (see research/detection.md §6): pre-7.3 `Invalid user X from IP` (no port),
 * 7.5+ `authenticating user X` / `invalid user X` preambles, 8.0+ `kex_exchange_identification`,
 * 9.8+ `sshd-session`, 10.0+ `sshd-auth`, old `sshd(pam_unix)` tags whose messages carry no
 * `pam_unix(sshd:auth):` prefix.
 *
 * User names are taken greedily up to the LAST ` from IP port N`: sshd logs the name the client
 * sent (spaces included, only control characters escaped), so a name such as
 * `x from 6.6.6.6 port 22 ssh2` cannot move the address.
 */
import { isIP } from 'node:net';
import type { AuthEvent } from '../../model/records.js';

export type AuthKind = AuthEvent['kind'];

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
export interface ClassifiedMessage extends AuthDetail {
  kind: AuthKind;
  method: string | null;
  user: string | null;
  invalidUser: boolean;
  ip: string | null;
  port: number | null;
  key: string | null;
}

/** The programs whose messages are classified; other programs' lines are 'other'. */
export const SSHD_PROGRAMS: ReadonlySet<string> = new Set(['sshd', 'sshd-session', 'sshd-auth']);

function base(program: string | null): string {
  if (!program) return '';
  return program.endsWith(')') ? program.replace(/\([^)]*\)$/, '') : program;
}

function blank(kind: AuthKind = 'other'): ClassifiedMessage {
  return { kind, method: null, user: null, invalidUser: false, ip: null, port: null, key: null };
}

/** Sets ip when `addr` is an IP address, rhost otherwise. */
function withAddress(c: ClassifiedMessage, addr: string | undefined): ClassifiedMessage {
  if (addr === undefined || addr === '') return c;
  // "[1.2.3.4]" appears in a few messages; sshd writes IPv6 bare.
  const a = addr.startsWith('[') && addr.endsWith(']') ? addr.slice(1, -1) : addr;
  if (isIP(a)) c.ip = a;
  else c.rhost = a;
  return c;
}

function port(p: string | undefined): number | null {
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
function pamFailureFields(c: ClassifiedMessage, kv: string): ClassifiedMessage {
  const rhost = /(?:^|\s)rhost=(\S*)/.exec(kv)?.[1];
  const user = /(?:^|\s)user=(.*)$/.exec(kv)?.[1]?.trim();
  if (user) c.user = user;
  return withAddress(c, rhost);
}

/** The body of a PAM message (after `pam_unix(svc:type): `, or the whole message of `sshd(pam_unix)`). */
function classifyPam(body: string, service: string | undefined): ClassifiedMessage {
  let m: RegExpExecArray | null;
  let c: ClassifiedMessage;
  if ((m = /^authentication failure;(.*)$/.exec(body))) {
    c = pamFailureFields(blank('pam-failure'), m[1]);
  } else if ((m = /^(\d+) more authentication failures?;(.*)$/.exec(body))) {
    c = pamFailureFields(blank('pam-failure'), m[2]);
    c.pamCount = Number(m[1]);
  } else if ((m = /^session opened for user (\S+?)(?:\(uid=\d+\))?(?: by (.*))?$/.exec(body))) {
    c = blank('session-opened');
    c.user = m[1];
    const by = m[2] !== undefined ? /^(\S*?)(?:\(uid=\d+\))?$/.exec(m[2].trim())?.[1] : undefined;
    if (by) c.byUser = by;
  } else if ((m = /^session closed for user (\S+?)(?:\(uid=\d+\))?$/.exec(body))) {
    c = blank('session-closed');
    c.user = m[1];
  } else {
    c = blank();
  }
  if (service !== undefined) c.pamService = service;
  return c;
}

/**
 * Literal starts one of which the message (after an `error: ` or `fatal: ` level) must have for
 * the regex to be tried at all, the regex, and what a match means. The starts only skip regexes
 * that cannot match: the hot path of a gigabyte log.
 */
type Rule = [string[], RegExp, (m: RegExpExecArray, msg: string) => ClassifiedMessage];

const USER_PREAMBLE = '(?:(authenticating user|invalid user|user) (.*) )';

const SSHD_RULES: Rule[] = [
  [
    ['Accepted ', 'Failed ', 'Postponed ', 'Partial '],
    /^(?:error: )?(Accepted|Failed|Postponed|Partial) (\S+) for ((?:invalid|illegal) user )?(.*) from (\S+) port (\d+)(?: ssh\d?)?(?:: (.*?))?(?: \[preauth\])?$/,
    (m) => {
      const kind: AuthKind = m[1] === 'Accepted' ? 'accepted' : m[1] === 'Failed' ? 'failed' : 'other';
      const c = blank(kind);
      c.method = m[2];
      c.invalidUser = m[3] !== undefined;
      c.user = m[4];
      c.port = port(m[6]);
      c.key = m[7] !== undefined && m[7] !== '' ? m[7] : null;
      return withAddress(c, m[5]);
    },
  ],
  [
    ['Invalid user ', 'Illegal user '],
    /^(?:Invalid|Illegal) user (.*) from (\S+)(?: port (\d+))?$/,
    (m) => {
      const c = blank('invalid-user');
      c.user = m[1];
      c.invalidUser = true;
      c.port = port(m[3]);
      return withAddress(c, m[2]);
    },
  ],
  [
    ['input_userauth_request: '],
    /^input_userauth_request: (?:invalid|illegal) user (.*?)(?: \[preauth\])?$/,
    (m) => {
      const c = blank();
      c.user = m[1];
      c.invalidUser = true;
      return c;
    },
  ],
  [
    ['maximum authentication attempts exceeded for '],
    /^(?:error: )?maximum authentication attempts exceeded for ((?:invalid|illegal) user )?(.*) from (\S+) port (\d+)(?: ssh\d?)?(?: \[preauth\])?$/,
    (m) => {
      const c = blank('max-attempts');
      c.invalidUser = m[1] !== undefined;
      c.user = m[2];
      c.port = port(m[4]);
      return withAddress(c, m[3]);
    },
  ],
  [
    ['Disconnecting: Too many authentication failures'],
    /^Disconnecting: Too many authentication failures(?: for ((?:invalid|illegal) user )?(.*?))?(?: \[preauth\])?$/,
    (m) => {
      const c = blank('max-attempts');
      c.invalidUser = m[1] !== undefined;
      if (m[2] !== undefined) c.user = m[2];
      return c;
    },
  ],
  [
    ['Disconnecting '],
    new RegExp(`^Disconnecting ${USER_PREAMBLE}(\\S+) port (\\d+): (.*)$`),
    (m) => {
      const preauth = PREAUTH.test(m[5]);
      const kind: AuthKind = m[5].startsWith('Too many authentication failures')
        ? 'max-attempts'
        : preambleKind(m[1], preauth);
      const c = blank(kind);
      preambleUser(c, m[1], m[2]);
      c.port = port(m[4]);
      return withAddress(c, m[3]);
    },
  ],
  [
    ['Connection closed by ', 'Connection reset by '],
    new RegExp(`^Connection (?:closed|reset) by ${USER_PREAMBLE}?(\\S+) port (\\d+)( \\[preauth\\])?$`),
    (m) => {
      const c = blank(preambleKind(m[1], m[5] !== undefined));
      preambleUser(c, m[1], m[2]);
      c.port = port(m[4]);
      return withAddress(c, m[3]);
    },
  ],
  [
    ['Connection closed by ', 'Connection reset by '],
    /^Connection (?:closed|reset) by (\S+)( \[preauth\])?$/,
    (m) => withAddress(blank(m[2] !== undefined ? 'preauth-disconnect' : 'other'), m[1]),
  ],
  [
    ['Disconnected from '],
    new RegExp(`^Disconnected from ${USER_PREAMBLE}?(\\S+) port (\\d+)( \\[preauth\\])?$`),
    (m) => {
      const c = blank(preambleKind(m[1], m[5] !== undefined));
      preambleUser(c, m[1], m[2]);
      c.port = port(m[4]);
      return withAddress(c, m[3]);
    },
  ],
  [
    ['Received disconnect from '],
    /^(?:error: )?Received disconnect from (\S+) port (\d+): ?(\d+): (.*)$/,
    (m, msg) => {
      const c = blank(PREAUTH.test(msg) ? 'preauth-disconnect' : 'other');
      c.port = port(m[2]);
      return withAddress(c, m[1]);
    },
  ],
  [
    ['Received disconnect from '],
    /^(?:error: )?Received disconnect from (\S+): (\d+): (.*)$/,
    (m, msg) => withAddress(blank(PREAUTH.test(msg) ? 'preauth-disconnect' : 'other'), m[1]),
  ],
  [
    ['Did not receive identification string from '],
    /^Did not receive identification string from (\S+)(?: port (\d+))?$/,
    (m) => {
      const c = blank('no-identification');
      c.port = port(m[2]);
      return withAddress(c, m[1]);
    },
  ],
  [
    ['banner exchange: Connection from '],
    /^(?:error: )?banner exchange: Connection from (\S+) port (\d+): /,
    (m) => {
      const c = blank('no-identification');
      c.port = port(m[2]);
      return withAddress(c, m[1]);
    },
  ],
  [['kex_exchange_identification: '], /^(?:error: )?kex_exchange_identification: /, () => blank('no-identification')],
  [
    ['Timeout before authentication for '],
    /^(?:fatal: )?Timeout before authentication for (\S+)(?: port (\d+))?$/,
    (m) => {
      const c = blank('preauth-disconnect');
      c.port = port(m[2]);
      return withAddress(c, m[1]);
    },
  ],
  [
    ['Unable to negotiate with '],
    /^Unable to negotiate with (\S+) port (\d+): /,
    (m) => {
      const c = blank('preauth-disconnect');
      c.port = port(m[2]);
      return withAddress(c, m[1]);
    },
  ],
  [
    ['ssh_dispatch_run_fatal: Connection from '],
    new RegExp(`^(?:error: |fatal: )?ssh_dispatch_run_fatal: Connection from ${USER_PREAMBLE}?(\\S+) port (\\d+): `),
    (m, msg) => {
      const c = blank(preambleKind(m[1], PREAUTH.test(msg)));
      preambleUser(c, m[1], m[2]);
      c.port = port(m[4]);
      return withAddress(c, m[3]);
    },
  ],
  [
    ['PAM '],
    /^PAM (\d+) more authentication failures?;(.*)$/,
    (m) => {
      const c = pamFailureFields(blank('pam-failure'), m[2]);
      c.pamCount = Number(m[1]);
      return c;
    },
  ],
  [
    ['Connection from '],
    /^Connection from (\S+) port (\d+) on \S+ port \d+/,
    (m) => {
      const c = blank();
      c.port = port(m[2]);
      return withAddress(c, m[1]);
    },
  ],
  [
    ['drop connection #'],
    /^drop connection #\d+ from \[([^\]]+)\]:(\d+) on /,
    (m) => {
      const c = blank();
      c.port = port(m[2]);
      return withAddress(c, m[1]);
    },
  ],
  [
    ['reverse mapping checking getaddrinfo for '],
    /^reverse mapping checking getaddrinfo for \S+ \[([^\]]+)\] failed/,
    (m) => withAddress(blank(), m[1]),
  ],
];

/** sudo: `alice : [reason ; ]TTY=pts/0 ; PWD=/home/alice ; USER=root ; [GROUP=… ; ][ENV=… ; ]COMMAND=/bin/bash` */
function classifySudo(message: string): ClassifiedMessage {
  const msg = message.trim();
  const m = /^(\S+) : (.*)$/.exec(msg);
  if (!m) return blank();
  const rest = m[2];
  // The first COMMAND= that starts a field (COMMAND is the last field; the command may hold anything).
  let at = rest.startsWith('COMMAND=') ? 0 : -1;
  if (at < 0) {
    const i = rest.indexOf(' ; COMMAND=');
    if (i >= 0) at = i + 3;
  }
  if (at < 0) return blank();
  const c = blank('sudo');
  c.user = m[1];
  c.command = rest.slice(at + 'COMMAND='.length);
  for (const part of rest.slice(0, at).split(' ; ')) {
    const p = part.replace(/ ;\s*$/, '').trim();
    if (!p) continue;
    const eq = /^([A-Z]+)=(.*)$/.exec(p);
    if (!eq) c.reason = c.reason ? `${c.reason} ; ${p}` : p;
    else if (eq[1] === 'USER') c.targetUser = eq[2];
  }
  return c;
}

/** su (util-linux / shadow): `(to root) alice on pts/0`, `Successful su for root by alice`, `FAILED su for root by alice`. */
function classifySu(message: string): ClassifiedMessage {
  const msg = message.trim();
  let m: RegExpExecArray | null;
  if ((m = /^\(to (\S+)\) (\S+) on (\S+)$/.exec(msg))) {
    const c = blank('su');
    c.targetUser = m[1];
    c.user = m[2];
    return c;
  }
  if ((m = /^(Successful|FAILED) su for (\S+) by (\S+)$/.exec(msg))) {
    const c = blank('su');
    c.targetUser = m[2];
    c.user = m[3];
    if (m[1] === 'FAILED') c.reason = 'FAILED';
    return c;
  }
  return blank();
}

function startsWithAny(text: string, starts: string[]): boolean {
  for (const p of starts) if (text.startsWith(p)) return true;
  return false;
}

/**
 * Classifies a message of `program` (as written: sshd, sshd-session, sshd-auth, sshd(pam_unix),
 * sudo, su, su(pam_unix)). Messages not recognised, and other programs (CRON's PAM session lines
 * included), give kind 'other'.
 */
export function classifyMessage(program: string | null, message: string): ClassifiedMessage {
  const prog = base(program);
  if (!SSHD_PROGRAMS.has(prog) && prog !== 'sudo' && prog !== 'su') return blank();
  const msg = message.trimEnd();
  // Old PAM tagged its own lines: `sshd(pam_unix)[pid]: authentication failure; …`.
  if (program !== null && /\(pam_[\w-]*\)$/.test(program)) return classifyPam(msg.trimStart(), prog);
  const pam = /^pam_[\w-]+\(([^:)]+):\w+\): (.*)$/.exec(msg);
  if (pam) return classifyPam(pam[2], pam[1]);
  if (SSHD_PROGRAMS.has(prog)) {
    const bare = msg.startsWith('error: ') || msg.startsWith('fatal: ') ? msg.slice(7) : msg;
    for (const [starts, re, build] of SSHD_RULES) {
      if (!startsWithAny(bare, starts)) continue;
      const m = re.exec(msg);
      if (m) return build(m, msg);
    }
    return blank();
  }
  if (prog === 'sudo') return classifySudo(msg);
  if (prog === 'su') return classifySu(msg);
  return blank();
}
