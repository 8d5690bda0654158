import type { DraftFinding, Severity } from '../../model/finding.js';
import type { LoginTamperingSignal } from '../../model/logins.js';
import { defineRule } from '../types.js';

/** Places named one by one in a finding's detail; the rest are counted. */
const LISTED = 5;

const FILE_KINDS = new Set<LoginTamperingSignal['kind']>(['trailing-bytes', 'zero-records', 'time-backwards', 'not-a-file']);

function listDetails(signals: LoginTamperingSignal[]): string {
  const shown = signals.slice(0, LISTED).map((s) => s.detail);
  return shown.join('; ') + (signals.length > LISTED ? `; and ${signals.length - LISTED} more` : '');
}

function parsedArtifact(file: string): string {
  return /\/btmp[^/]*$/.test(file) ? 'artifacts/failed-logins.jsonl' : 'artifacts/utmp.jsonl';
}

/** One finding for all the signals of one kind in one file. */
function fileFinding(kind: LoginTamperingSignal['kind'], file: string, signals: LoginTamperingSignal[], copy: string | undefined): DraftFinding {
  const evidence = [parsedArtifact(file), ...(copy ? [copy] : [])];
  const subject = { path: file, user: null, ip: null, pid: null, signals: signals.length };
  const keep = copy ? `The original is preserved as ${copy}.` : '';
  let severity: Severity = 'high';
  let title: string;
  let detail: string;
  switch (kind) {
    case 'trailing-bytes':
      // trailing-bytes: "100 byte(s) after the last whole 384-byte record: …"
      title = `${file} is cut or damaged: its size is not a whole number of records`;
      detail = `${listDetails(signals)}. Every whole record was still read. A log cleaner that rewrites the file carelessly leaves this, as does a copy cut short or a crash during a write. Compare with the box's own last/lastb output and the auth log for the same period. ${keep}`;
      break;
    case 'zero-records': {
      // zero-records: "records 3-4 (2 records) are all zero bytes (wiped entries)"
      const inside = signals.some((s) => s.inside);
      const total = signals.reduce((n, s) => n + (s.count ?? 1), 0);
      severity = inside ? 'critical' : 'high';
      title = inside ? `Wiped records in ${file}: ${total} record(s) zeroed between real ones` : `${file} ends in ${total} zeroed record(s)`;
      detail = inside
        ? `${listDetails(signals)}. Records of zero bytes between real ones are what log cleaners (the zap and wtmpclean family) leave when they erase a login in place: someone with root hid a session. Find what it covered in the auth log and the journal around the times of the neighbouring records, and in lastlog. ${keep}`
        : `${listDetails(signals)}. A wiped entry at the end of the file, or the zero-filled tail a crash can leave while the file grows. Check the auth log and the journal after the last real record. ${keep}`;
      break;
    }
    case 'time-backwards':
      // time-backwards: "record 11 (USER_PROCESS mallory pts/2) at 2024-01-15T03:00:00.000000Z is 1488900.000000 s earlier than …"
      title = `Time runs backwards in ${file} (${signals.length} place(s))`;
      detail = `${listDetails(signals)}. wtmp and btmp are only ever appended to, so a record older than the one before it was inserted or rewritten by hand, or the clock was stepped (at boot before time sync: look for a boot record just before). ${keep}`;
      break;
    default:
      // not-a-file: "/var/log/wtmp is a symbolic link to /dev/null: nothing written to it is kept"
      title = `Login records are not being kept: ${file} is not a file`;
      detail = `${listDetails(signals)}. Pointing wtmp, btmp or lastlog at /dev/null is a common way to stop logins being recorded; nothing since then is in it. After the evidence is kept, put back a regular file (root:utmp, mode 0664, 0660 for btmp) and rely on the auth log and the journal for the period.`;
  }
  return { rule: logTampering.id, severity, title, detail: detail.trim(), mitre: logTampering.mitre, subject, evidence };
}

function processFinding(s: LoginTamperingSignal, copy: string | undefined): DraftFinding {
  const evidence = ['artifacts/sessions.jsonl', 'artifacts/utmp.jsonl', ...(copy ? [copy] : [])];
  const subject = { pid: s.pid ?? null, user: s.user ?? null, ip: null, path: s.file, line: s.line ?? null };
  if (s.kind === 'sshd-without-utmp') {
    // sshd-without-utmp: "\"sshd-session: alice@pts/1\" (pid 601, /usr/lib/openssh/sshd-session) runs the system's /usr/lib/openssh/sshd-session (same device and inode), with a session for alice on pts/1, but /run/utmp has no record of alice on pts/1"
    return {
      rule: logTampering.id,
      severity: 'high',
      title: `sshd session with no utmp record: ${s.user}@${s.line} (pid ${s.pid})`,
      detail: `${s.detail}. sshd writes a utmp record for every session on a terminal, which is how who and w see it. This process is the system's sshd or holds the terminal itself (a title alone is never taken as a session), so the record was removed (a log cleaner), or the sshd binary was replaced by one that does not write utmp (see integrity and process.masquerade). This may be the intruder's session: keep its process and files (the lsof step) before cutting it.`,
      mitre: logTampering.mitre,
      subject,
      evidence: [...evidence, 'artifacts/processes.jsonl'],
    };
  }
  // utmp-gone: "/run/utmp lists root on pts/3 from 198.51.100.4 since … (pid 4242), but no process 4242 is running"
  return {
    rule: logTampering.id,
    severity: 'high',
    title: `utmp lists a session whose process is gone: ${s.user} on ${s.line} (pid ${s.pid})`,
    detail: `${s.detail}. When a session ends its utmp slot is marked dead. A slot left open with no process comes from a session killed hard (kill -9, a crashed sshd) or from a record written or kept on purpose to mislead who and w. Compare with the auth log (session closed) around that time.`,
    mitre: logTampering.mitre,
    subject,
    evidence,
  };
}

/** login.log-tampering: wtmp/btmp/utmp damaged, edited or bypassed. */
export const logTampering = defineRule({
  id: 'login.log-tampering',
  title: 'Login records damaged, edited or bypassed',
  description:
    'wtmp, btmp and utmp are where who, last and lastb read logins. Intruders with root edit them to hide their sessions: a size that is not a whole number of records, records of zero bytes, time running backwards, the file replaced by a link to /dev/null, a utmp session whose process is gone, a live session of the system sshd (or of a process holding the terminal) that utmp does not list. Critical when records were zeroed between real ones.',
  level: 'high',
  mitre: ['T1070', 'T1070.002'],
  references: [
    'https://attack.mitre.org/techniques/T1070/002/',
    'https://www.chkrootkit.org/',
    'https://man7.org/linux/man-pages/man5/utmp.5.html',
  ],
  falsePositives: [
    'A crash while a record was written (a partial record or a zero-filled tail).',
    'The clock stepped at boot before time sync (time running backwards right after a boot record).',
    'A session killed with kill -9 leaves its utmp slot open.',
  ],
  needs: ['loginTampering'],
  thresholds: {},
  detect(facts) {
    const signals = facts.loginTampering;
    const copies = facts.loginCopies ?? {};
    const out: DraftFinding[] = [];
    const byFileKind = new Map<string, LoginTamperingSignal[]>();
    for (const s of signals) {
      if (FILE_KINDS.has(s.kind)) {
        const key = `${s.kind}\0${s.file}`;
        byFileKind.set(key, [...(byFileKind.get(key) ?? []), s]);
      } else {
        out.push(processFinding(s, copies[s.file]));
      }
    }
    for (const [key, group] of byFileKind) {
      const [kind, file] = key.split('\0') as [LoginTamperingSignal['kind'], string];
      out.push(fileFinding(kind, file, group, copies[file]));
    }
    return out;
  },
});
