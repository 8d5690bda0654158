/**
 * Streaming, stateful auth-log parser: lines (or pre-split journal records) in, AuthEvents out.
 * Memory is bounded: a small per-pid map (maxPids, pidWindowMs) and counters; no line is kept.
 *
 * Decisions (each one tested in test/collectors/auth/events.test.ts):
 *
 * - `message repeated N times: [ MSG]` (rsyslog RepeatedMsgReduction) means MSG occurred N MORE
 *   times after the line logged just before it; it is expanded to N events of MSG (time, host and
 *   pid of the repeat line, `repeated: true`), so original + repeats = N + 1. Checked against the
 *   loghub corpus: sshd[24227] logs one `Failed password for root`, then `message repeated 5
 *   times`, then `Disconnecting: Too many authentication failures` (MaxAuthTries defaults to 6)
 *   and `PAM service(sshd) ignoring max retries; 6 > 3` — six attempts in all, so 1 + 5.
 *   The older sysklogd form `last message repeated N times` (no tag) repeats the previous line the
 *   same way, when that line was an auth program's.
 *
 * - pam_unix `authentication failure` and sshd's `Failed password` (or keyboard-interactive) of
 *   the same host+pid report the same attempt. The pam line comes first, so it is held back in a
 *   bounded map pid → pending pam failure: when a Failed password/keyboard-interactive line of
 *   that pid arrives, the pam event is emitted just before it with `covered: true` (a tally must
 *   skip it). When the pid's connection ends first (accepted, disconnect, max attempts, session
 *   line), another pam failure of the pid arrives, the pid has been silent for pidWindowMs (log
 *   time), the map is full, or end() is called, it is emitted with `covered: false` and counts
 *   as a failure on its own (e.g. old `sshd(pam_unix)` logs that have no Failed line at all).
 *   `PAM N more authentication failures` (pamCount N) comes after the Failed lines: covered when
 *   the pid already produced a Failed password/keyboard-interactive line. Held-back pam events are
 *   therefore emitted after later lines: sort by (source, lineNo) when the order matters.
 *
 * - Prefilter: a line containing none of KEY_SUBSTRINGS whose cheaply-extracted program is not an
 *   auth program is not run through any regex; it is still counted (lines, prefiltered, and
 *   unknownByProgram under that program).
 *
 * - Only AUTH_PROGRAMS' events are emitted (kind 'other' included, with the raw message). Lines of
 *   other programs, lines that have no syslog prefix, and auth lines of kind 'other' are counted
 *   in unknownByProgram ('(unparsed)' for no prefix, '(no tag)' for no program).
 *
 * - An ip-less sshd line of a pid (e.g. `Disconnecting: Too many authentication failures for root`,
 *   `kex_exchange_identification: …`) gets the ip an earlier line of the same host+pid gave,
 *   marked `ipFromPid: true`. A different ip for the same pid means the pid was reused: its state
 *   is reset.
 */
import type { AuthEvent } from '../../model/auth.js';
import { AUTH_PROGRAMS, KEY_SUBSTRINGS, LineScanner, REPEATED, type ScannedLine } from './fast-path.js';
import { ownString } from './own-string.js';
import { classifyEntry, SSH_SERVER_PROGRAMS, SSHD_PROGRAMS, type AuthDetail, type ClassifiedMessage } from './parse-sshd.js';
import {
  daysInMonth, makeYearResolver, offsetMinutes, parseIsoTimestamp, parseSyslogLine, type SyslogRecord, type UtcOffset, type YearResolver,
} from './parse-syslog.js';

const NO_EVENTS: AuthLogEvent[] = [];

export interface AuthLogEvent extends AuthEvent, AuthDetail {
  /**
   * pam-failure only: true when a Failed password/keyboard-interactive line of the same host+pid
   * reports the same failure(s) (do not count it again); false when it stands on its own.
   */
  covered?: boolean;
  /** One of the N copies made from a `message repeated N times` / `last message repeated N times` line. */
  repeated?: boolean;
  /** ip is not on this line: it comes from an earlier line of the same host+pid. */
  ipFromPid?: boolean;
  /**
   * The stamp carries no year (RFC 3164 `Mar  1 10:00:00`): the year in `time` was inferred from
   * the file's mtime (or `--year`) and the month changes before it. Absent when the year was written.
   */
  yearGuessed?: boolean;
  /**
   * root-refused only: the second line of one refusal. OpenSSH's privileged monitor logs
   * `ROOT LOGIN REFUSED FROM ADDRESS port N` and its pre-auth child logs the same with ` [preauth]`
   * (seen from a real OpenSSH 9.2): one attempt, not two.
   */
  sameAttempt?: boolean;
  /**
   * A failure of a connection that then logged in (same host+pid): a public key the client offered
   * before the one accepted, or a PAM module that failed before a stacked one (pam_sss, pam_ldap)
   * let the user in. Not a failed attempt; counted apart.
   */
  beforeAccepted?: boolean;
  /**
   * `PAM N more authentication failures`: how many of PAM's N + 1 failures no Failed line (or PAM
   * line standing alone) of the pid already counted. Absent when covered.
   */
  pamExtra?: number;
}

/** `Failed publickey` lines held per pid before they are let through as failures. */
const MAX_KEY_FAILURES = 32;

export type HostFilter = string | RegExp | ((host: string | null) => boolean);

export interface AuthLogParserOptions {
  /** File (relative to the root) or "journal": copied into each event. */
  source: string;
  /** For RFC 3164 stamps; default makeYearResolver(new Date()) (the file taken as live). One per file. */
  yearResolver?: YearResolver;
  /** Zone of zone-less stamps; default UTC. */
  utcOffset?: UtcOffset;
  /** Keep only lines of this host (exact name, pattern, or predicate). */
  hostFilter?: HostFilter;
  /** Most pids tracked at once (default 4096); the least recently seen is dropped first. */
  maxPids?: number;
  /** A pid silent this long (log time) is dropped (default 10 minutes). */
  pidWindowMs?: number;
  /** Most events made from one repeat line (default 100 000); the rest are counted in repeatTruncated. */
  maxRepeat?: number;
  /**
   * The events a call returns are read before the next call and not kept (AuthAnalysis without an
   * event callback): their objects and the array that holds them are then reused from line to
   * line, so a brute-forced log does not make an object per event for the garbage collector. The
   * events the parser itself holds back (PAM lines, `Failed publickey`) are always new objects.
   */
  reuseEvents?: boolean;
}

export interface AuthLogStats {
  /** Lines (and records) pushed. */
  lines: number;
  /** Skipped by the prefilter without regex work. */
  prefiltered: number;
  /** No syslog prefix matched (or a null record). */
  unparsed: number;
  /** Dropped by hostFilter. */
  hostFiltered: number;
  /** Events emitted. */
  events: number;
  /** `message repeated` lines expanded. */
  repeatLines: number;
  /** Copies not made because of maxRepeat. */
  repeatTruncated: number;
  /** Lines not turned into a known event, per program. */
  unknownByProgram: Map<string, number>;
  /**
   * Lines not understood: no syslog prefix, no program, or an auth program's message that is in
   * no catalogue entry. What a reader must be told about.
   */
  notUnderstood: number;
  /** Of those, per program ('(unparsed)' for no prefix, '(no tag)' for no program). */
  notUnderstoodByProgram: Map<string, number>;
  /**
   * Lines known and ignored: other programs' lines (cron, kernel, logind) and auth programs'
   * messages the catalogue knows to say nothing about an attempt (a listener starting, a session's
   * byte counts).
   */
  ignored: number;
  /** Lines read on the fast path (pushFast), of `lines`. */
  fast: number;
}

/** A pid's key: host number and pid as one number, or `host\0pid` text past the numbered hosts. */
type PidKey = number | string;

/** Hosts numbered for the pid keys; beyond, keys are text (a log of forged host fields stays bounded). */
const MAX_HOST_IDS = 4096;

interface PidState {
  key: PidKey;
  /** Neighbours in RecentPids' list (older, newer). */
  older: PidState | null;
  newer: PidState | null;
  lastMs: number;
  ip: string | null;
  /** A pam `authentication failure` waiting for its Failed line. */
  pending: AuthLogEvent | null;
  /** A Failed password/keyboard-interactive line was seen for this pid. */
  sawFailed: boolean;
  /** Failures of this pid counted so far (Failed password/keyboard-interactive lines, PAM lines standing alone). */
  counted: number;
  /** `Failed publickey` lines waiting to learn whether a key of the same connection is accepted. */
  keyFailures: AuthLogEvent[] | null;
  /** Monitor `ROOT LOGIN REFUSED` lines whose ` [preauth]` twin has not come yet. */
  refusedUnpaired: number;
}

/** The record a `last message repeated` line refers to. */
interface Previous {
  program: string;
  pid: number | null;
  cls: ClassifiedMessage;
  message: string;
}

/** Kinds after which a still-pending pam failure will not get its Failed line. */
const ENDS_PENDING: ReadonlySet<AuthEvent['kind']> = new Set([
  'accepted', 'max-attempts', 'preauth-disconnect', 'no-identification', 'session-opened', 'session-closed',
  'root-refused', 'kex-failed', 'auth-timeout',
]);

/** ip-less kinds that may take the ip of their pid. */
const FILL_IP: ReadonlySet<AuthEvent['kind']> = new Set([
  'max-attempts', 'preauth-disconnect', 'no-identification', 'pam-failure', 'session-opened', 'session-closed',
  'failed', 'root-refused', 'kex-failed', 'auth-timeout',
]);

const DAY_MS = 86_400_000;
/** For telling a line with no syslog prefix from one with a prefix but no tag (prefiltered lines only). */
const NO_YEAR = {};

const LAST_REPEATED = /^last message repeated (\d+) times?$/;

function isPamMethod(method: string | null): boolean {
  return method === 'password' || method === 'keyboard-interactive' || method === 'keyboard-interactive/pam';
}

function baseProgram(program: string): string {
  return program.endsWith(')') ? program.replace(/\([^)]*\)$/, '') : program;
}

/**
 * The program of a syslog line without regexes (for the prefilter and its counts):
 * RFC 3164 `Mmm dd hh:mm:ss host TAG`, RFC 3339 `stamp host TAG`, RFC 5424 `<p>1 stamp host APP`.
 * Null when the line does not look like any of them.
 */
export function cheapProgram(line: string): string | null {
  let i = 0;
  const skipField = (): boolean => {
    const j = line.indexOf(' ', i);
    if (j < 0) return false;
    i = j + 1;
    return true;
  };
  if (line.startsWith('<')) {
    const gt = line.indexOf('>');
    if (gt < 0) return null;
    i = gt + 1;
    const c = line.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      // RFC 5424: version, stamp, host, then app-name.
      if (!skipField() || !skipField() || !skipField()) return null;
      const j = line.indexOf(' ', i);
      const app = line.slice(i, j < 0 ? undefined : j);
      return app && app !== '-' ? app : null;
    }
  }
  const c = line.charCodeAt(i);
  if (c >= 48 && c <= 57) {
    if (!skipField() || !skipField()) return null; // stamp, host
  } else {
    // Mmm, dd (maybe space-padded), time, host
    i += 4;
    while (line[i] === ' ') i++;
    if (!skipField() || !skipField() || !skipField()) return null;
  }
  let j = i;
  while (j < line.length) {
    const ch = line[j];
    if (ch === '[' || ch === ':' || ch === ' ') break;
    j++;
  }
  return j > i && (line[j] === '[' || line[j] === ':') ? line.slice(i, j) : null;
}

/**
 * The tracked pids, least recently seen first: a map for lookup plus a doubly linked list for the
 * order, so touching, evicting and sweeping are O(1) per pid. (Re-inserting into a Map to keep
 * the order leaves deleted slots that every new iterator must skip: quadratic on a busy log.)
 */
class RecentPids {
  private readonly byKey = new Map<PidKey, PidState>();
  private oldestState: PidState | null = null;
  private newestState: PidState | null = null;

  get size(): number {
    return this.byKey.size;
  }

  get(key: PidKey): PidState | undefined {
    return this.byKey.get(key);
  }

  get oldest(): PidState | null {
    return this.oldestState;
  }

  /** Makes st the most recently seen (adding it when new). */
  touch(st: PidState): void {
    if (this.newestState === st) return;
    if (this.byKey.get(st.key) === st) this.unlink(st);
    else this.byKey.set(st.key, st);
    st.older = this.newestState;
    st.newer = null;
    if (this.newestState) this.newestState.newer = st;
    this.newestState = st;
    this.oldestState ??= st;
  }

  remove(st: PidState): void {
    if (this.byKey.get(st.key) !== st) return;
    this.unlink(st);
    this.byKey.delete(st.key);
  }

  /** Oldest first. */
  *values(): IterableIterator<PidState> {
    for (let st = this.oldestState; st; st = st.newer) yield st;
  }

  clear(): void {
    this.byKey.clear();
    this.oldestState = null;
    this.newestState = null;
  }

  private unlink(st: PidState): void {
    if (st.older) st.older.newer = st.newer;
    else this.oldestState = st.newer;
    if (st.newer) st.newer.older = st.older;
    else this.newestState = st.older;
    st.older = null;
    st.newer = null;
  }
}

export class AuthLogParser {
  readonly stats: AuthLogStats = {
    lines: 0, prefiltered: 0, unparsed: 0, hostFiltered: 0, events: 0, repeatLines: 0, repeatTruncated: 0,
    unknownByProgram: new Map(), notUnderstood: 0, notUnderstoodByProgram: new Map(), ignored: 0, fast: 0,
  };

  private readonly source: string;
  private readonly yearResolver: YearResolver;
  private readonly utcOffset: UtcOffset | undefined;
  private readonly hostOk: (host: string | null) => boolean;
  private readonly maxPids: number;
  private readonly pidWindowMs: number;
  private readonly maxRepeat: number;
  private readonly pids = new RecentPids();
  private prev: Previous | null = null;
  private readonly reuse: boolean;
  /** reuseEvents: the array handed out, and the event objects of the current line. */
  private readonly outBuf: AuthLogEvent[] = [];
  private readonly pool: AuthLogEvent[] = [];
  private poolUsed = 0;
  /** Hosts numbered for the pid keys, and the last one looked up. */
  private readonly hostIds = new Map<string, number>();
  private keyHost: string | null = null;
  private keyHostId = 0;
  /** The fast path's line reader, and the last stamp it gave (text, what it gave) and host. */
  private readonly scanner = new LineScanner();
  private fastStamp = '';
  private fastStampValid = false;
  private fastMs: number | null = null;
  private fastYearGuessed = false;
  private fastHost = '';
  private lastTimeMs: number | null = null;
  private lastTimeIso = '';
  private isoDay = Number.NaN;
  private isoDayText = '';

  constructor(opts: AuthLogParserOptions) {
    this.source = opts.source;
    this.yearResolver = opts.yearResolver ?? makeYearResolver(new Date());
    this.utcOffset = opts.utcOffset;
    const f = opts.hostFilter;
    this.hostOk =
      f === undefined ? () => true
        : typeof f === 'string' ? (h) => h === f
          : f instanceof RegExp ? (h) => {
            f.lastIndex = 0; // a /g or /y pattern would otherwise remember the previous match
            return h !== null && f.test(h);
          }
            : f;
    this.maxPids = Math.max(1, opts.maxPids ?? 4096);
    this.pidWindowMs = opts.pidWindowMs ?? 10 * 60_000;
    this.maxRepeat = opts.maxRepeat ?? 100_000;
    this.reuse = opts.reuseEvents === true;
  }

  /** The array of a line's events: the shared one with reuseEvents (emptied), else a new one. */
  private outArray(): AuthLogEvent[] {
    if (!this.reuse) return [];
    this.outBuf.length = 0;
    this.poolUsed = 0;
    return this.outBuf;
  }

  /** ISO 8601 UTC with milliseconds, as toISOString, with the date part formatted once per day. */
  private isoOf(ms: number): string {
    const day = Math.floor(ms / DAY_MS);
    if (day !== this.isoDay) {
      this.isoDay = day;
      this.isoDayText = new Date(day * DAY_MS).toISOString().slice(0, 11);
    }
    const inDay = ms - day * DAY_MS;
    const two = (n: number) => (n < 10 ? `0${n}` : `${n}`);
    const msPart = inDay % 1000;
    const sec = Math.floor(inDay / 1000);
    return `${this.isoDayText}${two(Math.floor(sec / 3600))}:${two(Math.floor(sec / 60) % 60)}:${two(sec % 60)}.${msPart < 10 ? '00' : msPart < 100 ? '0' : ''}${msPart}Z`;
  }

  /** Lines not turned into a known event, per program. */
  get unknownByProgram(): Map<string, number> {
    return this.stats.unknownByProgram;
  }

  /** One log line (without its newline); lineNo is 1-based. Returns the events it completes. */
  push(line: string, lineNo: number): AuthLogEvent[] {
    this.stats.lines++;
    // The year resolver may move on here: the fast path's last stamp no longer stands for its time.
    this.fastStampValid = false;
    if (!KEY_SUBSTRINGS.some((s) => line.includes(s))) {
      const prog = cheapProgram(line);
      if (prog === null || !AUTH_PROGRAMS.has(prog)) {
        this.stats.prefiltered++;
        this.unknown(prog ?? '(no tag)');
        if (prog === null && parseSyslogLine(line, NO_YEAR) === null) this.notUnderstoodLine('(unparsed)');
        else if (prog === null) this.notUnderstoodLine('(no tag)');
        else this.stats.ignored++;
        this.prev = null;
        return [];
      }
    }
    const rec = parseSyslogLine(line, { yearResolver: this.yearResolver, utcOffset: this.utcOffset });
    if (!rec) {
      this.stats.unparsed++;
      this.unknown('(unparsed)');
      this.notUnderstoodLine('(unparsed)');
      this.prev = null;
      return [];
    }
    return this.handle(rec, lineNo, rec.format === 'rfc3164' && rec.time !== null);
  }

  /**
   * The fast path (fast-path.ts): the line s[a, b) of a block decoded as latin1 (ASCII only), read
   * without a regex when it has a plain shape. Null when it has not: the caller then gives the line
   * to push(), which reads it in full. Otherwise the same events push() would give.
   */
  pushFast(s: string, a: number, b: number, lineNo: number): AuthLogEvent[] | null {
    const line = this.scanner.read(s, a, b);
    return line === null ? null : this.pushScanned(line, lineNo);
  }

  /**
   * A line the fast path read (LineScanner.read, here or on a scanning thread), applied in order:
   * the year of its stamp, the pid's state, the events. Null when its stamp gives no time (the
   * caller then gives the line to push()).
   */
  pushScanned(l: ScannedLine, lineNo: number): AuthLogEvent[] | null {
    if (l.type === 1) {
      // The prefilter, as push() applies it.
      this.stats.lines++;
      this.stats.fast++;
      this.stats.prefiltered++;
      this.unknown(l.program);
      this.stats.ignored++;
      this.prev = null;
      return NO_EVENTS;
    }
    // The stamp: read again only when it differs from the line before's.
    let ms: number | null;
    let yearGuessed: boolean;
    if (this.fastStampValid && l.stamp === this.fastStamp) {
      ms = this.fastMs;
      yearGuessed = this.fastYearGuessed;
    } else {
      if (l.format === 'rfc3339') {
        const t = parseIsoTimestamp(l.stamp, this.utcOffset);
        if (!t) return null;
        ms = t.getTime();
        yearGuessed = false;
      } else {
        const { month, day, hour: h, minute: mi, second: sec } = l;
        const year = this.yearResolver(month, day, h, mi, sec);
        ms = null;
        if (day <= daysInMonth(year, month)) {
          const wall = Date.UTC(year, month, day, h, mi, Math.min(sec, 59), 0);
          ms = wall - offsetMinutes(this.utcOffset, wall) * 60_000;
        }
        yearGuessed = ms !== null;
      }
      this.fastStamp = l.stamp;
      this.fastStampValid = true;
      this.fastMs = ms;
      this.fastYearGuessed = yearGuessed;
    }
    this.stats.lines++;
    this.stats.fast++;
    const host = l.host === this.fastHost ? this.fastHost : (this.fastHost = ownString(l.host));
    return this.handleParts(ms, host, l.program, l.pid, l.message, lineNo, yearGuessed, l);
  }

  /** A record already split (journal); null counts as an unparsed line. */
  pushRecord(record: SyslogRecord | null, lineNo: number): AuthLogEvent[] {
    this.stats.lines++;
    if (!record) {
      this.stats.unparsed++;
      this.unknown('(unparsed)');
      this.notUnderstoodLine('(unparsed)');
      this.prev = null;
      return [];
    }
    return this.handle(record, lineNo, false);
  }

  /** Flushes the pam failures still waiting (as not covered). Call once at the end of a source. */
  end(): AuthLogEvent[] {
    const out = this.outArray();
    for (const st of this.pids.values()) this.flushPending(st, out);
    this.pids.clear();
    this.prev = null;
    this.scanner.release();
    this.stats.events += out.length;
    return out;
  }

  /** Counts per program: a new name is kept to the end, so it is copied out of its block (own-string.ts). */
  private unknown(program: string): void {
    const m = this.stats.unknownByProgram;
    const n = m.get(program);
    if (n === undefined) m.set(ownString(program), 1);
    else m.set(program, n + 1);
  }

  private notUnderstoodLine(program: string): void {
    this.stats.notUnderstood++;
    const m = this.stats.notUnderstoodByProgram;
    const n = m.get(program);
    if (n === undefined) m.set(ownString(program), 1);
    else m.set(program, n + 1);
  }

  private handle(rec: SyslogRecord, lineNo: number, yearGuessed: boolean): AuthLogEvent[] {
    return this.handleParts(rec.time ? rec.time.getTime() : null, rec.host, rec.program, rec.pid, rec.message, lineNo, yearGuessed);
  }

  /** A line split into its parts; `scanned`: read on the fast path, which classified it already. */
  private handleParts(
    ms: number | null, recHost: string | null, recProgram: string | null, recPid: number | null, recMessage: string,
    lineNo: number, yearGuessed: boolean, scanned: ScannedLine | null = null,
  ): AuthLogEvent[] {
    const rec = { host: recHost, program: recProgram, pid: recPid, message: recMessage };
    if (!this.hostOk(rec.host)) {
      this.stats.hostFiltered++;
      this.prev = null;
      return [];
    }
    const out = this.outArray();
    if (ms !== null) this.sweep(ms, out);

    let program = rec.program;
    let pid = rec.pid;
    let cls: ClassifiedMessage;
    let message: string;
    let copies = 1;
    let repeated = false;

    const last = program === null && rec.message.startsWith('last message repeated ')
      ? LAST_REPEATED.exec(rec.message.trimEnd())
      : null;
    if (last) {
      const prev = this.prev;
      if (!prev) {
        this.unknown('(no tag)');
        // The line before was not an auth program's: it repeats something already ignored.
        this.stats.ignored++;
        this.stats.events += out.length;
        return out;
      }
      ({ program, pid, cls, message } = prev);
      copies = Number(last[1]);
      repeated = true;
    } else {
      if (program === null || !AUTH_PROGRAMS.has(program)) {
        this.unknown(program ?? '(no tag)');
        if (program === null) this.notUnderstoodLine('(no tag)');
        else this.stats.ignored++;
        this.prev = null;
        this.stats.events += out.length;
        return out;
      }
      // A line the fast path read comes classified (LineScanner.read does what follows).
      const rep = scanned === null && rec.message.startsWith('message repeated ') ? REPEATED.exec(rec.message.trimEnd()) : null;
      message = scanned !== null ? scanned.message : rep ? rep[2] : rec.message;
      const hit = scanned !== null ? scanned.hit : classifyEntry(program, message);
      cls = hit.cls;
      if (cls.kind === 'other') {
        if (hit.entry) this.stats.ignored++;
        else this.notUnderstoodLine(program);
      }
      if (scanned !== null ? scanned.copies >= 0 : rep) {
        copies = scanned !== null ? scanned.copies : Number(rep![1]);
        repeated = true;
      }
    }
    if (repeated) {
      this.stats.repeatLines++;
      if (copies > this.maxRepeat) {
        this.stats.repeatTruncated += copies - this.maxRepeat;
        copies = this.maxRepeat;
      }
    }
    if (cls.kind === 'other') this.unknown(program);
    this.prev = { program, pid, cls, message };

    // Consecutive lines mostly share their second: format each time once.
    if (ms !== this.lastTimeMs) {
      this.lastTimeMs = ms;
      this.lastTimeIso = ms === null ? '' : this.isoOf(ms);
    }
    const time = this.lastTimeIso;
    for (let i = 0; i < copies; i++) {
      // Held back by track (a PAM line waiting for its Failed line, a Failed publickey): a new object.
      const held = cls.kind === 'pam-failure' ? cls.pamCount === undefined : cls.kind === 'failed' && cls.method === 'publickey';
      if (this.reuse && !held) {
        this.track(this.pooled(time, rec.host, program, pid, cls, lineNo, message, repeated, yearGuessed), ms, out);
        continue;
      }
      // Built field by field, not spread: one object shape for every event keeps the hot path fast.
      const e: AuthLogEvent = {
        time, host: rec.host, program, pid, kind: cls.kind, method: cls.method, user: cls.user,
        invalidUser: cls.invalidUser, ip: cls.ip, port: cls.port, key: cls.key, source: this.source, lineNo, message,
      };
      if (cls.rhost !== undefined) e.rhost = cls.rhost;
      if (cls.targetUser !== undefined) e.targetUser = cls.targetUser;
      if (cls.byUser !== undefined) e.byUser = cls.byUser;
      if (cls.command !== undefined) e.command = cls.command;
      if (cls.reason !== undefined) e.reason = cls.reason;
      if (cls.pamService !== undefined) e.pamService = cls.pamService;
      if (cls.pamCount !== undefined) e.pamCount = cls.pamCount;
      if (repeated) e.repeated = true;
      if (yearGuessed) e.yearGuessed = true;
      this.track(e, ms, out);
    }
    this.stats.events += out.length;
    return out;
  }

  /**
   * reuseEvents: an event object of the pool, every field written (the optional ones undefined when
   * they do not apply, which every reader takes as absent).
   */
  private pooled(
    time: string, host: string | null, program: string, pid: number | null, cls: ClassifiedMessage, lineNo: number, message: string,
    repeated: boolean, yearGuessed: boolean,
  ): AuthLogEvent {
    let e = this.pool[this.poolUsed];
    if (e === undefined) {
      e = {
        time: '', host: null, program: '', pid: null, kind: 'other', method: null, user: null, invalidUser: false, ip: null, port: null,
        key: null, source: this.source, lineNo: null, message: '',
      };
      this.pool.push(e);
    }
    this.poolUsed++;
    const u = e as Record<keyof AuthLogEvent, unknown>;
    e.time = time;
    e.host = host;
    e.program = program;
    e.pid = pid;
    e.kind = cls.kind;
    e.method = cls.method;
    e.user = cls.user;
    e.invalidUser = cls.invalidUser;
    e.ip = cls.ip;
    e.port = cls.port;
    e.key = cls.key;
    e.lineNo = lineNo;
    e.message = message;
    u.rhost = cls.rhost;
    u.targetUser = cls.targetUser;
    u.byUser = cls.byUser;
    u.command = cls.command;
    u.reason = cls.reason;
    u.pamService = cls.pamService;
    u.pamCount = cls.pamCount;
    u.repeated = repeated ? true : undefined;
    u.yearGuessed = yearGuessed ? true : undefined;
    u.covered = undefined;
    u.ipFromPid = undefined;
    u.sameAttempt = undefined;
    u.beforeAccepted = undefined;
    u.pamExtra = undefined;
    return e;
  }

  /**
   * The key of host + pid: a number (no string built and hashed per line) while the host is one of
   * the first MAX_HOST_IDS seen and the pid fits in 32 bits; `host\0pid` text otherwise.
   */
  private pidKey(host: string | null, pid: number): PidKey {
    const h = host ?? '';
    let id: number | undefined;
    if (h === this.keyHost) id = this.keyHostId;
    else {
      id = this.hostIds.get(h);
      if (id === undefined && this.hostIds.size < MAX_HOST_IDS) {
        id = this.hostIds.size;
        this.hostIds.set(ownString(h), id);
      }
      if (id !== undefined) {
        // Kept past this line: its own copy, not a slice of the block.
        this.keyHost = ownString(h);
        this.keyHostId = id;
      }
    }
    return id !== undefined && pid >= 0 && pid < 4294967296 && Number.isInteger(pid) ? id * 4294967296 + pid : `${h}\u0000${pid}`;
  }

  /** Pid bookkeeping: ip fill, pam/Failed pairing. Appends what is ready to `out`. */
  private track(e: AuthLogEvent, ms: number | null, out: AuthLogEvent[]): void {
    const sshd = SSH_SERVER_PROGRAMS.has(baseProgram(e.program));
    if (!sshd || e.pid === null) {
      if (e.kind === 'pam-failure') e.covered = false;
      out.push(e);
      return;
    }
    const key = this.pidKey(e.host, e.pid);
    let st = this.pids.get(key);
    if (!st) {
      st = { key: typeof key === 'string' ? ownString(key) : key, older: null, newer: null, lastMs: ms ?? 0, ip: null, pending: null, sawFailed: false, counted: 0, keyFailures: null, refusedUnpaired: 0 };
      const old = this.pids.size >= this.maxPids ? this.pids.oldest : null;
      if (old) {
        this.flushPending(old, out);
        this.pids.remove(old);
      }
    }
    if (ms !== null) st.lastMs = Math.max(st.lastMs, ms);
    this.pids.touch(st);

    const learns = e.ip !== null && (e.kind !== 'other' || e.message.startsWith('Connection from ') || e.message.startsWith('Child connection from '));
    if (learns) {
      if (st.ip !== null && st.ip !== e.ip) {
        // Same pid, another peer: a new process reused the pid.
        this.flushPending(st, out);
        st.sawFailed = false;
        st.refusedUnpaired = 0;
        st.counted = 0;
      }
      // Held as long as the pid is: a copy, not a slice of this line's block.
      if (st.ip !== e.ip) st.ip = ownString(e.ip);
    } else if (e.ip === null && st.ip !== null && FILL_IP.has(e.kind)) {
      e.ip = st.ip;
      e.ipFromPid = true;
    }

    if (e.kind === 'pam-failure') {
      this.flushPending(st, out);
      if (e.pamCount !== undefined) {
        // PAM's summary: N more after the first, N + 1 in all; only what nothing counted yet counts.
        const extra = e.pamCount + 1 - st.counted;
        if (extra > 0) {
          e.covered = false;
          e.pamExtra = extra;
          st.counted += extra;
        } else {
          e.covered = true;
        }
        out.push(e);
      } else {
        st.pending = e;
      }
      return;
    }
    if (e.kind === 'failed' && e.method === 'publickey') {
      // Held until the connection logs in (a key offered before the accepted one) or ends.
      st.keyFailures ??= [];
      if (st.keyFailures.length >= MAX_KEY_FAILURES) out.push(st.keyFailures.shift()!);
      st.keyFailures.push(e);
      return;
    }
    if (e.kind === 'failed' && isPamMethod(e.method)) {
      st.sawFailed = true;
      st.counted++;
      if (st.pending) {
        st.pending.covered = true;
        out.push(st.pending);
        st.pending = null;
      }
    } else if (e.kind === 'accepted') {
      // Stacked PAM: pam_unix failed, a later module (pam_sss, pam_ldap) let the user in.
      if (st.pending) {
        st.pending.covered = true;
        st.pending.beforeAccepted = true;
        out.push(st.pending);
        st.pending = null;
      }
      if (st.keyFailures) {
        for (const k of st.keyFailures) {
          k.beforeAccepted = true;
          out.push(k);
        }
        st.keyFailures = null;
      }
    } else if (ENDS_PENDING.has(e.kind)) {
      this.flushPending(st, out);
    }
    if (e.kind === 'root-refused') {
      if (!e.message.endsWith('[preauth]')) st.refusedUnpaired++;
      else if (st.refusedUnpaired > 0) {
        st.refusedUnpaired--;
        e.sameAttempt = true;
      }
    }
    out.push(e);
  }

  private flushPending(st: PidState, out: AuthLogEvent[]): void {
    if (st.keyFailures) {
      out.push(...st.keyFailures);
      st.keyFailures = null;
    }
    if (!st.pending) return;
    st.pending.covered = false;
    st.counted++;
    out.push(st.pending);
    st.pending = null;
  }

  /** Drops pids silent for pidWindowMs (oldest first), flushing their pending pam failures. */
  private sweep(nowMs: number, out: AuthLogEvent[]): void {
    const cutoff = nowMs - this.pidWindowMs;
    for (let st = this.pids.oldest; st && st.lastMs < cutoff; st = this.pids.oldest) {
      this.flushPending(st, out);
      this.pids.remove(st);
    }
  }
}
