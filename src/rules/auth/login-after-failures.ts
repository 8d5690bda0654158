import { isIP } from 'node:net';
import type { AuthLoginRecord } from '../../model/auth.js';
import type { DraftFinding } from '../../model/finding.js';
import { defineRule } from '../types.js';
import { authEvidence, spanText, userText } from './shared.js';

const PASSWORD_METHODS = new Set(['password', 'keyboard-interactive', 'keyboard-interactive/pam']);

interface Hit {
  /** The first login of this address and user that came after enough failures: the break-in. */
  first: AuthLoginRecord;
  byAddress: boolean;
  /** Later logins of the same address and user that also followed failures. */
  more: number;
}

function sessionText(l: AuthLoginRecord): string {
  const end = l.logout ? `, closed at ${l.logout}` : ', no session end logged';
  return `${l.method ?? 'an unknown method'} at ${l.time || 'an unknown time'}, port ${l.port ?? '?'}${l.key ? `, key ${l.key}` : ''}, ${l.program}${l.pid !== null ? ` pid ${l.pid}` : ''}${end} (${l.source}${l.lineNo !== null ? `:${l.lineNo}` : ''})`;
}

/** auth.login-after-failures: a login accepted from an address, or for a user, that failed many times first. */
export const loginAfterFailures = defineRule({
  id: 'auth.login-after-failures',
  title: 'SSH login accepted after many failures',
  description:
    'A login was accepted from an address that had just failed many times (since its previous accepted login), or with a password for an account whose password had failed many times from anywhere (a brute force spread over many addresses). This is what a successful brute force looks like: critical when the login used a password; high when it used a key (the guessing did not get it in, but the same address holds a key for the account).',
  level: 'critical',
  mitre: ['T1110.001', 'T1078', 'T1021.004'],
  references: [
    'https://attack.mitre.org/techniques/T1110/001/',
    'https://attack.mitre.org/techniques/T1078/',
    'https://attack.mitre.org/techniques/T1021/004/',
  ],
  falsePositives: [
    'A user who mistyped the password many times from their own address before getting it right.',
    'A user whose client offered many keys before the right one (failed publickey lines are logged at INFO when they pass half of MaxAuthTries).',
  ],
  needs: ['authLogins'],
  thresholds: { failures: 10 },
  detect(facts, t) {
    const hits = new Map<string, Hit>();
    for (const l of facts.authLogins) {
      // Dec 10 09:32:20 LabSZ sshd[24680]: Accepted password for fztu from 119.137.62.142 port 49116 ssh2
      const byAddress = l.failuresFromAddress.count >= t.failures && l.failuresFromAddress.count > 0;
      const byUser = PASSWORD_METHODS.has(l.method ?? '') && l.failuresForUser.count >= t.failures && l.failuresForUser.count > 0;
      if (!byAddress && !byUser) continue;
      const key = `${l.address ?? ''}\u0000${l.user ?? ''}`;
      const hit = hits.get(key);
      if (hit) hit.more++;
      else hits.set(key, { first: l, byAddress, more: 0 });
    }
    const rows = new Map((facts.authTally ?? []).map((r) => [r.address, r]));
    const out: DraftFinding[] = [];
    for (const { first: l, byAddress, more } of hits.values()) {
      const password = PASSWORD_METHODS.has(l.method ?? '');
      const from = l.address ?? '(unknown address)';
      const prior = byAddress ? l.failuresFromAddress : l.failuresForUser;
      const row = l.address !== null ? rows.get(l.address) : undefined;
      const tried = row?.users.length ? ` Users it tried over the whole log: ${row.users.slice(0, 5).map((u) => userText(u.user)).join(', ')}${row.distinctUsers > 5 ? ', …' : ''}.` : '';
      const what = byAddress
        ? `${from} failed to log in ${prior.count} time(s) ${spanText(prior.first, prior.last)}, then logged in as ${userText(l.user)}`
        : `the password of ${userText(l.user)} failed ${prior.count} time(s) from ${l.failuresForUser.addressesCapped ? 'more than ' : ''}${l.failuresForUser.addresses} address(es) ${spanText(prior.first, prior.last)}, then ${from} logged in as ${userText(l.user)} with a password`;
      const why = password
        ? 'A password that worked after this many wrong ones was most likely guessed: treat the account and the box as compromised.'
        : 'The login used a key, not a guessed password: the guessing itself failed, but the same address holds a key for this account. Find out whose key it is.';
      out.push({
        rule: loginAfterFailures.id,
        severity: password ? 'critical' : 'high',
        title: `Login accepted after ${prior.count} failures: ${userText(l.user)} from ${from} (${l.method ?? '?'})`,
        detail:
          `${what}: ${sessionText(l)}.${more ? ` ${more} more login(s) of ${userText(l.user)} from ${from} followed failures too.` : ''}${tried} ${why} ` +
          `Next: see what the session did (the sessions step: who and last; processes of ${userText(l.user)}; sudo and su in the auth log after ${l.time || 'the login'}), ` +
          `look for persistence (~${l.user ?? 'user'}/.ssh/authorized_keys, crontabs, systemd units, new accounts), keep the evidence, then lock the account or change its password, kill its sessions, ` +
          `block ${from}, and turn off password logins (\`PasswordAuthentication no\`).`,
        mitre: loginAfterFailures.mitre,
        subject: {
          ip: l.address !== null && isIP(l.address) ? l.address : null,
          host: l.address !== null && !isIP(l.address) ? l.address : null,
          user: l.user,
          pid: l.pid,
          path: null,
          method: l.method,
          port: l.port,
          key: l.key,
          time: l.time,
          logout: l.logout,
          failuresBefore: prior.count,
          firstFailure: prior.first,
          lastFailure: prior.last,
          counted: byAddress ? 'from-address' : 'for-user',
        },
        evidence: authEvidence(facts),
      });
    }
    return out;
  },
});
