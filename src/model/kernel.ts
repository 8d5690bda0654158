/**
 * Records of what hides: processes hidden by a mount or from /proc's listing, kernel modules from
 * both views, the taint flags, raw packet sockets, the libraries inside sshd, YARA matches.
 * Times are ISO 8601 UTC strings.
 */

/** A mount over /proc/PID (artifacts/proc-mounts.jsonl): ps, top and a /proc walk then skip the process. */
export interface ProcMountHide {
  /** The pid whose /proc folder is covered. */
  pid: number;
  /** The mount point as /proc/self/mountinfo names it (/proc/4242). */
  mountPoint: string;
  /** The mounted file system's type (tmpfs, ext4, proc, …). */
  fsType: string;
  /** The mount source field (a device, `tmpfs`, `none`). */
  source: string;
  /** The root of the mount inside its file system (/, or the folder bind-mounted there). */
  mountRoot: string;
  /** The whole mountinfo line, as the kernel wrote it. */
  line: string;
  /** kill(pid, 0) found the pid alive, on both looks. */
  alive: boolean;
  /** Parent pids whose /proc/PPID/task/T/children list the pid. */
  parents: number[];
  /** The parents' short names (comm), as /proc lists them. */
  parentComms: string[];
}

/** A pid the kernel answers for that /proc's listing does not show (artifacts/pid-walk.json). */
export interface HiddenPid {
  pid: number;
  /** Which views found it: `stat` (/proc/PID/stat opened directly), `kill` (kill(pid, 0)), `children` (a parent's task children list). */
  views: Array<'stat' | 'kill' | 'children'>;
  /** From /proc/PID/stat when it could be opened: short name and parent. */
  comm: string | null;
  ppid: number | null;
  /** Target of /proc/PID/exe when readable. */
  exe: string | null;
  /** Real uid from /proc/PID/status when readable. */
  uid: number | null;
}

/** The brute-force walk over the pid space, as unhide does it. */
export interface PidWalk {
  /** /proc/sys/kernel/pid_max (the walk's upper bound). */
  pidMax: number;
  /** The highest pid the walk had to cover: pid_max, or the last pid handed out when the pid counter never wrapped. */
  upperBound: number;
  /** Why that bound: `pid_max`, or `no wrap: N forks since boot, last pid L`. */
  boundReason: string;
  /** The highest pid walked: below upperBound when the time budget ran out. */
  walkedTo: number;
  /** Wall time of the walk, milliseconds. */
  durationMs: number;
  /** Pids /proc's listing showed at the start. */
  listed: number;
  /** Hidden on the first look and on the re-check. */
  hidden: HiddenPid[];
  /** Seen once but not on the re-check (started or ended meanwhile): not findings. */
  transient: number[];
}

/** One loaded kernel module as each view shows it (artifacts/kernel-modules.jsonl). */
export interface KernelModuleRecord {
  name: string;
  /** Listed in /proc/modules. */
  inProcModules: boolean;
  /** Has a /sys/module/NAME folder. */
  inSysModule: boolean;
  /** /sys/module/NAME has no initstate: built into the kernel (never in /proc/modules). */
  builtin: boolean;
  /** /sys/module/NAME/initstate (live, coming, going), null when absent. */
  initstate: string | null;
  /** Size in bytes from /proc/modules. */
  size: number | null;
  /** State column of /proc/modules (Live, Loading, Unloading). */
  state: string | null;
  /** Taint letters /proc/modules shows for it (O, E, F, …), or /sys/module/NAME/taint. */
  taint: string;
  /** The module file found under /lib/modules/KERNEL (null when none: loaded from elsewhere, or built in). */
  file: string | null;
  /** Packages that own that file (dpkg), empty when none. */
  packages: string[];
}

/** One set bit of /proc/sys/kernel/tainted. */
export interface TaintFlag {
  bit: number;
  /** The letter the kernel prints (P, F, O, E, …). */
  letter: string;
  /** What it means, from the kernel's tainted-kernels documentation. */
  meaning: string;
}

/** The kernel-module views and the taint state (the kernel-modules collector). */
export interface KernelModules {
  /** uname -r as /proc/sys/kernel/osrelease says. */
  release: string | null;
  /** /proc/modules exists: the kernel loads modules at all. */
  loadable: boolean;
  modules: KernelModuleRecord[];
  /** Raw value of /proc/sys/kernel/tainted, null when unreadable. */
  tainted: number | null;
  taintFlags: TaintFlag[];
  /** /lib/modules/RELEASE/modules.dep was read: a module with no file there was loaded from elsewhere (a container has none to read). */
  modulesDepRead: boolean;
  /** Modules in one view only (loadable in /sys/module but not in /proc/modules, or the reverse), on both looks. */
  disagreeing: string[];
}

/** An AF_PACKET socket from /proc/net/packet with the processes holding it (artifacts/packet-sockets.jsonl). */
export interface PacketSocketRecord {
  inode: number;
  /** The protocol field (hex, host order as printed): 0003 is ETH_P_ALL, every frame. */
  protocol: string;
  /** The type column: 3 SOCK_RAW (whole frames), 2 SOCK_DGRAM (link header removed). */
  type: number;
  /** Interface index it is bound to, 0 for every interface. */
  ifindex: number;
  /** The socket's uid column. */
  uid: number;
  /** Network namespace inode of the table it was read from. */
  netns: number | null;
  /** Holders: pid, short name, executable, whether it was deleted. */
  owners: Array<{ pid: number; comm: string; exe: string | null; exeDeleted: boolean; user: string | null }>;
}

/** A file mapped into an sshd process that no package owns, or that was deleted (artifacts/sshd-libraries.jsonl). */
export interface SshdLibraryRecord {
  pid: number;
  /** The sshd's executable and title. */
  exe: string | null;
  title: string;
  /** The mapped file, without " (deleted)". */
  library: string;
  deleted: boolean;
  /** Packages that own it; empty when none. */
  packages: string[];
  /** The package database could be read: an empty `packages` means no package owns it. */
  packageDbRead: boolean;
}

/** One YARA rule matching one file (artifacts/yara-matches.jsonl). */
export interface YaraMatchRecord {
  rule: string;
  /** Tags from the rule's header (rule NAME : tag1 tag2). */
  tags: string[];
  /** Meta fields (reference, description, author…). */
  meta: Record<string, string>;
  /** The rule file it came from. */
  ruleFile: string;
  /** The file scanned: a path on the box, or the preserved copy in the bundle. */
  file: string;
  sha256: string;
  /** The process the file belongs to (its executable or a file in its folder), when known. */
  pid: number | null;
  /** Why it was scanned: preserved executable, malware folder, flagged file. */
  reason: string;
  /** Matched string identifiers and their first offsets (at most 10). */
  strings: Array<{ id: string; offset: number }>;
}

/** What the YARA scan did (the yara collector). */
export interface YaraScan {
  /** Rule files compiled. */
  ruleFiles: string[];
  /** Rules in them. */
  rules: number;
  scanned: number;
  matches: YaraMatchRecord[];
  /** Files not scanned and why (size cap, time budget, unreadable). */
  skipped: Array<{ file: string; reason: string }>;
}
