import type { KnownFacts } from '../model/facts.js';
import type { DraftFinding } from '../model/finding.js';
import type { ActionTarget } from './types.js';

/** What freeze and kill offer: every process a finding names that the run saw, with the rules that flagged it. */
export function flaggedProcessTargets(facts: KnownFacts, findings: DraftFinding[]): ActionTarget[] {
  const byPid = new Map((facts.processes ?? []).map((p) => [p.pid, p]));
  const pids = [...new Set(findings.map((f) => f.subject.pid).filter((p): p is number => typeof p === 'number' && byPid.has(p)))];
  return pids.map((pid) => {
    const p = byPid.get(pid)!;
    const rules = [...new Set(findings.filter((f) => f.subject.pid === pid).map((f) => f.rule))].join(', ');
    return { value: String(pid), name: `pid ${pid} ${p.comm} (${p.user ?? p.uid ?? '?'}) ${p.exe ?? ''}`, description: rules };
  });
}
