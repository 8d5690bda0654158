/**
 * Login records: utmp, wtmp and btmp, the sessions paired from them, and signs of tampering.
 * Times are ISO 8601 UTC strings. Each field carries a one-line description; docs/artifacts.md is written from these.
 */

/** One raw utmp/wtmp/btmp record. */
export interface UtmpRecord {
  /** File the record came from (relative to the root). */
  file: string;
  /** Index of the record in the file (0-based). */
  index: number;
  /** ut_type: 1 RUN_LVL, 2 BOOT_TIME, 5 INIT, 6 LOGIN, 7 USER, 8 DEAD, … */
  type: number;
  typeName: string;
  pid: number;
  line: string;
  id: string;
  user: string;
  host: string;
  /** Address from ut_addr_v6, null when all zero. */
  addr: string | null;
  exitTermination: number;
  exitStatus: number;
  session: number;
  /** ut_tv as ISO 8601 UTC with microseconds. */
  time: string;
  /** ut_tv seconds since the epoch. */
  sec: number;
  usec: number;
}

/** A login session, paired from login to logout as `last` does. */
export interface SessionRecord {
  user: string;
  /** Terminal (pts/0, ssh:notty, …). */
  line: string;
  host: string;
  addr: string | null;
  pid: number;
  login: string;
  /** Logout time; null while still logged in or when the end is unknown. */
  logout: string | null;
  /** How it ended: logout, still logged in, crash, reboot, shutdown, gone (no logout record). */
  end: 'logout' | 'still-logged-in' | 'crash' | 'reboot' | 'shutdown' | 'gone' | 'unknown';
  /** utmp, wtmp, wtmpdb. */
  source: string;
  file: string;
}

/** A sign that the login records were edited, wiped or bypassed (the logins collector). */
export interface LoginTamperingSignal {
  /**
   * trailing-bytes: size not a whole number of records; zero-records: records of zero bytes;
   * time-backwards: a record earlier than the one before it; not-a-file: the file is a link to
   * /dev/null or not a regular file; utmp-gone: a utmp session whose process is gone;
   * sshd-without-utmp: a live sshd session on a pty with no utmp record.
   */
  kind: 'trailing-bytes' | 'zero-records' | 'time-backwards' | 'not-a-file' | 'utmp-gone' | 'sshd-without-utmp';
  /** The file it is about, as seen inside the root (/var/log/wtmp); the utmp file for the process kinds. */
  file: string;
  /** One line for the investigator. */
  detail: string;
  /** Record index (0-based) in the file; the first of a run for zero-records. */
  index?: number;
  /** zero-records: how many records the run holds. */
  count?: number;
  /** zero-records: a real record follows the run, so it was wiped in place (not a cut-off tail). */
  inside?: boolean;
  /** The process kinds: the session's pid, user and terminal. */
  pid?: number;
  user?: string;
  line?: string;
}
