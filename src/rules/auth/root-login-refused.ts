import { isIP } from 'node:net';
import type { DraftFinding } from '../../model/finding.js';
import { defineRule } from '../types.js';
import { authEvidence, spanText } from './shared.js';

/** auth.root-login-refused: `ROOT LOGIN REFUSED FROM ADDRESS`, one finding per address. */
export const rootLoginRefused = defineRule({
  id: 'auth.root-login-refused',
  title: 'A credential root trusts was used, and PermitRootLogin refused the login',
  description:
    "sshd writes `ROOT LOGIN REFUSED FROM ADDRESS` when root's credential was accepted and only PermitRootLogin then refused the login. For a password sshd fails the attempt first, so in practice this is a key in root's authorized_keys (or a key an AuthorizedKeysCommand returns): whoever connected from that address holds a key root trusts. At the default log level nothing else marks the attempt. High: the key works the moment PermitRootLogin is loosened, and the same key may open other accounts or other boxes.",
  level: 'high',
  mitre: ['T1078.003', 'T1098.004', 'T1021.004'],
  references: [
    'https://man.openbsd.org/sshd_config#PermitRootLogin',
    'https://attack.mitre.org/techniques/T1098/004/',
    'https://github.com/openssh/openssh-portable/blob/master/auth.c',
  ],
  falsePositives: ["An administrator whose agent offers a key that is in root's authorized_keys, on a box where root logins were turned off later."],
  needs: ['authTally'],
  thresholds: {},
  detect(facts) {
    const out: DraftFinding[] = [];
    for (const r of facts.authTally) {
      // Mar  3 10:01:00 box sshd[2100]: ROOT LOGIN REFUSED FROM 203.0.113.50 port 41000
      if (r.rootRefused <= 0) continue;
      const span = spanText(r.firstRootRefused, r.lastRootRefused);
      const also = [
        r.acceptedCount ? `it also logged in ${r.acceptedCount} time(s)${r.lastAccepted ? `, last as ${r.lastAccepted.user ?? '?'} at ${r.lastAccepted.time}` : ''}` : null,
        r.failures ? `it failed ${r.failures} time(s)` : null,
      ].filter(Boolean);
      out.push({
        rule: rootLoginRefused.id,
        severity: 'high',
        title: `Root login refused for ${r.address} after root's key was accepted (${r.rootRefused} time(s))`,
        detail:
          `sshd refused ${r.rootRefused} root login(s) from ${r.address} ${span} (ROOT LOGIN REFUSED): the credential was accepted and only PermitRootLogin stopped the login, so whoever connected from ${r.address} holds a key root trusts.` +
          `${also.length ? ` From the same address ${also.join('; ')}.` : ''} ` +
          "Next: list root's keys (`ssh-keygen -lf /root/.ssh/authorized_keys`, and any AuthorizedKeysFile or AuthorizedKeysCommand in sshd_config) and remove every key nobody can vouch for; look for the same key in other accounts' authorized_keys and on other boxes; keep `PermitRootLogin no`; find out whose address this is.",
        mitre: rootLoginRefused.mitre,
        subject: {
          ip: r.isIp ? r.address : null,
          host: r.isIp ? null : r.address,
          user: 'root',
          pid: null,
          path: null,
          refused: r.rootRefused,
          first: r.firstRootRefused,
          last: r.lastRootRefused,
        },
        evidence: authEvidence(facts),
      });
    }
    return out;
  },
});
