import type { DraftFinding } from '../../model/finding.js';
import { defineRule } from '../types.js';
import { printable } from '../../model/text.js';
import { accountEvidence, passwordText } from './shared.js';

/** account.uid0: an account other than root with uid 0 (root under another name). */
export const uid0 = defineRule({
  id: 'account.uid0',
  title: 'Second account with uid 0',
  description:
    'An /etc/passwd entry other than root has uid 0: it is root under another name, with its own password, keys and home, and it survives a change of root\'s password. SSH kits add one (often with an innocent name) to come back.',
  level: 'critical',
  mitre: ['T1136.001', 'T1078.003'],
  references: ['https://attack.mitre.org/techniques/T1136/001/', 'https://man7.org/linux/man-pages/man5/passwd.5.html'],
  falsePositives: ['A deliberate second root account (toor on some BSD-derived setups, a rescue account an administrator made); it still deserves a name and an owner.'],
  needs: ['accounts'],
  thresholds: {},
  detect(facts) {
    const out: DraftFinding[] = [];
    for (const a of facts.accounts) {
      if (a.uid !== 0 || a.user === 'root') continue;
      // evil:x:0:0::/root:/bin/bash
      const keys = (facts.authorizedKeys ?? []).filter((k) => k.user === a.user);
      out.push({
        rule: uid0.id,
        severity: 'critical',
        title: `Account ${printable(a.user, 40)} has uid 0 (a second root)`,
        detail:
          `/etc/passwd line ${a.line}: ${printable(a.user, 40)} has uid 0 and gid ${a.gid}, home ${printable(a.home, 80)}, shell ${printable(a.shell, 60)}; ${passwordText(a)}` +
          `${keys.length ? `; ${keys.length} authorized key(s)` : ''}. Every process it starts runs as root. ` +
          'Unless an administrator made it on purpose, lock it (`usermod -L -e 1 NAME`; a locked password alone does not stop key logins under UsePAM), move its authorized_keys aside, and find how it was added (the auth log, the shell histories, the ctime of /etc/passwd).',
        mitre: uid0.mitre,
        subject: { user: a.user, uid: a.uid, path: '/etc/passwd', line: a.line, shell: a.shell, home: a.home, ip: null, pid: null },
        evidence: accountEvidence(facts),
      });
    }
    return out;
  },
});
