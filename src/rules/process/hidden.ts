import type { DraftFinding } from '../../model/finding.js';
import { defineRule } from '../types.js';
import { processEvidence, processLabel, processSubject } from './subject.js';

/** process.hidden: a pid in /proc that the box's ps does not show, or the reverse, on a re-check too. */
export const hidden = defineRule({
  id: 'process.hidden',
  title: "Process hidden from the box's ps",
  description:
    "A rootkit hides its processes from ps, top and ls by patching them, preloading a library or hooking the kernel. A pid the kernel lists in /proc that ps does not show (still there a moment later) is being hidden; a pid ps shows that does not exist means ps itself was replaced. A kernel rootkit also hides pids from /proc's listing: a brute-force walk over the pid space (/proc/PID/stat opened directly, kill(pid, 0), each task's children) finds pids the listing leaves out.",
  level: 'critical',
  mitre: ['T1014', 'T1564'],
  references: ['https://github.com/YJesus/Unhide'],
  falsePositives: ['Processes that start or end between the two views (re-checked before reporting).', 'Threads answer a direct lookup without being listed: their thread-group leader is checked.'],
  needs: ['processes', 'processCrossView'],
  thresholds: {},
  detect(facts) {
    const out: DraftFinding[] = [];
    const view = facts.processCrossView;
    const self = new Set(facts.selfPids ?? []);
    const byPid = new Map(facts.processes.map((p) => [p.pid, p]));
    for (const pid of view.onlyInProc) {
      if (self.has(pid)) continue;
      const p = byPid.get(pid);
      out.push({
        rule: hidden.id,
        severity: 'critical',
        title: `Process hidden from ps: ${p ? processLabel(p) : `pid ${pid}`}`,
        detail: `The kernel lists pid ${pid}${p ? ` (${p.exe ?? p.comm}, user ${p.user ?? p.uid ?? '?'})` : ''} in /proc, still there on a re-check, but the box's ps (${view.views.join(', ')}) does not show it: something on this box hides it. Trust /proc over the box's tools from here on, preserve its executable, and check /etc/ld.so.preload and the ps binary's integrity.`,
        mitre: hidden.mitre,
        subject: p ? processSubject(p) : { pid, path: null, user: null, ip: null },
        evidence: p ? processEvidence(p) : ['artifacts/processes.jsonl'],
      });
    }
    for (const pid of view.onlyInPs) {
      out.push({
        rule: hidden.id,
        severity: 'high',
        title: `The box's ps shows pid ${pid}, which the kernel does not know`,
        detail: `ps (${view.views.join(', ')}) listed pid ${pid}, and /proc had no such process on two looks: the ps output is being forged. Treat every tool on the box as suspect.`,
        mitre: hidden.mitre,
        subject: { pid, path: null, user: null, ip: null },
        evidence: ['commands/ps-auxwwf.txt', 'artifacts/processes.jsonl'],
      });
    }
    // The brute-force walk: a pid the kernel answers for that /proc's listing leaves out.
    for (const h of facts.pidWalk?.hidden ?? []) {
      if (self.has(h.pid) || (h.ppid !== null && self.has(h.ppid))) continue;
      const what = h.comm !== null ? `${h.comm} (pid ${h.pid})` : `pid ${h.pid}`;
      out.push({
        rule: hidden.id,
        severity: 'critical',
        title: `Process hidden from /proc's listing: ${what}`,
        detail: `${what}${h.exe ? `, running ${h.exe}` : ''}${h.ppid !== null ? `, parent ${h.ppid}` : ''}, answers ${h.views.map((v) => VIEW_NAMES[v]).join(', ')} on two looks, yet /proc's directory listing leaves it out: a kernel rootkit is filtering the listing. Nothing on this box can be trusted to list processes; preserve what /proc/${h.pid} still gives (exe, maps, environ) and image the memory before rebooting.`,
        mitre: hidden.mitre,
        subject: { pid: h.pid, path: h.exe, user: null, ip: null, comm: h.comm, views: h.views },
        evidence: ['artifacts/pid-walk.json'],
      });
    }
    return out;
  },
});

const VIEW_NAMES: Record<string, string> = {
  stat: 'a direct open of its /proc stat file',
  kill: 'kill(pid, 0)',
  children: "its parent's task children list",
};
