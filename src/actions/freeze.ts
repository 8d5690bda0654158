import { nextRecordPath, recordHead, RECORD_VERSION, refusedPlan, refuseApply, writeRecord, type UndoRecordBase } from './common.js';
import { checkIdentity, describeProcess, liveProc, planTree, readAll, sendSignal, type TreeProcess } from './proc-tree.js';
import { flaggedProcessTargets } from './process-targets.js';
import { defineAction, type ActionContext, type ActionPlan, type ActionResult } from './types.js';

export interface FreezeData {
  pid: number;
  /** Parent first (breadth first): the order of the SIGSTOPs. */
  processes: TreeProcess[];
}

export interface FrozenProcess extends TreeProcess {
  /** SIGSTOP was delivered: only these are continued by unfreeze. */
  stopped: boolean;
  /** What happened: "stopped", "refused: …", "gone", "EPERM", … */
  outcome: string;
}

export interface FreezeRecord extends UndoRecordBase {
  action: 'freeze';
  pid: number;
  processes: FrozenProcess[];
}

const WARNINGS = [
  'SIGSTOP keeps the processes, their memory and their sockets for analysis: established connections stay open until the peer times out.',
  'cron, systemd timers and @reboot entries keep launching new copies: find and disable them next.',
  'root (or the same user) can send SIGCONT and resume them.',
  'Children forked after this plan are not in it; they are reported, not stopped: plan again.',
];

/**
 * Plans SIGSTOP for a process and its descendants, parent first: a stopped parent (a watchdog)
 * cannot notice its children stopping, restart them, or fork new ones. Read-only.
 */
export async function planFreeze(ctx: ActionContext, pid: number): Promise<ActionPlan<FreezeData>> {
  const empty: FreezeData = { pid, processes: [] };
  const proc = liveProc(ctx);
  if (!proc) return refusedPlan('freeze', `pid ${pid}`, 'freeze needs the live /proc of this machine (not an image, not a fake /proc)', empty);
  const { processes, refused } = planTree(proc, ctx, pid);
  if (refused) return refusedPlan('freeze', `pid ${pid}`, refused, empty);
  const warnings = [...WARNINGS];
  if (!ctx.host.isRoot) warnings.push("Not root: processes of other users cannot be signalled (EPERM).");
  const n = processes.length - 1;
  return {
    action: 'freeze',
    summary: `${describeProcess(processes[0])}${n > 0 ? ` and ${n} descendant${n === 1 ? '' : 's'}` : ''}`,
    changes: processes.map((p) => ({ op: 'SIGSTOP', target: String(p.pid), detail: `${p.comm} (start ${p.startTicks}, depth ${p.depth}): running → stopped` })),
    warnings,
    refused: null,
    data: { pid, processes },
  };
}

/** SIGSTOP each planned process, parent first, re-checking its start time right before the signal. */
export async function applyFreeze(ctx: ActionContext, plan: ActionPlan<FreezeData>): Promise<ActionResult> {
  if (plan.refused) return refuseApply(ctx, plan, plan.refused);
  const proc = liveProc(ctx);
  if (!proc) return refuseApply(ctx, plan, 'freeze needs the live /proc of this machine');
  const processes: FrozenProcess[] = [];
  for (const p of plan.data.processes) {
    const identity = checkIdentity(proc, p);
    let outcome: string;
    let stopped = false;
    if (identity === 'recycled') outcome = 'refused: the pid now belongs to another process (start time changed)';
    else if (identity === 'gone') outcome = 'gone: it ended before the signal';
    else {
      const err = sendSignal(p.pid, 'SIGSTOP');
      stopped = err === null;
      outcome = err === null ? 'stopped' : `not stopped: ${err}`;
    }
    processes.push({ ...p, stopped, outcome });
  }
  const late = lateChildren(ctx, plan.data.processes, processes);
  const rel = nextRecordPath(ctx.sink, 'freeze');
  const record: FreezeRecord = {
    ...recordHead(ctx, 'freeze', rel, plan.summary),
    pid: plan.data.pid,
    processes,
  };
  await writeRecord(ctx.sink, rel, record);
  const stoppedCount = processes.filter((p) => p.stopped).length;
  const ok = stoppedCount === processes.length && late.length === 0;
  ctx.custody('action-applied', {
    action: 'freeze',
    summary: plan.summary,
    record: rel,
    stopped: processes.filter((p) => p.stopped).map((p) => ({ pid: p.pid, startTicks: p.startTicks })),
    notStopped: processes.filter((p) => !p.stopped).map((p) => ({ pid: p.pid, outcome: p.outcome })),
    lateChildren: late.map((l) => l.pid),
  });
  return {
    ok,
    message: `froze ${stoppedCount} of ${processes.length} process(es) of ${plan.summary}${late.length ? `; ${late.length} child(ren) appeared after the plan and run on: plan again` : ''}`,
    undoRecord: rel,
    applied: [
      ...processes.map((p) => ({ target: String(p.pid), ok: p.stopped, detail: `${p.comm}: ${p.outcome}` })),
      ...late.map((l) => ({ target: String(l.pid), ok: false, detail: `${l.comm}: child of ${l.ppid} that appeared after the plan: not stopped` })),
    ],
  };
}

/** Children of the stopped processes that the plan did not list (forked between plan and SIGSTOP). */
function lateChildren(ctx: ActionContext, planned: TreeProcess[], done: FrozenProcess[]): Array<{ pid: number; ppid: number; comm: string }> {
  const proc = liveProc(ctx);
  if (!proc) return [];
  const known = new Set(planned.map((p) => p.pid));
  const stopped = new Set(done.filter((p) => p.stopped).map((p) => p.pid));
  const out: Array<{ pid: number; ppid: number; comm: string }> = [];
  for (const e of readAll(proc)) {
    if (!known.has(e.pid) && stopped.has(e.ppid)) out.push({ pid: e.pid, ppid: e.ppid, comm: e.comm });
  }
  return out;
}

/**
 * Undoes a freeze: SIGCONT to what was stopped, children first (deepest first), the parent last.
 * The mirror of the freeze: a supervisor that wakes up last finds every child already running,
 * so it has no stopped child to "recover" by killing or respawning it, and it cannot fork new work
 * while part of its tree is still stopped. Each start time is re-checked: a pid that now belongs
 * to another process is never continued.
 */
export async function unfreeze(ctx: ActionContext, record: FreezeRecord): Promise<ActionResult> {
  const plan = { action: 'unfreeze', summary: record.summary, changes: [], warnings: [], refused: null, data: null };
  if (record.action !== 'freeze' || record.version !== RECORD_VERSION) return refuseApply(ctx, plan, 'not a freeze record this version of ir-triage knows');
  const proc = liveProc(ctx);
  if (!proc) return refuseApply(ctx, plan, 'unfreeze needs the live /proc of this machine');
  const order = record.processes.filter((p) => p.stopped).sort((a, b) => b.depth - a.depth || a.pid - b.pid);
  const applied: ActionResult['applied'] = [];
  for (const p of order) {
    const identity = checkIdentity(proc, p);
    if (identity !== 'same') {
      applied.push({ target: String(p.pid), ok: false, detail: `${p.comm}: ${identity === 'gone' ? 'gone' : 'refused: the pid now belongs to another process'}` });
      continue;
    }
    const err = sendSignal(p.pid, 'SIGCONT');
    applied.push({ target: String(p.pid), ok: err === null, detail: `${p.comm}: ${err === null ? 'continued' : `not continued: ${err}`}` });
  }
  const continued = applied.filter((a) => a.ok).length;
  ctx.custody('action-undone', {
    action: 'freeze',
    record: record.record,
    summary: record.summary,
    continued: applied.filter((a) => a.ok).map((a) => Number(a.target)),
    notContinued: applied.filter((a) => !a.ok).map((a) => ({ pid: Number(a.target), detail: a.detail })),
  });
  return {
    ok: continued === order.length,
    message: `continued ${continued} of ${order.length} stopped process(es) of ${record.summary}`,
    undoRecord: record.record,
    applied,
  };
}

/** Its undo is `unfreeze` (a record of continued pids), not yet offered by `ir-triage restore`. */
export const freezeAction = defineAction({
  id: 'freeze',
  title: 'Freeze a process tree',
  description: 'SIGSTOP the process and its children, parent first; undone by unfreeze.',
  nothingFound: 'Nothing to freeze: no flagged process was found.',
  targets: flaggedProcessTargets,
  plan: (ctx, target) => planFreeze(ctx, Number(target)),
  apply: applyFreeze,
  undo: null,
});
