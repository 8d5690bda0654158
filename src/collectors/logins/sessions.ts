/**
 * Pair utmp/wtmp records into login sessions the way util-linux `last` (login-utils/last.c,
 * process_wtmp_file) does, and list signs of tampering in a parsed file. Pure: no filesystem.
 *
 * `last` semantics reproduced here (verified against `last -F -w -f FILE` from util-linux 2.38.1):
 *  - The file is walked from the newest record to the oldest.
 *  - Types are first normalised the way last.c does for old writers: a record whose line starts
 *    with "~" is a shutdown ("shutdown" user), a boot ("reboot") or a runlevel change
 *    ("runlevel"); otherwise any record that is not DEAD_PROCESS and has a user and a line (user not
 *    starting with "LOGIN") counts as USER_PROCESS, and a record with an empty user counts as
 *    DEAD_PROCESS; user "date" on line "|" / "{" is OLD_TIME / NEW_TIME.
 *  - A USER_PROCESS (login) is ended by the nearest LATER record on the same ut_line that is a
 *    DEAD_PROCESS *or another USER_PROCESS* (last pairs on the line only, never on the pid): end
 *    'logout', logout = that record's time. So a login followed by another login on the same tty
 *    with no logout record in between is shown as ending when the second login starts.
 *  - If no such record exists before the next boot/shutdown record, the session ended with that
 *    record: 'crash' for a BOOT_TIME (reboot without a logout), 'shutdown' for a shutdown record
 *    (user "shutdown" on "~", or RUN_LVL to runlevel 0 or 6) — `last` prints "- crash" / "- down".
 *    logout is the time of that boot/shutdown record (an upper bound, not a real logout).
 *  - A login with neither a later record on its line nor a later boot/shutdown is still open:
 *    'still-logged-in' when `livePids` is null/undefined or contains its pid, else 'gone' (last
 *    prints "gone - no logout" when the session's process is not alive); logout null.
 *  - Each BOOT_TIME record also yields a pseudo-session (user "reboot", line "system boot", host =
 *    the kernel release, end 'reboot'), as `last` lists it. Its logout is the time of the nearest
 *    later shutdown record, or null ("still running") when there is none. This copies a quirk of
 *    `last`: a boot that ended in a crash (another boot follows with no shutdown) is shown as
 *    running until the next shutdown after it, or as still running.
 * Output is in file order of the login/boot records (oldest first); `last` prints newest first.
 * Do not pair btmp: its records are failures, not sessions (`lastb` lists them one by one).
 */
import type { SessionRecord, UtmpRecord } from '../../model/logins.js';
import { UT } from './parse-utmp.js';

/** last.c's private type for a shutdown record. */
const SHUTDOWN_TIME = 254;

export interface PairSessionsOptions {
  /** utmp, wtmp, … copied to SessionRecord.source. */
  source: string;
  /**
   * Collection time. Accepted for callers that have one; no output field depends on it (last.c uses
   * it only for the duration column and the "still running" text), so pairing is reproducible.
   */
  now?: Date;
  /** Pids alive on the box; null/undefined = unknown (open sessions are then still-logged-in). */
  livePids?: Set<number> | null;
}

/** The session a login record opens, ended as given. */
export function sessionOf(r: UtmpRecord, logout: string | null, end: SessionRecord['end'], source: string): SessionRecord {
  return { user: r.user, line: r.line, host: r.host, addr: r.addr, pid: r.pid, login: r.time, logout, end, source, file: r.file };
}

/** The type last.c acts on, after its compatibility fix-ups (see file comment). */
export function lastEffectiveType(r: UtmpRecord): number {
  if (r.line.startsWith('~')) {
    if (r.user.startsWith('shutdown')) return SHUTDOWN_TIME;
    if (r.user.startsWith('reboot')) return UT.BOOT_TIME;
    if (r.user.startsWith('runlevel')) return UT.RUN_LVL;
    return r.type;
  }
  let type = r.type;
  if (type !== UT.DEAD_PROCESS && r.user !== '' && r.line !== '' && !r.user.startsWith('LOGIN')) {
    type = UT.USER_PROCESS;
  }
  if (r.user === '') type = UT.DEAD_PROCESS;
  if (r.user.startsWith('date')) {
    if (r.line.startsWith('|')) type = UT.OLD_TIME;
    if (r.line.startsWith('{')) type = UT.NEW_TIME;
  }
  return type;
}

export function pairSessions(records: UtmpRecord[], opts: PairSessionsOptions): SessionRecord[] {
  const { source } = opts;
  const livePids = opts.livePids ?? null;
  const out: SessionRecord[] = [];

  /** Per line, the nearest later USER/DEAD record (last.c's ulist, reduced to what it reads). */
  const later = new Map<string, UtmpRecord>();
  /** Nearest later boot/shutdown record (last.c: lastboot + whydown). */
  let lastBoot: UtmpRecord | null = null;
  let whyDown: 'crash' | 'shutdown' = 'crash';
  /** Nearest later shutdown record (last.c: lastdown); null = none, i.e. "now". */
  let lastDown: UtmpRecord | null = null;

  const session = (r: UtmpRecord, logout: string | null, end: SessionRecord['end']): SessionRecord => sessionOf(r, logout, end, source);

  for (let i = records.length - 1; i >= 0; i--) {
    const r = records[i];
    let type = lastEffectiveType(r);
    let down = false;

    switch (type) {
      case SHUTDOWN_TIME:
        lastDown = r;
        down = true;
        break;
      case UT.BOOT_TIME:
        out.push({
          ...session(r, lastDown ? lastDown.time : null, 'reboot'),
          line: 'system boot',
        });
        down = true;
        break;
      case UT.RUN_LVL: {
        const level = r.pid & 255;
        if (level === 0x30 /* '0' */ || level === 0x36 /* '6' */) {
          lastDown = r;
          down = true;
          type = SHUTDOWN_TIME;
        }
        break;
      }
      case UT.USER_PROCESS: {
        const next = later.get(r.line);
        if (next) {
          out.push(session(r, next.time, 'logout'));
          later.delete(r.line);
        } else if (!lastBoot) {
          const alive = livePids === null || livePids.has(r.pid);
          out.push(session(r, null, alive ? 'still-logged-in' : 'gone'));
        } else {
          out.push(session(r, lastBoot.time, whyDown));
        }
        if (r.line !== '') later.set(r.line, r);
        break;
      }
      case UT.DEAD_PROCESS:
        if (r.line !== '') later.set(r.line, r);
        break;
      default:
        // EMPTY, NEW_TIME, OLD_TIME, INIT_PROCESS, LOGIN_PROCESS, ACCOUNTING, unknown: not sessions.
        break;
    }

    if (down) {
      lastBoot = r;
      whyDown = type === SHUTDOWN_TIME ? 'shutdown' : 'crash';
      later.clear();
    }
  }
  return out.reverse();
}

export interface TamperingSignal {
  kind: 'trailing-bytes' | 'zero-records' | 'time-backwards';
  file: string;
  detail: string;
  /** Record index (0-based) the signal is about; the first of a run for zero-records. */
  index?: number;
}

export interface TamperingOptions {
  /**
   * How far (seconds) a record may be earlier than the one before it without a signal. Default 1:
   * separate writers (sshd, logind, getty) take the time before they append, so two nearly
   * simultaneous events can land a few milliseconds out of order; a record inserted or rewritten
   * by hand is usually minutes to days off.
   */
  toleranceSec?: number;
  /**
   * Check time order (default true). wtmp and btmp are append-only; pass false for utmp
   * (/run/utmp), whose slots are rewritten in place and are not in time order.
   */
  timeOrder?: boolean;
}

/** Default tolerance for time running backwards, in seconds. */
export const TIME_BACKWARDS_TOLERANCE_SEC = 1;

function describe(r: UtmpRecord): string {
  const who = [r.user, r.line].filter((s) => s !== '').join(' ');
  return `record ${r.index} (${r.typeName}${who ? ` ${who}` : ''}) at ${r.time}`;
}

/**
 * Signs that a utmp-format file was edited (chkrootkit wted/chkutmp checks):
 *  - trailing-bytes: the size is not a multiple of 384 (a cut or a partial write);
 *  - zero-records: whole records of zero bytes (one signal per contiguous run);
 *  - time-backwards: a record earlier than the record before it in the file by more than the
 *    tolerance. A NEW_TIME record right after an OLD_TIME record is a logged clock change (`date`)
 *    and is allowed. Records after a boot can also trip this when the clock is stepped at boot
 *    without a NEW_TIME/OLD_TIME pair; the detail names the previous record so that can be judged.
 */
export function tamperingSignals(
  parsed: { file: string; trailingBytes: number; zeroRecords: number[]; records?: UtmpRecord[] },
  records: UtmpRecord[] = parsed.records ?? [],
  opts: TamperingOptions = {},
): TamperingSignal[] {
  const file = parsed.file;
  const tolerance = opts.toleranceSec ?? TIME_BACKWARDS_TOLERANCE_SEC;
  const signals: TamperingSignal[] = [];

  if (parsed.trailingBytes > 0) {
    signals.push({
      kind: 'trailing-bytes',
      file,
      detail: `${parsed.trailingBytes} byte(s) after the last whole 384-byte record: the file size is not a multiple of the record size (cut or partial write)`,
    });
  }

  const zeros = [...parsed.zeroRecords].sort((a, b) => a - b);
  for (let i = 0; i < zeros.length; ) {
    let j = i;
    while (j + 1 < zeros.length && zeros[j + 1] === zeros[j] + 1) j++;
    const first = zeros[i];
    const last = zeros[j];
    signals.push({
      kind: 'zero-records',
      file,
      index: first,
      detail: first === last
        ? `record ${first} is all zero bytes (wiped entry)`
        : `records ${first}-${last} (${last - first + 1} records) are all zero bytes (wiped entries)`,
    });
    i = j + 1;
  }

  if (opts.timeOrder ?? true) {
    for (let i = 1; i < records.length; i++) {
      const prev = records[i - 1];
      const cur = records[i];
      if (cur.type === UT.NEW_TIME && prev.type === UT.OLD_TIME) continue;
      const diffUs = (prev.sec - cur.sec) * 1_000_000 + (prev.usec - cur.usec);
      if (diffUs > tolerance * 1_000_000) {
        signals.push({
          kind: 'time-backwards',
          file,
          index: cur.index,
          detail: `${describe(cur)} is ${(diffUs / 1_000_000).toFixed(6)} s earlier than the previous ${describe(prev)}`,
        });
      }
    }
  }
  return signals;
}
