/**
 * Attacker-controlled text (process names, log fields, file names) is data. These functions make
 * it safe for each place it is shown.
 */
import { sanitizeForTerminal } from '../model/text.js';

export { sanitizeForTerminal } from '../model/text.js';

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

// Characters JSON.stringify leaves raw that a terminal or an editor may act on: DEL and C1
// controls (0x9b is a one-byte CSI), line and paragraph separators, bidirectional overrides.
const JSON_UNSAFE = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;

/** JSON for stdout: the same data, with every control character escaped (\u001b, \u009b…), so printing it is safe too. */
export function safeJson(value: unknown): string {
  return JSON.stringify(value).replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
