import type { DraftFinding } from '../../model/finding.js';
import type { CronEntry } from '../../model/persistence.js';
import { inWritableDir, isDeceptiveName } from '../process/paths.js';
import { defineRule } from '../types.js';
import { copyOf, judgeCommand, maxSeverity, short } from './shared.js';

const WHERE: Record<CronEntry['source'], string> = {
  crontab: 'the system crontab',
  'cron.d': 'a cron.d file',
  spool: 'a user crontab',
  anacrontab: 'anacrontab',
  at: 'an at job',
  script: 'a cron script',
};

/** PATH set by an env line above the job, when it puts a writable or deceptively named folder in the search path. */
function badPath(entries: CronEntry[], job: CronEntry): string | null {
  const env = entries.filter((e) => e.file === job.file && e.kind === 'env' && e.name === 'PATH' && e.line < job.line).at(-1);
  if (!env?.value) return null;
  const bad = env.value.split(':').find((d) => d === '.' || d === '' || inWritableDir(d) || d.split('/').some((c) => isDeceptiveName(c) && c !== ''));
  return bad === undefined ? null : bad;
}

/**
 * persistence.cron: a cron job (or a line of a cron.{hourly,…} script or at job) that runs
 * something from a world-writable or hidden folder, fetches code into a shell, or opens a
 * reverse shell; critical when it names a known tool.
 */
export const cron = defineRule({
  id: 'persistence.cron',
  title: 'Cron job that brings the intruder back',
  description:
    "SSH kits re-launch themselves from cron: `* * * * * /tmp/.X25-unix/.rsync/c/aptitude >/dev/null`, `@reboot ~/.configrc/b/sync`, `curl -fsSL http://… | sh`. A killed scanner that keeps coming back is usually here. Installed software does not run from /tmp, /dev/shm or a hidden folder, and does not pipe a download into a shell.",
  level: 'high',
  mitre: ['T1053.003', 'T1105', 'T1059.004'],
  references: ['https://attack.mitre.org/techniques/T1053/003/', 'https://man7.org/linux/man-pages/man5/crontab.5.html'],
  falsePositives: [
    "acme.sh and similar tools installed in a home dot-folder (~/.acme.sh, ~/.local) are not flagged; any other dot-folder is.",
    'A job an administrator wrote to run a script kept in /tmp (a bad habit, still worth moving).',
  ],
  needs: ['cronEntries'],
  thresholds: { minScore: 40 },
  detect(facts, t) {
    const out: DraftFinding[] = [];
    const entries = facts.cronEntries;
    for (const e of entries) {
      if ((e.kind !== 'job' && e.kind !== 'script-line') || !e.command) continue;
      // Sample: `* * * * * /tmp/.X25-unix/.rsync/c/a >/dev/null 2>&1` in /var/spool/cron/crontabs/root
      const v = judgeCommand(e.analysis, e.toolHits, t.minScore);
      const path = e.kind === 'job' && e.analysis?.programs.length ? badPath(entries, e) : null;
      if (!v && path === null) continue;
      const reasons = [...(v?.reasons ?? [])];
      let severity = v?.severity ?? null;
      if (path !== null) {
        reasons.push(`the crontab's PATH searches ${JSON.stringify(path || '(empty: the current folder)')} first, so ${e.analysis!.programs.map((p) => JSON.stringify(p)).join(', ')} may be found there`);
        severity = maxSeverity(severity, 'high');
      }
      const when = e.special === '@reboot' ? 'at every boot (@reboot)' : e.source === 'script' ? `${e.schedule} (run-parts)` : e.source === 'at' ? 'once (at)' : `on the schedule ${JSON.stringify(e.schedule)}`;
      const disable = e.source === 'script' || e.source === 'at' ? 'take its execute bit away (chmod a-x, so run-parts and atd skip it)' : 'comment the line out';
      out.push({
        rule: cron.id,
        severity: severity!,
        title: `${e.special === '@reboot' ? '@reboot cron job' : e.source === 'at' ? 'at job' : 'Cron job'} runs ${v?.runs ? JSON.stringify(v.runs) : short(e.command, 80)} (${e.file} line ${e.line})`,
        detail: `${WHERE[e.source]} (${e.file}, line ${e.line}, user ${e.user ?? '?'}) runs ${JSON.stringify(short(e.command, 300))} ${when}: ${reasons.join('; ')}. Killing what it starts will not stick while this line is there. Preserve the file and what it runs, then ${disable}: the guided run's step "Neutralise what would bring the intruder back" does it after copying the file into the case, and records how to undo it.`,
        mitre: cron.mitre,
        subject: { pid: null, path: e.file, line: e.line, user: e.user, ip: null, schedule: e.schedule, command: e.command, source: e.source, ...(v?.runs ? { runs: v.runs } : {}), ...(v?.tool ? { tool: v.tool.description ?? v.tool.pattern } : {}) },
        evidence: ['artifacts/cron.jsonl', ...copyOf(facts, e.file)],
      });
    }
    return out;
  },
});
