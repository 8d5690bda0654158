/**
 * Pure helpers of the logins collector: the order of rotated files, current sessions from utmp,
 * tampering signals from a parsed file, and the live cross-checks (utmp sessions whose process is
 * gone, sshd sessions on a pty that utmp does not list). No filesystem.
 */
import path from 'node:path';
import type { LoginTamperingSignal, SessionRecord, UtmpRecord } from '../../model/logins.js';
import type { ProcessRecord } from '../../model/processes.js';
import { UT, type ParsedUtmp } from './parse-utmp.js';
import { sessionOf, tamperingSignals } from './sessions.js';

/** Companions and databases that share a prefix with wtmp/btmp but are not utmp-format files. */
const NOT_UTMP_FORMAT = /\.db(-wal|-shm|-journal)?$/;

/**
 * The utmp-format files among `paths` for one log (`wtmp`, `btmp`), oldest first: dated
 * rotations (wtmp-20240101.gz) by name, then numbered ones from the highest number (wtmp.2.gz,
 * wtmp.1), then the live file. Sessions are paired over this order, so a login in wtmp.1 finds
 * its logout in wtmp.
 */
export function orderRotations(paths: string[], base: string): string[] {
  const rank = (p: string): [number, number, string] => {
    const suffix = path.posix.basename(p).slice(base.length);
    if (suffix === '') return [2, 0, ''];
    const numbered = /^\.(\d+)(\.\w+)?$/.exec(suffix);
    if (numbered) return [1, -Number(numbered[1]), suffix];
    return [0, 0, suffix];
  };
  return paths
    .filter((p) => {
      const name = path.posix.basename(p);
      if (!name.startsWith(base) || NOT_UTMP_FORMAT.test(name)) return false;
      const suffix = name.slice(base.length);
      return suffix === '' || suffix.startsWith('.') || suffix.startsWith('-');
    })
    .sort((a, b) => {
      const [ga, na, sa] = rank(a);
      const [gb, nb, sb] = rank(b);
      return ga - gb || na - nb || (sa < sb ? -1 : sa > sb ? 1 : 0);
    });
}

/** Compression other than gzip, which the collector copies but cannot read. */
export function unsupportedCompression(file: string): string | null {
  const m = /\.(xz|bz2|zst|lz4|lzma|Z)$/.exec(file);
  return m ? m[1] : null;
}

/** Shifts record indexes when only the tail of a file was read (the cap), so they stay file positions. */
export function offsetIndexes(parsed: ParsedUtmp, firstIndex: number): ParsedUtmp {
  if (firstIndex === 0) return parsed;
  return {
    ...parsed,
    records: parsed.records.map((r) => ({ ...r, index: r.index + firstIndex })),
    zeroRecords: parsed.zeroRecords.map((i) => i + firstIndex),
  };
}

/**
 * The tampering signals of one parsed file (see tamperingSignals), with each run of zeroed
 * records sized and marked `inside` when a real record follows it: a record wiped in place by a
 * log cleaner, not the zero-filled tail a crash can leave.
 */
export function fileSignals(parsed: ParsedUtmp, opts: { timeOrder: boolean; trailingBytesMeaningful: boolean }): LoginTamperingSignal[] {
  const zeros = new Set(parsed.zeroRecords);
  const out: LoginTamperingSignal[] = [];
  for (const s of tamperingSignals(parsed, parsed.records, { timeOrder: opts.timeOrder })) {
    if (s.kind === 'trailing-bytes' && !opts.trailingBytesMeaningful) continue;
    const first = s.index;
    if (s.kind === 'zero-records' && first !== undefined) {
      let count = 0;
      while (zeros.has(first + count)) count++;
      // The neighbours' times bound when the wiped logins happened: where to look in the auth log.
      const before = parsed.records.filter((r) => r.index < first).at(-1);
      const after = parsed.records.find((r) => r.index > first);
      const bounds = [before ? `after ${before.time} (record ${before.index})` : null, after ? `before ${after.time} (record ${after.index})` : null].filter(Boolean);
      out.push({ ...s, detail: bounds.length ? `${s.detail}, ${bounds.join(' and ')}` : s.detail, count, inside: after !== undefined });
    } else {
      out.push({ ...s });
    }
  }
  return out;
}

/**
 * Who is logged in now, from the records of /run/utmp: each USER_PROCESS slot is an open session
 * ('gone' when livePids is known and lacks its pid). utmp slots are rewritten in place, so they are
 * not paired as wtmp is.
 */
export function utmpSessions(records: UtmpRecord[], livePids: Set<number> | null): SessionRecord[] {
  return records
    .filter((r) => r.type === UT.USER_PROCESS && r.user !== '')
    .map((r) => sessionOf(r, null, livePids === null || livePids.has(r.pid) ? 'still-logged-in' : 'gone', 'utmp'));
}

/** utmp sessions whose process no longer exists: a session killed without logout, or a record left behind on purpose. */
export function utmpGoneSignals(sessions: SessionRecord[]): LoginTamperingSignal[] {
  return sessions
    .filter((s) => s.source === 'utmp' && s.end === 'gone')
    .map((s) => ({
      kind: 'utmp-gone' as const,
      file: s.file,
      pid: s.pid,
      user: s.user,
      line: s.line,
      detail: `${s.file} lists ${s.user} on ${s.line}${s.host ? ` from ${s.host}` : ''} since ${s.login} (pid ${s.pid}), but no process ${s.pid} is running`,
    }));
}

/** `sshd: alice@pts/0`, `sshd-session: alice@pts/0,pts/1`: the process holding a user's pty session. */
const SSHD_PTY_TITLE = /^(?:sshd|sshd-session): (.+)@(pts\/\d+(?:,pts\/\d+)*)$/;

export function sshdPtySession(title: string): { user: string; lines: string[] } | null {
  const m = SSHD_PTY_TITLE.exec(title.trimEnd());
  return m ? { user: m[1], lines: m[2].split(',') } : null;
}

/** utmp keeps at most 32 bytes of a user name. */
function sameUser(utmpUser: string, user: string): boolean {
  return utmpUser === user || (user.length > 32 && utmpUser === Buffer.from(user).subarray(0, 32).toString('utf8'));
}

/**
 * What backs a process's claim to be an sshd pty session, beyond its title (which any process can
 * set): it runs the box's own sshd binary (the packaged path, and the same device and inode), or
 * it holds the terminal itself open.
 */
export interface SessionWitness {
  /** The packaged sshd path the process's executable is, by path and by device:inode; null when it is not. */
  systemSshd: string | null;
  /** Terminals it holds open, as utmp names them (pts/2 for an fd on /dev/pts/2). */
  heldLines: string[];
}

/** `pts/2` for `/dev/pts/2`; null for anything else (ptmx, a tty, a file). */
export function ptyLineOf(fdTarget: string): string | null {
  const m = /^\/dev\/(pts\/\d+)$/.exec(fdTarget);
  return m ? m[1] : null;
}

/**
 * Live sshd sessions on a pty that the current utmp does not list. sshd writes a USER_PROCESS
 * record for every pty session; one missing means the entry was removed (a log cleaner) or the
 * sshd does not write utmp (a replaced sshd binary). A title alone is no session: a scanner named
 * `sshd: root@pts/2` from /tmp is claimed only when its witness shows it is the system's sshd or
 * holds that terminal (the title itself is process.masquerade's business).
 */
export function sshdWithoutUtmp(
  processes: ProcessRecord[],
  utmp: UtmpRecord[],
  utmpFile: string,
  witnessOf: (pid: number) => SessionWitness | undefined,
): LoginTamperingSignal[] {
  const open = utmp.filter((r) => r.type === UT.USER_PROCESS);
  const out: LoginTamperingSignal[] = [];
  for (const p of processes) {
    const title = p.argv[0] ?? '';
    const session = sshdPtySession(title);
    if (!session) continue;
    const witness = witnessOf(p.pid);
    if (!witness) continue;
    for (const line of session.lines) {
      if (open.some((r) => r.line === line && sameUser(r.user, session.user))) continue;
      const holds = witness.heldLines.includes(line);
      if (!witness.systemSshd && !holds) continue;
      const why = [
        witness.systemSshd ? `runs the system's ${witness.systemSshd} (same device and inode)` : null,
        holds ? `holds /dev/${line} open` : null,
      ].filter(Boolean).join(' and ');
      out.push({
        kind: 'sshd-without-utmp',
        file: utmpFile,
        pid: p.pid,
        user: session.user,
        line,
        detail: `"${title}" (pid ${p.pid}, ${p.exe ?? 'exe unreadable'}) ${why}, with a session for ${session.user} on ${line}, but ${utmpFile} has no record of ${session.user} on ${line}`,
      });
    }
  }
  return out;
}
