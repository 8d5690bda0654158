import type { DraftFinding } from '../model/finding.js';
import type { KnownFacts } from '../model/facts.js';
import type { DisableMethod } from './disable-record.js';
import type { ActionTarget } from './types.js';

/** What the guided run hands in: `line:N:PATH`, `exec:PATH` or `unit:PATH` (the path last: it may hold colons). */
export interface DisableTarget {
  method: DisableMethod;
  path: string;
  line: number | null;
}

export function formatTarget(t: DisableTarget): string {
  if (t.method === 'comment-line') return `line:${t.line}:${t.path}`;
  return `${t.method === 'chmod-x' ? 'exec' : 'unit'}:${t.path}`;
}

export function parseTarget(s: string): DisableTarget | null {
  const line = /^line:(\d+):(\/.*)$/s.exec(s);
  if (line) return { method: 'comment-line', path: line[2], line: Number(line[1]) };
  const other = /^(exec|unit):(\/.*)$/s.exec(s);
  if (other) return { method: other[1] === 'exec' ? 'chmod-x' : 'unit', path: other[2], line: null };
  return null;
}

/** Files whose flagged item is a whole file to take the execute bit from. */
const EXEC_KINDS = new Set(['cron-script', 'at-job']);
/** Files whose flagged item is a unit to disable. */
const UNIT_KINDS = new Set(['unit', 'drop-in']);

function one(text: string, max = 100): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** The text of line n of a collected file, when a record holds it. */
function lineText(facts: KnownFacts, file: string, n: number): string | null {
  const c = (facts.cronEntries ?? []).find((e) => e.file === file && e.line === n);
  if (c) return c.raw;
  const s = (facts.startupEntries ?? []).find((e) => e.file === file && e.line === n);
  if (s) return s.text;
  const k = (facts.authorizedKeys ?? []).find((e) => e.file === file && e.line === n);
  if (k) return `${k.type ?? '?'} … ${k.comment}`;
  return null;
}

/**
 * What the disable step offers: the item of every persistence finding (a cron line, a cron script
 * or at job, a unit, a start-up line, an authorized key line: any finding whose subject names a
 * file and a 1-based line), and the entries of /etc/ld.so.preload that process.preload reported.
 */
export function disableTargets(facts: KnownFacts, findings: DraftFinding[]): ActionTarget[] {
  const files = new Map((facts.persistenceFiles ?? []).map((f) => [f.path, f]));
  const out = new Map<string, { name: string; rules: Set<string> }>();
  const add = (t: DisableTarget, name: string, rule: string) => {
    const key = formatTarget(t);
    const prior = out.get(key);
    if (prior) prior.rules.add(rule);
    else out.set(key, { name, rules: new Set([rule]) });
  };
  for (const f of findings) {
    const file = typeof f.subject.path === 'string' ? f.subject.path : null;
    if (!file) continue;
    const line = typeof f.subject.line === 'number' && Number.isInteger(f.subject.line) && f.subject.line > 0 ? f.subject.line : null;
    const kind = files.get(file)?.kind ?? null;
    const isPersistence = f.rule.startsWith('persistence.');
    if (isPersistence && ((kind !== null && UNIT_KINDS.has(kind)) || typeof f.subject.unit === 'string')) {
      const unit = (facts.systemdUnits ?? []).find((u) => u.path === file || u.dropIns.includes(file) || u.environment.some((e) => e.file === file) || u.name === f.subject.unit);
      if (unit) add({ method: 'unit', path: unit.path, line: null }, `${unit.name} (${unit.path}): disable${unit.enabled ? ' and stop' : ''}`, f.rule);
      continue;
    }
    if (isPersistence && kind !== null && EXEC_KINDS.has(kind)) {
      add({ method: 'chmod-x', path: file, line: null }, `${file}: chmod a-x`, f.rule);
      continue;
    }
    if (file === '/etc/ld.so.preload' && line === null) {
      for (const e of (facts.startupEntries ?? []).filter((x) => x.file === file && x.what === 'preload-library')) add({ method: 'comment-line', path: file, line: e.line }, `${file} line ${e.line}: ${one(e.text)}`, f.rule);
      continue;
    }
    const keyFile = (facts.authorizedKeys ?? []).some((k) => k.file === file);
    if ((isPersistence || keyFile || f.rule === 'process.preload') && line !== null) {
      const text = lineText(facts, file, line);
      add({ method: 'comment-line', path: file, line }, `${file} line ${line}${text ? `: ${one(text)}` : ''}`, f.rule);
    }
  }
  return [...out].map(([value, t]) => ({ value, name: t.name, description: [...t.rules].join(', ') }));
}
