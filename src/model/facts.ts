import type { CommandResult } from '../host/exec.js';
import type { AccountFiles, AccountRecord, AuthorizedKeyRecord, SshdConfigRecord } from './access.js';
import type { AuthAddressRow, AuthEvent, AuthLoginRecord, AuthRootLogins } from './auth.js';
import type { HostRecord } from './host.js';
import type { IntegrityRecord } from './integrity.js';
import type { LoginTamperingSignal, SessionRecord, UtmpRecord } from './logins.js';
import type { ConnectionRecord, HiddenSocket, SshView } from './network.js';
import type { CronEntry, PersistenceFile, StartupEntry, SystemdUnitRecord } from './persistence.js';
import type { OpenFilesRecord, ProcessCrossView, ProcessRecord, ToolHit } from './processes.js';
import type { IncidentWindow } from './window.js';
import type { ChangedFile, HistoryCommand, HistoryFile, HistorySetting, SetuidFile } from './activity.js';
import type { KernelModules, PacketSocketRecord, PidWalk, ProcMountHide, SshdLibraryRecord, YaraScan } from './kernel.js';

/**
 * What collectors learn, in memory, for the rules: the contract between them. Each key is
 * provided by the collectors that declare it in `provides` (or derived by the engine: `window`),
 * read by the collectors that declare it in `reads`, and needed by the rules that name it in
 * `needs`. A run fills it key by key (`KnownFacts`); a rule sees its needs present (`FactsWith`).
 */
export interface Facts {
  host: HostRecord;
  processes: ProcessRecord[];
  /** Our own process and the commands it started: never reported. */
  selfPids: number[];
  /** Known-tool list hits, by pid. */
  toolHits: ToolHit[];
  /** The lsof step's records for the processes that were flagged. */
  openFiles: OpenFilesRecord[];
  /** /proc against the box's ps. */
  processCrossView: ProcessCrossView;
  /** Entries of /etc/ld.so.preload (null when the file does not exist). */
  ldSoPreload: string[] | null;
  connections: ConnectionRecord[];
  sessions: SessionRecord[];
  /** Records of the current utmp (/run/utmp): who is logged in now. */
  utmp: UtmpRecord[];
  /** btmp records (and rotations): one per failed login. */
  failedLogins: UtmpRecord[];
  /** Signs that wtmp, btmp, utmp were edited or bypassed. */
  loginTampering: LoginTamperingSignal[];
  /** Login record files read, as seen inside the root, to their preserved copy in the bundle. */
  loginCopies: Record<string, string>;
  authEvents: AuthEvent[];
  /** Per-address tallies of the auth log or journal (the auth-log collector): every address seen failing or logging in. */
  authTally: AuthAddressRow[];
  /** Accepted ssh logins with the failures before each; bounded (see docs/sources.md). */
  authLogins: AuthLoginRecord[];
  /** root's accepted ssh logins, per address. */
  authRootLogins: AuthRootLogins[];
  /** Where auth findings point: bundle paths (collect) or the files read (analyze). */
  authEvidence: string[];
  /** Raw results of the box's own login tools (who, w, last, lastb, journalctl), by command name. */
  boxLoginTools: Record<string, CommandResult>;
  /** Raw results of the box's own network tools (ss, netstat, lsof -i), by command name: the connections collector compares ss-tanp. */
  boxNetworkTools: Record<string, CommandResult>;
  /** Raw results of the box's own process tools (ps auxwwf), by command name. */
  boxProcessTools: Record<string, CommandResult>;
  /** SSH ports in force: 22, the box's sshd_config, and --ssh-port. */
  sshPorts: number[];
  /** Inbound, outbound and listening sockets on the ssh ports (the connections collector). */
  sshView: SshView;
  /** TCP sockets in /proc/net that the box's ss does not show, still so on a re-check. */
  hiddenSockets: HiddenSocket[];
  /** When the intrusion may have started: persistence rules call what changed since then new (src/model/window.ts). */
  window: IncidentWindow;
  /** Every account of /etc/passwd with its shadow metadata (never a hash) and groups (the accounts collector). */
  accounts: AccountRecord[];
  /** Times of /etc/passwd, /etc/group, /etc/shadow. */
  accountFiles: AccountFiles;
  /** The sshd configuration in force, from the files and, live, sshd -T (the sshd-config collector). */
  sshdConfig: SshdConfigRecord;
  /** Every key in every account's authorized_keys files (the ssh-keys collector). */
  authorizedKeys: AuthorizedKeyRecord[];
  /** The box's tools and their packages' binaries checked against the package database (the integrity collector). */
  integrity: IntegrityRecord[];
  /** Crontab, anacrontab and at-job lines, and the lines of interest of cron.{hourly,…} scripts (the cron collector). */
  cronEntries: CronEntry[];
  /** systemd units and timers outside the packages, or where only an administrator puts them (the systemd-units collector). */
  systemdUnits: SystemdUnitRecord[];
  /** Lines of rc.local, init.d scripts, shell start-up files, /etc/environment and /etc/ld.so.preload that run something or set LD_PRELOAD, PATH, PROMPT_COMMAND or an alias (the startup-files collector). */
  startupEntries: StartupEntry[];
  /** Every file those three collectors read, with its hash and identity: what the disable action re-checks. */
  persistenceFiles: PersistenceFile[];
  /** Mounts over /proc/PID that hide a process, still there on a re-check (the hiding collector). */
  procMountHides: ProcMountHide[];
  /** The brute-force walk of the pid space against /proc's listing (the hiding collector). */
  pidWalk: PidWalk;
  /** /proc/modules against /sys/module, and the kernel's taint flags (the kernel-modules collector). */
  kernelModules: KernelModules;
  /** AF_PACKET sockets of /proc/net/packet with the processes holding them (the packet-sockets collector). */
  packetSockets: PacketSocketRecord[];
  /** Files mapped into sshd processes that no package owns, or that were deleted (the sshd-libraries collector). */
  sshdLibraries: SshdLibraryRecord[];
  /** YARA rules run over flagged executables and the malware folders (the yara collector). */
  yaraScan: YaraScan;
  /** Every account's history files (shell, python, mysql, psql, less, vim), read or not, links recorded (the shell-history collector). */
  historyFiles: HistoryFile[];
  /** Every entry of those files, with its time when stamped and the session open then (the shell-history collector). */
  historyCommands: HistoryCommand[];
  /** Lines of shell start-up files that set HISTFILE, HISTSIZE, HISTFILESIZE or SAVEHIST, unset HISTFILE or turn history off (the shell-history collector). */
  historySettings: HistorySetting[];
  /** Files and folders changed in the incident window where intruders put things, bounded (the file-sweep collector). */
  changedFiles: ChangedFile[];
  /** Setuid and setgid files in the swept places and the system binary folders, with their package (the file-sweep collector). */
  setuidFiles: SetuidFile[];
}

/** A key of the facts contract. */
export type FactKey = keyof Facts;

/** The facts as a run holds them: a key is present once a collector provided it. */
export type KnownFacts = Partial<Facts>;

/** Facts in which the keys K are present (what a rule that needs K, or a collector that reads K, sees). */
export type FactsWith<K extends FactKey> = Readonly<Pick<Facts, K>> & Readonly<Partial<Omit<Facts, K>>>;
