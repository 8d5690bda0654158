import type { CommandResult } from '../host/exec.js';
import type { ChangedFile, HistoryCommand, HistoryFile, HistorySetting, SetuidFile } from './activity.js';
import type { AccountFiles, AccountRecord, AuthorizedKeyRecord, SshdConfigRecord } from './access.js';
import type { IncidentWindow } from './window.js';
import type { IntegrityRecord } from './integrity.js';
import type { KernelModules, PacketSocketRecord, PidWalk, ProcMountHide, SshdLibraryRecord, YaraScan } from './kernel.js';
import type { CronEntry, PersistenceFile, StartupEntry, SystemdUnitRecord } from './persistence.js';
import type { AuthEvent, ConnectionRecord, OpenFilesRecord, ProcessCrossView, ProcessRecord, SessionRecord, ToolHit, UtmpRecord } from './records.js';

/** The host description (artifacts/host.json). */
export interface HostRecord {
  hostname: string;
  os: { distro: string | null; release: string | null; codename: string | null; kernel: string | null; arch: string | null };
  machineId: string | null;
  bootId: string | null;
  bootTime: string | null;
  uptimeSeconds: number | null;
  timezone: string | null;
  interfaces: Array<{ name: string; ip4: string | null; ip6: string | null; mac: string | null }>;
  disks: Array<{ fs: string; type: string; mount: string; sizeBytes: number; usedBytes: number }>;
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

/** A process holding sockets, as the network views name it (the connections collector). */
export interface SocketOwner {
  pid: number;
  comm: string;
  /** Target of /proc/PID/exe; null when unreadable. */
  exe: string | null;
  /** argv[0], the process title: sshd shows the session's user there (`sshd: alice@pts/0`). */
  title: string;
  uid: number | null;
  user: string | null;
  cwd: string | null;
}

/** Inbound connections to an ssh port from one remote address. */
export interface SshInboundGroup {
  remoteAddress: string;
  /** Open connections (every state but TIME_WAIT). */
  connections: number;
  /** TIME_WAIT sockets: connections already closed. */
  timeWait: number;
  /** Connections by TCP state. */
  states: Record<string, number>;
  localPorts: number[];
  /** Pids holding the sockets (sshd and its session processes), ascending. */
  sshdPids: number[];
  /** Users named by the owning sshd titles, distinct, sorted. */
  users: string[];
  /** One entry per open connection. */
  sessions: Array<{ localPort: number; remotePort: number; state: string; pids: number[]; user: string | null }>;
  /** Network namespaces the connections were seen in. */
  netns: Array<number | null>;
}

/** Outbound connections to ssh ports elsewhere held by one process (or by one uid when no owner is visible). */
export interface SshOutboundGroup {
  /** The owning process; null when no visible process holds the sockets (grouped by uid). */
  owner: SocketOwner | null;
  /** The owner's uid, or the sockets' uid column. */
  uid: number | null;
  user: string | null;
  /** Open connections (every state but TIME_WAIT, which has no owner). */
  connections: number;
  /** Distinct remote addresses of its ESTABLISHED and SYN_SENT connections, sorted. */
  hosts: string[];
  /** Connections by TCP state. */
  states: Record<string, number>;
  synSent: number;
  established: number;
  remotePorts: number[];
  netns: Array<number | null>;
}

/** A socket listening on an ssh port. */
export interface SshListener {
  family: 4 | 6;
  localAddress: string;
  localPort: number;
  /** The socket's uid column. */
  uid: number;
  user: string | null;
  inode: number;
  netns: number | null;
  /** Processes holding it (sshd; PID 1 for systemd socket activation). */
  owners: SocketOwner[];
  /** False when we could not have seen its owners (not root, another user's socket). */
  ownersVisible: boolean;
}

/** The port-22 view: `netstat | grep :22 | awk | sort | uniq -c`, done from /proc. */
export interface SshView {
  ports: number[];
  inbound: SshInboundGroup[];
  outbound: SshOutboundGroup[];
  /** Outbound TIME_WAIT sockets to ssh ports: targets recently hit (no owner, no uid). */
  outboundTimeWait: { connections: number; hosts: string[] };
  listeners: SshListener[];
}

/** How often one user was tried from one address (the auth-log tally; bounded counting). */
export interface AuthUserCount {
  user: string;
  count: number;
  /** False when the counter was taken over from another user: count may be too high by at most `error`. */
  exact: boolean;
  error: number;
}

/** An accepted ssh login as the tally keeps it. */
export interface AuthAcceptedLogin {
  time: string;
  user: string | null;
  method: string | null;
  port: number | null;
  key: string | null;
}

/** The auth log's view of one remote address (artifacts/auth-tally.json; the auth-log collector). */
export interface AuthAddressRow {
  /** An IP address, or the host name sshd or PAM logged (UseDNS, rhost=). */
  address: string;
  isIp: boolean;
  /** Failed ssh logins (rsyslog repeats expanded; a PAM failure counted only when no Failed line reports it). */
  failures: number;
  firstFailure: string | null;
  lastFailure: string | null;
  /** Failures per method (password, publickey, none, keyboard-interactive/pam; pam = PAM lines standing alone). */
  failuresByMethod: Record<string, number>;
  /** Failures for user names that are not accounts on the box ("invalid user"). */
  failuresInvalidUser: number;
  /** `Invalid user X from ADDRESS` lines (and `User X not allowed`, Dropbear's `nonexistent user`). */
  invalidUsers: number;
  /** The names of those lines, most first (bounded as `users`). */
  invalidNames: AuthUserCount[];
  /** Distinct names of those lines (an upper bound past the counter's capacity). */
  invalidNamesDistinct: number;
  /** Most-tried users, count desc. */
  users: AuthUserCount[];
  distinctUsers: number;
  distinctUsersExact: boolean;
  /** Connections cut at MaxAuthTries. */
  maxAttempts: number;
  /** Connections closed or reset before authenticating (`Connection closed by … [preauth]`, Dropbear's `Exit before auth`). */
  preauthDisconnects: number;
  /** No ssh identification or a bad banner (`Did not receive identification string`, `banner exchange`, `kex_exchange_identification`). */
  noIdentification: number;
  /** Key exchange failed (`Unable to negotiate`, `Protocol major versions differ`). */
  kexFailures: number;
  /** `Timeout before authentication` (LoginGraceTime): the CVE-2024-6387 probing pattern when many. */
  authTimeouts: number;
  /** `ROOT LOGIN REFUSED FROM`: root's key was accepted, then PermitRootLogin refused the login. */
  rootRefused: number;
  firstRootRefused: string | null;
  lastRootRefused: string | null;
  /** `Failed publickey` lines of connections that then logged in: keys offered before the accepted one (not failures). */
  keysBeforeLogin: number;
  acceptedCount: number;
  /** The first accepted logins (bounded). */
  accepted: AuthAcceptedLogin[];
  lastAccepted: AuthAcceptedLogin | null;
  firstSeen: string | null;
  lastSeen: string | null;
}

/** Failed logins counted before an accepted login. */
export interface AuthPriorFailures {
  count: number;
  first: string | null;
  last: string | null;
}

/** An accepted ssh login (auth log or journal), with the failures that came before it. */
export interface AuthLoginRecord {
  time: string;
  user: string | null;
  /** The IP address, or the host name sshd logged (UseDNS). */
  address: string | null;
  port: number | null;
  /** password, publickey, keyboard-interactive/pam, … */
  method: string | null;
  /** Key type and fingerprint for publickey logins ("ED25519 SHA256:…"). */
  key: string | null;
  /** The syslog host field. */
  host: string | null;
  program: string;
  pid: number | null;
  /** File (as seen inside the root, or as given to analyze) or "journal". */
  source: string;
  lineNo: number | null;
  /** PAM's `session closed` of the same sshd pid; null when not logged or still open. */
  logout: string | null;
  /** Failed logins from this address since its previous accepted login (any user, any method). */
  failuresFromAddress: AuthPriorFailures;
  /** Password failures for this user (an account: not "invalid user") since its previous accepted login, from any address. */
  failuresForUser: AuthPriorFailures & { addresses: number; addressesCapped: boolean };
}

/** root's accepted ssh logins from one address. */
export interface AuthRootLogins {
  address: string;
  count: number;
  /** Logins per method. */
  methods: Record<string, number>;
  /** Distinct keys used (at most 10). */
  keys: string[];
  first: AuthLoginRecord;
  last: AuthLoginRecord;
}

/** A TCP socket in /proc/net that the box's ss did not show, on two looks. */
export interface HiddenSocket {
  /** socketKey: `tcp 127.0.0.1:22 10.0.0.5:50000`. */
  key: string;
  socket: ConnectionRecord;
  owners: SocketOwner[];
}

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
  /** Mounts over /proc/PID that hide a process, still there on a re-check (the hiding collector). */
  procMountHides: ProcMountHide[];
  /** The brute-force walk of the pid space against /proc's listing (the hiding collector). */
  pidWalk: PidWalk;
  /** /proc/modules against /sys/module, and the kernel's taint flags (the kernel-modules collector). */
  kernelModules: KernelModules;
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
  /** AF_PACKET sockets of /proc/net/packet with the processes holding them (the packet-sockets collector). */
  packetSockets: PacketSocketRecord[];
  /** Files mapped into sshd processes that no package owns, or that were deleted (the sshd-libraries collector). */
  sshdLibraries: SshdLibraryRecord[];
  /** YARA rules run over flagged executables and the malware folders (the yara collector). */
  yaraScan: YaraScan;
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
