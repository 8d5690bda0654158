import type { ActionPlan, ActionResult } from '../actions/types.js';
import type { DraftFinding } from '../model/finding.js';
import type { KnownFacts } from '../model/facts.js';
import { disableTargets } from './disable-targets.js';
import type { Choice } from './prompter.js';

/** What the guided run needs from the containment actions. */
export interface Containment {
  plan(action: string, target: string): Promise<ActionPlan>;
  apply(action: string, plan: ActionPlan): Promise<ActionResult>;
}

/** The targets an action step offers, drawn from what the run flagged. */
export function actionTargets(action: string, facts: KnownFacts, findings: DraftFinding[]): Array<Choice<string>> {
  const byPid = new Map((facts.processes ?? []).map((p) => [p.pid, p]));
  if (action === 'freeze' || action === 'kill') {
    const pids = [...new Set(findings.map((f) => f.subject.pid).filter((p): p is number => typeof p === 'number' && byPid.has(p)))];
    return pids.map((pid) => {
      const p = byPid.get(pid)!;
      const rules = [...new Set(findings.filter((f) => f.subject.pid === pid).map((f) => f.rule))].join(', ');
      return { value: String(pid), name: `pid ${pid} ${p.comm} (${p.user ?? p.uid ?? '?'}) ${p.exe ?? ''}`, description: rules };
    });
  }
  if (action === 'quarantine') {
    const folders = new Map<string, string[]>();
    for (const o of facts.openFiles ?? []) {
      const first = o.folders[0];
      if (first) folders.set(first, [...(folders.get(first) ?? []), `${o.comm} (pid ${o.pid})`]);
    }
    return [...folders].map(([folder, who]) => ({ value: folder, name: folder, description: `holds ${who.join(', ')}` }));
  }
  if (action === 'disable') return disableTargets(facts, findings);
  if (action === 'block-ip') {
    const ips = new Map<string, string[]>();
    for (const f of findings) {
      if (typeof f.subject.ip === 'string' && f.subject.ip) ips.set(f.subject.ip, [...(ips.get(f.subject.ip) ?? []), f.rule]);
    }
    return [...ips].map(([ip, rules]) => ({ value: ip, name: ip, description: [...new Set(rules)].join(', ') }));
  }
  return [];
}
