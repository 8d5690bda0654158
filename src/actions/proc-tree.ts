import { parseExeLink, parseStat } from '../collectors/processes/parse-proc.js';
import { vanished } from '../collectors/processes/read-process.js';
import type { ProcFs } from '../host/proc.js';
import type { ActionContext } from './types.js';
import { errnoCode } from '../host/errors.js';

/** One process as the signal actions see it: enough to find it again and to know it is the same one. */
export interface TreeProcess {
  pid: number;
  ppid: number;
  comm: string;
  /** Stat field 22: with the pid, identifies the process across a pid recycle. */
  startTicks: number;
  /** 0 for the target, 1 for its children, … */
  depth: number;
  /** The exe link's target without " (deleted)"; null when unreadable. */
  exe: string | null;
  exeDeleted: boolean;
}

export interface ProcEntry {
  pid: number;
  ppid: number;
  comm: string;
  state: string;
  startTicks: number;
  kernelThread: boolean;
}

/** Reads /proc/PID/stat; null when the process is gone. */
export function readEntry(proc: ProcFs, pid: number): ProcEntry | null {
  try {
    const s = parseStat(proc.readTextSync(`${pid}/stat`));
    return { pid, ppid: s.ppid, comm: s.comm, state: s.state, startTicks: s.starttime, kernelThread: s.kernelThread };
  } catch (err) {
    if (vanished(err)) return null;
    throw err;
  }
}

/** Every process the kernel lists, skipping those that end while we read. */
export function readAll(proc: ProcFs): ProcEntry[] {
  const out: ProcEntry[] = [];
  for (const name of proc.readdirSync()) {
    if (!/^\d+$/.test(name)) continue;
    const e = readEntry(proc, Number(name));
    if (e) out.push(e);
  }
  return out;
}

export function readExe(proc: ProcFs, pid: number): { exe: string | null; deleted: boolean } {
  try {
    const link = parseExeLink(proc.readlinkSync(`${pid}/exe`));
    return { exe: link.exe, deleted: link.deleted };
  } catch {
    return { exe: null, deleted: false };
  }
}

/** The process and its descendants (ppid read from each stat), breadth first: parents before children. */
export function descendants(all: ProcEntry[], rootPid: number): Array<ProcEntry & { depth: number }> {
  const children = new Map<number, ProcEntry[]>();
  for (const e of all) children.set(e.ppid, [...(children.get(e.ppid) ?? []), e]);
  const root = all.find((e) => e.pid === rootPid);
  if (!root) return [];
  const out: Array<ProcEntry & { depth: number }> = [{ ...root, depth: 0 }];
  const seen = new Set([rootPid]);
  for (let i = 0; i < out.length; i++) {
    for (const c of (children.get(out[i].pid) ?? []).sort((a, b) => a.pid - b.pid)) {
      if (seen.has(c.pid)) continue;
      seen.add(c.pid);
      out.push({ ...c, depth: out[i].depth + 1 });
    }
  }
  return out;
}

/** Pids no signal action may touch, with why: init, ir-triage itself and every process above it. */
export function untouchablePids(proc: ProcFs, selfPid: number): Map<number, string> {
  const out = new Map<number, string>([[1, 'pid 1 (init): stopping or killing it takes the whole box down']]);
  out.set(selfPid, 'ir-triage itself');
  let cur = readEntry(proc, selfPid);
  for (let hops = 0; cur && cur.ppid > 0 && hops < 256; hops++) {
    if (!out.has(cur.ppid)) out.set(cur.ppid, `an ancestor of ir-triage (pid ${cur.ppid}: the shell, sudo or ssh session running it)`);
    cur = readEntry(proc, cur.ppid);
  }
  return out;
}

/** The live /proc, where pids are this kernel's and a signal reaches what was read. */
export function liveProc(ctx: ActionContext): ProcFs | null {
  const proc = ctx.host.proc;
  return ctx.host.mode === 'live' && proc && proc.dir === '/proc' ? proc : null;
}

/** Why a pid must not be the target of a signal action, or null when it may. */
export function refuseTarget(proc: ProcFs, ctx: ActionContext, pid: number): string | null {
  if (!Number.isInteger(pid) || pid <= 0) return `${String(pid)} is not a pid`;
  const untouchable = untouchablePids(proc, ctx.host.selfPid).get(pid);
  if (untouchable) return `pid ${pid} is ${untouchable}`;
  const e = readEntry(proc, pid);
  if (!e) return `no process ${pid}`;
  if (e.kernelThread) return `pid ${pid} (${e.comm}) is a kernel thread`;
  if (e.state === 'Z' || e.state === 'X') return `pid ${pid} has already exited (state ${e.state})`;
  return null;
}

/**
 * The target and its descendants for freeze and kill: refused as a whole when the target may not
 * be touched; a descendant that may not be touched (cannot happen unless the tree holds ir-triage)
 * refuses too, rather than silently leaving part of the tree running.
 */
export function planTree(proc: ProcFs, ctx: ActionContext, pid: number): { processes: TreeProcess[]; refused: string | null } {
  const refused = refuseTarget(proc, ctx, pid);
  if (refused) return { processes: [], refused };
  const untouchable = untouchablePids(proc, ctx.host.selfPid);
  const tree = descendants(readAll(proc), pid);
  if (tree.length === 0) return { processes: [], refused: `no process ${pid}` };
  for (const e of tree) {
    const why = untouchable.get(e.pid);
    if (why) return { processes: [], refused: `the tree of pid ${pid} holds pid ${e.pid}, ${why}` };
  }
  // A zombie child has already exited: nothing to stop or kill, and no executable to preserve.
  const processes = tree
    .filter((e) => !e.kernelThread && e.state !== 'Z' && e.state !== 'X')
    .map((e) => {
      const { exe, deleted } = readExe(proc, e.pid);
      return { pid: e.pid, ppid: e.ppid, comm: e.comm, startTicks: e.startTicks, depth: e.depth, exe, exeDeleted: deleted };
    });
  return { processes, refused: null };
}

export type Identity = 'same' | 'gone' | 'recycled';

/** Is pid still the process the plan saw? A different start time means the pid was reused. */
export function checkIdentity(proc: ProcFs, p: { pid: number; startTicks: number }): Identity {
  const e = readEntry(proc, p.pid);
  if (!e) return 'gone';
  if (e.startTicks !== p.startTicks) return 'recycled';
  return e.state === 'Z' || e.state === 'X' ? 'gone' : 'same';
}

/** Sends a signal; the errno (ESRCH, EPERM) when it failed. */
export function sendSignal(pid: number, signal: NodeJS.Signals): string | null {
  try {
    process.kill(pid, signal);
    return null;
  } catch (err) {
    return errnoCode(err) ?? String(err);
  }
}

/** One line for a process: `pid 4242 (pscan2)`; the name is attacker-chosen, kept as data. */
export function describeProcess(p: { pid: number; comm: string }): string {
  return `pid ${p.pid} (${p.comm})`;
}
