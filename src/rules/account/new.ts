import type { AccountRecord } from '../../model/access.js';
import type { DraftFinding, Severity } from '../../model/finding.js';
import type { FactsWith } from '../../model/facts.js';
import { dayInWindow, inWindow } from '../../model/window.js';
import { defineRule } from '../types.js';
import { printable } from '../../model/text.js';
import { accountEvidence, hasUsablePassword, passwordText } from './shared.js';

/** What says the account was made in the window; empty when nothing does. */
function creationSigns(facts: FactsWith<'window'>, a: AccountRecord): string[] {
  const w = facts.window;
  const signs: string[] = [];
  const birth = a.homeMeta?.birth ?? null;
  if (birth && inWindow(w, birth)) signs.push(`its home folder ${a.home} was created ${birth}`);
  const changed = a.shadow && a.shadow.lastChangeDay !== null && a.shadow.lastChangeDay > 0 && dayInWindow(w, a.shadow.lastChangeDay);
  // A password change alone is not a new account: only when the home folder does not say it is older.
  if (changed && (birth === null || inWindow(w, birth))) signs.push(`its password was set on ${a.shadow!.lastChange} (/etc/shadow)`);
  return signs;
}

/** account.new: an account created in the incident window that can log in. */
export const newAccount = defineRule({
  id: 'account.new',
  title: 'Account created in the incident window',
  description:
    'An account that can log in (a login shell, or a sudo/wheel/admin/root group) was created in the incident window: its home folder was born then, or /etc/shadow sets its password then with no older home folder. High when it has a password, authorized keys or a privileged group; medium otherwise.',
  level: 'medium',
  mitre: ['T1136.001'],
  references: ['https://attack.mitre.org/techniques/T1136/001/', 'https://man7.org/linux/man-pages/man5/shadow.5.html'],
  falsePositives: [
    'Accounts an administrator or a configuration tool created during the window.',
    'Packages that create a service account with a shell (postgres, git) when installed in the window.',
    'Home folders restored or copied onto a new disk (their birth time is the copy).',
  ],
  needs: ['accounts', 'window'],
  thresholds: {},
  detect(facts) {
    const out: DraftFinding[] = [];
    for (const a of facts.accounts) {
      const privileged = a.privilegedGroups.length > 0 || a.uid === 0;
      if (!a.loginShell && !privileged) continue;
      const signs = creationSigns(facts, a);
      if (signs.length === 0) continue;
      // mallory:x:1001:1001::/home/mallory:/bin/bash   mallory:$y$…:20400:0:99999:7:::
      const keys = (facts.authorizedKeys ?? []).filter((k) => k.user === a.user && k.type !== null);
      const usable = hasUsablePassword(a) || keys.length > 0;
      const severity: Severity = privileged || (a.loginShell && usable) ? 'high' : 'medium';
      const groups = a.privilegedGroups.length ? ` and is in ${a.privilegedGroups.join(', ')}` : '';
      out.push({
        rule: newAccount.id,
        severity,
        title: `Account ${printable(a.user, 40)} created in the incident window${groups ? ` (in ${a.privilegedGroups.join(', ')})` : ''}`,
        detail:
          `${printable(a.user, 40)} (uid ${a.uid}, /etc/passwd line ${a.line}, shell ${printable(a.shell, 60)})${groups}: ${signs.join('; ')}; ${facts.window.reason}. ` +
          `${passwordText(a)}${keys.length ? `; ${keys.length} authorized key(s)` : ''}. ` +
          'If nobody made this account, lock it (`usermod -L -e 1 NAME`), move its authorized_keys aside, kill its sessions, and look at what it did (its home, its shell history, the auth log).',
        mitre: newAccount.mitre,
        subject: { user: a.user, uid: a.uid, path: '/etc/passwd', line: a.line, home: a.home, groups: a.groups, ip: null, pid: null },
        evidence: accountEvidence(facts),
      });
    }
    return out;
  },
});
