/**
 * Crontab, anacrontab and at-job text, line by line, as cron(8), anacron(8) and atd(8) read them.
 * Pure: the collector hands in the text and the format; every line keeps its 1-based number so a
 * finding (and the disable action) can point at it.
 *
 *  - system format (/etc/crontab, /etc/cron.d/*): `m h dom mon dow user command`, or `@reboot user command`
 *  - spool format (crontab -e: /var/spool/cron/crontabs/USER, /var/spool/cron/USER): no user field
 *  - env lines `NAME=value` (spaces around `=` allowed, value optionally quoted)
 *  - `%` ends the command: the rest is its stdin (`\%` is a literal percent)
 */
import type { CronEntry } from '../../model/persistence.js';

export const SPECIALS = ['@reboot', '@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
/** Minute, hour, day of month, month, day of week: the range and the names each allows. */
const FIELD_RANGES: Array<{ min: number; max: number; names: string[] }> = [
  { min: 0, max: 59, names: [] },
  { min: 0, max: 23, names: [] },
  { min: 1, max: 31, names: [] },
  { min: 1, max: 12, names: MONTHS },
  { min: 0, max: 7, names: DAYS },
];

/** A time field as cron accepts it: `*`, numbers in range, names (jan, mon), ranges, lists, steps; cronie's `~` random ranges. */
export function validField(field: string, index: number): boolean {
  const { min, max, names } = FIELD_RANGES[index];
  const value = (v: string) => (/^\d+$/.test(v) ? Number(v) >= min && Number(v) <= max : names.includes(v.toLowerCase()));
  return field.split(',').every((item) => {
    const m = /^(\*|[^-/~]+(?:[-~][^-/~]+)?|~)(?:\/(\d+))?$/.exec(item);
    if (!m || (m[2] !== undefined && Number(m[2]) === 0)) return false;
    if (m[1] === '*' || m[1] === '~') return true;
    return m[1].split(/[-~]/).every(value);
  });
}
const ENV = /^\s*("[^"]*"|'[^']*'|[^\s=]+)\s*=\s*(.*)$/;
const MAX_RAW = 4096;

export type CronFormat = 'system' | 'spool';

/** The command up to the first unescaped `%`, and what follows (stdin, `%` read as newlines). */
export function splitPercent(text: string): { command: string; stdin: string | null } {
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\' && text[i + 1] === '%') {
      i++;
      continue;
    }
    if (text[i] === '%') return { command: text.slice(0, i).replaceAll('\\%', '%'), stdin: text.slice(i + 1).replaceAll('\\%', '%').replaceAll('%', '\n') };
  }
  return { command: text.replaceAll('\\%', '%'), stdin: null };
}

function unquote(v: string): string {
  const t = v.trim();
  if (t.length >= 2 && (t[0] === '"' || t[0] === "'") && t.endsWith(t[0])) return t.slice(1, -1);
  return t;
}

/** Splits off `n` whitespace-separated fields; the rest keeps its inner spacing. */
function fields(text: string, n: number): { parts: string[]; rest: string } | null {
  const parts: string[] = [];
  let rest = text.replace(/^[ \t]+/, '');
  for (let i = 0; i < n; i++) {
    const m = /^(\S+)[ \t]+/.exec(rest);
    if (!m) return null;
    parts.push(m[1]);
    rest = rest.slice(m[0].length);
  }
  return { parts, rest };
}

/** A crontab line as parsed, before the collector adds its file, source and command analysis. */
export type ParsedCronLine = Pick<CronEntry, 'line' | 'schedule' | 'special' | 'user' | 'command' | 'stdin' | 'name' | 'value' | 'raw'> & {
  kind: 'job' | 'env' | 'invalid';
};

/**
 * One crontab's lines that mean something: jobs, env lines, and lines cron would reject (kept as
 * invalid: an intruder's typo is still evidence). Comments and blank lines are left out.
 * `spoolUser` is the owner of a spool crontab (its file name).
 */
export function parseCrontab(text: string, format: CronFormat, spoolUser: string | null = null): ParsedCronLine[] {
  const out: ParsedCronLine[] = [];
  const lines = text.split('\n');
  for (const [i, rawLine] of lines.entries()) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const base = { line: i + 1, raw: line.slice(0, MAX_RAW), schedule: null, special: null, user: null, command: null, stdin: null };
    const env = ENV.exec(line);
    // cron tries an environment setting first: `*/5 * * * * x` has a space before any `=`, so it is not one.
    if (env && !/^[*@0-9]/.test(trimmed)) {
      out.push({ ...base, kind: 'env', name: unquote(env[1]), value: unquote(env[2]) });
      continue;
    }
    let schedule: string;
    let special: string | null = null;
    let rest: string;
    if (trimmed.startsWith('@')) {
      const f = fields(trimmed, 1);
      const word = (f?.parts[0] ?? trimmed).toLowerCase();
      if (!f || !SPECIALS.includes(word)) {
        out.push({ ...base, kind: 'invalid' });
        continue;
      }
      schedule = word;
      special = word;
      rest = f.rest;
    } else {
      const f = fields(trimmed, 5);
      if (!f || !f.parts.every((p, k) => validField(p, k))) {
        out.push({ ...base, kind: 'invalid' });
        continue;
      }
      schedule = f.parts.join(' ');
      rest = f.rest;
    }
    let user = spoolUser;
    if (format === 'system') {
      const u = fields(rest, 1);
      if (!u) {
        out.push({ ...base, kind: 'invalid', schedule, special });
        continue;
      }
      user = u.parts[0];
      rest = u.rest;
    }
    const { command, stdin } = splitPercent(rest.trim());
    if (command.trim() === '') {
      out.push({ ...base, kind: 'invalid', schedule, special, user });
      continue;
    }
    out.push({ ...base, kind: 'job', schedule, special, user, command, stdin });
  }
  return out;
}

/**
 * /etc/anacrontab: `period delay job-identifier command` (period in days or @daily, @weekly,
 * @monthly, @yearly) and env lines; jobs run as root.
 */
export function parseAnacrontab(text: string): ParsedCronLine[] {
  const out: ParsedCronLine[] = [];
  for (const [i, rawLine] of text.split('\n').entries()) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const base = { line: i + 1, raw: line.slice(0, MAX_RAW), schedule: null, special: null, user: null, command: null, stdin: null };
    const env = ENV.exec(line);
    if (env && !/^[@0-9]/.test(trimmed)) {
      out.push({ ...base, kind: 'env', name: unquote(env[1]), value: unquote(env[2]) });
      continue;
    }
    const f = fields(trimmed, 3);
    if (!f || !/^(?:\d+|@(?:daily|weekly|monthly|yearly|annually))$/.test(f.parts[0]) || !/^\d+$/.test(f.parts[1]) || f.rest.trim() === '') {
      out.push({ ...base, kind: 'invalid' });
      continue;
    }
    out.push({ ...base, kind: 'job', schedule: f.parts.join(' '), special: f.parts[0].startsWith('@') ? f.parts[0] : null, user: 'root', command: f.rest.trim(), stdin: null });
  }
  return out;
}

/** An at job as atd stores it: the boilerplate (`umask`, exported variables, `cd`) and then the job's own lines inside a here-document. */
export interface AtJob {
  /** From `# atrun uid=N gid=N`. */
  uid: number | null;
  /** The job's lines: inside the `<< 'marcinDELIMITER…'` here-document, or after the `cd` line in older formats. */
  lines: Array<{ line: number; text: string }>;
}

export function parseAtJob(text: string): AtJob {
  const lines = text.split('\n');
  const uid = /^#\s*atrun uid=(\d+)/m.exec(text);
  const out: AtJob = { uid: uid ? Number(uid[1]) : null, lines: [] };
  let delimiter: string | null = null;
  let start = -1;
  for (const [i, l] of lines.entries()) {
    const m = /<<\s*'?([A-Za-z0-9_]+)'?\s*$/.exec(l);
    if (m && /^\$\{SHELL/.test(l.trim())) {
      delimiter = m[1];
      start = i + 1;
      break;
    }
  }
  if (start < 0) {
    // Older at: the job follows the `cd … || { … exit 1 }` block.
    const cd = lines.findIndex((l) => /^cd /.test(l));
    start = cd < 0 ? 0 : lines.findIndex((l, i) => i > cd && /^}/.test(l)) + 1 || cd + 1;
  }
  for (let i = start; i < lines.length; i++) {
    const t = lines[i];
    if (delimiter !== null && t === delimiter) break;
    if (t.trim() === '' || t.trim().startsWith('#')) continue;
    out.lines.push({ line: i + 1, text: t.slice(0, MAX_RAW) });
  }
  return out;
}

export type { CronEntry };
