import type { DraftFinding, Severity } from '../../model/finding.js';
import { isSeverity } from '../../model/finding.js';
import { defineRule } from '../types.js';

/** yara.match: a YARA rule matched a flagged executable or a file of a malware folder. */
export const yaraMatch = defineRule({
  id: 'yara.match',
  title: 'YARA rule matched',
  description:
    "YARA is the common language of malware signatures: a rule that matches a preserved executable or a file in the malware folder names the family and points to public write-ups. The rule's own `severity` meta (a Sigma level) sets the finding's level; without it, high.",
  level: 'high',
  mitre: ['T1588.001'],
  references: ['https://virustotal.github.io/yara/'],
  falsePositives: ['Rules matching generic strings; read the rule and its reference.'],
  needs: ['yaraScan'],
  thresholds: {},
  detect(facts) {
    const out: DraftFinding[] = [];
    for (const m of facts.yaraScan.matches) {
      const level = m.meta.severity?.toLowerCase();
      const severity: Severity = level && isSeverity(level) ? level : 'high';
      const describe = m.meta.description ? ` (${m.meta.description})` : '';
      out.push({
        rule: yaraMatch.id,
        severity,
        title: `YARA rule ${m.rule} matched ${m.file}${m.pid !== null ? ` (pid ${m.pid})` : ''}`,
        detail: `The rule ${m.rule}${describe}${m.tags.length ? `, tags ${m.tags.join(', ')}` : ''}, from ${m.ruleFile}, matched ${m.file} (${m.reason}, sha256 ${m.sha256})${m.strings.length ? ` at ${m.strings.map((s) => `${s.id}@${s.offset}`).join(', ')}` : ''}.${m.meta.reference ? ` Reference: ${m.meta.reference}.` : ''} Keep the file, look up its hash, and treat the process as that family until shown otherwise.`,
        mitre: yaraMatch.mitre,
        subject: { pid: m.pid, path: m.file, user: null, ip: null, yaraRule: m.rule, tags: m.tags, meta: m.meta, sha256: m.sha256 },
        evidence: ['artifacts/yara-matches.jsonl', 'artifacts/open-files.jsonl'],
      });
    }
    return out;
  },
});
