/**
 * Attacker-controlled text (process names, log fields, file names, key comments) made visible
 * instead of acted on: the one escaping every layer uses (the report's HTML, Markdown and CSV
 * escapes in report/text.ts build on it; rules use it for titles and details).
 */

// C0 controls (tab and newline kept on request), DEL, and C1 controls (0x9b is a one-byte CSI on some terminals).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f-\x9f]/g;
// eslint-disable-next-line no-control-regex
const CONTROL_KEEP_NEWLINES = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
// Unicode bidirectional overrides and isolates, which can make text read differently than it is.
const BIDI = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;

export interface EscapeOptions {
  /** Keep tab and newline as they are (multi-line text: HTML, a log excerpt). */
  keepNewlines?: boolean;
  /** How a bidirectional mark is shown: `\u202e` (the default), or `\x202e` (the form findings have always used). */
  bidi?: 'u' | 'x';
}

/** For the terminal and any text: escape sequences and other controls become visible `\xNN` text. */
export function sanitizeForTerminal(value: unknown, { keepNewlines = false, bidi = 'u' }: EscapeOptions = {}): string {
  const s = String(value ?? '');
  return s
    .replace(keepNewlines ? CONTROL_KEEP_NEWLINES : CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .replace(BIDI, (c) => (bidi === 'u' ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : `\\x${c.charCodeAt(0).toString(16)}`));
}

/**
 * Attacker text (a key comment, a GECOS field) for a title or a detail: controls made visible
 * as \xNN, cut to maxChars. The report and the terminal escape again; this keeps findings.json
 * readable as well.
 */
export function printable(value: string, maxChars = 80): string {
  const shown = sanitizeForTerminal(value, { bidi: 'x' });
  return shown.length > maxChars ? `${shown.slice(0, maxChars - 1)}…` : shown;
}

/** One CSV field (RFC 4180): quoted when needed; a leading =+-@ is prefixed so spreadsheets do not run it. */
export function csvField(value: unknown): string {
  let s = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
