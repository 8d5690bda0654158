/**
 * Records of what starts by itself on the box: cron, systemd units and timers, start-up files,
 * the preload file (the cron, systemd-units and startup-files collectors). Times are ISO 8601 UTC.
 */

/** What one command line runs, as parsed by the collectors (pure text analysis, never executed). */
export interface CommandAnalysis {
  /** Files the command runs: programs given by path, scripts handed to a shell or interpreter, `./x` after a `cd`. `~` and $HOME are expanded when the home is known. */
  runs: Array<{ path: string; as: 'program' | 'script' }>;
  /** Programs named without a folder (found through PATH), by name. */
  programs: string[];
  /** Downloaded or decoded text piped into a shell or interpreter (`curl … | sh`, `base64 -d | bash`, `bash -c "$(wget -O- …)"`), as a short description; null when none. */
  fetchPipe: string | null;
  /** A reverse-shell construction (`/dev/tcp/`, `nc -e`, a socket in `python -c`), as a short description; null when none. */
  reverseShell: string | null;
  /** An LD_PRELOAD value the command sets for what it runs; null when none. */
  ldPreload: string | null;
}

/** A known-tool list hit on a command (the same lists as process.known-tool). */
export interface CommandToolHit {
  pattern: string;
  score: number;
  description: string | null;
  /** The value that matched: a program name, a path or the command line. */
  value: string;
  /** The list file and line. */
  list: string;
}

/** A file a persistence collector read: identity and hash at collection, for the rules' times and the disable action's re-check. */
export interface PersistenceFile {
  /** As seen inside the root. */
  path: string;
  /** crontab, cron.d, cron-spool, cron-script, anacrontab, at-job, unit, drop-in, rc-local, init-script, shell-startup, environment, ld-so-preload. */
  kind: string;
  sha256: string;
  size: number;
  /** Permission bits (mode & 07777). */
  mode: number;
  uid: number;
  gid: number;
  /** Device and inode as decimal strings. */
  dev: string;
  ino: string;
  mtime: string;
  ctime: string;
  /** Birth time where the filesystem keeps one; null otherwise. */
  btime: string | null;
  /** Its copy in the bundle (files/persistence/…); null when it could not be copied. */
  copy: string | null;
  /** The copy (and the parse) stopped at the size cap. */
  truncated: boolean;
  /** The package that owns it (dpkg lists); null when none does or no package database was found. */
  package: string | null;
  /** false: a package database was read and no package owns it; null: no database to ask. */
  packaged: boolean | null;
}

/** One line of a crontab, anacrontab or at job, or a line of interest in a cron.{hourly,…} script (artifacts/cron.jsonl). */
export interface CronEntry {
  /** The file, as seen inside the root. */
  file: string;
  /** 1-based line number. */
  line: number;
  /** crontab (/etc/crontab), cron.d, spool (a user's crontab), anacrontab, at (an at job), script (cron.{hourly,daily,weekly,monthly,yearly}). */
  source: 'crontab' | 'cron.d' | 'spool' | 'anacrontab' | 'at' | 'script';
  /** job: a scheduled command; env: NAME=value; invalid: neither (cron ignores it); script-line: a line of a script or at job. */
  kind: 'job' | 'env' | 'invalid' | 'script-line';
  /** The five time fields, `@reboot`-style keyword, anacron's `period delay id`, or the script folder's period (daily); null for env lines. */
  schedule: string | null;
  /** `@reboot`, `@hourly`, … when the schedule is one. */
  special: string | null;
  /** The user field (system crontabs), the spool file's owner name, the at job's uid, or root for scripts. */
  user: string | null;
  /** The command, up to the first unescaped `%` (what follows is the command's stdin). */
  command: string | null;
  /** Text after the first unescaped `%`, fed to the command on stdin. */
  stdin: string | null;
  /** env lines: the variable and its value. */
  name?: string;
  value?: string;
  /** The line as written (cut at 4 KiB). */
  raw: string;
  analysis: CommandAnalysis | null;
  toolHits: CommandToolHit[];
}

/** One Exec*= line of a unit, after drop-ins. */
export interface UnitExec {
  /** ExecStart, ExecStartPre, ExecStartPost, ExecReload, ExecStop, ExecStopPost, ExecCondition. */
  key: string;
  /** The file and line it comes from (the unit or a drop-in). */
  file: string;
  line: number;
  /** The special prefixes as written (`-`, `@`, `+`, `!`, `!!`, `:`, `|`). */
  prefixes: string;
  /** The executable (first word after the prefixes). */
  path: string;
  /** The command without its prefixes. */
  command: string;
  analysis: CommandAnalysis;
  toolHits: CommandToolHit[];
}

/** A systemd unit or timer that is not part of a package, or lies where only an administrator (or an intruder) puts units (artifacts/systemd-units.jsonl). */
export interface SystemdUnitRecord {
  /** The unit file, as seen inside the root (the link, for a linked unit). */
  path: string;
  /** Unit name (ssh.service). */
  name: string;
  /** service, timer, socket, path, … (the suffix). */
  type: string;
  /** system or user (a user manager's unit). */
  scope: 'system' | 'user';
  /** For a user unit: whose home it lies in (null for /etc/systemd/user). */
  owner: string | null;
  /** A symbolic-link unit's target, resolved inside the root; null for a plain file. */
  linkTarget: string | null;
  /** Drop-ins applied, in order. */
  dropIns: string[];
  /** `.wants`/`.requires`/`.upholds` links naming it (the link paths): what `systemctl enable` made. */
  wantedBy: string[];
  enabled: boolean;
  /** The unit is masked (linked to /dev/null) somewhere that wins. */
  masked: boolean;
  description: string | null;
  exec: UnitExec[];
  /** User= and Group=. */
  user: string | null;
  workingDirectory: string | null;
  /** LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT and PATH from Environment= (other values are not kept: they hold secrets); names of the rest. */
  environment: Array<{ name: string; value: string | null; file: string; line: number }>;
  environmentFiles: string[];
  /** Timers: OnCalendar, OnBootSec, OnStartupSec, OnActiveSec, OnUnitActiveSec, OnUnitInactiveSec values, and the unit it starts. */
  timer: { schedules: string[]; unit: string } | null;
  /** The unit file's identity and hash (see persistenceFiles). */
  sha256: string;
  mtime: string;
  ctime: string;
  btime: string | null;
  package: string | null;
  packaged: boolean | null;
}

/** A line of a start-up file that runs something or changes how commands are found (artifacts/startup-files.jsonl). */
export interface StartupEntry {
  file: string;
  line: number;
  /** rc-local, init-script (not from a package), shell-startup (profile, bashrc, …), environment (/etc/environment), ld-so-preload. */
  source: 'rc-local' | 'init-script' | 'shell-startup' | 'environment' | 'ld-so-preload';
  /** Whose start-up file (the home's owner); null for system-wide files. */
  user: string | null;
  /** command: runs something of interest; ld-preload: sets LD_PRELOAD; path: sets PATH; prompt-command: sets PROMPT_COMMAND; alias: replaces sudo, su, ssh, scp or passwd; preload-library: an /etc/ld.so.preload entry. */
  what: 'command' | 'ld-preload' | 'path' | 'prompt-command' | 'alias' | 'preload-library';
  /** The line as written (cut at 4 KiB). */
  text: string;
  /** The value set (LD_PRELOAD, PATH, PROMPT_COMMAND, the alias body, the libraries). */
  value: string | null;
  /** alias: the command replaced (sudo, ssh, …). */
  name?: string;
  analysis: CommandAnalysis | null;
  toolHits: CommandToolHit[];
}
