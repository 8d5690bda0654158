import type { Severity } from '../model/finding.js';
import { sanitizeForTerminal } from '../report/text.js';
import type { FleetRow } from './summary.js';

/** Short headers for the per-level counts, critical first. */
const LEVEL_HEADERS: Array<[Severity, string]> = [
  ['critical', 'crit'],
  ['high', 'high'],
  ['medium', 'med'],
  ['low', 'low'],
  ['informational', 'info'],
];

const GAP = '  ';
/** Each finding title is cut to this before the three are joined (a crafted title can be any length). */
const TITLE_MAX = 120;

interface Column {
  header: string;
  /** Widest a cell may be even on a wide terminal (box text could be any length). */
  maxWidth: number;
  /** Narrowest it is squeezed to on a small terminal. */
  minWidth: number;
  /** Which end gives way: a path keeps its end (the file name), text its start. */
  cut: 'start' | 'end';
  right?: boolean;
}

/** Columns that give way on a narrow terminal, and how much room each keeps relative to the others. */
const FLEX_WEIGHTS: Record<string, number> = { host: 1, case: 1, 'main incident': 1.5, 'top findings': 1.5, bundle: 1 };

const COLUMNS: Column[] = [
  { header: 'host', maxWidth: 32, minWidth: 8, cut: 'end' },
  { header: 'case', maxWidth: 48, minWidth: 12, cut: 'end' },
  { header: 'verdict', maxWidth: 11, minWidth: 11, cut: 'end' },
  { header: 'partial', maxWidth: 7, minWidth: 7, cut: 'end' },
  ...LEVEL_HEADERS.map(([, h]): Column => ({ header: h, maxWidth: 6, minWidth: h.length, cut: 'end', right: true })),
  { header: 'top findings', maxWidth: 3 * (TITLE_MAX + 2), minWidth: 16, cut: 'end' },
  { header: 'bundle', maxWidth: 240, minWidth: 16, cut: 'start' },
];

/** Shown before the finding titles when a bundle of the table has incidents: `2 · <the main one's title>`. */
const INCIDENT_COLUMN: Column = { header: 'main incident', maxWidth: TITLE_MAX + 12, minWidth: 10, cut: 'end' };
const TOP_AT = COLUMNS.findIndex((c) => c.header === 'top findings');

/** The columns of these rows: the incident column only when a bundle has incidents, so older bundles' tables stay as they were. */
function columnsOf(rows: FleetRow[]): Column[] {
  return rows.some((r) => r.incidents) ? [...COLUMNS.slice(0, TOP_AT), INCIDENT_COLUMN, ...COLUMNS.slice(TOP_AT)] : COLUMNS;
}

/** `3 · deploy logged in from 203.0.113.7 and …`: how many incidents, and the main one; `-` without. */
function incidentCell(r: FleetRow, clean: (v: unknown) => string): string {
  if (!r.ok || !r.incidents || r.incidents.count === 0) return '-';
  return r.incidents.main === null ? String(r.incidents.count) : `${r.incidents.count} · ${cut(clean(r.incidents.main), TITLE_MAX)}`;
}

/** Cuts to `width` characters (code points, so no surrogate pair is split), marking the cut with an ellipsis. */
export function cut(text: string, width: number, side: 'start' | 'end' = 'end'): string {
  const chars = Array.from(text);
  if (chars.length <= width) return text;
  if (width <= 1) return '…'.slice(0, width);
  return side === 'end' ? `${chars.slice(0, width - 1).join('')}…` : `…${chars.slice(chars.length - width + 1).join('')}`;
}

function length(text: string): number {
  return Array.from(text).length;
}

/** The cells of one row, sanitised (host, case, titles, problems and paths may all come from the box). */
function cellsOf(r: FleetRow, withIncidents: boolean): string[] {
  const clean = (v: unknown) => sanitizeForTerminal(v ?? '').replace(/\s+/g, ' ').trim();
  const counts = LEVEL_HEADERS.map(([level]) => (r.counts ? String(r.counts[level]) : '-'));
  let verdict: string;
  let top: string;
  if (!r.ok) {
    verdict = 'NOT INTACT';
    top = clean(r.problems[0] ?? 'not intact');
  } else if (r.verdict === null) {
    verdict = '-';
    top = r.action ? `(${clean(r.action)} bundle: no findings)` : '(no findings.json)';
  } else {
    verdict = r.verdict;
    top = r.top.map((t) => cut(clean(t), TITLE_MAX)).join('; ') || '-';
  }
  const partial = r.partial === null ? '-' : r.partial ? 'yes' : 'no';
  return [clean(r.host ?? '?') || '?', clean(r.case ?? '?') || '?', verdict, partial, ...counts, ...(withIncidents ? [incidentCell(r, clean)] : []), top, clean(r.bundle)];
}

/**
 * The fleet table: one line per bundle, most severe first as given; when a bundle has incidents,
 * a column before the finding titles gives their count and the main one's title. With a terminal
 * width, the host, case, main incident and finding titles (from their end) and bundle path (from
 * its start) give way so every
 * line fits; the verdict and the counts never do. Without a width (output to a file or a pipe)
 * only each cell's own cap applies.
 */
export function renderFleetTable(rows: FleetRow[], terminalWidth = Infinity): string {
  const columns = columnsOf(rows);
  const cells = rows.map((r) => cellsOf(r, columns !== COLUMNS));
  const widths = columns.map((c, i) => Math.max(c.header.length, Math.min(c.maxWidth, cells.reduce((w, r) => Math.max(w, length(r[i])), 0))));
  const total = () => widths.reduce((a, b) => a + b, 0) + GAP.length * (widths.length - 1);
  // Too wide for the terminal: the flexible column that is widest for its weight gives one
  // character at a time, so long titles and long paths end up sharing the room.
  const flexible = columns.map((c, i) => [i, FLEX_WEIGHTS[c.header] ?? 0] as const).filter(([, w]) => w > 0);
  while (total() > terminalWidth) {
    let widest = -1;
    let widestScore = 0;
    for (const [i, weight] of flexible) {
      const score = widths[i] / weight;
      if (widths[i] > columns[i].minWidth && score > widestScore) [widest, widestScore] = [i, score];
    }
    if (widest < 0) break;
    widths[widest] -= 1;
  }
  const line = (r: string[]) =>
    r
      .map((c, i) => {
        const text = cut(c, widths[i], columns[i].cut);
        return columns[i].right ? text.padStart(widths[i]) : text + ' '.repeat(widths[i] - length(text));
      })
      .join(GAP)
      .trimEnd();
  return [line(columns.map((c) => c.header)), line(widths.map((w) => '─'.repeat(w))), ...cells.map(line)].join('\n');
}

/** `3 bundles: 1 compromised, 2 clean; 1 NOT INTACT`, then one line per bundle that is not intact. */
export function renderFleetFooter(rows: FleetRow[]): string[] {
  const byVerdict = new Map<string, number>();
  for (const r of rows) {
    const key = !r.ok ? null : r.verdict ?? 'without findings';
    if (key) byVerdict.set(key, (byVerdict.get(key) ?? 0) + 1);
  }
  const broken = rows.filter((r) => !r.ok);
  const parts = [...byVerdict].map(([k, n]) => `${n} ${k}`).join(', ');
  const lines = [`${rows.length} bundle${rows.length === 1 ? '' : 's'}${parts ? `: ${parts}` : ''}${broken.length ? `${parts ? ';' : ':'} ${broken.length} NOT INTACT` : ''}`];
  for (const r of broken) {
    const more = r.problems.length > 1 ? ` (and ${r.problems.length - 1} more: ir-triage verify ${sanitizeForTerminal(r.bundle)})` : '';
    lines.push(`NOT INTACT: ${sanitizeForTerminal(r.bundle)}: ${sanitizeForTerminal(r.problems[0] ?? 'not intact')}${more}`);
  }
  return lines;
}
