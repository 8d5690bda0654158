import type { DraftFinding } from '../../model/finding.js';
import { defineRule } from '../types.js';
import { copyOf, isKnownAllocator, short } from './shared.js';

const NEXT =
  "Copy the file and the library into the case, compare /proc with ps (process.hidden) since the box's own tools may lie, then disable the line: the guided run's step \"Neutralise what would bring the intruder back\" comments it out after copying the file, and records how to undo it.";

/**
 * persistence.preload: a library preloaded by configuration: /etc/ld.so.preload entries (when the
 * processes step did not already report the file: process.preload), LD_PRELOAD in
 * /etc/environment, a shell start-up file, rc.local, a crontab or a unit's Environment=.
 */
export const preload = defineRule({
  id: 'persistence.preload',
  title: 'Library preloaded by a configuration file',
  description:
    "Userland rootkits (Azazel, Jynx, libprocesshider) load themselves into every program through /etc/ld.so.preload or an LD_PRELOAD set where every session or service picks it up; from inside ps, ls and ss they hide the intruder's files, processes and sockets. process.preload sees the variable in running processes; this rule finds where it is set, so it also comes back after a reboot.",
  level: 'critical',
  mitre: ['T1574.006'],
  references: ['https://attack.mitre.org/techniques/T1574/006/', 'https://man7.org/linux/man-pages/man8/ld.so.8.html'],
  falsePositives: ['An allocator an administrator preloads on purpose (libjemalloc, libtcmalloc, libmimalloc in a system library folder): reported as medium.'],
  needs: ['startupEntries'],
  thresholds: {},
  detect(facts) {
    const out: DraftFinding[] = [];
    // process.preload reports a non-empty /etc/ld.so.preload when the processes step read it: one finding per file, not two.
    const processStepSawIt = (facts.ldSoPreload ?? []).length > 0;
    const push = (where: string, file: string, line: number, value: string, user: string | null, evidence: string, extra: Record<string, unknown> = {}) => {
      const allocator = isKnownAllocator(value);
      out.push({
        rule: preload.id,
        severity: allocator ? 'medium' : 'critical',
        title: `${where} preloads ${short(value, 80)} (${file} line ${line})`,
        detail: `${file} line ${line} makes ${where === '/etc/ld.so.preload' ? 'every program on the box' : 'what starts from there'} load ${JSON.stringify(value)} first${allocator ? ' (a memory allocator, usually set on purpose: confirm with whoever runs the box)' : ''}. ${NEXT}`,
        mitre: preload.mitre,
        subject: { pid: null, path: file, line, user, ip: null, library: value, ...extra },
        evidence: [evidence, ...copyOf(facts, file)],
      });
    };
    for (const e of facts.startupEntries) {
      // Sample: /etc/ld.so.preload holding `/usr/local/lib/libprocesshider.so`
      if (e.what === 'preload-library' && e.value) {
        if (processStepSawIt) continue;
        push('/etc/ld.so.preload', e.file, e.line, e.value, null, 'artifacts/startup-files.jsonl');
      }
      // Sample: `LD_PRELOAD=/lib/.x/libz.so` in /etc/environment
      if (e.what === 'ld-preload' && e.value) push(e.source === 'environment' ? '/etc/environment' : e.source === 'rc-local' ? 'rc.local' : 'A start-up file', e.file, e.line, e.value, e.user, 'artifacts/startup-files.jsonl');
    }
    for (const e of facts.cronEntries ?? []) {
      if (e.analysis?.ldPreload) push('A crontab', e.file, e.line, e.analysis.ldPreload, e.user, 'artifacts/cron.jsonl');
    }
    for (const u of facts.systemdUnits ?? []) {
      for (const env of u.environment) {
        if ((env.name === 'LD_PRELOAD' || env.name === 'LD_AUDIT') && env.value) push(`Unit ${u.name}`, env.file, env.line, env.value, u.user ?? u.owner, 'artifacts/systemd-units.jsonl', { unit: u.name });
      }
      for (const e of u.exec) if (e.analysis.ldPreload) push(`Unit ${u.name}`, e.file, e.line, e.analysis.ldPreload, u.user ?? u.owner, 'artifacts/systemd-units.jsonl', { unit: u.name });
    }
    return out;
  },
});
