import { isIP } from 'node:net';
import type { DraftFinding } from '../../model/finding.js';
import type { UtmpRecord } from '../../model/logins.js';
import { defineRule } from '../types.js';
import { isRemoteHost } from './remote-host.js';

/** Users named one by one in a finding; the rest are counted. */
const LISTED_USERS = 5;

interface BtmpAddress {
  address: string;
  failures: number;
  first: string;
  last: string;
  users: Map<string, number>;
  files: Set<string>;
}

/** btmp's failed logins from remote hosts, by address (ut_addr_v6, else the host field). */
function byAddress(records: UtmpRecord[]): BtmpAddress[] {
  const out = new Map<string, BtmpAddress>();
  for (const r of records) {
    const address = r.addr ?? r.host.trim();
    if (!address || !isRemoteHost(address)) continue;
    let row = out.get(address);
    if (!row) {
      row = { address, failures: 0, first: r.time, last: r.time, users: new Map(), files: new Set() };
      out.set(address, row);
    }
    row.failures += 1;
    if (r.time < row.first) row.first = r.time;
    if (r.time > row.last) row.last = r.time;
    row.users.set(r.user, (row.users.get(r.user) ?? 0) + 1);
    row.files.add(r.file);
  }
  return [...out.values()].sort((a, b) => b.failures - a.failures || (a.address < b.address ? -1 : 1));
}

/**
 * login.btmp-bruteforce: btmp (lastb) holds many failed logins from one address that the auth
 * log does not account for — the auth log was cleared, rotated away, or never kept (a journal in
 * memory only), while btmp survived.
 */
export const btmpBruteforce = defineRule({
  id: 'login.btmp-bruteforce',
  title: 'Failed logins in btmp that the auth log does not show',
  description:
    "btmp (what lastb prints) holds many failed logins from one address, and the auth log read in the same run shows fewer from it, or none. A brute force the auth log no longer shows: the log was rotated away or cleared, the journal was kept in memory only, or logging was turned off — the records an intruder edits first. Addresses the auth log already reports as a brute force (auth.bruteforce) are left to that rule. Medium; high at ten times the threshold.",
  level: 'medium',
  mitre: ['T1110', 'T1070.002'],
  references: ['https://man7.org/linux/man-pages/man1/lastb.1.html', 'https://attack.mitre.org/techniques/T1070/002/'],
  falsePositives: [
    'Auth logs rotated away on a short schedule (logrotate `rotate 1`) while btmp is kept for a month: the detail says which, check the rotation settings.',
    'Failed console or su logins recorded in btmp with a remote-looking host field.',
  ],
  needs: ['failedLogins'],
  thresholds: { failures: 10 },
  detect(facts, t) {
    const out: DraftFinding[] = [];
    const tally = facts.authTally;
    const inLog = new Map((tally ?? []).map((r) => [r.address, r.failures]));
    for (const row of byAddress(facts.failedLogins)) {
      if (row.failures < t.failures) continue;
      const logged = inLog.get(row.address) ?? 0;
      // The auth log already holds this brute force: auth.bruteforce reports it with more detail.
      if (logged >= t.failures) continue;
      const severity = row.failures >= t.failures * 10 ? 'high' : 'medium';
      const users = [...row.users].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
      const listed = users.slice(0, LISTED_USERS).map(([u, n]) => `${JSON.stringify(u)} ${n}`).join(', ');
      const more = users.length > LISTED_USERS ? ` and ${users.length - LISTED_USERS} more` : '';
      const logText =
        tally === undefined
          ? 'No auth log or journal was read in this run to compare with.'
          : logged === 0
            ? 'The auth log and journal read in this run hold no failed login from this address: they were rotated away, cleared or never kept.'
            : `The auth log and journal read in this run hold only ${logged} failed login(s) from this address: part of it is missing.`;
      const ip = isIP(row.address) ? row.address : null;
      out.push({
        rule: btmpBruteforce.id,
        severity,
        title: `${row.failures} failed logins from ${row.address} in btmp${tally !== undefined && logged === 0 ? ', none in the auth log' : ''}`,
        detail:
          `btmp records ${row.failures} failed logins from ${row.address} between ${row.first} and ${row.last} (users tried: ${listed}${more}; files: ${[...row.files].sort().join(', ')}). ${logText} ` +
          'Compare the times with the auth log rotation (logrotate) and the journal (`journalctl --list-boots`, Storage= in journald.conf): a gap that starts at the attack points at log tampering. Check wtmp and the auth log for a login from this address (the sessions step), and block it if it still connects.',
        mitre: btmpBruteforce.mitre,
        subject: {
          ip,
          host: ip ? null : row.address,
          user: null,
          pid: null,
          path: null,
          failures: row.failures,
          authLogFailures: tally === undefined ? null : logged,
          firstFailure: row.first,
          lastFailure: row.last,
        },
        evidence: ['artifacts/failed-logins.jsonl', ...[...row.files].sort().map((f) => facts.loginCopies?.[f]).filter((p): p is string => typeof p === 'string')],
      });
    }
    return out;
  },
});
