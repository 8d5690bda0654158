/** How incidents and their stories write times: short, in UTC, one line. */

/** `2026-11-22 22:26:09` (UTC); the text given back when it is not a time. */
export function shortTime(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** `2026-11-22 22:26:09–22:40:12 UTC`: the end without its date when it is the same day; `…–open` without an end. */
export function spanText(start: string, end: string | null): string {
  const a = shortTime(start);
  if (end === null) return `${a}–(no end recorded) UTC`;
  const b = shortTime(end);
  return `${a}–${b.slice(0, 10) === a.slice(0, 10) ? b.slice(11) : b} UTC`;
}

/** Milliseconds of an ISO time, or null. */
export function timeMs(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}
