import { isIP } from 'node:net';
import type { DraftFinding } from '../../model/finding.js';
import type { SessionRecord } from '../../model/logins.js';
import { defineRule } from '../types.js';
import { isRemoteHost } from './remote-host.js';

/** utmp and wtmp carry the same login with the same time; wtmpdb stamps its own, a moment apart. */
const SAME_SESSION_MS = 2000;
/** Sessions named one by one in a finding's detail; the rest are counted. */
const LISTED = 5;

interface MergedSession {
  login: string;
  sessions: SessionRecord[];
}

/** Live, an open session's process was checked; offline an open session only means no logout was recorded. */
function endText(s: SessionRecord, live: boolean): string {
  switch (s.end) {
    case 'still-logged-in':
      return live ? `still logged in${s.pid ? ` (pid ${s.pid})` : ''}` : 'no logout recorded (open when the records were last written)';
    case 'logout':
      return `logged out at ${s.logout}`;
    case 'crash':
      return `no logout before the reboot at ${s.logout}`;
    case 'shutdown':
      return `no logout before the shutdown at ${s.logout}`;
    case 'gone':
      return `no logout, and its process ${s.pid} is gone`;
    default:
      return 'end unknown';
  }
}

/** The copy of one session that says the most: still open beats a logout beats the rest. */
function best(m: MergedSession): SessionRecord {
  const rank = (s: SessionRecord) => (s.end === 'still-logged-in' ? 0 : s.end === 'logout' ? 1 : 2);
  return [...m.sessions].sort((a, b) => rank(a) - rank(b))[0];
}

/** One entry per session, the copies from utmp, wtmp and wtmpdb folded together. */
function mergeCopies(sessions: SessionRecord[]): MergedSession[] {
  const sorted = [...sessions].sort((a, b) => Date.parse(a.login) - Date.parse(b.login));
  const out: MergedSession[] = [];
  for (const s of sorted) {
    const last = out.at(-1);
    if (last && Date.parse(s.login) - Date.parse(last.login) <= SAME_SESSION_MS) last.sessions.push(s);
    else out.push({ login: s.login, sessions: [s] });
  }
  return out;
}

/** login.root-remote: utmp/wtmp/wtmpdb hold a root session from a remote host. */
export const rootRemote = defineRule({
  id: 'login.root-remote',
  title: 'root logged in from a remote host',
  description:
    'utmp, wtmp or wtmpdb hold a session of root from a remote host. Administrators log in as themselves and use sudo; a direct root login over SSH is how a brute-forced or stolen root password or key is used, and it leaves no name of who was behind it. One finding per remote host.',
  level: 'high',
  mitre: ['T1078'],
  references: [
    'https://attack.mitre.org/techniques/T1078/',
    'https://man7.org/linux/man-pages/man5/utmp.5.html',
    'https://man.openbsd.org/sshd_config#PermitRootLogin',
  ],
  falsePositives: ['Boxes administered as root over SSH on purpose (PermitRootLogin prohibit-password with an administrator key), and automation that logs in as root.'],
  needs: ['sessions'],
  thresholds: {},
  detect(facts) {
    const byHost = new Map<string, SessionRecord[]>();
    for (const s of facts.sessions) {
      // {"user":"root","line":"pts/1","host":"203.0.113.50","addr":"203.0.113.50","pid":4242,"login":"2024-01-02T07:00:01.000000Z","logout":null,"end":"still-logged-in","source":"wtmp","file":"/var/log/wtmp"}
      if (s.user !== 'root' || s.line === 'system boot' || !isRemoteHost(s.host)) continue;
      const key = s.addr ?? s.host.trim();
      byHost.set(key, [...(byHost.get(key) ?? []), s]);
    }
    // The process list is there only on a live run: then "still logged in" was checked against it.
    const live = facts.processes !== undefined;
    const out: DraftFinding[] = [];
    for (const [host, sessions] of byHost) {
      const merged = mergeCopies(sessions);
      const open = merged.map(best).filter((s) => s.end === 'still-logged-in');
      const files = [...new Set(sessions.map((s) => s.file))].sort();
      const listed = merged.slice(-LISTED).reverse().map((m) => {
        const s = best(m);
        return `${s.login} on ${s.line || '?'}, ${endText(s, live)}`;
      });
      const more = merged.length > LISTED ? `; and ${merged.length - LISTED} earlier` : '';
      const span = merged.length === 1 ? `at ${merged[0].login}` : `${merged.length} times between ${merged[0].login} and ${merged.at(-1)!.login}`;
      out.push({
        rule: rootRemote.id,
        severity: 'high',
        title: `root logged in from ${host}${merged.length > 1 ? ` (${merged.length} sessions)` : ''}${open.length ? (live ? ', still logged in' : ', no logout recorded') : ''}`,
        detail:
          `root logged in over the network from ${host} ${span}, as recorded in ${files.join(', ')}. Latest first: ${listed.join('; ')}${more}. ` +
          `${open.length && live ? 'Someone is logged in as root from there right now: decide whether to cut the session before anything else. ' : ''}` +
          'If that address is not one of your administrators, treat root as compromised: read what the sessions did (root\'s shell history, the auth log and journal around those times, files changed since), look for keys added to ~root/.ssh/authorized_keys, change root\'s password and keys, and set PermitRootLogin no.',
        mitre: rootRemote.mitre,
        subject: {
          user: 'root',
          ip: isIP(host) ? host : null,
          host,
          pid: live && open.length === 1 && open[0].pid > 0 ? open[0].pid : null,
          sessions: merged.length,
          stillLoggedIn: live && open.length > 0,
        },
        evidence: ['artifacts/sessions.jsonl', ...files.map((f) => facts.loginCopies?.[f]).filter((p): p is string => typeof p === 'string')],
      });
    }
    return out;
  },
});
