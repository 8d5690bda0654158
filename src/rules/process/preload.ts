import type { DraftFinding } from '../../model/finding.js';
import { defineRule } from '../types.js';
import { candidateProcesses, processEvidence, processLabel, processSubject } from './subject.js';

/** process.preload: LD_PRELOAD in a process environment, or a non-empty /etc/ld.so.preload. */
export const preload = defineRule({
  id: 'process.preload',
  title: 'Library preloaded into processes',
  description:
    "A preloaded library runs inside every process it is loaded into: userland rootkits use /etc/ld.so.preload or LD_PRELOAD to hide files, processes and connections from the box's own tools.",
  level: 'high',
  mitre: ['T1574.006'],
  references: ['https://attack.mitre.org/techniques/T1574/006/', 'https://man7.org/linux/man-pages/man8/ld.so.8.html'],
  falsePositives: ['Profilers and memory allocators (libjemalloc, libtcmalloc) set by an administrator.'],
  needs: ['processes'],
  thresholds: {},
  detect(facts) {
    const out: DraftFinding[] = [];
    const global = facts.ldSoPreload ?? null;
    if (global && global.length > 0) {
      out.push({
        rule: preload.id,
        severity: 'critical',
        title: `/etc/ld.so.preload loads ${global.join(', ')} into every process`,
        detail:
          "Every program on the box, ps, ss and ls included, loads these libraries first: the box's own tools cannot be trusted while it is there. Copy the file and the libraries into the case, compare /proc with ps (process.hidden), and remove the entry only after preserving it.",
        mitre: preload.mitre,
        subject: { pid: null, path: '/etc/ld.so.preload', user: null, ip: null, libraries: global },
        evidence: ['artifacts/processes.jsonl'],
      });
    }
    for (const p of candidateProcesses(facts)) {
      if (!p.ldPreload) continue;
      out.push({
        rule: preload.id,
        severity: 'high',
        title: `LD_PRELOAD=${p.ldPreload} in ${processLabel(p)}`,
        detail: `Pid ${p.pid} (${p.exe ?? p.comm}, user ${p.user ?? p.uid ?? '?'}) was started with LD_PRELOAD=${p.ldPreload}: that library runs inside it and can change what it sees and does. Check what the library is and who set the variable (the parent chain, a shell start-up file).`,
        mitre: preload.mitre,
        subject: { ...processSubject(p), library: p.ldPreload },
        evidence: processEvidence(p),
      });
    }
    return out;
  },
});
