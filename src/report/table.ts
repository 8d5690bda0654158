import { sanitizeForTerminal } from './text.js';

/**
 * A plain-text table for the terminal: every cell sanitised (box text is data), long cells cut
 * with an ellipsis so a crafted 10,000-character process name cannot flood the screen.
 */
export function renderTable(headers: string[], rows: Array<Array<string | number | null | undefined>>, maxCell = 60): string {
  const cells = rows.map((r) =>
    r.map((c) => {
      const s = sanitizeForTerminal(c ?? '');
      return s.length > maxCell ? `${s.slice(0, maxCell - 1)}…` : s;
    }),
  );
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '─'.repeat(w))), ...cells.map(line)].join('\n');
}
