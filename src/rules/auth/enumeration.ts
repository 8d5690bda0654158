import type { DraftFinding } from '../../model/finding.js';
import { defineRule } from '../types.js';
import { addressFinding, spanText, userText } from './shared.js';

/** auth.enumeration: one address tried many user names that are not accounts. */
export const enumeration = defineRule({
  id: 'auth.enumeration',
  title: 'User-name sweep from one address',
  description:
    "An address sent many user names that are not accounts on the box (`Invalid user NAME from ADDRESS`, `User NAME not allowed`, Dropbear's `nonexistent user`) without a password failure for each: a sweep of common names (hadoop, oracle, ubnt, pi), usual on a keys-only server where nothing else of the attack is logged. Low; medium at ten times the threshold. An address that also failed a password for most of those names is a brute force and is left to auth.bruteforce.",
  level: 'low',
  mitre: ['T1110.003', 'T1589.001'],
  references: ['https://attack.mitre.org/techniques/T1110/003/', 'https://man.openbsd.org/sshd_config#AllowUsers'],
  falsePositives: ['A misconfigured client or script that logs in with a wrong user name again and again.'],
  needs: ['authTally'],
  thresholds: { invalidUsers: 10 },
  detect(facts, t) {
    const out: DraftFinding[] = [];
    for (const r of facts.authTally) {
      // Mar  3 10:02:00 box sshd[2200]: Invalid user hadoop from 203.0.113.60 port 42000
      if (r.invalidUsers < t.invalidUsers || r.invalidUsers === 0) continue;
      if (r.failuresInvalidUser >= r.invalidUsers) continue;
      const severity = r.invalidUsers >= t.invalidUsers * 10 ? 'medium' : 'low';
      const names = r.invalidNames.slice(0, 8).map((u) => `${userText(u.user)} ${u.count}`).join(', ');
      const probes = r.preauthDisconnects + r.noIdentification + r.kexFailures + r.authTimeouts;
      out.push(
        addressFinding(facts, r, {
          rule: enumeration.id,
          severity,
          title: `User-name sweep from ${r.address}: ${r.invalidUsers} names that are not accounts`,
          detail:
            `${r.address} asked for ${r.invalidUsers} user name(s) that are not accounts on this box ${spanText(r.firstSeen, r.lastSeen)}${names ? ` (${names}${r.invalidNamesDistinct > 8 ? ', …' : ''})` : ''}; ` +
            `${r.failures} failed password or key attempt(s)${probes ? `, ${probes} connection(s) ended before authenticating` : ''}, ${r.acceptedCount} accepted login(s). ` +
            'It is looking for accounts, not yet guessing them: no account was at risk from these lines alone. Block the address if it keeps coming, keep password logins off (`PasswordAuthentication no`), and check that no name it tried exists with a weak password on your other boxes.',
          mitre: enumeration.mitre,
        }, {
          invalidUsers: r.invalidUsers,
          failures: r.failures,
          acceptedLogins: r.acceptedCount,
        }),
      );
    }
    return out;
  },
});
