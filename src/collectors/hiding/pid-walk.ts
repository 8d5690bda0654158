import type { ProcFs } from '../../host/proc.js';
import type { HiddenPid, PidWalk } from '../../model/kernel.js';

/** The kernel's own ceiling for pid_max (PID_MAX_LIMIT on 64-bit). */
export const PID_MAX_LIMIT = 4_194_304;

/** What the walk sees of the tasks /proc lists: every thread id, and who lists each pid as a child. */
export interface TaskView {
  listed: Set<number>;
  tids: Set<number>;
  /** Child pid → parents whose task children files name it. */
  parentsOf: Map<number, number[]>;
}

export interface WalkOptions {
  proc: ProcFs;
  /** kill(pid, 0); null when /proc is another pid namespace's (the syscall view would not match it). */
  pidAlive: ((pid: number) => boolean) | null;
  /** Pids never reported: ours and what we started. */
  ignore: Set<number>;
  selfPid: number;
  /** Wall-time budget: the walk stops there and says how far it went. */
  budgetMs: number;
  recheckDelayMs: number;
  now?: () => number;
}

function readSmall(proc: ProcFs, rel: string): string | null {
  try {
    return proc.readTextSync(rel, 64 * 1024);
  } catch {
    return null;
  }
}

/** Every task of every listed process, and every task's children (CONFIG_PROC_CHILDREN). */
export function readTaskView(proc: ProcFs, listed: number[]): TaskView {
  const view: TaskView = { listed: new Set(listed), tids: new Set(listed), parentsOf: new Map() };
  for (const pid of listed) {
    let tasks: string[] = [];
    try {
      tasks = proc.readdirSync(`${pid}/task`);
    } catch {
      continue;
    }
    for (const t of tasks) {
      if (!/^\d+$/.test(t)) continue;
      view.tids.add(Number(t));
      const children = readSmall(proc, `${pid}/task/${t}/children`);
      for (const c of (children ?? '').split(/\s+/).filter((s) => /^\d+$/.test(s)).map(Number)) {
        const list = view.parentsOf.get(c) ?? [];
        if (!list.includes(pid)) list.push(pid);
        view.parentsOf.set(c, list);
      }
    }
  }
  return view;
}

/** The stat file of a pid opened directly, as the kernel answers a lookup (a getdents hook does not hide it). */
function statOpens(proc: ProcFs, pid: number): boolean {
  return proc.statsSync(`${pid}/stat`);
}

/** Comm and ppid from /proc/PID/stat: `4242 (a b) S 1 …`. */
function parseStatHead(text: string): { comm: string; ppid: number } | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const ppid = Number(text.slice(close + 2).split(' ')[1]);
  return { comm: text.slice(open + 1, close), ppid: Number.isInteger(ppid) ? ppid : -1 };
}

/** Tgid from /proc/PID/status: a thread's id answers every probe but is never listed. */
function tgidOf(proc: ProcFs, pid: number): number | null {
  const m = /^Tgid:\s*(\d+)/m.exec(readSmall(proc, `${pid}/status`) ?? '');
  return m ? Number(m[1]) : null;
}

function describe(proc: ProcFs, pid: number, views: HiddenPid['views']): HiddenPid {
  const head = parseStatHead(readSmall(proc, `${pid}/stat`) ?? '');
  let exe: string | null = null;
  try {
    exe = proc.readlinkSync(`${pid}/exe`);
  } catch {
    exe = null;
  }
  const uid = /^Uid:\s*(\d+)/m.exec(readSmall(proc, `${pid}/status`) ?? '');
  return { pid, views, comm: head?.comm ?? null, ppid: head?.ppid ?? null, exe, uid: uid ? Number(uid[1]) : null };
}

function probe(opts: WalkOptions, view: TaskView, pid: number): HiddenPid['views'] {
  const views: HiddenPid['views'] = [];
  if (statOpens(opts.proc, pid)) views.push('stat');
  if (opts.pidAlive?.(pid)) views.push('kill');
  if (view.parentsOf.has(pid)) views.push('children');
  return views;
}

/** A thread of a process that is listed, or a process of ours: not hidden. */
function explained(opts: WalkOptions, view: TaskView, pid: number): boolean {
  if (opts.ignore.has(pid) || pid === opts.selfPid) return true;
  const tgid = tgidOf(opts.proc, pid);
  if (tgid !== null && tgid !== pid && (view.listed.has(tgid) || opts.ignore.has(tgid))) return true;
  const head = parseStatHead(readSmall(opts.proc, `${pid}/stat`) ?? '');
  return head !== null && (head.ppid === opts.selfPid || opts.ignore.has(head.ppid));
}

export function readPidMax(proc: ProcFs): number {
  const n = Number((readSmall(proc, 'sys/kernel/pid_max') ?? '').trim());
  return Number.isInteger(n) && n > 1 ? Math.min(n, PID_MAX_LIMIT) : 32_768;
}

/**
 * How far pids can have been handed out. The kernel allocates them upward from the last one and
 * wraps at pid_max; /proc/stat's `processes` counts every fork and clone since boot. While that
 * count is below pid_max the counter cannot have wrapped, so no pid above the last one handed out
 * (/proc/sys/kernel/ns_last_pid) exists: the walk stops there instead of at pid_max.
 */
export function walkBound(proc: ProcFs, pidMax: number, listed: number[]): { upper: number; reason: string } {
  const forks = Number(/^processes\s+(\d+)/m.exec(readSmall(proc, 'stat') ?? '')?.[1] ?? NaN);
  const last = Number((readSmall(proc, 'sys/kernel/ns_last_pid') ?? '').trim());
  if (!Number.isInteger(forks) || !Number.isInteger(last) || last <= 0 || forks >= pidMax - 301) return { upper: pidMax, reason: 'pid_max' };
  // A margin for pids handed out while the walk runs (those are in the fresh listing anyway).
  const upper = Math.min(pidMax, Math.max(last, ...listed) + 1024);
  return { upper, reason: `no wrap: ${forks} forks since boot, last pid ${last}` };
}

function listPids(proc: ProcFs): number[] {
  return proc.readdirSync().filter((n) => /^\d+$/.test(n)).map(Number);
}

/**
 * unhide's brute force, natively: every pid up to pid_max that is not in /proc's listing (nor a
 * thread of a listed process) is probed by opening /proc/PID/stat and by kill(pid, 0); pids a
 * parent names as a child are added. What is found is looked at again after a pause against a
 * fresh listing, so processes that started or ended meanwhile are never reported.
 */
export async function walkPids(opts: WalkOptions): Promise<PidWalk> {
  const now = opts.now ?? (() => performance.now());
  const started = now();
  const pidMax = readPidMax(opts.proc);
  const listedFirst = listPids(opts.proc);
  const view = readTaskView(opts.proc, listedFirst);
  const bound = walkBound(opts.proc, pidMax, listedFirst);
  const candidates = new Map<number, HiddenPid['views']>();
  let walkedTo = 0;
  for (let pid = 1; pid <= bound.upper && pid < pidMax; pid++) {
    // The clock is read every 4096 pids: cheap, and the budget is kept within a few milliseconds.
    if ((pid & 0xfff) === 0) {
      if (now() - started > opts.budgetMs) break;
      await new Promise((r) => setImmediate(r));
    }
    walkedTo = pid;
    if (view.tids.has(pid)) continue;
    const views = probe(opts, view, pid);
    if (views.length > 0) candidates.set(pid, views);
  }
  for (const child of view.parentsOf.keys()) {
    if (!view.tids.has(child) && !candidates.has(child)) candidates.set(child, ['children']);
  }
  const hidden: HiddenPid[] = [];
  const transient: number[] = [];
  if (candidates.size > 0) {
    await new Promise((r) => setTimeout(r, opts.recheckDelayMs));
    const again = readTaskView(opts.proc, listPids(opts.proc));
    for (const [pid, first] of [...candidates].sort((a, b) => a[0] - b[0])) {
      if (explained(opts, again, pid)) continue;
      const views = again.tids.has(pid) ? [] : probe(opts, again, pid);
      const kept = views.filter((v) => first.includes(v));
      if (kept.length > 0) hidden.push(describe(opts.proc, pid, kept));
      else transient.push(pid);
    }
  }
  return { pidMax, upperBound: Math.min(bound.upper, pidMax - 1), boundReason: bound.reason, walkedTo, durationMs: Math.round(now() - started), listed: listedFirst.length, hidden, transient };
}
