import { isIP } from 'node:net';
import type { DraftFinding } from '../../model/finding.js';
import { defineRule } from '../types.js';
import { authEvidence, countsText, spanText } from './shared.js';

/** auth.root-login: root logged in over ssh (one finding per address). */
export const rootLogin = defineRule({
  id: 'auth.root-login',
  title: 'root logged in over ssh',
  description:
    "The auth log or the journal shows sshd accepting a login of root. Administrators log in as themselves and use sudo; a direct root login leaves no name of who was behind it, and it is how a guessed or stolen root password or key is used. One finding per address, naming the methods (a key login says which key).",
  level: 'high',
  mitre: ['T1078', 'T1021.004'],
  references: [
    'https://attack.mitre.org/techniques/T1078/',
    'https://attack.mitre.org/techniques/T1021/004/',
    'https://man.openbsd.org/sshd_config#PermitRootLogin',
  ],
  falsePositives: ['Boxes administered as root over ssh on purpose (PermitRootLogin prohibit-password with an administrator key), and automation that logs in as root.'],
  needs: ['authRootLogins'],
  thresholds: {},
  detect(facts) {
    const out: DraftFinding[] = [];
    for (const g of facts.authRootLogins) {
      // Nov 28 09:16:03 srv sshd[32307]: Accepted publickey for root from 192.0.2.1 port 57904 ssh2: ED25519 SHA256:…
      const methods = countsText(g.methods);
      const byPassword = Object.keys(g.methods).some((m) => m === 'password' || m.startsWith('keyboard-interactive'));
      const keys = g.keys.length ? ` Keys used: ${g.keys.join('; ')} (match them with \`ssh-keygen -lf /root/.ssh/authorized_keys\`).` : '';
      const advice = byPassword
        ? "root's password worked over ssh: if this was not an administrator, change it now and look at what the sessions did."
        : 'Confirm with the administrators that this key is theirs; a key nobody recognises in /root/.ssh/authorized_keys is an intruder\'s way back in.';
      out.push({
        rule: rootLogin.id,
        severity: 'high',
        title: `root logged in over ssh from ${g.address} (${methods})`,
        detail:
          `sshd accepted ${g.count} login(s) of root from ${g.address} ${spanText(g.first.time, g.last.time)}, by ${methods}; the latest on port ${g.last.port ?? '?'}${g.last.logout ? `, closed at ${g.last.logout}` : ''} (${g.last.source}${g.last.lineNo !== null ? `:${g.last.lineNo}` : ''}).${keys} ${advice} ` +
          'Afterwards: `PermitRootLogin no` (or `prohibit-password`) in sshd_config, and named accounts with sudo.',
        mitre: rootLogin.mitre,
        subject: {
          ip: isIP(g.address) ? g.address : null,
          host: isIP(g.address) ? null : g.address,
          user: 'root',
          pid: g.last.pid,
          path: null,
          logins: g.count,
          methods: g.methods,
          keys: g.keys,
          first: g.first.time,
          last: g.last.time,
        },
        evidence: authEvidence(facts),
      });
    }
    return out;
  },
});
