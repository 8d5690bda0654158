/**
 * Records of what was done on the box: shell and tool histories, their files, and the history
 * settings of the start-up files (the shell-history collector). Times are ISO 8601 UTC.
 */
import type { CommandAnalysis, CommandToolHit } from './persistence.js';

/** Which program wrote a history file, and so how it is read. */
export type HistoryFormat = 'bash' | 'zsh' | 'fish' | 'sh' | 'python' | 'mysql' | 'psql' | 'less' | 'vim';

/** What one history entry is. */
export type HistoryEntryKind =
  /** A shell command line (bash, zsh, fish, sh, less's `!` commands, vim's `:!`, mysql/psql `\!`). */
  | 'command'
  /** A Python statement typed at the prompt. */
  | 'python'
  /** An SQL statement or client command (mysql, psql). */
  | 'sql'
  /** A search pattern typed in less. */
  | 'search'
  /** A file vim kept a mark for: a file the account opened. */
  | 'file-opened'
  /** An ex command typed in vim (`:w /etc/…`). */
  | 'vim-command';

/** The session a command was typed in, as the logins or auth-log step saw it. */
export interface HistorySessionRef {
  /** wtmp (sessions from the login records) or auth-log (accepted ssh logins). */
  source: 'wtmp' | 'auth-log';
  user: string;
  /** Login time. */
  login: string;
  /** Logout time; null while still open or when the end is unknown. */
  logout: string | null;
  /** The remote address (or host name) the session came from; null for a local login. */
  address: string | null;
  /** Terminal (pts/0) for a wtmp session; null for an auth-log login. */
  line: string | null;
}

/** One entry of a history file (artifacts/history-commands.jsonl). */
export interface HistoryCommand {
  /** The history file, as seen inside the root. */
  file: string;
  /** 1-based line of the entry's first line in the file. */
  line: number;
  /** The account whose home holds the file. */
  user: string;
  format: HistoryFormat;
  kind: HistoryEntryKind;
  /** The entry as typed (multi-line entries joined with newlines; cut at 16 KiB). */
  text: string;
  /** When it was typed, from the file's own stamps; null when the format or file has none. */
  time: string | null;
  /** stamp: the file's timestamp for this entry; none: unknown (the file's times bound it). */
  timeSource: 'stamp' | 'none';
  /** zsh extended history: how long the command ran, in seconds. */
  durationSeconds?: number;
  /** The session open at `time` for this user; null when the time is unknown or no session covers it. */
  session: HistorySessionRef | null;
  /** What the command runs (shell commands only); null for other kinds. */
  analysis: CommandAnalysis | null;
  /** Known-tool list hits on the entry. */
  toolHits: CommandToolHit[];
  /** What the command does that a responder looks for (wipes a log, stops a defence, adds a user, …), as read from its text. */
  signals: ActivitySignal[];
}

/** One thing a history command does, read from its text (never run). */
export interface ActivitySignal {
  /**
   * download-run: runs a file an earlier line downloaded; log-wipe: deletes, truncates or edits a
   * log or login record; history-wipe: clears or turns off the shell history; defence-off: flushes
   * the firewall, stops auditd/syslog/SELinux/AppArmor/a security agent; account-change: adds or
   * changes an account, a password, sudo rights or an authorized key.
   */
  kind: 'download-run' | 'log-wipe' | 'history-wipe' | 'defence-off' | 'account-change';
  /** One line: what it does. */
  what: string;
  /** The file, service, account or URL it acts on, when it names one. */
  target: string | null;
}

/** A history file of an account, read or not (artifacts/history-files.jsonl). */
export interface HistoryFile {
  /** As seen inside the root (/home/alice/.bash_history). */
  path: string;
  user: string;
  /** The account's uid in /etc/passwd. */
  accountUid: number;
  format: HistoryFormat;
  /** file: a regular file (read); link: a symbolic link (recorded, never followed); other: a FIFO, device or folder (not read). */
  type: 'file' | 'link' | 'other';
  /** A link's target as written; null otherwise. */
  linkTarget: string | null;
  /** Size in bytes (of the link itself for a link). */
  size: number;
  /** Permission bits (mode & 07777). */
  mode: number;
  /** Owner uid. */
  uid: number;
  mtime: string;
  ctime: string;
  /** Birth time where the filesystem keeps one; null otherwise. */
  btime: string | null;
  /** sha256 of the bytes read; null when not read. */
  sha256: string | null;
  /** Its copy in the bundle (files/history/…); null when not copied. */
  copy: string | null;
  /** Only the first `maxBytes` were read and copied (the cap bit). */
  truncated: boolean;
  /** Entries parsed. */
  entries: number;
  /** Entries past the per-file cap that were left out. */
  entriesLeftOut: number;
  /** First and last stamped time among its entries; null when none is stamped. */
  firstTime: string | null;
  lastTime: string | null;
  /** Stamped entries earlier than the entry before them (several shells writing, or an edit). */
  timesBackwards: number;
  /** Why it was not read (a link, a secret, an unreadable file); null when it was. */
  notRead: string | null;
}

/** A line of a shell start-up file that changes where or whether history is kept (artifacts/history-settings.jsonl). */
export interface HistorySetting {
  /** The start-up file, as seen inside the root. */
  file: string;
  /** 1-based line number. */
  line: number;
  /** The account whose home holds it; null for a system-wide file. */
  user: string | null;
  /** histfile: HISTFILE=…; histsize: HISTSIZE, HISTFILESIZE or SAVEHIST =…; unset-histfile: `unset HISTFILE`; history-off: `set +o history`. */
  what: 'histfile' | 'histsize' | 'unset-histfile' | 'history-off';
  /** The variable set (HISTSIZE, SAVEHIST, …); null for unset/set +o. */
  name: string | null;
  /** The value set (quotes removed); null for unset/set +o. */
  value: string | null;
  /** The line as written (cut at 4 KiB). */
  text: string;
}

/** Why a history setting stops history from being kept; null when it does not (shared by the collector and the rule). */
export function settingDisablesHistory(s: Pick<HistorySetting, 'what' | 'value'>): string | null {
  if (s.what === 'unset-histfile') return 'unset HISTFILE: the shell keeps no history file';
  if (s.what === 'history-off') return 'set +o history: the shell stops recording commands';
  if (s.what === 'histfile' && (s.value === '' || s.value === '/dev/null')) return `HISTFILE=${s.value === '' ? '(empty)' : s.value}: history goes nowhere`;
  if (s.what === 'histsize' && s.value !== null && /^0+$/.test(s.value)) return 'a history size of 0: nothing is kept';
  return null;
}

/** A file or folder changed in the incident window in a place intruders use (artifacts/changed-files.jsonl, bodyfile.txt). */
export interface ChangedFile {
  /** As seen inside the root. */
  path: string;
  type: 'file' | 'dir' | 'link' | 'other';
  /** A link's target as written; null otherwise. */
  linkTarget: string | null;
  /** Permission and set-id bits (mode & 07777). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Inode as a decimal string. */
  ino: string;
  atime: string;
  mtime: string;
  ctime: string;
  /** Birth time where the kernel gives it (statx); null otherwise. */
  btime: string | null;
  /** Which of its times fall in the window (the system binary folders count ctime only). */
  inWindow: Array<'mtime' | 'ctime' | 'btime'>;
  /** elf or script (`#!`) for a regular file that is one; null otherwise. */
  executable: 'elf' | 'script' | null;
  /** Hashes of an executable (null otherwise, or past the size cap). */
  sha256: string | null;
  md5: string | null;
  /** The world-writable folder it lies in (/tmp, /dev/shm, …); null otherwise. */
  writableDir: string | null;
  /** The first hidden-looking folder on its path (a dot-name, `..  `); null otherwise. */
  hiddenDir: string | null;
  /** The place of the sweep it was found under (/tmp, /home/alice, /usr/bin, …). */
  area: string;
}

/** A setuid or setgid regular file found by the sweep (artifacts/setuid-files.jsonl). */
export interface SetuidFile {
  path: string;
  /** Permission and set-id bits (mode & 07777). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: string;
  ctime: string;
  btime: string | null;
  sha256: string | null;
  /** The package that owns it (dpkg lists); null when none does or no database was found. */
  package: string | null;
  /** false: a package database was read and no package owns it; null: no database to ask. */
  packaged: boolean | null;
  /** The world-writable folder it lies in; null otherwise. */
  writableDir: string | null;
}
