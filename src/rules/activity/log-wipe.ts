import type { DraftFinding } from '../../model/finding.js';
import { defineRule } from '../types.js';
import { commandFinding, signalsOf } from './shared.js';

/** activity.log-wipe: a history command deletes, empties or edits logs or login records. */
export const logWipe = defineRule({
  id: 'activity.log-wipe',
  title: 'A shell history clears logs',
  description: 'Intruders empty wtmp, btmp, lastlog and the auth log, shred /var/log, vacuum the journal or run a log cleaner to hide their logins. The command names the logs that can no longer be trusted: read the copies in the case and any remote log server instead.',
  level: 'high',
  mitre: ['T1070.002', 'T1070.001'],
  references: ['https://attack.mitre.org/techniques/T1070/002/'],
  falsePositives: ['An administrator freeing disk space with `journalctl --vacuum-size` or removing old rotated logs by hand.'],
  needs: ['historyCommands'],
  thresholds: {},
  detect(facts) {
    const out: DraftFinding[] = [];
    for (const c of facts.historyCommands) {
      // Sample: `cat /dev/null > /var/log/wtmp; shred -u /var/log/auth.log`
      const s = signalsOf(c, 'log-wipe');
      if (s.length === 0) continue;
      out.push(commandFinding(facts, logWipe, c, 'high', 'Logs wiped from a shell', s.map((x) => x.what), 'Treat the named logs as edited: compare them with a remote log server, the journal and the copies in this case; the logins step reads wtmp and btmp for damage.', { targets: s.map((x) => x.target).filter(Boolean) }));
    }
    return out;
  },
});
