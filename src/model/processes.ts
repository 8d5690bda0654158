/**
 * Process records: /proc, the known-tool list, the box's ps, the lsof step.
 * Times are ISO 8601 UTC strings. Each field carries a one-line description; docs/artifacts.md is written from these.
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
