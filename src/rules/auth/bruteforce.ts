import type { DraftFinding } from '../../model/finding.js';
import { defineRule } from '../types.js';
import { addressFinding, countsText, spanText, userText } from './shared.js';

/** Users named one by one in a finding; the rest are counted. */
const LISTED_USERS = 5;

/** auth.bruteforce: one address with many failed ssh logins. */
export const bruteforce = defineRule({
  id: 'auth.bruteforce',
  title: 'SSH brute force from one address',
  description:
    'An address failed to log in over ssh many times: password guessing against root and common account names, the background noise of any box on the internet, and the first half of a compromise when one guess is right (auth.login-after-failures). Medium; high at ten times the threshold.',
  level: 'medium',
  mitre: ['T1110', 'T1110.001'],
  references: [
    'https://attack.mitre.org/techniques/T1110/001/',
    'https://github.com/fail2ban/fail2ban/blob/master/config/filter.d/sshd.conf',
    'https://man.openbsd.org/sshd_config#PasswordAuthentication',
  ],
  falsePositives: [
    'A user or a script with a stale password retrying from its usual address.',
    'Many users behind one NAT address (an office, a university) mistyping.',
  ],
  needs: ['authTally'],
  thresholds: { failures: 10 },
  detect(facts, t) {
    const out: DraftFinding[] = [];
    for (const r of facts.authTally) {
      // Dec 10 07:27:52 LabSZ sshd[24235]: Failed password for root from 112.95.230.3 port 45378 ssh2
      if (r.failures < t.failures || r.failures === 0) continue;
      const severity = r.failures >= t.failures * 10 ? 'high' : 'medium';
      const users = r.users.slice(0, LISTED_USERS).map((u) => `${userText(u.user)} ${u.exact ? '' : '≤'}${u.count}`).join(', ');
      const moreUsers = r.distinctUsers > LISTED_USERS ? ` and ${r.distinctUsersExact ? '' : 'more than '}${r.distinctUsers - LISTED_USERS} more` : '';
      const invalidShare = Math.round((100 * r.failuresInvalidUser) / r.failures);
      const parts = [
        `${r.failures} failed ssh logins from ${r.address} ${spanText(r.firstFailure, r.lastFailure)}`,
        users ? `users tried: ${users}${moreUsers}` : null,
        `${invalidShare}% for names that are not accounts on this box (invalid user)`,
        `methods: ${countsText(r.failuresByMethod)}`,
        r.maxAttempts ? `${r.maxAttempts} connection(s) cut at MaxAuthTries` : null,
      ].filter(Boolean);
      const gotIn = r.acceptedCount > 0
        ? ` This address also logged in successfully ${r.acceptedCount} time(s)${r.lastAccepted ? `, last as ${userText(r.lastAccepted.user)} at ${r.lastAccepted.time} (${r.lastAccepted.method ?? '?'})` : ''}: treat that account as compromised (see auth.login-after-failures).`
        : ' No login from this address succeeded in the logs read.';
      out.push(
        addressFinding(facts, r, {
          rule: bruteforce.id,
          severity,
          title: `SSH brute force from ${r.address}: ${r.failures} failed logins`,
          detail:
            `${parts.join('; ')}.${gotIn} ` +
            'If it is still connecting (the port-22 step), block it at the firewall (`iptables -A INPUT -s ADDRESS -j DROP`; make sure it is not your own address first). ' +
            'For the long run: fail2ban (or sshguard) to ban addresses that keep failing, keys only (`PasswordAuthentication no`), and no direct root logins (`PermitRootLogin no`).',
          mitre: bruteforce.mitre,
        }, {
          failures: r.failures,
          firstFailure: r.firstFailure,
          lastFailure: r.lastFailure,
          invalidUserShare: invalidShare / 100,
          acceptedLogins: r.acceptedCount,
        }),
      );
    }
    return out;
  },
});
