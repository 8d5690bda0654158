/**
 * `--timeline minute` and `aggregate` (the default): failed and pre-authentication attempts
 * collapsed into one record per address, user and minute, for the timeline (`aggregate` folds
 * them further per address and day: day-rows.ts) and artifacts/auth-events.jsonl. A month
 * of brute force is millions of identical lines; the raw logs are in the bundle and the
 * per-address tally counts every event, so the bundle keeps what a responder reads: who tried,
 * as whom, when, how many times, how.
 *
 * Never aggregated: accepted logins, sessions, sudo, su, a root login refused after its key was
 * accepted, a failure of a connection that then logged in (`beforeAccepted`), and anything of kind
 * `other` (a message no catalogue entry names: rare, and worth reading as it is).
 *
 * Memory is bounded: buckets of a minute more than LAG_MINUTES behind the newest event seen are
 * written out (PAM lines are held back by the parser for at most 10 minutes of log time, so their
 * events arrive late), and at most MAX_OPEN buckets stay open (the oldest opened are written out
 * first). An event that arrives after its bucket was written out opens a new one: the same
 * address, user and minute may then have two records, whose counts add up to the events.
 */
import type { AuthLogEvent } from './events.js';
import { ownString } from './own-string.js';
import { failureOf } from './tally.js';

/** aggregate (the default): attempts per address, user and minute; day: per address and day (day-rows.ts); full: one row per event. */
export type TimelineMode = 'aggregate' | 'day' | 'full';

/** The kinds collapsed into attempt records. */
export const ATTEMPT_KINDS: ReadonlySet<AuthLogEvent['kind']> = new Set([
  'failed', 'invalid-user', 'max-attempts', 'preauth-disconnect', 'pam-failure', 'no-identification', 'kex-failed', 'auth-timeout',
]);

/** Minutes a bucket stays open behind the newest event (the parser holds PAM lines back for up to 10). */
export const LAG_MINUTES = 11;
/** Most buckets open at once. */
export const MAX_OPEN = 20_000;
/** Connections (host and pid) whose user name and attempts are remembered, for the lines that name neither. */
export const MAX_PIDS_TRACKED = 4096;

/** One address, user and minute of failed and pre-auth attempts: a line of auth-events.jsonl. */
export interface AttemptRecord {
  kind: 'attempts';
  /** The first and last event's time (ISO 8601 UTC). */
  time: string;
  lastTime: string;
  ip: string | null;
  user: string | null;
  invalidUser: boolean;
  /** Events collapsed into the record (lines of kind `other` of the same connection included). */
  count: number;
  /** Failed logins among them, counted as the per-address tally counts them. */
  failures: number;
  /** Events per kind, and failed logins per method (password, publickey, pam…). */
  kinds: Record<string, number>;
  methods: Record<string, number>;
  /** The log the events came from (the first one's, when a bucket spans files), first and last line. */
  source: string;
  firstLine: number | null;
  lastLine: number | null;
  /** The sshd pids, up to MAX_PIDS (more are counted in `pidsMore`). */
  pids: number[];
  pidsMore?: number;
}

const MAX_PIDS = 8;

/**
 * The attempts of one minute, over every address: what artifacts/auth-events.jsonl keeps of them in
 * aggregate mode (the chart of the report reads it); the rows per address and user are timeline.csv's.
 */
export interface MinuteRecord {
  kind: 'attempts-minute';
  time: string;
  lastTime: string;
  /** Attempt events in the minute, and the failed logins among them (as the tally counts them). */
  count: number;
  failures: number;
}

/** Collapsed into a record (with its connection's earlier attempts known to `agg`), or written as it is. */
export function isAttempt(e: AuthLogEvent, agg?: AttemptAggregator): boolean {
  if (e.time === '' || e.beforeAccepted === true) return false;
  if (ATTEMPT_KINDS.has(e.kind)) return true;
  // A line no catalogue entry names (`check pass; user unknown`) of a connection that is only attempting so far.
  return e.kind === 'other' && agg !== undefined && agg.attempting(e);
}

let lastMinuteText = '';
let lastMinute = NaN;

/**
 * Minutes since the epoch of an ISO 8601 UTC time. Events come in time order, dozens a minute:
 * the minute of the last `YYYY-MM-DDTHH:MM` seen is reused instead of parsing each time again.
 */
function minuteOf(time: string): number {
  if (time.length >= 17 && time.endsWith('Z') && time.startsWith(lastMinuteText) && lastMinuteText !== '') return lastMinute;
  const minute = Math.floor(Date.parse(time) / 60_000);
  if (time.length >= 17 && time.endsWith('Z') && time[16] === ':' && Number.isFinite(minute)) {
    lastMinuteText = time.slice(0, 16);
    lastMinute = minute;
  }
  return minute;
}

export class AttemptAggregator {
  private readonly open = new Map<string, AttemptRecord & { minute: number }>();
  private newest = -Infinity;
  /** host+pid → the user name and address lines of the connection gave (null: none yet), least recently seen first. */
  private readonly pids = new Map<string, { user: string | null; ip: string | null }>();
  /** Attempts per minute, over every address: the lines auth-events.jsonl keeps in aggregate mode. */
  private readonly minutes = new Map<number, MinuteRecord>();
  private swept = -Infinity;
  /** Events taken, records written: their counts add up to `events`. */
  events = 0;
  records = 0;
  minuteRecords = 0;

  /** Takes an attempt event; returns the records that closed (often none). */
  add(e: AuthLogEvent): AttemptRecord[] {
    this.events++;
    const minute = minuteOf(e.time);
    // Copies of their own (connectionOf), so an open record keeps no block of the log alive.
    const { user, ip } = this.connectionOf(e);
    const key = `${minute}\u0000${ip ?? ''}\u0000${user ?? ''}`;
    let r = this.open.get(key);
    let closed: AttemptRecord[] = [];
    if (!r) {
      if (this.open.size >= MAX_OPEN) closed = this.evictOldest(MAX_OPEN >> 1);
      r = {
        kind: 'attempts', time: e.time, lastTime: e.time, ip, user, invalidUser: e.invalidUser, count: 0, failures: 0,
        kinds: {}, methods: {}, source: e.source, firstLine: e.lineNo, lastLine: e.lineNo, pids: [], minute,
      };
      this.open.set(key, r);
    }
    r.count++;
    if (e.time < r.time) r.time = e.time;
    if (e.time > r.lastTime) r.lastTime = e.time;
    if (e.invalidUser) r.invalidUser = true;
    r.kinds[e.kind] = (r.kinds[e.kind] ?? 0) + 1;
    const f = failureOf(e);
    if (f) {
      r.failures += f.count;
      r.methods[f.method] = (r.methods[f.method] ?? 0) + f.count;
    }
    if (e.source === r.source && e.lineNo !== null) {
      if (r.firstLine === null || e.lineNo < r.firstLine) r.firstLine = e.lineNo;
      if (r.lastLine === null || e.lineNo > r.lastLine) r.lastLine = e.lineNo;
    }
    if (e.pid !== null && !r.pids.includes(e.pid)) {
      if (r.pids.length < MAX_PIDS) r.pids.push(e.pid);
      else r.pidsMore = (r.pidsMore ?? 0) + 1;
    }
    let m = this.minutes.get(minute);
    if (!m) {
      m = { kind: 'attempts-minute', time: e.time, lastTime: e.time, count: 0, failures: 0 };
      this.minutes.set(minute, m);
    }
    m.count++;
    if (f) m.failures += f.count;
    if (e.time < m.time) m.time = e.time;
    if (e.time > m.lastTime) m.lastTime = e.time;
    if (minute > this.newest) this.newest = minute;
    if (this.newest - LAG_MINUTES > this.swept) {
      this.swept = this.newest - LAG_MINUTES;
      closed = closed.concat(this.closeUpTo(this.swept));
    }
    return closed;
  }

  /** The connection of this sshd line has attempts, and no login yet (a login's lines are never aggregated). */
  attempting(e: AuthLogEvent): boolean {
    return e.pid !== null && this.pids.has(`${e.host ?? ''}\u0000${e.pid}`);
  }

  /** Ends a connection's tracking (it logged in: its later lines are its session's). */
  forget(e: AuthLogEvent): void {
    if (e.pid !== null) this.pids.delete(`${e.host ?? ''}\u0000${e.pid}`);
  }

  /** The event's user and address, else those an earlier line of the same connection (host and pid) named. */
  private connectionOf(e: AuthLogEvent): { user: string | null; ip: string | null } {
    const own = { user: e.user, ip: e.ip ?? e.rhost ?? null };
    if (e.pid === null) return { user: ownString(own.user), ip: ownString(own.ip) };
    const key = `${e.host ?? ''}\u0000${e.pid}`;
    const known = this.pids.get(key);
    this.pids.delete(key);
    // Another address on the same pid: the pid was reused by a new connection.
    const same = known && (own.ip === null || known.ip === null || known.ip === own.ip);
    const user = same ? own.user ?? known.user : own.user;
    const ip = same ? own.ip ?? known.ip : own.ip;
    // Held while the connection lasts: copies of their own, made when they change (own-string.ts).
    const conn = known && known.user === user && known.ip === ip ? known : { user: ownString(user), ip: ownString(ip) };
    this.pids.set(ownString(key), conn);
    if (this.pids.size > MAX_PIDS_TRACKED) this.pids.delete(this.pids.keys().next().value as string);
    return conn;
  }

  /** Every record still open, in time order: call at the end. */
  end(): AttemptRecord[] {
    return this.closeUpTo(Infinity);
  }

  /** The per-minute totals of minutes up to `minute` (Infinity: all), in time order; each minute once unless events come late. */
  closedMinutes(minute = this.swept): MinuteRecord[] {
    const out: MinuteRecord[] = [];
    for (const [k, m] of this.minutes) {
      if (k <= minute) {
        this.minutes.delete(k);
        out.push(m);
      }
    }
    this.minuteRecords += out.length;
    return out.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  }

  private closeUpTo(minute: number): AttemptRecord[] {
    const out: AttemptRecord[] = [];
    for (const [key, r] of this.open) {
      if (r.minute <= minute) {
        this.open.delete(key);
        out.push(strip(r));
      }
    }
    this.records += out.length;
    return out.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  }

  private evictOldest(n: number): AttemptRecord[] {
    const out: AttemptRecord[] = [];
    for (const [key, r] of this.open) {
      if (out.length >= n) break;
      this.open.delete(key);
      out.push(strip(r));
    }
    this.records += out.length;
    return out;
  }
}

function strip(r: AttemptRecord & { minute: number }): AttemptRecord {
  const { minute: _minute, ...rest } = r;
  return rest;
}

/** How each kind reads in an aggregate row's message. */
export const KIND_WORDS: Record<string, string> = {
  failed: 'failed',
  'invalid-user': 'invalid user',
  'max-attempts': 'too many failures',
  'preauth-disconnect': 'disconnect before login',
  'pam-failure': 'PAM failure',
  'no-identification': 'no ssh identification',
  'kex-failed': 'key exchange failed',
  'auth-timeout': 'timeout before authentication',
  other: 'other line',
};

/** The timeline message of a record: readable on its own, the raw lines named by file and line. */
export function attemptMessage(r: AttemptRecord): string {
  const who = r.user === null ? '' : ` as ${r.invalidUser ? 'invalid user ' : ''}${r.user}`;
  const kinds = Object.entries(r.kinds).map(([k, n]) => `${KIND_WORDS[k] ?? k} ${n}`).join(', ');
  const methods = Object.keys(r.methods).length ? ` (${Object.entries(r.methods).map(([m, n]) => `${m} ${n}`).join(', ')})` : '';
  const lines = r.firstLine === null ? '' : r.firstLine === r.lastLine ? `:${r.firstLine}` : `:${r.firstLine}-${r.lastLine}`;
  return `${r.count} attempts from ${r.ip ?? '?'}${who}, ${r.failures} failed${methods}: ${kinds} [${r.source}${lines}]`;
}
