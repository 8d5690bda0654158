import type { DraftFinding } from '../../model/finding.js';
import { defineRule } from '../types.js';
import { folderOf, hiddenComponent, inWritableDir, isDeceptiveName } from './paths.js';
import { candidateProcesses, processEvidence, processLabel, processSubject } from './subject.js';

/** process.exe-in-writable-dir: executable or working folder in /tmp, /var/tmp, /dev/shm or a hidden-looking folder. */
export const exeInWritableDir = defineRule({
  id: 'process.exe-in-writable-dir',
  title: 'Process running from a world-writable or hidden folder',
  description:
    "SSH kits unpack into /tmp, /var/tmp or /dev/shm, often inside a folder named to hide in a listing ('.. ', '...', a dot-name). Installed software does not run from there.",
  level: 'high',
  mitre: ['T1564.001', 'T1036.005'],
  references: ['https://attack.mitre.org/techniques/T1564/001/'],
  falsePositives: [
    'Developer tools and language version managers under a home dot-folder (~/.nvm, ~/.vscode-server).',
    'A working folder in /tmp alone (builds, checkouts) is not flagged; only a hidden or deceptively named one is.',
  ],
  needs: ['processes'],
  thresholds: {},
  detect(facts) {
    const out: DraftFinding[] = [];
    for (const p of candidateProcesses(facts)) {
      const reasons: string[] = [];
      let severity: DraftFinding['severity'] | null = null;
      const raise = (level: DraftFinding['severity']) => {
        const order = ['informational', 'low', 'medium', 'high', 'critical'];
        if (!severity || order.indexOf(level) > order.indexOf(severity)) severity = level;
      };
      if (p.exe && !p.exe.startsWith('/memfd:')) {
        const writable = inWritableDir(p.exe);
        const hidden = hiddenComponent(p.exe);
        if (writable) {
          reasons.push(`its executable ${JSON.stringify(p.exe)} lies in ${writable}, which any user can write to`);
          raise('high');
        }
        if (hidden) {
          const deceptive = isDeceptiveName(hidden);
          reasons.push(`its executable lies in the hidden-looking folder ${JSON.stringify(hidden)}${deceptive ? ', a name made to pass for . or ..' : ''}`);
          raise(deceptive || writable ? 'high' : 'medium');
        }
      }
      if (p.cwd) {
        const writable = inWritableDir(p.cwd);
        const hidden = hiddenComponent(`${p.cwd}/x`);
        if (hidden && isDeceptiveName(hidden)) {
          reasons.push(`its working folder ${JSON.stringify(p.cwd)} is named to pass for . or ..`);
          raise('high');
        } else if (writable && hidden) {
          // A plain working folder in /tmp is common (builds, checkouts); a hidden one there is where kits unpack.
          reasons.push(`its working folder ${JSON.stringify(p.cwd)} is a hidden folder inside ${writable}`);
          raise('medium');
        }
      }
      if (!severity || reasons.length === 0) continue;
      const folder = p.exe && !p.exe.startsWith('/memfd:') ? folderOf(p.exe) : p.cwd;
      out.push({
        rule: exeInWritableDir.id,
        severity,
        title: `Process running from ${JSON.stringify(folder)}: ${processLabel(p)}`,
        detail: `${reasons.join('; ')}. Look in that folder for the rest of the kit (scanner, password lists, vuln.txt), keep its files, then freeze the process and quarantine the folder.`,
        mitre: exeInWritableDir.mitre,
        subject: { ...processSubject(p), folder },
        evidence: processEvidence(p),
      });
    }
    return out;
  },
});
