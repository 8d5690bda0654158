/**
 * Attacker-controlled text (process names, log fields, file names) is data. These functions make
 * it safe for each place it is shown.
 */

// C0 controls except tab and newline, DEL, and C1 controls (0x9b is a one-byte CSI on some terminals).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
// Unicode bidirectional overrides and isolates, which can make text read differently than it is.
const BIDI = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;

/** For the terminal: escape sequences and other controls become visible `\xNN` text. */
export function sanitizeForTerminal(value: unknown, { keepNewlines = false } = {}): string {
  const s = String(value ?? '');
  return s
    .replace(keepNewlines ? CONTROL : /[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .replace(BIDI, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** For HTML text and attribute values; controls are made visible as in the terminal. */
export function escapeHtml(value: unknown): string {
  return sanitizeForTerminal(value, { keepNewlines: true }).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/** For Markdown table cells and text: no markup, no HTML, no line breaks that split a row. */
export function escapeMarkdown(value: unknown): string {
  return (
    sanitizeForTerminal(String(value ?? '').replace(/\r?\n/g, ' '))
      .replace(/[\\`*_[\]<>|~&]/g, (c) => `\\${c}`)
      .replace(/^([#+\-!=])/, '\\$1')
      // GFM turns bare URLs into links: an entity splits the scheme and the www. from the rest.
      .replace(/:\/\//g, '&#58;//')
      .replace(/\bwww\./gi, (w) => `${w.slice(0, 3)}&#46;`)
  );
}

/** One CSV field (RFC 4180): quoted when needed; a leading =+-@ is prefixed so spreadsheets do not run it. */
export function csvField(value: unknown): string {
  let s = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

// Characters JSON.stringify leaves raw that a terminal or an editor may act on: DEL and C1
// controls (0x9b is a one-byte CSI), line and paragraph separators, bidirectional overrides.
const JSON_UNSAFE = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;

/** JSON for stdout: the same data, with every control character escaped (\u001b, \u009b…), so printing it is safe too. */
export function safeJson(value: unknown): string {
  return JSON.stringify(value).replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
