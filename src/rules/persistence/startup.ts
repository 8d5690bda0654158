import type { DraftFinding, Severity } from '../../model/finding.js';
import type { StartupEntry } from '../../model/persistence.js';
import { inWritableDir, isDeceptiveName } from '../process/paths.js';
import { defineRule } from '../types.js';
import { copyOf, judgeCommand, short, type Verdict } from './shared.js';

const WHERE: Record<StartupEntry['source'], string> = {
  'rc-local': 'rc.local (run as root at every boot)',
  'init-script': 'an init script no package owns (run at boot)',
  'shell-startup': 'a shell start-up file (run at every login)',
  environment: '/etc/environment',
  'ld-so-preload': '/etc/ld.so.preload',
};

/** A PATH entry that lets a file dropped in a writable or disguised folder shadow a system command. */
function badPathEntry(value: string): string | null {
  for (const d of value.split(':')) {
    if (d === '.' || inWritableDir(d) || d.split('/').some((c) => c !== '' && isDeceptiveName(c))) return d;
  }
  return null;
}

/**
 * persistence.startup: a start-up file (rc.local, an unpackaged init script, profile, bashrc, …)
 * that runs something from a world-writable or hidden folder, fetches code into a shell, opens a
 * reverse shell, replaces sudo/su/ssh/passwd with an alias or function, or puts a writable folder
 * in PATH.
 */
export const startup = defineRule({
  id: 'persistence.startup',
  title: 'Start-up file that brings the intruder back',
  description:
    "Kits add a line to rc.local, an init script or a shell start-up file (.bashrc, .profile, /etc/profile.d/*) so they start again at boot or at the next login; some replace sudo or ssh with an alias that records the password typed. Default start-up files only set the environment and source each other.",
  level: 'high',
  mitre: ['T1037.004', 'T1546.004', 'T1056.001'],
  references: ['https://attack.mitre.org/techniques/T1037/004/', 'https://attack.mitre.org/techniques/T1546/004/'],
  falsePositives: [
    "Sourcing a dot-folder's script from a home (`. \"$HOME/.cargo/env\"`) is not flagged; running a program from an unknown dot-folder is.",
    "`alias sudo='sudo '` (the trailing-space trick that lets aliases expand after sudo) is not flagged.",
  ],
  needs: ['startupEntries'],
  thresholds: { minScore: 40 },
  detect(facts, t) {
    const out: DraftFinding[] = [];
    for (const e of facts.startupEntries) {
      let v: Verdict | null = null;
      let severity: Severity | null = null;
      const reasons: string[] = [];
      if (e.what === 'command' || e.what === 'prompt-command') {
        // Sample: `nohup /var/tmp/.ICE-unix/.x/kswapd0 >/dev/null 2>&1 &` in /etc/rc.local
        v = judgeCommand(e.analysis, e.toolHits, t.minScore, { sourcedOk: e.source === 'shell-startup' });
        if (v) {
          severity = v.severity;
          reasons.push(...v.reasons);
          if (e.what === 'prompt-command') reasons.push('PROMPT_COMMAND runs before every prompt of every interactive shell');
        }
      } else if (e.what === 'alias' && e.name) {
        // Sample: `alias sudo='/tmp/.s/sudo'` in ~/.bashrc
        severity = 'high';
        reasons.push(`it replaces ${e.name} with ${JSON.stringify(short(e.value ?? e.text, 120))}: what the user types next, their password included, goes to that instead`);
      } else if (e.what === 'path' && e.value) {
        const bad = badPathEntry(e.value);
        if (bad !== null) {
          severity = 'medium';
          reasons.push(`its PATH searches ${JSON.stringify(bad)}, where anyone (or the intruder's disguised folder) can put a program named like a system command`);
        }
      }
      if (!severity) continue;
      out.push({
        rule: startup.id,
        severity,
        title: `${e.source === 'shell-startup' ? 'Shell start-up file' : e.source === 'rc-local' ? 'rc.local' : e.source === 'init-script' ? 'Init script' : e.source} ${e.file} line ${e.line}: ${short(e.text, 80)}`,
        detail: `${WHERE[e.source]} ${e.file}${e.user ? ` (user ${e.user})` : ''}, line ${e.line}: ${JSON.stringify(short(e.text, 300))}: ${reasons.join('; ')}. Preserve the file, then comment the line out: the guided run's step "Neutralise what would bring the intruder back" does it after copying the file into the case, and records how to undo it.`,
        mitre: startup.mitre,
        subject: { pid: null, path: e.file, line: e.line, user: e.user, ip: null, source: e.source, text: e.text, ...(v?.runs ? { runs: v.runs } : {}), ...(v?.tool ? { tool: v.tool.description ?? v.tool.pattern } : {}) },
        evidence: ['artifacts/startup-files.jsonl', ...copyOf(facts, e.file)],
      });
    }
    return out;
  },
});
