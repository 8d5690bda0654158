/**
 * Splits one syslog line into time, host, program, pid and message. Pure: no I/O, no clock.
 *
 * Prefix formats, tried in order (first match wins):
 *   1. RFC 5424  `<38>1 2019-07-08T17:40:16.954167-04:00 host sshd 57915 - - msg`
 *   2. RFC 3339  `2024-01-02T03:04:05.123456+00:00 host prog[pid]: msg` (Debian 12 rsyslog, Fedora,
 *                journalctl -o short-iso / short-iso-precise)
 *   3. RFC 3164  `Mmm dd hh:mm:ss host prog[pid]: msg` (optionally `<PRI>` first; day may be
 *                space-padded; no year and no zone — see makeYearResolver and utcOffset)
 * A Solaris `[ID 800047 auth.info] ` marker at the start of the message is removed.
 */

export type SyslogFormat = 'rfc5424' | 'rfc3339' | 'rfc3164' | 'journal-full' | 'journal-unix' | 'svlogd';

/** One line split into its syslog parts; also what journal records are turned into. */
export interface SyslogRecord {
  /** Absolute time; null when the stamp has no year and no resolver was given, or is the RFC 5424 nil value. */
  time: Date | null;
  /** The timestamp exactly as written. */
  rawTime: string;
  /** Host name field; null for the RFC 5424 nil value. */
  host: string | null;
  /** Tag / app-name as written (sshd, sshd-session, sshd(pam_unix), CRON, …); null when the line has no tag. */
  program: string | null;
  pid: number | null;
  /** The message after the tag. */
  message: string;
}

export interface ParsedSyslogLine extends SyslogRecord {
  format: SyslogFormat;
}

/**
 * Chooses the year for a year-less (RFC 3164) stamp. Stateful: call it once per line, in file order.
 * `month` is 0-11. The wall-clock fields are those written in the log.
 */
export type YearResolver = (month: number, day: number, hour: number, minute: number, second: number) => number;

/**
 * Minutes east of UTC of the clock that wrote zone-less stamps (RFC 3164, or RFC 3339 without an
 * offset): a number, or a function of the wall-clock time read as if it were UTC (for DST, see
 * zoneOffset). Default 0: the wall clock is taken as UTC.
 */
export type UtcOffset = number | ((wallClockAsUtcMs: number) => number);

export interface ParseSyslogOptions {
  yearResolver?: YearResolver;
  utcOffset?: UtcOffset;
}

const DAY_MS = 86_400_000;

const MONTHS: Record<string, number> = {
  jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11,
  // As syslog writes them: found without lower-casing (the hot path).
  Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11,
};

/**
 * Year inference for RFC 3164 stamps, usable by a streaming reader (one pass, lines in file order):
 *
 *   - The first line gets the year of `fileMtime` (UTC); if that puts it more than one day after
 *     the mtime, it gets the previous year instead (a file cannot hold lines written after it was
 *     last modified; the day of slack absorbs the unknown zone of the wall clock).
 *   - Each later line in another month than the line before takes the year (the running one, the
 *     next or the previous) that puts it NEAREST the line before: Dec 31 → Jan 1 is a new year;
 *     Mar → Feb is a step back (files concatenated newest first: `cat auth.log auth.log.1`), not
 *     eleven months on; a file repeated after itself comes back to the same year instead of
 *     drifting one year per copy.
 *   - With `clampToMtime` (the default), a line that would still fall more than a day after the
 *     mtime is put a year earlier: no line is ever placed after the file was last written.
 *
 * Limits: consecutive lines more than six months apart are read as the nearer reading; a file
 * covering more than a year whose first line's day-of-year is before the mtime's places its first
 * months a year too late (a stream cannot look ahead), never after the mtime. Wall-clock fields
 * are compared as if UTC. Rotated files: build one resolver per file, each with its own mtime.
 */
export function makeYearResolver(fileMtime: Date, { clampToMtime = true }: { clampToMtime?: boolean } = {}): YearResolver {
  const limit = fileMtime.getTime() + DAY_MS;
  let year: number | null = null;
  let prevMonth = -1;
  let prevMs = 0;
  return (month, day, hour, minute, second) => {
    if (year === null) {
      year = fileMtime.getUTCFullYear();
      if (Date.UTC(year, month, day, hour, minute, second) > limit) year -= 1;
    } else if (month !== prevMonth) {
      const same = Date.UTC(year, month, day, hour, minute, second);
      const next = Date.UTC(year + 1, month, day, hour, minute, second);
      const prev = Date.UTC(year - 1, month, day, hour, minute, second);
      const d = (t: number) => Math.abs(t - prevMs);
      if (d(next) < d(same) && d(next) <= d(prev)) year += 1;
      else if (d(prev) < d(same)) year -= 1;
    }
    if (clampToMtime && Date.UTC(year, month, day, hour, minute, second) > limit) year -= 1;
    prevMonth = month;
    prevMs = Date.UTC(year, month, day, hour, minute, second);
    return year;
  };
}

/**
 * A UtcOffset for an IANA zone (Europe/Berlin), DST included, from the runtime's time-zone data.
 * Throws RangeError for an unknown zone.
 */
export function zoneOffset(timeZone: string): (wallClockAsUtcMs: number) => number {
  const fmt = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
  const offsetAt = (utcMs: number): number => {
    const name = fmt.formatToParts(new Date(utcMs)).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
    const m = /^GMT([+-])(\d{1,2})(?::?(\d{2}))?$/.exec(name);
    if (!m) return 0;
    const v = Number(m[2]) * 60 + Number(m[3] ?? 0);
    return m[1] === '-' ? -v : v;
  };
  return (wall) => {
    // The offset at the instant the wall clock shows `wall`: guess, then correct once (DST edges).
    const first = offsetAt(wall);
    return offsetAt(wall - first * 60_000);
  };
}

export function offsetMinutes(offset: UtcOffset | undefined, wallMs: number): number {
  if (offset === undefined) return 0;
  return typeof offset === 'number' ? offset : offset(wallMs);
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function daysInMonth(year: number, month: number): number {
  if (month !== 1) return MONTH_DAYS[month];
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
}

function validClock(h: number, mi: number, s: number): boolean {
  return h <= 23 && mi <= 59 && s <= 60;
}

/**
 * Parses an RFC 3339 / ISO 8601 stamp (`T` or space, any number of fraction digits, `Z`, `+hh:mm`,
 * `+hhmm` or `+hh`); without an offset, `utcOffset` applies. Null when malformed or out of range.
 */
export function parseIsoTimestamp(text: string, utcOffset?: UtcOffset): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo - 1) || !validClock(h, mi, s)) return null;
  const ms = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
  const wall = Date.UTC(y, mo - 1, d, h, mi, Math.min(s, 59), ms);
  let off: number;
  const z = m[8];
  if (z === undefined) off = offsetMinutes(utcOffset, wall);
  else if (z === 'Z' || z === 'z') off = 0;
  else {
    const digits = z.slice(1).replace(':', '');
    off = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0);
    if (z[0] === '-') off = -off;
  }
  return new Date(wall - off * 60_000);
}

/** `prog[pid]: msg`, `prog: msg`; null when the text does not start with a tag. */
function splitTag(rest: string): { program: string; pid: number | null; message: string } | null {
  // macOS / ASL adds the level: `sshd[123] <Info>: msg`.
  const m = /^([^\s[\]:]+)(?:\[(\d*)\])?(?: <\w+>)?: ?/.exec(rest);
  if (!m) return null;
  return { program: m[1], pid: m[2] ? Number(m[2]) : null, message: rest.slice(m[0].length) };
}

const SOLARIS_ID = /^\[ID \d+ [^\]\s]+\] ?/;

/** A host field that is really a tag: `Nov 23 21:50:37 sshd[8148]: …` (no host, as some syslogds write). */
const TAG_AS_HOST = /^[^\s[\]:]+(?:\[\d*\])?:$/;
/** busybox syslogd and others: `host authpriv.info sshd[1]: …`. */
const FACILITY_LEVEL = /^(?:auth|authpriv|daemon|user|local\d|security|syslog|kern|mail|cron|news|uucp|ftp|lpr|ntp|audit|alert|clock)\.(?:emerg|alert|crit|err|error|warn|warning|notice|info|debug|panic|\*) /;

function finish(
  format: SyslogFormat, time: Date | null, rawTime: string, hostField: string | null, restField: string,
): ParsedSyslogLine {
  let host = hostField;
  let rest = restField;
  if (host !== null && host.endsWith(':') && TAG_AS_HOST.test(host)) {
    rest = `${host} ${rest}`;
    host = null;
  } else {
    // Only a first word with a dot and no tag punctuation can be facility.level (the hot path: one indexOf each).
    const sp = rest.indexOf(' ');
    const dot = rest.indexOf('.');
    if (dot > 0 && dot < sp && rest.charCodeAt(sp - 1) !== 58 && FACILITY_LEVEL.test(rest)) rest = rest.slice(sp + 1);
  }
  const tag = splitTag(rest);
  const program = tag ? tag.program : null;
  const pid = tag ? tag.pid : null;
  const message = (tag ? tag.message : rest).replace(SOLARIS_ID, '');
  return { format, time, rawTime, host, program, pid, message };
}

/** Skips RFC 5424 STRUCTURED-DATA (`-` or `[id k="v" …]…`, `\]` `\"` `\\` escaped in values); returns the MSG. */
function after5424StructuredData(s: string): string | null {
  if (s === '-') return '';
  if (s.startsWith('- ')) return s.slice(2);
  if (!s.startsWith('[')) return null;
  let i = 0;
  while (s[i] === '[') {
    let inQuote = false;
    i++;
    for (; i < s.length; i++) {
      const c = s[i];
      if (inQuote) {
        if (c === '\\') i++;
        else if (c === '"') inQuote = false;
      } else if (c === '"') inQuote = true;
      else if (c === ']') break;
    }
    if (i >= s.length) return null;
    i++; // past ']'
  }
  if (i === s.length) return '';
  return s[i] === ' ' ? s.slice(i + 1) : null;
}

type PrefixParser = (line: string, opts: ParseSyslogOptions) => ParsedSyslogLine | null;

const RFC5424 = /^<(\d{1,3})>(\d{1,2}) (\S+) (\S+) (\S+) (\S+) (\S+) (.*)$/s;
const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}(?::?\d{2})?)?) (\S+) (.*)$/s;
const RFC3164 = /^(?:<\d{1,3}>)?(([A-Za-z]{3}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?) (\S+) (.*)$/s;
/** journalctl -o short-full: `Thu 2023-11-23 21:50:37 UTC host tag: msg` (short-full, with a fraction: the precise form). */
const JOURNAL_FULL = /^[A-Z][a-z]{2} (\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?) ([A-Za-z][A-Za-z0-9+-]*|[+-]\d{2,4}) (\S+) (.*)$/s;
/** journalctl -o short-unix: `1700776237.123456 host tag: msg`. */
const JOURNAL_UNIX = /^(\d{9,11}(?:\.\d{1,9})?) (\S+) (.*)$/s;
/** svlogd (socklog, runit): `2023-11-23_21:50:37.12345 ` (-tt) or `@4000000065…` (TAI64N, -t) before the record. */
const SVLOGD = /^(?:(\d{4}-\d{2}-\d{2})_(\d{2}:\d{2}:\d{2}(?:\.\d+)?)|@(4000[0-9a-f]{12})[0-9a-f]{8}) (.*)$/s;

/** The ordered prefix list. */
const PREFIXES: PrefixParser[] = [
  (line, opts) => {
    const m = RFC5424.exec(line);
    if (!m) return null;
    const [, , , ts, host, app, procid, , rest] = m;
    let time: Date | null = null;
    if (ts !== '-') {
      time = parseIsoTimestamp(ts, opts.utcOffset);
      if (!time) return null;
    }
    let msg = after5424StructuredData(rest);
    if (msg === null) return null;
    if (msg.startsWith('\uFEFF')) msg = msg.slice(1);
    return {
      format: 'rfc5424',
      time,
      rawTime: ts,
      host: host === '-' ? null : host,
      program: app === '-' ? null : app,
      pid: /^\d+$/.test(procid) ? Number(procid) : null,
      message: msg.replace(SOLARIS_ID, ''),
    };
  },
  (line, opts) => {
    const m = RFC3339.exec(line);
    if (!m) return null;
    const time = parseIsoTimestamp(m[1], opts.utcOffset);
    if (!time) return null;
    return finish('rfc3339', time, m[1], m[2], m[3]);
  },
  (line, opts) => {
    const m = RFC3164.exec(line);
    if (!m) return null;
    const month = MONTHS[m[2]] ?? MONTHS[m[2].toLowerCase()];
    if (month === undefined) return null;
    const day = Number(m[3]);
    const h = Number(m[4]);
    const mi = Number(m[5]);
    const s = Number(m[6]);
    // Feb 29 needs the year; 29 is allowed here and checked once the year is known.
    if (day < 1 || day > daysInMonth(2000, month) || !validClock(h, mi, s)) return null;
    let time: Date | null = null;
    if (opts.yearResolver) {
      const year = opts.yearResolver(month, day, h, mi, s);
      if (day <= daysInMonth(year, month)) {
        const frac = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
        const wall = Date.UTC(year, month, day, h, mi, Math.min(s, 59), frac);
        time = new Date(wall - offsetMinutes(opts.utcOffset, wall) * 60_000);
      }
    }
    return finish('rfc3164', time, m[1], m[8], m[9]);
  },
  (line, opts) => {
    const m = JOURNAL_FULL.exec(line);
    if (!m) return null;
    // journalctl prints the zone's abbreviation: UTC/GMT or a numeric offset is exact; a name
    // (CET, EST) is taken as the zone given for stamps without one.
    const z = m[2];
    const exact = z === 'UTC' || z === 'GMT' ? 'Z' : /^[+-]\d{2,4}$/.test(z) ? z : '';
    const time = parseIsoTimestamp(`${m[1]}${exact}`, opts.utcOffset);
    if (!time) return null;
    return finish('journal-full', time, `${m[1]} ${z}`, m[3], m[4]);
  },
  (line) => {
    const m = JOURNAL_UNIX.exec(line);
    if (!m) return null;
    const time = new Date(Math.floor(Number(m[1]) * 1000));
    if (Number.isNaN(time.getTime())) return null;
    return finish('journal-unix', time, m[1], m[2], m[3]);
  },
  (line, opts) => {
    const m = SVLOGD.exec(line);
    if (!m) return null;
    // socklog writes `auth.info: ` and then the record as the program sent it (often `Mmm dd hh:mm:ss tag: msg`).
    const inner = m[4].replace(/^[a-z0-9]+\.[a-z]+: /, '');
    const time = m[1] !== undefined
      ? parseIsoTimestamp(`${m[1]}T${m[2]}Z`)
      : new Date(Number((BigInt(`0x${m[3]}`) - 0x4000000000000000n - 10n) * 1000n));
    const rec = parseSyslogLine(inner, opts) ?? parseSyslogLine(`${'Jan  1 00:00:00'} - ${inner}`, {});
    if (!rec || !time) return null;
    return { ...rec, format: 'svlogd', time, rawTime: m[1] !== undefined ? `${m[1]}_${m[2]}` : `@${m[3]}` };
  },
];

/** Splits one line; null when no prefix format matches. */
export function parseSyslogLine(line: string, opts: ParseSyslogOptions = {}): ParsedSyslogLine | null {
  for (const p of PREFIXES) {
    const r = p(line, opts);
    if (r) return r;
  }
  return null;
}
