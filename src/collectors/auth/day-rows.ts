/**
 * `--timeline day`: the attempt records of one address and one UTC day folded
 * into one timeline row. On an exposed box most addresses knock a few times a day, each time as
 * another user, so rows per address, user and minute (`--timeline aggregate`, the default) are about one per
 * connection: months of them outweigh the compressed logs they summarise. A row per address and
 * day says who tried, when (first and last time), as whom (the most tried names), how often and
 * how; the raw lines are in the bundle, named by file and line.
 *
 * Failures of a connection that then logged in are never folded (isAttempt keeps them one row
 * each), so the compromise keeps its detail.
 *
 * Memory is bounded: rows of a day are written out once the newest record is more than
 * LAG_MINUTES into a later day, and at most MAX_OPEN_DAYS rows stay open (the oldest opened are
 * written out first). A record that arrives after its row was written out opens a new one: the
 * counts of an address's rows still add up to its events.
 */
import { KIND_WORDS, LAG_MINUTES, type AttemptRecord } from './aggregate.js';

/** Most rows open at once (addresses seen in the current day, and the lag into the next). */
export const MAX_OPEN_DAYS = 20_000;
/** User names kept per row, most tried first; the others are counted. */
export const MAX_NAMES = 5;
/** Distinct names counted per row before they are only summed (a spray of thousands of names). */
const MAX_NAMES_COUNTED = 64;
const DAY_MS = 86_400_000;

/** The attempts of one address over one UTC day. */
export interface DayRow {
  day: string;
  time: string;
  lastTime: string;
  ip: string | null;
  count: number;
  failures: number;
  kinds: Record<string, number>;
  methods: Record<string, number>;
  /** Attempts per user name (null: lines that named none), up to MAX_NAMES_COUNTED names. */
  users: Map<string | null, number>;
  /** Attempts under names not counted one by one (past MAX_NAMES_COUNTED). */
  usersMore: number;
  /** The counted names sshd called invalid (no such account). */
  invalidNames: Set<string | null>;
  source: string;
  firstLine: number | null;
  lastLine: number | null;
  /** Minute records folded in. */
  records: number;
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const k in from) into[k] = (into[k] ?? 0) + from[k];
}

export class DayRows {
  private readonly open = new Map<string, DayRow & { dayNo: number }>();
  private newest = -Infinity;
  private swept = -Infinity;
  rows = 0;

  /** Takes a closed minute record; returns the day rows that closed (usually none). */
  add(r: AttemptRecord): DayRow[] {
    const t = Date.parse(r.time);
    const dayNo = Math.floor(t / DAY_MS);
    const key = `${dayNo}\u0000${r.ip ?? ''}`;
    let row = this.open.get(key);
    let closed: DayRow[] = [];
    if (!row) {
      if (this.open.size >= MAX_OPEN_DAYS) closed = this.evictOldest(MAX_OPEN_DAYS >> 1);
      row = {
        day: new Date(dayNo * DAY_MS).toISOString().slice(0, 10), dayNo, time: r.time, lastTime: r.lastTime, ip: r.ip, count: 0, failures: 0,
        kinds: {}, methods: {}, users: new Map(), usersMore: 0, invalidNames: new Set(), source: r.source, firstLine: r.firstLine, lastLine: r.lastLine, records: 0,
      };
      this.open.set(key, row);
    }
    row.records++;
    row.count += r.count;
    row.failures += r.failures;
    addCounts(row.kinds, r.kinds);
    addCounts(row.methods, r.methods);
    countName(row, r);
    if (r.time < row.time) row.time = r.time;
    if (r.lastTime > row.lastTime) row.lastTime = r.lastTime;
    if (r.source === row.source) {
      if (r.firstLine !== null && (row.firstLine === null || r.firstLine < row.firstLine)) row.firstLine = r.firstLine;
      if (r.lastLine !== null && (row.lastLine === null || r.lastLine > row.lastLine)) row.lastLine = r.lastLine;
    }
    const minute = Math.floor(Date.parse(r.lastTime) / 60_000);
    if (minute > this.newest) this.newest = minute;
    // Rows of days that ended more than the aggregator's lag ago cannot grow any more.
    const doneBefore = Math.floor(((this.newest - LAG_MINUTES - 1) * 60_000) / DAY_MS);
    if (doneBefore > this.swept) {
      this.swept = doneBefore;
      closed = closed.concat(this.closeBefore(doneBefore));
    }
    return closed;
  }

  /** Every row still open, in time order: call at the end. */
  end(): DayRow[] {
    return this.closeBefore(Infinity);
  }

  private closeBefore(dayNo: number): DayRow[] {
    const out: DayRow[] = [];
    for (const [key, row] of this.open) {
      if (row.dayNo < dayNo) {
        this.open.delete(key);
        out.push(strip(row));
      }
    }
    this.rows += out.length;
    return out.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  }

  private evictOldest(n: number): DayRow[] {
    const out: DayRow[] = [];
    for (const [key, row] of this.open) {
      if (out.length >= n) break;
      this.open.delete(key);
      out.push(strip(row));
    }
    this.rows += out.length;
    return out;
  }
}

function strip(row: DayRow & { dayNo: number }): DayRow {
  const { dayNo: _dayNo, ...rest } = row;
  return rest;
}

/**
 * Counts the record's user name in its row. Past MAX_NAMES_COUNTED names, a name tried more than
 * the least counted one takes its place (that one's attempts go to `usersMore`): a name a spray
 * comes back to keeps its count; the rest are summed.
 */
function countName(row: DayRow, r: AttemptRecord): void {
  const known = row.users.get(r.user);
  if (known === undefined && row.users.size >= MAX_NAMES_COUNTED) {
    let least: string | null | undefined;
    let min = Infinity;
    for (const [u, n] of row.users) {
      if (n < min) {
        min = n;
        least = u;
      }
    }
    if (least === undefined || r.count <= min) {
      row.usersMore += r.count;
      return;
    }
    row.users.delete(least);
    row.invalidNames.delete(least);
    row.usersMore += min;
  }
  row.users.set(r.user, (known ?? 0) + r.count);
  if (r.invalidUser) row.invalidNames.add(r.user);
}

/** The one user name of a row (null when it tried several, or none). */
export function dayRowUser(row: DayRow): string | null {
  return row.users.size === 1 && row.usersMore === 0 ? [...row.users.keys()][0] : null;
}

/**
 * The timeline message of a day row: `57 attempts from 192.0.2.7 on 2024-03-01, 20 failed
 * (password 20) as root 30, invalid user admin 12, +3 names (15): invalid user 12, …
 * [/var/log/auth.log:10-90233]`. The first and last time are the row's datetime and
 * last_datetime columns (written again here, they made a tenth of the compressed timeline).
 */
export function dayRowMessage(row: DayRow): string {
  const named = [...row.users].filter(([u]) => u !== null).sort((a, b) => b[1] - a[1] || ((a[0] as string) < (b[0] as string) ? -1 : 1));
  const shown = named.slice(0, MAX_NAMES).map(([u, n]) => `${row.invalidNames.has(u) ? 'invalid user ' : ''}${u} ${n}`);
  const restNames = named.length - shown.length + (row.usersMore > 0 ? 1 : 0);
  const restCount = named.slice(MAX_NAMES).reduce((s, [, n]) => s + n, 0) + row.usersMore;
  const who = shown.length ? ` as ${shown.join(', ')}${restNames > 0 ? `, +${row.usersMore > 0 ? 'more' : restNames} names (${restCount})` : ''}` : '';
  const kinds = Object.entries(row.kinds).map(([k, n]) => `${KIND_WORDS[k] ?? k} ${n}`).join(', ');
  const methods = Object.keys(row.methods).length ? ` (${Object.entries(row.methods).map(([m, n]) => `${m} ${n}`).join(', ')})` : '';
  const lines = row.firstLine === null ? '' : row.firstLine === row.lastLine ? `:${row.firstLine}` : `:${row.firstLine}-${row.lastLine}`;
  return `${row.count} attempts from ${row.ip ?? '?'} on ${row.day}, ${row.failures} failed${methods}${who}: ${kinds} [${row.source}${lines}]`;
}
