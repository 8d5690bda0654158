import type { DraftFinding } from '../../model/finding.js';
import type { ToolHit } from '../../model/processes.js';
import { defineRule } from '../types.js';
import { candidateProcesses, processEvidence, processLabel, processSubject } from './subject.js';

/** process.known-tool: name, exe, command line or exe hash on the known-tool list. */
export const knownTool = defineRule({
  id: 'process.known-tool',
  title: 'Known SSH scanner, brute-forcer or miner running',
  description:
    'The tool list (Loki formats: REGEX;SCORE[;FALSE_POSITIVE_REGEX] for names, HASH;DESCRIPTION for hashes) names the scanners, brute-forcers and miners SSH kits drop: pscan2, ssh-scan, xmrig, kinsing and others. Score 80 or more is an alert.',
  level: 'high',
  mitre: ['T1046', 'T1110'],
  references: ['https://github.com/Neo23x0/signature-base', 'https://github.com/Neo23x0/Loki'],
  falsePositives: ['An administrator running a scanner on purpose (nmap, masscan) for an audit.'],
  needs: ['processes', 'toolHits'],
  thresholds: { minScore: 40 },
  detect(facts, t) {
    const out: DraftFinding[] = [];
    const hits = new Map<number, ToolHit[]>();
    for (const h of facts.toolHits) {
      if (h.score >= t.minScore) hits.set(h.pid, [...(hits.get(h.pid) ?? []), h]);
    }
    for (const p of candidateProcesses(facts)) {
      const mine = hits.get(p.pid);
      if (!mine) continue;
      const best = [...mine].sort((a, b) => b.score - a.score)[0];
      const what = best.description ?? `matches ${best.pattern}`;
      out.push({
        rule: knownTool.id,
        severity: best.score >= 80 ? 'high' : 'medium',
        title: `Known tool running: ${processLabel(p)} — ${what}`,
        detail: `Pid ${p.pid} (${p.exe ?? p.comm}, user ${p.user ?? p.uid ?? '?'}) matched the tool list: ${mine
          .map((h) => `${h.field} ${JSON.stringify(h.value)} ~ ${h.kind === 'hash' ? 'hash' : 'pattern'} ${h.pattern} (score ${h.score}, ${h.list})`)
          .join('; ')}. Find its folder (the lsof step) and its parent (what restarts it), preserve the files, then freeze it and quarantine the folder. An outbound scanner means this box is attacking others: tell the abuse desk once it is stopped.`,
        mitre: knownTool.mitre,
        subject: { ...processSubject(p), tool: what },
        evidence: processEvidence(p),
      });
    }
    return out;
  },
});
