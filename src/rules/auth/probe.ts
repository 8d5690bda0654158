import type { DraftFinding } from '../../model/finding.js';
import { defineRule } from '../types.js';
import { addressFinding, countsText, spanText } from './shared.js';

/** auth.probe: one address connecting many times without ever authenticating. */
export const probe = defineRule({
  id: 'auth.probe',
  title: 'SSH probing from one address',
  description:
    'An address opened many ssh connections that ended before any authentication: no identification or a bad banner (port scanners, HTTP on port 22), key-exchange failures (`Unable to negotiate`: old-algorithm bots, a key-exchange brute force), timeouts before authentication (LoginGraceTime: the pattern of CVE-2024-6387 "regreSSHion" exploitation), connections closed before or during authentication. Low; medium when the timeouts alone reach the threshold (regreSSHion) or the total reaches ten times it. An address with as many failed logins is a brute force and is left to auth.bruteforce.',
  level: 'low',
  mitre: ['T1046', 'T1190'],
  references: [
    'https://www.qualys.com/2024/07/01/cve-2024-6387/regresshion.txt',
    'https://man.openbsd.org/sshd_config#LoginGraceTime',
    'https://man.openbsd.org/sshd_config#PerSourcePenalties',
  ],
  falsePositives: ['A monitoring probe or load balancer health check that opens the ssh port and closes it.'],
  needs: ['authTally'],
  thresholds: { probes: 20 },
  detect(facts, t) {
    const out: DraftFinding[] = [];
    for (const r of facts.authTally) {
      // Mar  3 10:05:07 box sshd[2507]: fatal: Timeout before authentication for 203.0.113.97 port 45007
      // A connection that sent a user name (an invalid one, a failed attempt) also ends with a
      // preauth close: those closes belong to the sweep or the brute force, not to probing.
      const closed = Math.max(0, r.preauthDisconnects - r.invalidUsers - r.failures - r.maxAttempts);
      const counts: Record<string, number> = {
        'closed before authenticating': closed,
        'no identification': r.noIdentification,
        'key exchange failed': r.kexFailures,
        'timeout before authentication': r.authTimeouts,
      };
      const total = closed + r.noIdentification + r.kexFailures + r.authTimeouts;
      if (total < t.probes || total === 0) continue;
      if (r.failures >= t.probes || r.failures * 2 >= total) continue;
      const regresshion = r.authTimeouts >= t.probes;
      const severity = regresshion || total >= t.probes * 10 ? 'medium' : 'low';
      const shown = Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
      out.push(
        addressFinding(facts, r, {
          rule: probe.id,
          severity,
          title: `SSH probing from ${r.address}: ${total} connections ended before authenticating`,
          detail:
            `${r.address} opened ${total} ssh connection(s) that ended before authenticating ${spanText(r.firstSeen, r.lastSeen)} (${countsText(shown)}); ${r.failures} failed login(s), ${r.acceptedCount} accepted. ` +
            (regresshion
              ? `${r.authTimeouts} timeouts before authentication from one address is how CVE-2024-6387 (regreSSHion, OpenSSH 8.5p1 to 9.7p1 on glibc) is exploited: check the sshd version (\`sshd -V\`), update it, and look for a new root process or persistence from around ${r.lastSeen ?? 'that time'}. `
              : 'A scanner or a bot with old algorithms: no account was tried. ') +
            'Block the address if it keeps coming; OpenSSH 9.8 and later penalise such sources themselves (PerSourcePenalties).',
          mitre: probe.mitre,
        }, {
          probes: total,
          preauthDisconnects: closed,
          noIdentification: r.noIdentification,
          kexFailures: r.kexFailures,
          authTimeouts: r.authTimeouts,
          failures: r.failures,
        }),
      );
    }
    return out;
  },
});
