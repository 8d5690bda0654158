import type { DraftFinding, Severity } from '../../model/finding.js';
import type { KnownFacts } from '../../model/facts.js';
import { defineRule } from '../types.js';
import { printable } from '../../model/text.js';
import { accountEvidence } from './shared.js';

/** sshd itself accepts an empty password: PermitEmptyPasswords yes with password or keyboard-interactive logins on. */
function sshdAcceptsEmpty(facts: KnownFacts): boolean {
  const s = facts.sshdConfig;
  if (!s || s.missing) return false;
  const on = (k: string) => (s.settings[k]?.value[0] ?? '').toLowerCase() === 'yes';
  return on('permitemptypasswords') && (on('passwordauthentication') || on('kbdinteractiveauthentication'));
}

/** account.empty-password: an account that can log in has an empty password field. */
export const emptyPassword = defineRule({
  id: 'account.empty-password',
  title: 'Account with an empty password',
  description:
    "An account with a login shell has an empty password field in /etc/shadow (or /etc/passwd): PAM's nullok (Debian's default) lets it log in on a console or through su with no password at all, and sshd too when PermitEmptyPasswords is yes — then it is critical.",
  level: 'high',
  mitre: ['T1078.003', 'T1098'],
  references: ['https://man7.org/linux/man-pages/man5/shadow.5.html', 'https://man.openbsd.org/sshd_config#PermitEmptyPasswords'],
  falsePositives: ['Kiosk or lab accounts made password-less on purpose, on boxes nobody reaches from the network.'],
  needs: ['accounts'],
  thresholds: {},
  detect(facts) {
    const out: DraftFinding[] = [];
    const viaSsh = sshdAcceptsEmpty(facts);
    for (const a of facts.accounts) {
      // guest::19000:0:99999:7:::
      const empty = a.shadow ? a.shadow.state === 'empty' : a.passwdField === 'empty';
      if (!empty || !a.loginShell || a.shadow?.expired) continue;
      const severity: Severity = viaSsh ? 'critical' : 'high';
      out.push({
        rule: emptyPassword.id,
        severity,
        title: `Account ${printable(a.user, 40)} has an empty password${viaSsh ? ' and sshd accepts it' : ''}`,
        detail:
          `${printable(a.user, 40)} (uid ${a.uid}, shell ${printable(a.shell, 60)}) has an empty password field in ${a.shadow ? `/etc/shadow line ${a.shadow.line}` : `/etc/passwd line ${a.line}`}. ` +
          (viaSsh
            ? 'sshd has PermitEmptyPasswords yes with password logins on: anyone can log in over ssh as this account with no password. '
            : 'sshd refuses empty passwords (PermitEmptyPasswords no), but a console, su and other PAM services with nullok accept it. ') +
          'Lock it now (`passwd -l NAME` or `usermod -L NAME`) unless it is password-less on purpose, and find when the field was emptied (its change day, the ctime of /etc/shadow).',
        mitre: emptyPassword.mitre,
        subject: { user: a.user, uid: a.uid, path: a.shadow ? '/etc/shadow' : '/etc/passwd', line: a.shadow?.line ?? a.line, ip: null, pid: null },
        evidence: accountEvidence(facts),
      });
    }
    return out;
  },
});
