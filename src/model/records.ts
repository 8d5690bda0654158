/**
 * Parsed records: what collectors produce and rules read. Times are ISO 8601 UTC strings.
 * Each field carries a one-line description; docs/artifacts.md is written from these.
 */

/** One process, read from /proc/PID. */
export interface ProcessRecord {
  /** Process id (the thread-group id). */
  pid: number;
  /** Parent process id. */
  ppid: number;
  /** Real uid from /proc/PID/status. */
  uid: number | null;
  /** User name for uid, from the box's /etc/passwd. */
  user: string | null;
  /** Short name from /proc/PID/stat (may hold spaces and parentheses). */
  comm: string;
  /** Command line, split on NUL; bytes that are not UTF-8 become U+FFFD. */
  argv: string[];
  /** Target of /proc/PID/exe without the " (deleted)" marker; null when unreadable (kernel thread, no permission). */
  exe: string | null;
  /** The exe link said " (deleted)": the file was removed from disk while running. */
  exeDeleted: boolean;
  /** Target of /proc/PID/cwd. */
  cwd: string | null;
  /** Target of /proc/PID/root. */
  root: string | null;
  /** Start time (stat field 22 plus btime). */
  startTime: string | null;
  /** Start time in clock ticks since boot (stat field 22): with pid, identifies a process across a pid recycle. */
  startTicks: number | null;
  /** State letter from stat (R, S, D, T, Z, …). */
  state: string;
  /** PF_KTHREAD is set in the stat flags. */
  kernelThread: boolean;
  /** LD_PRELOAD from environ; no other environment value is kept. */
  ldPreload: string | null;
  /** LD_LIBRARY_PATH from environ. */
  ldLibraryPath: string | null;
  /** Socket inodes held open (from /proc/PID/fd). */
  socketInodes: number[];
  /** Open files (fd targets that are paths), deduplicated. */
  openFiles: string[];
  /** Number of open pipes. */
  pipes: number;
  /** Files mapped into memory (from /proc/PID/maps), deduplicated; deleted ones end with " (deleted)". */
  mappedFiles: string[];
  /** Network namespace inode (/proc/PID/ns/net), when readable. */
  netns: number | null;
  /** sha256 of the executable, hashed once per distinct file. */
  exeSha256?: string | null;
  /** Where the executable was preserved inside the bundle. */
  exePreserved?: string | null;
}

export type TcpState =
  | 'ESTABLISHED' | 'SYN_SENT' | 'SYN_RECV' | 'FIN_WAIT1' | 'FIN_WAIT2' | 'TIME_WAIT' | 'CLOSE'
  | 'CLOSE_WAIT' | 'LAST_ACK' | 'LISTEN' | 'CLOSING' | 'NEW_SYN_RECV' | `UNKNOWN_${string}`;

/** One socket from /proc/net/{tcp,tcp6,udp,udp6}. */
export interface ConnectionRecord {
  /** tcp or udp. */
  protocol: 'tcp' | 'udp';
  /** 4 or 6 (a v4-mapped IPv6 socket is reported with its IPv4 address and family 6). */
  family: 4 | 6;
  /** Local address, IPv4 dotted or IPv6 compressed. */
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** TCP state name (UDP sockets use the same codes: CLOSE = unconnected, ESTABLISHED = connected). */
  state: TcpState;
  /** Effective uid of the socket owner (the uid column). */
  uid: number;
  /** Socket inode; 0 for TIME_WAIT and request sockets. */
  inode: number;
  /** Pids holding the socket open (several after fork); empty when no visible process owns it. */
  pids: number[];
  /** Network namespace inode of the table it was read from. */
  netns: number | null;
}

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

/** One sshd (or sudo/su) event from a log or the journal. */
export interface AuthEvent {
  /** ISO 8601 UTC. */
  time: string;
  host: string | null;
  /** sshd, sshd-session, sshd-auth, sudo, su, … */
  program: string;
  pid: number | null;
  kind:
    | 'failed' | 'accepted' | 'invalid-user' | 'max-attempts' | 'preauth-disconnect'
    | 'pam-failure' | 'session-opened' | 'session-closed' | 'sudo' | 'su' | 'no-identification'
    | 'root-refused' | 'kex-failed' | 'auth-timeout'
    | 'other';
  /** Auth method for accepted/failed: password, publickey, keyboard-interactive/pam, none. */
  method: string | null;
  user: string | null;
  /** The user name was not a valid account ("invalid user"). */
  invalidUser: boolean;
  ip: string | null;
  port: number | null;
  /** Key type and fingerprint for publickey logins ("ED25519 SHA256:…"). */
  key: string | null;
  /** File (relative to the root) or "journal". */
  source: string;
  /** Line number in the source (1-based), for the investigator. */
  lineNo: number | null;
  /** The raw message, as data. */
  message: string;
}

/** A process that matched the known-tool list (Loki's name or hash formats). */
export interface ToolHit {
  pid: number;
  /** name: a REGEX;SCORE line; hash: a HASH;DESCRIPTION line. */
  kind: 'name' | 'hash';
  /** The regex or the hash that matched. */
  pattern: string;
  /** Loki's score: 80 and above is an alert. Hash hits score 100. */
  score: number;
  /** The comment or description of the list entry. */
  description: string | null;
  /** Which property matched: comm, exe, argv, or the exe's sha256. */
  field: string;
  value: string;
  /** The list file and line. */
  list: string;
}

/** The box's ps compared with /proc, after a re-check a moment later. */
export interface ProcessCrossView {
  /** Pids /proc lists that the box's ps did not show, still there on the re-check. */
  onlyInProc: number[];
  /** Pids the box's ps showed that /proc does not list (fake ps entries), still absent on the re-check. */
  onlyInPs: number[];
  /** Pids that differed once but not on the re-check: short-lived, not findings. */
  transient: number[];
  /** The ps view that was compared: ps-list (the box's ps) and/or ps auxwwf. */
  views: string[];
}

/** One link of the chain of parents that started a process, nearest first. */
export interface ParentLink {
  pid: number;
  comm: string;
  exe: string | null;
  user: string | null;
  command: string;
}

/** The lsof step for one flagged process (artifacts/open-files.jsonl). */
export interface OpenFilesRecord {
  pid: number;
  comm: string;
  user: string | null;
  exe: string | null;
  exeDeleted: boolean;
  exeSha256: string | null;
  /** The executable as preserved in the bundle. */
  preserved: { path: string; sha256: string; size: number; truncated: boolean } | null;
  cwd: string | null;
  root: string | null;
  /** The folders holding its files, the malware folder first. */
  folders: string[];
  openFiles: string[];
  mappedFiles: string[];
  socketInodes: number[];
  connections: string[];
  /** Its systemd unit, from /proc/PID/cgroup. */
  unit: string | null;
  /** What started it, in a responder's words. */
  startedBy: string;
  parents: ParentLink[];
}
