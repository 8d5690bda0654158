import type { Finding, Severity } from '../model/finding.js';
import { SEVERITIES } from '../model/finding.js';
import type { SourceStatus } from '../model/source.js';

/** Plain-text pieces both renderers share; the caller escapes them for its format. */

/** `2024-03-01 08:59:04 UTC` from an ISO 8601 UTC string; anything else as it is. */
export function timeText(iso: string | null | undefined): string {
  if (!iso) return '';
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?Z$/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}

/** `3.2 MiB`. */
export function bytesText(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function countText(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/** `user deploy · ip 203.0.113.7 · pid 4242 · /tmp/.. /pscan2`: what a finding is about. */
export function subjectText(f: Finding): string {
  const s = f.subject;
  const parts: string[] = [];
  if (typeof s.user === 'string' && s.user) parts.push(`user ${s.user}`);
  if (typeof s.ip === 'string' && s.ip) parts.push(`ip ${s.ip}`);
  else if (typeof s.host === 'string' && s.host) parts.push(`host ${s.host}`);
  if (typeof s.pid === 'number') parts.push(`pid ${s.pid}`);
  if (typeof s.path === 'string' && s.path) parts.push(s.path);
  return parts.join(' · ');
}

/** Findings per level, most severe level first; empty levels left out. */
export function byLevel(findings: Finding[]): Array<{ level: Severity; findings: Finding[] }> {
  return [...SEVERITIES]
    .reverse()
    .map((level) => ({ level, findings: findings.filter((f) => f.severity === level) }))
    .filter((g) => g.findings.length > 0);
}

/** Findings of one rule a report shows; past it the rest are counted (findings.json keeps every one). */
export const FINDINGS_SHOWN_PER_RULE = 25;

/**
 * The findings a report shows: of each rule, its FINDINGS_SHOWN_PER_RULE most severe (in their
 * order), and how many more of each rule findings.json holds. Months of brute force make a
 * finding per address; thousands of identical cards help no reader.
 */
export function shownFindings(findings: Finding[]): { shown: Finding[]; more: Array<{ rule: string; count: number }> } {
  const rank = (f: Finding) => SEVERITIES.indexOf(f.severity);
  const seen = new Map<string, number>();
  const keep = new Set<Finding>();
  for (const f of [...findings].sort((a, b) => rank(b) - rank(a))) {
    const n = seen.get(f.rule) ?? 0;
    seen.set(f.rule, n + 1);
    if (n < FINDINGS_SHOWN_PER_RULE) keep.add(f);
  }
  const more = [...seen].filter(([, n]) => n > FINDINGS_SHOWN_PER_RULE).map(([rule, n]) => ({ rule, count: n - FINDINGS_SHOWN_PER_RULE }));
  return { shown: findings.filter((f) => keep.has(f)), more };
}

/** `4180 more auth.bruteforce findings are in findings.json`, one line per rule cut. */
export function moreFindingsText(more: Array<{ rule: string; count: number }>): string[] {
  return more.map((m) => `${m.count} more ${m.rule} finding${m.count === 1 ? ' is' : 's are'} in findings.json (the report shows ${FINDINGS_SHOWN_PER_RULE} per rule).`);
}

export function sourceDetail(s: SourceStatus): string {
  if (s.status === 'error') return s.message;
  if (s.status === 'skipped') return s.reason;
  if (s.warning) return s.detail ? `${s.warning} (${s.detail})` : s.warning;
  return s.detail ?? '';
}

/** The status a reader sees: a source read with a warning shows `warning`. */
export function sourceStatusText(s: SourceStatus): string {
  return s.status === 'ok' && s.warning ? 'warning' : s.status;
}

/** The sources worth a reader's attention: failed ones first, then skipped ones, then those read with a warning. */
export function notableSources(sources: SourceStatus[]): SourceStatus[] {
  return [
    ...sources.filter((s) => s.status === 'error'),
    ...sources.filter((s) => s.status === 'skipped'),
    ...sources.filter((s) => s.status === 'ok' && s.warning),
  ];
}

export const VERDICT_LABEL: Record<string, string> = {
  compromised: 'Compromised',
  attacking: 'Attacking others',
  attacked: 'Under attack',
  suspicious: 'Suspicious',
  clean: 'No sign of compromise',
};

/**
 * The files a report lists: all but itself, the custody log, manifest.json and SHA256SUMS, which
 * are written after it — so the report collect writes and the one `ir-triage report` renders agree.
 */
export function evidenceFiles<T extends { path: string }>(files: T[]): T[] {
  const after = new Set(['report.md', 'report.html', 'custody.jsonl', 'manifest.json', 'SHA256SUMS']);
  return files.filter((f) => !after.has(f.path)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * A finding id in HTML: a link to its card when the report shows one, else the id as text (the
 * finding is in findings.json; the report shows a number per rule), so no link leads nowhere.
 */
export function findingLinkHtml(id: string, carded: ReadonlySet<string>, esc: (s: string) => string): string {
  return carded.has(id) ? `<a href="#${esc(id)}">${esc(id)}</a>` : `<span title="in findings.json (the report shows ${FINDINGS_SHOWN_PER_RULE} per rule)">${esc(id)}</span>`;
}
