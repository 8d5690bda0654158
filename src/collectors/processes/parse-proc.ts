/**
 * Pure parsers for the files of /proc/PID (and /proc/stat, /etc/passwd) that the process
 * collector reads. They take the text or bytes already read; none touches the filesystem.
 */

/** The fields of /proc/PID/stat the collector uses (proc(5) numbering in brackets). */
export interface ProcStat {
  /** [1] Process id. */
  pid: number;
  /** [2] Short name, between the first '(' and the last ')'; may hold spaces, parentheses, newlines. */
  comm: string;
  /** [3] State letter (R, S, D, Z, T, t, X, I, …). */
  state: string;
  /** [4] Parent pid. */
  ppid: number;
  /** [5] Process group id. */
  pgrp: number;
  /** [6] Session id. */
  session: number;
  /** [7] Controlling terminal (device number, 0 = none). */
  tty_nr: number;
  /** [9] Kernel flags word (PF_*). */
  flags: number;
  /** [14] User-mode time, clock ticks. */
  utime: number;
  /** [15] Kernel-mode time, clock ticks. */
  stime: number;
  /** [22] Start time after boot, clock ticks. */
  starttime: number;
  /** [23] Virtual memory size, bytes. */
  vsize: number;
  /** [24] Resident set size, pages. */
  rss: number;
  /** PF_KTHREAD (0x00200000) is set in flags. */
  kernelThread: boolean;
}

/** PF_KTHREAD from include/linux/sched.h. */
export const PF_KTHREAD = 0x00200000;

const INT = /^-?\d+$/;

/**
 * Parses /proc/PID/stat. comm is taken between the first '(' and the last ')', because the
 * kernel prints it raw: it may contain spaces, '(' , ')' and even newlines.
 * Throws an Error naming the problem when the text is not a stat line.
 */
export function parseStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < 0 || close < open) {
    throw new Error(`malformed /proc/PID/stat: no "(comm)" in ${preview(text)}`);
  }
  const pidText = text.slice(0, open).trim();
  if (!/^\d+$/.test(pidText)) {
    throw new Error(`malformed /proc/PID/stat: pid ${JSON.stringify(pidText)} is not a number in ${preview(text)}`);
  }
  const comm = text.slice(open + 1, close);
  const after = text.slice(close + 1);
  if (!/^ /.test(after)) {
    throw new Error(`malformed /proc/PID/stat: no space after the comm field in ${preview(text)}`);
  }
  // rest[0] is field 3 (state); field n is rest[n - 3].
  const rest = after.trim().split(/\s+/);
  if (rest.length < 22) {
    throw new Error(
      `malformed /proc/PID/stat: ${rest.length + 2} fields, at least 24 expected in ${preview(text)}`,
    );
  }
  const state = rest[0];
  if (!/^[A-Za-z]$/.test(state)) {
    throw new Error(`malformed /proc/PID/stat: state ${JSON.stringify(state)} is not a letter in ${preview(text)}`);
  }
  const num = (field: number, name: string): number => {
    const raw = rest[field - 3];
    if (!INT.test(raw)) {
      throw new Error(
        `malformed /proc/PID/stat: field ${field} (${name}) ${JSON.stringify(raw)} is not an integer in ${preview(text)}`,
      );
    }
    return Number(raw);
  };
  const flags = num(9, 'flags');
  return {
    pid: Number(pidText),
    comm,
    state,
    ppid: num(4, 'ppid'),
    pgrp: num(5, 'pgrp'),
    session: num(6, 'session'),
    tty_nr: num(7, 'tty_nr'),
    flags,
    utime: num(14, 'utime'),
    stime: num(15, 'stime'),
    starttime: num(22, 'starttime'),
    vsize: num(23, 'vsize'),
    rss: num(24, 'rss'),
    // flags is an unsigned 32-bit word; `&` works on its low 32 bits, where PF_KTHREAD lives.
    kernelThread: (flags & PF_KTHREAD) !== 0,
  };
}

function preview(text: string): string {
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text);
}

/** Real, effective, saved and filesystem ids from a Uid:/Gid: line of /proc/PID/status. */
export interface IdSet {
  real: number;
  effective: number;
  saved: number;
  fs: number;
}

/** The fields of /proc/PID/status the collector uses. */
export interface ProcStatus {
  /** Name, unescaped (the kernel writes a newline as "\n" and a backslash as "\\"; old kernels use octal). */
  name: string;
  tgid: number;
  pid: number;
  ppid: number;
  uid: IdSet;
  gid: IdSet;
  /** State letter ("S" from "S (sleeping)"). */
  state: string;
  /** State description ("sleeping"); empty when the kernel gave none. */
  stateName: string;
  threads: number;
}

/**
 * Parses /proc/PID/status. Throws an Error when a field the collector needs (Name, Tgid, Pid,
 * PPid, Uid, Gid, State, Threads) is missing or malformed.
 */
export function parseStatus(text: string): ProcStatus {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon);
    if (fields.has(key)) continue;
    fields.set(key, line.slice(colon + 1));
  }
  const get = (key: string): string => {
    const value = fields.get(key);
    if (value === undefined) throw new Error(`malformed /proc/PID/status: no ${key}: line`);
    return value;
  };
  const int = (key: string): number => {
    const value = get(key).trim();
    if (!/^\d+$/.test(value)) {
      throw new Error(`malformed /proc/PID/status: ${key} ${JSON.stringify(value)} is not a number`);
    }
    return Number(value);
  };
  const ids = (key: string): IdSet => {
    const parts = get(key).trim().split(/\s+/);
    if (parts.length !== 4 || !parts.every((p) => /^\d+$/.test(p))) {
      throw new Error(`malformed /proc/PID/status: ${key} ${JSON.stringify(get(key).trim())} is not four ids`);
    }
    const [real, effective, saved, fs] = parts.map(Number);
    return { real, effective, saved, fs };
  };
  // "Name:\t%s": exactly one tab, then the escaped name (which may itself start with a space or tab).
  const rawName = get('Name');
  const name = unescapeStatusName(rawName.startsWith('\t') ? rawName.slice(1) : rawName.trimStart());
  const stateMatch = /^\s*([A-Za-z])(?:\s+\((.*)\))?\s*$/.exec(get('State'));
  if (!stateMatch) {
    throw new Error(`malformed /proc/PID/status: State ${JSON.stringify(get('State').trim())}`);
  }
  return {
    name,
    tgid: int('Tgid'),
    pid: int('Pid'),
    ppid: int('PPid'),
    uid: ids('Uid'),
    gid: ids('Gid'),
    state: stateMatch[1],
    stateName: stateMatch[2] ?? '',
    threads: int('Threads'),
  };
}

const NAME_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', f: '\f', v: '\v', '\\': '\\' };

/** Undoes the kernel's escaping of the status Name: "\n", "\\" (seq_escape_str) and "\ooo" octal (older seq_escape). */
function unescapeStatusName(raw: string): string {
  return raw.replace(/\\(?:([0-7]{3})|(.))/gs, (whole, octal: string | undefined, ch: string | undefined) => {
    if (octal !== undefined) return String.fromCharCode(parseInt(octal, 8));
    return ch !== undefined && ch in NAME_ESCAPES ? NAME_ESCAPES[ch] : whole;
  });
}

/** UTF-8 decoding that never throws (bad bytes → U+FFFD) and keeps a leading BOM as data. */
const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/** Splits a buffer on NUL bytes and decodes each piece; drops the one empty piece after a final NUL. */
function splitNul(buf: Uint8Array): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === 0) {
      out.push(utf8.decode(buf.subarray(start, i)));
      start = i + 1;
    }
  }
  if (start < buf.length) out.push(utf8.decode(buf.subarray(start)));
  return out;
}

/**
 * Splits /proc/PID/cmdline into argv. Only the empty piece after the final NUL is dropped, so an
 * empty argument (`prog ""`) survives. A process that rewrote its argv into one string
 * ("sshd: user [priv]") comes back as one element: nothing is guessed.
 */
export function splitCmdline(buf: Buffer): string[] {
  return splitNul(buf);
}

/**
 * Keeps LD_PRELOAD and LD_LIBRARY_PATH from /proc/PID/environ and nothing else: environments
 * hold secrets. When a name appears twice the last one is returned, as ld.so uses the last.
 * An empty value ("LD_PRELOAD=") is returned as "".
 */
export function pickEnviron(buf: Buffer): { ldPreload: string | null; ldLibraryPath: string | null } {
  let ldPreload: string | null = null;
  let ldLibraryPath: string | null = null;
  for (const entry of splitNul(buf)) {
    if (entry.startsWith('LD_PRELOAD=')) ldPreload = entry.slice('LD_PRELOAD='.length);
    else if (entry.startsWith('LD_LIBRARY_PATH=')) ldLibraryPath = entry.slice('LD_LIBRARY_PATH='.length);
  }
  return { ldPreload, ldLibraryPath };
}

const MAPS_LINE = /^[0-9a-f]+-[0-9a-f]+ +\S+ +[0-9a-f]+ +[0-9a-f]+:[0-9a-f]+ +\d+(?: +(.*))?$/;

/**
 * Distinct files mapped by a process, from /proc/PID/maps, in first-seen order. The path is
 * everything from column 6 on (it may contain spaces); " (deleted)" stays on deleted files.
 * Anonymous mappings and pseudo entries in brackets ([heap], [stack], [vdso], [vvar],
 * [vsyscall], [anon:…], …) are left out. The kernel writes a newline in a path as "\012";
 * it is kept as written. Lines that are not maps lines (a truncated read) are skipped.
 */
export function parseMaps(text: string): { files: string[] } {
  const seen = new Set<string>();
  for (const line of text.split('\n')) {
    const m = MAPS_LINE.exec(line);
    if (!m || m[1] === undefined) continue;
    const path = m[1];
    if (path === '' || (path.startsWith('[') && path.endsWith(']'))) continue;
    seen.add(path);
  }
  return { files: [...seen] };
}

const DELETED = ' (deleted)';

/**
 * Interprets the target of /proc/PID/exe. null (unreadable: kernel thread, no permission) gives
 * exe null. A " (deleted)" suffix is stripped into `deleted`; a deleted "/memfd:name" target is
 * an executable run from memory (memfd_create), reported as memfd.
 */
export function parseExeLink(target: string | null): { exe: string | null; deleted: boolean; memfd: boolean } {
  if (target === null) return { exe: null, deleted: false, memfd: false };
  const deleted = target.endsWith(DELETED);
  const exe = deleted ? target.slice(0, -DELETED.length) : target;
  return { exe, deleted, memfd: deleted && exe.startsWith('/memfd:') };
}

/** Boot time in seconds since the epoch, from the `btime` line of /proc/stat. */
export function parseBtime(procStatText: string): number {
  const m = /^btime\s+(\d+)\s*$/m.exec(procStatText);
  if (!m) throw new Error('malformed /proc/stat: no btime line');
  return Number(m[1]);
}

/**
 * Start time of a process as ISO 8601 UTC: btime plus stat field 22 divided by the clock tick
 * rate (sysconf(_SC_CLK_TCK), 100 on Linux for every mainstream architecture). btime is whole
 * seconds, so the result is exact to about a second.
 */
export function startTimeIso(starttimeTicks: number, btime: number, clkTck = 100): string {
  if (!Number.isFinite(starttimeTicks) || starttimeTicks < 0) {
    throw new Error(`invalid start time ${starttimeTicks} ticks`);
  }
  if (!Number.isFinite(btime) || btime < 0) throw new Error(`invalid btime ${btime}`);
  if (!Number.isFinite(clkTck) || clkTck <= 0) throw new Error(`invalid clock tick rate ${clkTck}`);
  return new Date(btime * 1000 + Math.round((starttimeTicks * 1000) / clkTck)).toISOString();
}

/**
 * The libraries /etc/ld.so.preload makes every program load: names separated by white space or
 * ':', with '#' starting a comment to the end of the line, as glibc's loader reads the file.
 */
export function parseLdSoPreload(text: string): string[] {
  return text
    .split('\n')
    .flatMap((line) => line.replace(/#.*/, '').split(/[\s:]+/))
    .filter(Boolean);
}
