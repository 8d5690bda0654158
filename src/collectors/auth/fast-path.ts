/**
 * The fast path of the auth-log parser: the common line shapes read with fixed markers (indexOf,
 * charCodeAt) on a block decoded once as latin1 (only blocks or lines that are pure ASCII, where
 * latin1 and UTF-8 give the same text), no regex. It never decides alone: a line whose prefix is
 * not one of the plain shapes below goes to the full parser (parse-syslog.ts), and a message not
 * one of the hot shapes goes to the full catalogue (parse-sshd.ts classifyEntry). What it does
 * decide is what the full parser decides on the same line (test/collectors/auth/fast-path.test.ts
 * compares both, line by line and through `ir-triage analyze --json`).
 *
 * Prefixes read here: RFC 3164 `Mmm dd hh:mm:ss host prog[pid]: msg` (no `<PRI>`, no fraction)
 * and RFC 3339 `YYYY-MM-DDThh:mm:ss[.frac][Z|±hh:mm] host prog[pid]: msg`; the program of plain
 * letters, digits, `-` and `_`, a pid of digits, a message that does not start with `[`, does
 * not end in white space and holds no tab.
 * Messages read here (sshd, sshd-session, sshd-auth): `Failed|Accepted METHOD for [invalid user ]
 * USER from ADDR port N[ ssh2[: KEY]]`, `Invalid user USER from ADDR[ port N]`,
 * `Connection closed|reset by …`, `Disconnected from …`, `Received disconnect from …`,
 * `pam_unix(sshd:auth): authentication failure; …` and `… check pass; user unknown`.
 */
import { blank, CATALOGUE, withAddress, type CatalogueEntry, type ClassifiedMessage } from './catalogue.js';
import { classifyEntry, SSHD_PROGRAMS, type Classified } from './parse-sshd.js';
import { ownString } from './own-string.js';
import { daysInMonth, parseIsoTimestamp } from './parse-syslog.js';

/** Programs whose events are emitted. `su(pam_unix)` is old PAM's tag for su's session lines. */
export const AUTH_PROGRAMS: ReadonlySet<string> = new Set([
  'sshd', 'sshd-session', 'sshd-auth', 'sshd(pam_unix)', 'dropbear', 'sudo', 'su', 'su(pam_unix)',
]);

/** A line containing one of these always goes through the regexes. */
export const KEY_SUBSTRINGS: readonly string[] = ['sshd', 'sudo', 'su[', 'su:', 'su(', 'dropbear', 'last message repeated'];

/** rsyslog's `message repeated N times: [ MSG]`. */
export const REPEATED = /^message repeated (\d+) times?: \[ ?(.*)\]$/s;

/** The characters the fast path leaves to the full parser (see scanPrefix), searched a block at a time. */
const CONTROL = /[\x00-\x09\x0b-\x1f]/g;

/** Where the parts of a line are (offsets into the block string), filled by scanPrefix. */
export interface PrefixScan {
  format: 'rfc3164' | 'rfc3339';
  /** The stamp: [stampStart, stampEnd). */
  stampStart: number;
  stampEnd: number;
  hostStart: number;
  hostEnd: number;
  progStart: number;
  progEnd: number;
  pid: number;
  msgStart: number;
}

export function newScan(): PrefixScan {
  return { format: 'rfc3164', stampStart: 0, stampEnd: 0, hostStart: 0, hostEnd: 0, progStart: 0, progEnd: 0, pid: 0, msgStart: 0 };
}

const isDigit = (c: number) => c >= 48 && c <= 57;
const isProgChar = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || isDigit(c) || c === 45 || c === 95;

/** Month of a capitalised three-letter name at s[i], -1 when none. */
export function monthAt(s: string, i: number): number {
  switch (s.charCodeAt(i)) {
    case 74: // J
      if (s.startsWith('Jan', i)) return 0;
      if (s.startsWith('Jun', i)) return 5;
      return s.startsWith('Jul', i) ? 6 : -1;
    case 70: return s.startsWith('Feb', i) ? 1 : -1;
    case 77: return s.startsWith('Mar', i) ? 2 : s.startsWith('May', i) ? 4 : -1;
    case 65: return s.startsWith('Apr', i) ? 3 : s.startsWith('Aug', i) ? 7 : -1;
    case 83: return s.startsWith('Sep', i) ? 8 : -1;
    case 79: return s.startsWith('Oct', i) ? 9 : -1;
    case 78: return s.startsWith('Nov', i) ? 10 : -1;
    case 68: return s.startsWith('Dec', i) ? 11 : -1;
    default: return -1;
  }
}

function two(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** `hh:mm:ss` at i: seconds of the day parts in out; false when not that shape. */
function clockAt(s: string, i: number): boolean {
  return two(s, i) >= 0 && s.charCodeAt(i + 2) === 58 && two(s, i + 3) >= 0 && s.charCodeAt(i + 5) === 58 && two(s, i + 6) >= 0;
}

/**
 * The plain prefix shapes (see the file comment) of the line s[a, b): false for anything else,
 * which the full parser then reads. Says nothing about the stamp's values (checked by the caller).
 */
export function scanPrefix(s: string, a: number, b: number, out: PrefixScan, nextControl?: (s: string, from: number) => number): boolean {
  let i: number;
  const c0 = s.charCodeAt(a);
  if (isDigit(c0)) {
    // YYYY-MM-DDThh:mm:ss
    if (b - a < 20 || s.charCodeAt(a + 4) !== 45 || s.charCodeAt(a + 7) !== 45 || s.charCodeAt(a + 10) !== 84) return false;
    if (two(s, a) < 0 || two(s, a + 2) < 0 || two(s, a + 5) < 0 || two(s, a + 8) < 0 || !clockAt(s, a + 11)) return false;
    i = a + 19;
    let c = s.charCodeAt(i);
    if (c === 46 || c === 44) {
      i++;
      const f = i;
      while (i < b && isDigit(s.charCodeAt(i))) i++;
      if (i === f) return false;
      c = s.charCodeAt(i);
    }
    if (c === 90) i++;
    else if (c === 43 || c === 45) {
      if (two(s, i + 1) < 0) return false;
      i += 3;
      if (s.charCodeAt(i) === 58) {
        if (two(s, i + 1) < 0) return false;
        i += 3;
      } else if (isDigit(s.charCodeAt(i))) {
        if (two(s, i) < 0) return false;
        i += 2;
      }
    }
    if (i >= b || s.charCodeAt(i) !== 32) return false;
    out.format = 'rfc3339';
    out.stampStart = a;
    out.stampEnd = i;
  } else {
    // Mmm dd hh:mm:ss (the day space-padded or not)
    if (b - a < 16 || monthAt(s, a) < 0 || s.charCodeAt(a + 3) !== 32) return false;
    i = a + 4;
    while (s.charCodeAt(i) === 32) i++;
    if (!isDigit(s.charCodeAt(i))) return false;
    i++;
    if (isDigit(s.charCodeAt(i))) i++;
    if (s.charCodeAt(i) !== 32 || !clockAt(s, i + 1)) return false;
    i += 9;
    if (i >= b || s.charCodeAt(i) !== 32) return false;
    out.format = 'rfc3164';
    out.stampStart = a;
    out.stampEnd = i;
  }
  // host: printable, no colon at its end (a tag written where the host goes)
  const hostStart = ++i;
  while (i < b && s.charCodeAt(i) > 32 && s.charCodeAt(i) < 127) i++;
  if (i === hostStart || i >= b || s.charCodeAt(i) !== 32 || s.charCodeAt(i - 1) === 58) return false;
  out.hostStart = hostStart;
  out.hostEnd = i;
  // prog[pid]: (one space, or none, before the message)
  const progStart = ++i;
  while (i < b && isProgChar(s.charCodeAt(i))) i++;
  if (i === progStart || s.charCodeAt(i) !== 91) return false;
  out.progStart = progStart;
  out.progEnd = i;
  i++;
  const pidStart = i;
  let pid = 0;
  while (i < b && isDigit(s.charCodeAt(i))) pid = pid * 10 + (s.charCodeAt(i++) - 48);
  if (i === pidStart || i - pidStart > 9 || s.charCodeAt(i) !== 93 || s.charCodeAt(i + 1) !== 58) return false;
  i += 2;
  if (i < b && s.charCodeAt(i) === 32) i++;
  // A Solaris `[ID …]` marker, trailing white space (trimmed by the classifier): the full parser.
  if (i < b && s.charCodeAt(i) === 91) return false;
  if (b > i && s.charCodeAt(b - 1) <= 32) return false;
  // Control characters (tabs, a \r inside the line) change what the patterns match: the full parser.
  if (nextControl !== undefined) {
    if (nextControl(s, i) < b) return false;
  } else {
    for (let j = i; j < b; j++) if (s.charCodeAt(j) < 32) return false;
  }
  out.pid = pid;
  out.msgStart = i;
  return true;
}

const ENTRY = new Map<string, CatalogueEntry>(CATALOGUE.map((e) => [e.id, e]));
function entry(id: string): CatalogueEntry {
  const e = ENTRY.get(id);
  if (!e) throw new Error(`no catalogue entry ${id}`);
  return e;
}
const E_FAILED = entry('failed-password');
const E_ACCEPTED = entry('accepted');
const E_INVALID = entry('invalid-user');
const E_CLOSED = entry('connection-closed');
const E_DISCONNECTED = entry('disconnected-from');
const E_RECEIVED = entry('received-disconnect');
const E_PAM_FAILURE = entry('pam-authentication-failure');
const E_CHECK_PASS = entry('pam-check-pass');

/** Node's isIP for a plain dotted quad (no leading zeros), without its regex; anything else: withAddress. */
function plainIpv4(a: string): boolean {
  let parts = 0;
  let i = 0;
  const n = a.length;
  while (i < n) {
    const start = i;
    let v = 0;
    while (i < n && isDigit(a.charCodeAt(i))) v = v * 10 + (a.charCodeAt(i++) - 48);
    const len = i - start;
    if (len === 0 || len > 3 || v > 255 || (len > 1 && a.charCodeAt(start) === 48)) return false;
    parts++;
    if (i === n) break;
    if (a.charCodeAt(i) !== 46 || parts === 4) return false;
    i++;
    if (i === n) return false;
  }
  return parts === 4;
}

function address(c: ClassifiedMessage, addr: string): ClassifiedMessage {
  if (plainIpv4(addr)) {
    c.ip = addr;
    return c;
  }
  return withAddress(c, addr);
}

/** The port of digits s[i, j) as port() reads it (0–65535, else null), without cutting them out. */
function portAt(s: string, i: number, j: number): number | null {
  let n = 0;
  for (let k = i; k < j; k++) {
    n = n * 10 + (s.charCodeAt(k) - 48);
    if (n > 65535) return null;
  }
  return n;
}

/** `N` digits from i to the end: the index after them, or -1. */
function digitsTo(s: string, i: number, end: number): boolean {
  if (i >= end) return false;
  for (let j = i; j < end; j++) if (!isDigit(s.charCodeAt(j))) return false;
  return true;
}

/** `Failed|Accepted METHOD for …` (catalogue authResult), or null for the full catalogue. */
function authResult(t: string, kind: 'failed' | 'accepted', at: number): Classified | null {
  const sp = t.indexOf(' ', at);
  if (sp <= at || !t.startsWith('for ', sp + 1) || t.charCodeAt(t.length - 1) === 93) return null;
  // The common methods as constants: one string the tally's per-method counts look up quickly.
  const method = sp - at === 8 && t.startsWith('password', at) ? 'password'
    : sp - at === 9 && t.startsWith('publickey', at) ? 'publickey'
      : t.slice(at, sp);
  let r = sp + 5;
  const invalid = t.startsWith('invalid user ', r) || t.startsWith('illegal user ', r);
  if (invalid) r += 13;
  const f = invalid ? t.lastIndexOf(' from ') : t.indexOf(' from ', r);
  if (f < r) return null;
  const ipStart = f + 6;
  const ipEnd = t.indexOf(' ', ipStart);
  if (ipEnd <= ipStart || !t.startsWith(' port ', ipEnd)) return null;
  const portStart = ipEnd + 6;
  let portEnd = portStart;
  while (portEnd < t.length && isDigit(t.charCodeAt(portEnd))) portEnd++;
  if (portEnd === portStart) return null;
  let key: string | null = null;
  if (portEnd !== t.length) {
    if (!t.startsWith(' ssh2', portEnd)) return null;
    const after = portEnd + 5;
    if (after !== t.length) {
      if (invalid || !t.startsWith(': ', after)) return null;
      key = after + 2 < t.length ? t.slice(after + 2) : null;
    }
  }
  const c = blank(kind);
  c.method = method;
  c.invalidUser = invalid;
  c.user = t.slice(r, f);
  c.port = portAt(t, portStart, portEnd);
  c.key = key;
  return { cls: address(c, t.slice(ipStart, ipEnd)), entry: kind === 'failed' ? E_FAILED : E_ACCEPTED };
}

/** `Invalid user USER from ADDR[ port N]`. */
function invalidUser(t: string): Classified | null {
  const f = t.lastIndexOf(' from ');
  if (f < 13) return null;
  const ipStart = f + 6;
  const sp = t.indexOf(' ', ipStart);
  let ip: string;
  let p: number | null = null;
  if (sp < 0) {
    if (ipStart === t.length) return null;
    ip = t.slice(ipStart);
  } else {
    if (sp === ipStart || !t.startsWith(' port ', sp) || !digitsTo(t, sp + 6, t.length)) return null;
    ip = t.slice(ipStart, sp);
    p = portAt(t, sp + 6, t.length);
  }
  const c = blank('invalid-user');
  c.port = p;
  address(c, ip);
  c.user = t.slice(13, f);
  c.invalidUser = true;
  return { cls: c, entry: E_INVALID };
}

const PREAMBLES = ['authenticating user ', 'invalid user ', 'user '] as const;

/**
 * `Connection closed by` / `Disconnected from` `[PREAMBLE USER ]ADDR port N[ [preauth]]`
 * (catalogue connection-closed, disconnected-from), from `at` (after `by ` / `from `).
 */
function preambleLine(t: string, at: number, hit: CatalogueEntry): Classified | null {
  let end = t.length;
  const preauth = t.endsWith(' [preauth]');
  if (preauth) end -= 10;
  const p = t.lastIndexOf(' port ', end);
  if (p < at || !digitsTo(t, p + 6, end)) return null;
  const ipStart = t.lastIndexOf(' ', p - 1) + 1;
  if (ipStart >= p) return null;
  let preamble: string | undefined;
  for (const w of PREAMBLES) {
    if (t.startsWith(w, at)) {
      preamble = w;
      break;
    }
  }
  let user: string | undefined;
  if (preamble !== undefined) {
    const userStart = at + preamble.length;
    if (ipStart - 1 < userStart) return null;
    user = t.slice(userStart, ipStart - 1);
  } else if (ipStart !== at) return null;
  const name = preamble?.slice(0, -1);
  const kind = preauth || name === 'authenticating user' || name === 'invalid user' ? 'preauth-disconnect' : 'other';
  const c = blank(kind);
  c.port = portAt(t, p + 6, end);
  address(c, t.slice(ipStart, p));
  if (name !== undefined) {
    c.user = user ?? '';
    c.invalidUser = name === 'invalid user';
  }
  return { cls: c, entry: hit };
}

/** `Received disconnect from ADDR port N:CODE: TEXT`. */
function receivedDisconnect(t: string): Classified | null {
  const at = 25;
  const sp = t.indexOf(' ', at);
  if (sp <= at || !t.startsWith(' port ', sp)) return null;
  let i = sp + 6;
  const portStart = i;
  while (i < t.length && isDigit(t.charCodeAt(i))) i++;
  if (i === portStart || t.charCodeAt(i) !== 58) return null;
  const portEnd = i;
  i++;
  if (t.charCodeAt(i) === 32) i++;
  const codeStart = i;
  while (i < t.length && isDigit(t.charCodeAt(i))) i++;
  if (i === codeStart || !t.startsWith(': ', i)) return null;
  const c = blank(t.endsWith(' [preauth]') ? 'preauth-disconnect' : 'other');
  c.port = portAt(t, portStart, portEnd);
  return { cls: address(c, t.slice(at, sp)), entry: E_RECEIVED };
}

/** pam_unix `authentication failure; logname= … rhost=H  user=U` fields (catalogue pamFailureFields). */
function pamFailure(kv: string): ClassifiedMessage | null {
  let rhost: string | undefined;
  let r = kv.startsWith('rhost=') ? 0 : kv.indexOf(' rhost=');
  if (r >= 0) {
    r += kv.charCodeAt(r) === 32 ? 7 : 6;
    const e = kv.indexOf(' ', r);
    rhost = kv.slice(r, e < 0 ? kv.length : e);
  }
  const c = blank('pam-failure');
  let u = kv.startsWith('user=') ? 0 : kv.indexOf(' user=');
  if (u >= 0) {
    u += kv.charCodeAt(u) === 32 ? 6 : 5;
    const user = kv.slice(u).trim();
    if (user) c.user = user;
  }
  if (rhost === undefined || rhost === '') return c;
  return address(c, rhost);
}

/**
 * The hot messages of sshd, sshd-session and sshd-auth, as classifyEntry classifies them; null
 * for every other message (the caller then runs classifyEntry).
 */
export function classifyFast(message: string): Classified | null {
  const c0 = message.charCodeAt(0);
  if (c0 === 112 /* p */) {
    if (!message.startsWith('pam_unix(sshd:auth): ')) return null;
    if (message.startsWith('authentication failure;', 21)) {
      const c = pamFailure(message.slice(44));
      if (!c) return null;
      c.pamService = 'sshd';
      return { cls: c, entry: E_PAM_FAILURE };
    }
    if (message.length === 45 && message.endsWith('check pass; user unknown')) {
      const c = blank();
      c.pamService = 'sshd';
      return { cls: c, entry: E_CHECK_PASS };
    }
    return null;
  }
  const t = message.startsWith('error: ') || message.startsWith('fatal: ') ? message.slice(7) : message;
  switch (t.charCodeAt(0)) {
    case 70: // F
      return t.startsWith('Failed ') ? authResult(t, 'failed', 7) : null;
    case 65: // A
      return t.startsWith('Accepted ') ? authResult(t, 'accepted', 9) : null;
    case 73: // I
      return t.startsWith('Invalid user ') ? invalidUser(t) : null;
    case 67: // C
      if (t.startsWith('Connection closed by ') || t.startsWith('Connection reset by ')) {
        return preambleLine(t, t.charCodeAt(11) === 99 ? 21 : 20, E_CLOSED);
      }
      return null;
    case 68: // D
      return t.startsWith('Disconnected from ') ? preambleLine(t, 18, E_DISCONNECTED) : null;
    case 82: // R
      return t.startsWith('Received disconnect from ') ? receivedDisconnect(t) : null;
    default:
      return null;
  }
}

/**
 * A line read on the fast path, everything about it that does not depend on the lines before it:
 * what a scanning thread can work out on its own block (scan-worker.ts), and the parser then
 * applies in order (AuthLogParser.pushScanned).
 */
export interface ScannedLine {
  /** 1: a line of another program (counted only); 2: an sshd line, classified. */
  type: 1 | 2;
  program: string;
  format: 'rfc3164' | 'rfc3339';
  /** The stamp's text (the same string object as the line before's when it is the same text). */
  stamp: string;
  /** RFC 3164: the stamp's fields (month 0–11). */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  host: string;
  pid: number;
  /** The message, inside its `message repeated N times: [ … ]` when it had one. */
  message: string;
  /** N of `message repeated N times`, -1 for a line that is not one. */
  copies: number;
  hit: Classified;
}

/**
 * Reads lines on the fast path, with what it keeps from line to line (the last stamp and host,
 * where the block's next control character is) only to save work: each line's result depends on
 * that line alone.
 */
export class LineScanner {
  private readonly scan: PrefixScan = newScan();
  private readonly line: ScannedLine = {
    type: 1, program: '', format: 'rfc3164', stamp: '', month: 0, day: 0, hour: 0, minute: 0, second: 0, host: '', pid: 0,
    message: '', copies: -1, hit: { cls: blank(), entry: null },
  };
  private controlIn = '';
  private controlFrom = -1;
  private controlAt = 0;
  private stamp = '';
  private stampOk = false;
  private host = '';

  /** Where the next control character (not \n) of s is at or after `from`; s.length when none. */
  private readonly nextControl = (s: string, from: number): number => {
    if (s !== this.controlIn || from < this.controlFrom) {
      this.controlIn = s;
      this.controlFrom = -1;
    }
    if (this.controlFrom >= 0 && this.controlAt >= from) return this.controlAt;
    CONTROL.lastIndex = from;
    const m = CONTROL.exec(s);
    this.controlFrom = from;
    this.controlAt = m === null ? s.length : m.index;
    return this.controlAt;
  };

  /** Forgets the block (it is not held once read). */
  release(): void {
    this.controlIn = '';
    this.controlFrom = -1;
  }

  /**
   * The line s[a, b) of a block decoded as latin1 (ASCII only): its ScannedLine (the same object
   * every call, valid until the next), or null when it is not one of the plain shapes (the full
   * parser then reads it).
   */
  read(s: string, a: number, b: number): ScannedLine | null {
    const p = this.scan;
    if (!scanPrefix(s, a, b, p, this.nextControl)) return null;
    const out = this.line;
    const len = p.progEnd - p.progStart;
    const program = len === 4 && s.startsWith('sshd', p.progStart) ? 'sshd'
      : len === 12 && s.startsWith('sshd-session', p.progStart) ? 'sshd-session'
        : s.slice(p.progStart, p.progEnd);
    if (!AUTH_PROGRAMS.has(program)) {
      const line = s.slice(a, b);
      if (KEY_SUBSTRINGS.some((k) => line.includes(k))) return null;
      out.type = 1;
      out.program = program;
      return out;
    }
    if (!SSHD_PROGRAMS.has(program)) return null;
    const stampLen = p.stampEnd - p.stampStart;
    if (!(stampLen === this.stamp.length && s.startsWith(this.stamp, p.stampStart))) {
      // Kept past its block: a copy, not a slice (own-string.ts).
      this.stamp = ownString(s.slice(p.stampStart, p.stampEnd));
      if (p.format === 'rfc3339') {
        // Whether it parses does not depend on the zone (only the time it gives does).
        this.stampOk = parseIsoTimestamp(this.stamp, 0) !== null;
      } else {
        const month = monthAt(s, a);
        let i = a + 4;
        while (s.charCodeAt(i) === 32) i++;
        let day = s.charCodeAt(i++) - 48;
        if (s.charCodeAt(i) !== 32) day = day * 10 + (s.charCodeAt(i++) - 48);
        i++;
        out.month = month;
        out.day = day;
        out.hour = (s.charCodeAt(i) - 48) * 10 + (s.charCodeAt(i + 1) - 48);
        out.minute = (s.charCodeAt(i + 3) - 48) * 10 + (s.charCodeAt(i + 4) - 48);
        out.second = (s.charCodeAt(i + 6) - 48) * 10 + (s.charCodeAt(i + 7) - 48);
        this.stampOk = !(day < 1 || day > daysInMonth(2000, month) || out.hour > 23 || out.minute > 59 || out.second > 60);
      }
    }
    if (!this.stampOk) return null;
    out.type = 2;
    out.format = p.format;
    out.stamp = this.stamp;
    out.program = program;
    out.pid = p.pid;
    out.host = p.hostEnd - p.hostStart === this.host.length && s.startsWith(this.host, p.hostStart)
      ? this.host
      : (this.host = ownString(s.slice(p.hostStart, p.hostEnd)));
    const message = s.slice(p.msgStart, b);
    const rep = message.startsWith('message repeated ') ? REPEATED.exec(message.trimEnd()) : null;
    out.message = rep ? rep[2] : message;
    out.copies = rep ? Number(rep[1]) : -1;
    out.hit = classifyFast(out.message) ?? classifyEntry(program, out.message);
    return out;
  }
}
