import type { ProcFs } from '../../host/proc.js';
import type { PidWalk, ProcMountHide } from '../../model/kernel.js';
import { sourceError, sourceOk, sourceSkipped, type SourceStatus } from '../../model/source.js';
import { defineCollector } from '../types.js';
import { mountsOverPids, parseMountInfo } from './parse-mountinfo.js';
import { readTaskView, walkPids } from './pid-walk.js';

const RECHECK_DELAY_MS = 300;
/** The pid walk's wall-time budget: a box with pid_max 4194304 is walked in part, and says so. */
export const PID_WALK_BUDGET_MS = 30_000;

/** Overridable for tests through the environment (a small budget shows a cut walk is recorded). */
function walkBudgetMs(): number {
  const n = Number(process.env.IR_TRIAGE_PID_WALK_BUDGET_MS);
  return Number.isFinite(n) && n >= 0 ? n : PID_WALK_BUDGET_MS;
}

function comm(proc: ProcFs, pid: number): string {
  try {
    const text = proc.readTextSync(`${pid}/stat`, 4096);
    return text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
  } catch {
    return '?';
  }
}

/** Mounts over /proc/PID, kept only when the same mount is still there a moment later. */
async function findMountHides(proc: ProcFs, pidAlive: (pid: number) => boolean): Promise<ProcMountHide[]> {
  const first = mountsOverPids(parseMountInfo(await proc.readText('self/mountinfo')));
  if (first.length === 0) return [];
  await new Promise((r) => setTimeout(r, RECHECK_DELAY_MS));
  const again = mountsOverPids(parseMountInfo(await proc.readText('self/mountinfo')));
  const listed = proc.readdirSync().filter((n) => /^\d+$/.test(n)).map(Number);
  const tasks = readTaskView(proc, listed);
  const out: ProcMountHide[] = [];
  for (const { pid, mount } of first) {
    if (!again.some((a) => a.mount.mountId === mount.mountId && a.pid === pid)) continue;
    const parents = tasks.parentsOf.get(pid) ?? [];
    out.push({
      pid,
      mountPoint: mount.mountPoint,
      fsType: mount.fsType,
      source: mount.source,
      mountRoot: mount.root,
      line: mount.line,
      alive: pidAlive(pid) && pidAlive(pid),
      parents,
      parentComms: parents.map((p) => comm(proc, p)),
    });
  }
  return out;
}

/** Is /proc this process's pid namespace? Otherwise kill(pid, 0) answers for other pids than /proc lists. */
function sameNamespace(proc: ProcFs, selfPid: number): boolean {
  try {
    return proc.readlinkSync('self') === String(selfPid);
  } catch {
    return false;
  }
}

export const hidingCollector = defineCollector({
  id: 'hiding',
  title: 'Processes hidden from /proc',
  description: "Mounts over /proc/PID (mountinfo), and a brute-force walk of the pid space (/proc/PID/stat opened directly, kill(pid, 0), each task's children) against /proc's listing.",
  liveOnly: true,
  needsRoot: true,
  artifacts: ['artifacts/proc-mounts.jsonl', 'artifacts/pid-walk.json'],
  provides: ['procMountHides', 'pidWalk'],
  reads: ['selfPids'],
  async collect(ctx) {
    const proc = ctx.host.proc;
    if (!proc) return { sources: [sourceSkipped('hiding', 'no /proc to read')] };
    const sources: SourceStatus[] = [];
    let procMountHides: ProcMountHide[] | undefined;
    try {
      procMountHides = await findMountHides(proc, ctx.host.pidAlive);
      await ctx.sink.writeJsonl('artifacts/proc-mounts.jsonl', procMountHides);
      sources.push(sourceOk('hiding.mounts', 'artifacts/proc-mounts.jsonl', `${procMountHides.length} mount(s) over /proc/PID`));
    } catch (err) {
      sources.push(sourceError('hiding.mounts', `${proc.path('self/mountinfo')}: ${(err as Error).message}`));
    }
    let pidWalk: PidWalk | undefined;
    try {
      const syscalls = sameNamespace(proc, ctx.host.selfPid);
      pidWalk = await walkPids({
        proc,
        pidAlive: syscalls ? ctx.host.pidAlive : null,
        ignore: new Set(ctx.facts.selfPids ?? []),
        selfPid: ctx.host.selfPid,
        budgetMs: walkBudgetMs(),
        recheckDelayMs: RECHECK_DELAY_MS,
      });
      await ctx.sink.writeFile('artifacts/pid-walk.json', JSON.stringify(pidWalk, null, 2) + '\n');
      const cut = pidWalk.walkedTo < pidWalk.upperBound;
      const detail = `pids 1..${pidWalk.walkedTo} (bound ${pidWalk.upperBound}: ${pidWalk.boundReason}; pid_max ${pidWalk.pidMax}) in ${pidWalk.durationMs} ms${syscalls ? '' : ', kill(pid, 0) not used: /proc is another pid namespace'}${cut ? `; time budget reached, pids above ${pidWalk.walkedTo} not walked` : ''}`;
      sources.push(sourceOk('hiding.pid-walk', 'artifacts/pid-walk.json', detail));
    } catch (err) {
      sources.push(sourceError('hiding.pid-walk', `${proc.dir}: ${(err as Error).message}`));
    }
    return { facts: { ...(procMountHides ? { procMountHides } : {}), ...(pidWalk ? { pidWalk } : {}) }, sources };
  },
});
