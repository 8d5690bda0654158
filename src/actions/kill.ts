import path from 'node:path';
import { parentChain, startedBy, unitFromCgroup } from '../collectors/processes/lsof-step.js';
import { parseBtime } from '../collectors/processes/parse-proc.js';
import { userNames } from '../model/passwd.js';
import { preserveExe } from '../collectors/processes/preserve-exe.js';
import { readProcess } from '../collectors/processes/read-process.js';
import type { ProcFs } from '../host/proc.js';
import type { ParentLink, ProcessRecord } from '../model/processes.js';
import { nextRecordPath, recordHead, refusedPlan, refuseApply, sleep, writeRecord, type UndoRecordBase } from './common.js';
import { checkIdentity, describeProcess, liveProc, planTree, readAll, readExe, sendSignal, untouchablePids, type TreeProcess } from './proc-tree.js';
import { flaggedProcessTargets } from './process-targets.js';
import { defineAction, type ActionContext, type ActionPlan, type ActionResult } from './types.js';

/** Default time to watch for the killed program coming back (the seed: "it would pop up again"). */
export const DEFAULT_WATCH_MS = 10_000;
const POLL_MS = 200;
/** After SIGKILL, how long to wait for the processes to be gone before watching. */
const GONE_WAIT_MS = 2_000;

/** One distinct executable of the tree, and its copy in the case (made by apply when not yet there). */
export interface KillExe {
  exe: string;
  deleted: boolean;
  /** The process it is copied from. */
  pid: number;
  startTicks: number;
  comm: string;
  /** Already preserved (the lsof step of a collect in the same case): the copy's path and hash. */
  preserved: { path: string; sha256: string | null } | null;
}

export interface KillData {
  pid: number;
  /** Parent first: the order of the SIGSTOPs and then the SIGKILLs. */
  processes: TreeProcess[];
  exes: KillExe[];
}

export interface KillOptions {
  /** How long to watch for a respawn after the kill; 0 does not watch. */
  watchMs?: number;
  /** Time between looks at /proc while watching. */
  pollMs?: number;
}

export interface CronHit {
  /** The crontab as seen inside the root (/etc/crontab, /etc/cron.d/x, /var/spool/cron/crontabs/user). */
  file: string;
  /** 1-based line number. */
  line: number;
  text: string;
}

/** A process that came back after the kill, and who started it. */
export interface Respawn {
  pid: number;
  comm: string;
  exe: string | null;
  argv: string[];
  /** It runs one of the killed executables, or only carries the same name. */
  match: 'exe' | 'comm';
  /** Parents, nearest first, up to pid 1. */
  parents: ParentLink[];
  /** The systemd unit from /proc/PID/cgroup. */
  unit: string | null;
  /** Crontab lines naming the executable or its folder. */
  cron: CronHit[];
  /** In a responder's words: a shell, cron, a unit, an ssh session. */
  startedBy: string;
}

export interface KilledProcess extends TreeProcess {
  killed: boolean;
  outcome: string;
}

/** The record of a kill (it cannot be undone): what was killed, what was preserved, what came back. */
export interface KillRecord extends UndoRecordBase {
  action: 'kill';
  undoable: false;
  pid: number;
  processes: KilledProcess[];
  preserved: Array<{ exe: string; deleted: boolean; pid: number; path: string; sha256: string | null; size: number | null; truncated: boolean }>;
  watchMs: number;
  respawns: Respawn[];
}

export interface KillResult extends ActionResult {
  respawns: Respawn[];
  /** Path of the kill record in the case (the record of what happened; a kill has no undo). */
  record: string | null;
}

const WARNINGS = [
  'A kill cannot be undone: what lives only in memory (decrypted payloads, keys, open sockets) is lost. Freeze first if memory matters.',
  'A respawner (a parent loop, cron, a systemd unit, an @reboot entry) starts it again: the watch after the kill says who.',
];

/**
 * Plans SIGKILL for a process and its descendants. Refused when an executable cannot be preserved
 * first (no readable /proc/PID/exe). Read-only.
 */
export async function planKill(ctx: ActionContext, pid: number): Promise<ActionPlan<KillData>> {
  const empty: KillData = { pid, processes: [], exes: [] };
  const proc = liveProc(ctx);
  if (!proc) return refusedPlan('kill', `pid ${pid}`, 'kill needs the live /proc of this machine (not an image, not a fake /proc)', empty);
  const { processes, refused } = planTree(proc, ctx, pid);
  if (refused) return refusedPlan('kill', `pid ${pid}`, refused, empty);
  const summary = `${describeProcess(processes[0])}${processes.length > 1 ? ` and ${processes.length - 1} descendant(s)` : ''}`;
  const unreadable = processes.find((p) => p.exe === null);
  if (unreadable) {
    return refusedPlan('kill', summary, `the executable of ${describeProcess(unreadable)} cannot be read, so it cannot be preserved before the kill`, empty);
  }
  const exes: KillExe[] = [];
  for (const p of processes) {
    if (exes.some((e) => e.exe === p.exe)) continue;
    const known = (ctx.facts.processes ?? []).find((r) => r.pid === p.pid && r.startTicks === p.startTicks && r.exePreserved);
    exes.push({
      exe: p.exe!,
      deleted: p.exeDeleted,
      pid: p.pid,
      startTicks: p.startTicks,
      comm: p.comm,
      preserved: known ? { path: known.exePreserved!, sha256: known.exeSha256 ?? null } : null,
    });
  }
  const warnings = [...WARNINGS];
  if (!ctx.host.isRoot) warnings.push('Not root: processes of other users cannot be signalled (EPERM), nor their executables copied.');
  return {
    action: 'kill',
    summary,
    changes: [
      ...exes.filter((e) => !e.preserved).map((e) => ({ op: 'preserve', target: `/proc/${e.pid}/exe`, detail: `${e.exe}${e.deleted ? ' (deleted)' : ''} → files/ with sha256` })),
      ...processes.map((p) => ({ op: 'SIGSTOP', target: String(p.pid), detail: `${p.comm}: stop first, so no part of the tree reacts to the rest dying` })),
      ...processes.map((p) => ({ op: 'SIGKILL', target: String(p.pid), detail: `${p.comm} (start ${p.startTicks}): running → gone` })),
    ],
    warnings,
    refused: null,
    data: { pid, processes, exes },
  };
}

/**
 * Preserves every executable not yet in the case (refusing the kill when one cannot be), then
 * stops and kills the tree parent first, each start time re-checked, then watches for a process
 * with the same executable or name to come back and says who started it.
 */
export async function applyKill(ctx: ActionContext, plan: ActionPlan<KillData>, options: KillOptions = {}): Promise<KillResult> {
  const watchMs = options.watchMs ?? DEFAULT_WATCH_MS;
  const pollMs = options.pollMs ?? POLL_MS;
  if (plan.refused) return { ...refuseApply(ctx, plan, plan.refused), respawns: [], record: null };
  const proc = liveProc(ctx);
  if (!proc) return { ...refuseApply(ctx, plan, 'kill needs the live /proc of this machine'), respawns: [], record: null };

  // Preserve before you change: every executable, or nothing is killed.
  const preserved: KillRecord['preserved'] = [];
  for (const e of plan.data.exes) {
    if (e.preserved) {
      preserved.push({ exe: e.exe, deleted: e.deleted, pid: e.pid, path: e.preserved.path, sha256: e.preserved.sha256, size: null, truncated: false });
      continue;
    }
    // Any live process of the tree running this executable will do; the planned one first.
    const candidates = plan.data.processes.filter((p) => p.exe === e.exe).sort((a, b) => (a.pid === e.pid ? -1 : b.pid === e.pid ? 1 : 0));
    let done = false;
    const reasons: string[] = [];
    for (const c of candidates) {
      const outcome = await preserveExe(proc, ctx.sink, { pid: c.pid, startTicks: c.startTicks, exe: c.exe, comm: c.comm }, ctx.maxFileBytes);
      if (outcome.ok) {
        preserved.push({ exe: e.exe, deleted: e.deleted, pid: c.pid, ...outcome.copy });
        done = true;
        break;
      }
      reasons.push(outcome.reason);
    }
    if (!done) {
      return { ...refuseApply(ctx, plan, `the executable ${e.exe} could not be preserved (${reasons.join('; ')}): nothing was killed`), respawns: [], record: null };
    }
  }

  // Everything alive now is not a respawn: only processes that appear after this are.
  const before = new Set(readAll(proc).map((p) => `${p.pid}:${p.startTicks}`));
  const processes: KilledProcess[] = plan.data.processes.map((p) => ({ ...p, killed: false, outcome: '' }));
  // SIGSTOP the whole tree first, so no part of it reacts to the rest dying (a watchdog respawning).
  for (const p of processes) {
    const identity = checkIdentity(proc, p);
    if (identity === 'recycled') p.outcome = 'refused: the pid now belongs to another process (start time changed)';
    else if (identity === 'gone') p.outcome = 'gone: it ended before the signal';
    else sendSignal(p.pid, 'SIGSTOP');
  }
  for (const p of processes) {
    if (p.outcome) continue;
    const identity = checkIdentity(proc, p);
    if (identity === 'recycled') {
      p.outcome = 'refused: the pid now belongs to another process (start time changed)';
      continue;
    }
    if (identity === 'gone') {
      p.outcome = 'gone: it ended before the signal';
      continue;
    }
    const err = sendSignal(p.pid, 'SIGKILL');
    p.killed = err === null;
    p.outcome = err === null ? 'killed' : `not killed: ${err}`;
  }
  await waitGone(proc, processes.filter((p) => p.killed), Math.min(GONE_WAIT_MS, Math.max(watchMs, pollMs)), pollMs);

  const respawns = watchMs > 0 ? await watchRespawn(ctx, proc, plan.data, before, watchMs, pollMs) : [];
  const rel = nextRecordPath(ctx.sink, 'kill');
  const record: KillRecord = {
    ...recordHead(ctx, 'kill', rel, plan.summary),
    undoable: false,
    pid: plan.data.pid,
    processes,
    preserved,
    watchMs,
    respawns,
  };
  await writeRecord(ctx.sink, rel, record);
  const killed = processes.filter((p) => p.killed).length;
  ctx.custody('action-applied', {
    action: 'kill',
    summary: plan.summary,
    record: rel,
    killed: processes.filter((p) => p.killed).map((p) => ({ pid: p.pid, startTicks: p.startTicks })),
    notKilled: processes.filter((p) => !p.killed).map((p) => ({ pid: p.pid, outcome: p.outcome })),
    preserved: preserved.map((p) => ({ exe: p.exe, path: p.path, sha256: p.sha256 })),
    respawns: respawns.map((r) => ({ pid: r.pid, comm: r.comm, exe: r.exe, match: r.match, startedBy: r.startedBy })),
  });
  const back = respawns.length
    ? `; it came back: ${respawns.map((r) => `${describeProcess(r)} started by ${r.startedBy}`).join('; ')}`
    : watchMs > 0
      ? `; nothing came back within ${Math.round(watchMs / 1000)} s`
      : '';
  return {
    ok: processes.every((p) => p.killed || p.outcome.startsWith('gone')),
    message: `killed ${killed} of ${processes.length} process(es) of ${plan.summary}${back}`,
    undoRecord: null,
    record: rel,
    respawns,
    applied: processes.map((p) => ({ target: String(p.pid), ok: p.killed, detail: `${p.comm}: ${p.outcome}` })),
  };
}

async function waitGone(proc: ProcFs, killed: TreeProcess[], maxMs: number, pollMs: number): Promise<void> {
  const until = Date.now() + maxMs;
  while (killed.some((p) => checkIdentity(proc, p) === 'same') && Date.now() < until) await sleep(Math.min(pollMs, 50));
}

/** Looks at /proc until watchMs is over or something came back: a new process with a killed exe or name. */
async function watchRespawn(ctx: ActionContext, proc: ProcFs, data: KillData, before: Set<string>, watchMs: number, pollMs: number): Promise<Respawn[]> {
  const exes = new Set(data.exes.map((e) => e.exe));
  const comms = new Set(data.processes.map((p) => p.comm));
  const until = Date.now() + watchMs;
  for (;;) {
    const ours = untouchablePids(proc, ctx.host.selfPid);
    const found: Array<{ pid: number; match: 'exe' | 'comm' }> = [];
    for (const e of readAll(proc)) {
      if (before.has(`${e.pid}:${e.startTicks}`) || ours.has(e.pid) || e.kernelThread || e.state === 'Z') continue;
      const { exe } = readExe(proc, e.pid);
      if (exe !== null && exes.has(exe)) found.push({ pid: e.pid, match: 'exe' });
      else if (comms.has(e.comm)) found.push({ pid: e.pid, match: 'comm' });
    }
    if (found.length > 0) {
      const out: Respawn[] = [];
      for (const f of found) {
        const r = await explainRespawn(ctx, proc, f.pid, f.match);
        if (r) out.push(r);
      }
      if (out.length > 0) return out;
    }
    if (Date.now() >= until) return [];
    await sleep(pollMs);
  }
}

/** Who started a process: its parent chain, its systemd unit, crontab lines naming its file or folder. */
export async function explainRespawn(ctx: ActionContext, proc: ProcFs, pid: number, match: 'exe' | 'comm'): Promise<Respawn | null> {
  const users = await ctx.host.fs.readTextIfExists('/etc/passwd', 4 * 1024 * 1024).then((t) => (t ? userNames(t) : new Map<number, string>()), () => new Map<number, string>());
  const btime = await proc.readText('stat').then(parseBtime, () => null);
  const rc = { proc, btime, users };
  const p = readProcess(rc, pid);
  if (!p) return null;
  const byPid = new Map<number, ProcessRecord>([[p.pid, p]]);
  for (let cur: ProcessRecord | null = p, hops = 0; cur && cur.ppid > 0 && hops < 64; hops++) {
    const parent: ProcessRecord | null = byPid.get(cur.ppid) ?? readProcess(rc, cur.ppid);
    if (!parent) break;
    byPid.set(parent.pid, parent);
    cur = parent;
  }
  const parents = parentChain(p, byPid);
  const unit = await proc.readText(`${pid}/cgroup`).then(unitFromCgroup, () => null);
  const cron = p.exe ? await cronMentions(ctx, p.exe) : [];
  let who = startedBy(parents, unit);
  if (cron.length > 0 && !who.startsWith('cron')) who = `${who}; a crontab names it: ${cron[0].file} line ${cron[0].line}`;
  return { pid, comm: p.comm, exe: p.exe, argv: p.argv, match, parents, unit, cron, startedBy: who };
}

/** Folders too common to mean anything when a crontab names them. */
const GENERIC = /^\/(?:[^/]*|usr\/[^/]+|usr\/local\/[^/]+|var\/tmp|dev\/shm|run\/shm)$/;

/**
 * Crontab lines (not comments) that name the executable or its folder: /etc/crontab, /etc/cron.d/*,
 * /var/spool/cron/crontabs/* (Debian) and /var/spool/cron/* (Red Hat), read through the root.
 */
export async function cronMentions(ctx: ActionContext, exe: string): Promise<CronHit[]> {
  const folder = path.posix.dirname(exe);
  const needles = [exe, ...(GENERIC.test(folder) ? [] : [folder])];
  const files = [
    '/etc/crontab',
    ...(await ctx.host.fs.list('/etc/cron.d', '*').catch(() => [])),
    ...(await ctx.host.fs.list('/var/spool/cron/crontabs', '*').catch(() => [])),
    ...(await ctx.host.fs.list('/var/spool/cron', '*').catch(() => [])),
  ];
  const hits: CronHit[] = [];
  for (const file of files) {
    let text: string | null;
    try {
      const st = await ctx.host.fs.stat(file);
      if (!st.isFile()) continue;
      text = await ctx.host.fs.readTextIfExists(file, 4 * 1024 * 1024);
    } catch {
      continue;
    }
    if (text === null) continue;
    text.split('\n').forEach((line, i) => {
      if (/^\s*#/.test(line)) return;
      if (needles.some((n) => line.includes(n))) hits.push({ file, line: i + 1, text: line.slice(0, 500) });
    });
  }
  return hits;
}

/** A killed process cannot be brought back: no undo (its executable is preserved first). */
export const killAction = defineAction({
  id: 'kill',
  title: 'Kill a process tree',
  description: 'Only once its executable is preserved; then watches for a respawn.',
  nothingFound: 'Nothing to kill: no flagged process was found.',
  targets: flaggedProcessTargets,
  plan: (ctx, target) => planKill(ctx, Number(target)),
  apply: (ctx, plan) => applyKill(ctx, plan),
  undo: null,
});
