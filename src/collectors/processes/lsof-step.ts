import path from 'node:path';
import type { Stats } from '../../host/rooted-fs.js';
import type { DraftFinding } from '../../model/finding.js';
import type { OpenFilesRecord, ParentLink, ProcessRecord } from '../../model/processes.js';
import type { EvidenceSink, JsonlWriter, TimelineEvent } from '../../model/sink.js';
import { sourceError, sourceOk, type SourceStatus } from '../../model/source.js';
import type { CollectContext, FollowUpResult } from '../types.js';
import { preserveExe, safeName, type PreservedExe } from './preserve-exe.js';

export { safeName };

const OPEN_FILES = 'artifacts/open-files.jsonl';
const SYSTEM = /^\/(usr|bin|sbin|lib|lib32|lib64|etc|dev(?!\/shm)|proc|sys|run\/systemd|var\/lib)(\/|$)/;
const WRITABLE = /^\/(tmp|var\/tmp|dev\/shm|run\/shm)(\/|$)/;
const WRITABLE_ROOT = /^\/(tmp|var\/tmp|dev\/shm|run\/shm)\/?$/;

interface StepState {
  done: Set<number>;
  writer: JsonlWriter;
}
const states = new WeakMap<EvidenceSink, StepState>();

function state(sink: EvidenceSink): StepState {
  let s = states.get(sink);
  if (!s) {
    s = { done: new Set(), writer: sink.jsonl(OPEN_FILES) };
    states.set(sink, s);
  }
  return s;
}

/** The folder(s) holding a process's files, most telling first: the malware folder the quarantine step acts on. */
export function holdingFolders(p: ProcessRecord): string[] {
  const out: string[] = [];
  const add = (dir: string | null) => {
    // /tmp itself is not a malware folder: only what lies inside it.
    if (dir && dir !== '/' && !SYSTEM.test(dir) && !WRITABLE_ROOT.test(dir) && !out.includes(dir)) out.push(dir);
  };
  if (p.exe && !p.exe.startsWith('/memfd:')) add(path.posix.dirname(p.exe));
  add(p.cwd);
  for (const f of [...p.openFiles, ...p.mappedFiles]) {
    const file = f.replace(/ \(deleted\)$/, '');
    if (WRITABLE.test(file) || /\/\.[^/]/.test(file)) add(path.posix.dirname(file));
  }
  return out;
}

/** Birth, mtime, ctime and atime of a flagged process's executable, as timeline rows (plaso's names). */
function exeTimeEvents(st: Stats, p: ProcessRecord, copy: string): TimelineEvent[] {
  const what = `executable of ${p.comm} (pid ${p.pid})${p.exeDeleted ? ', deleted' : ''}, preserved as ${copy}`;
  const times: Array<[string, string, number]> = [
    ['birth', 'Creation Time', st.birthtimeMs],
    ['mtime', 'Content Modification Time', st.mtimeMs],
    ['ctime', 'Metadata Modification Time', st.ctimeMs],
    ['atime', 'Last Access Time', st.atimeMs],
  ];
  return times
    .filter(([, , ms]) => Number.isFinite(ms) && ms > 0)
    .map(([kind, desc, ms]) => ({ datetime: new Date(ms).toISOString(), message: `${kind} of ${p.exe} (${what})`, timestamp_desc: desc, source: 'lsof-step', user: p.user, pid: p.pid, path: p.exe }));
}

/** The chain of parents that started a process, nearest first, up to pid 1. */
export function parentChain(p: ProcessRecord, byPid: Map<number, ProcessRecord>): ParentLink[] {
  const chain: ParentLink[] = [];
  const seen = new Set([p.pid]);
  for (let cur = byPid.get(p.ppid); cur && !seen.has(cur.pid) && chain.length < 64; cur = byPid.get(cur.ppid)) {
    seen.add(cur.pid);
    chain.push({ pid: cur.pid, comm: cur.comm, exe: cur.exe, user: cur.user, command: cur.argv.join(' ').slice(0, 300) });
  }
  return chain;
}

/** What started it, in a responder's words: a cron job, a user's sshd session, a systemd unit, a shell. */
export function startedBy(chain: ParentLink[], unit: string | null): string {
  for (const link of chain) {
    if (/^(cron|crond|atd)$/.test(link.comm)) return `cron (${link.comm}, pid ${link.pid})`;
    const ssh = /^sshd(?:-session)?: ([^\s@]+)/.exec(link.command);
    if (ssh) return `an ssh session of ${ssh[1]} (pid ${link.pid})`;
  }
  if (unit) return `the systemd unit ${unit}`;
  const shell = chain.find((l) => /^(bash|sh|dash|zsh|ksh)$/.test(l.comm));
  if (shell) return `a shell of ${shell.user ?? '?'} (pid ${shell.pid})`;
  if (chain.length > 0 && chain[0].pid === 1) return 'init, directly (a daemonised process: nohup, setsid or a double fork)';
  return chain.length === 0 ? 'unknown (no parent visible)' : `${chain[0].comm} (pid ${chain[0].pid})`;
}

/** The systemd unit (service or scope) a process runs in, from /proc/PID/cgroup. */
export function unitFromCgroup(text: string): string | null {
  const m = /\/([^/\n]+\.(?:service|scope))(?:\/|$)/m.exec(text);
  return m ? m[1] : null;
}

/**
 * The lsof step for every flagged process: its executable preserved from /proc/PID/exe (a deleted
 * binary is recovered), its files, sockets and folders, its parent chain, and the raw output of
 * the box's `lsof -nP -p PID`.
 */
export async function lsofStep(ctx: CollectContext, findings: DraftFinding[]): Promise<FollowUpResult> {
  const openFiles: OpenFilesRecord[] = [];
  const result: FollowUpResult = { facts: { openFiles }, sources: [], evidenceByPid: new Map() };
  const proc = ctx.host.proc;
  const records = ctx.facts.processes;
  if (!proc || !records) return result;
  const st = state(ctx.sink);
  const byPid = new Map(records.map((r) => [r.pid, r]));
  const self = new Set(ctx.facts.selfPids ?? []);
  const pids = [...new Set(findings.map((f) => f.subject.pid).filter((p): p is number => typeof p === 'number'))];
  for (const pid of pids) {
    const p = byPid.get(pid);
    if (!p || self.has(pid) || st.done.has(pid)) continue;
    st.done.add(pid);
    const evidence: string[] = [OPEN_FILES];
    const id = `lsof-step.${pid}`;

    // The same process still? preserveExe re-checks the start time: a recycled pid would hand us another program's binary.
    let preserved: PreservedExe | null = null;
    // The executable's times for the timeline, read before the copy reads it (atime), through the
    // exe link so a deleted binary still answers; kept only when preserveExe confirms the process.
    const exeStat: Stats | null = p.exe !== null ? await proc.stat(`${pid}/exe`).catch(() => null) : null;
    const outcome = await preserveExe(proc, ctx.sink, p, ctx.options.maxFileBytes);
    if (outcome.ok) {
      const copy = outcome.copy;
      if (exeStat) ctx.sink.timeline(exeTimeEvents(exeStat, p, copy.path));
      preserved = copy;
      p.exePreserved = copy.path;
      evidence.push(copy.path);
      result.sources.push(sourceOk(`${id}.exe`, copy.path, copy.truncated ? `cut at the ${ctx.options.maxFileBytes}-byte cap` : `sha256 ${copy.sha256}`));
    } else if (outcome.gone || p.exe !== null) {
      result.sources.push(sourceError(`${id}.exe`, outcome.reason));
    }

    if (ctx.host.mode === 'live') {
      const r = await ctx.host.exec({ name: `lsof-p-${pid}`, argv: ['lsof', '-nP', '-w', '-p', String(pid)], okExitCodes: [1], timeoutMs: ctx.options.commandTimeoutMs }, ctx.host.signal);
      if (!r.notInstalled) {
        await ctx.sink.writeCommand(r);
        evidence.push(`commands/lsof-p-${pid}.txt`);
      }
    }
    const unit = await proc.readText(`${pid}/cgroup`).then(unitFromCgroup, () => null);
    const chain = parentChain(p, byPid);
    const sockets = (ctx.facts.connections ?? []).filter((c) => c.pids.includes(pid));
    const record: OpenFilesRecord = {
      pid,
      comm: p.comm,
      user: p.user,
      exe: p.exe,
      exeDeleted: p.exeDeleted,
      exeSha256: preserved?.sha256 ?? p.exeSha256 ?? null,
      preserved,
      cwd: p.cwd,
      root: p.root,
      folders: holdingFolders(p),
      openFiles: p.openFiles,
      mappedFiles: p.mappedFiles,
      socketInodes: p.socketInodes,
      connections: sockets.map((c) => `${c.protocol} ${c.localAddress}:${c.localPort} -> ${c.remoteAddress}:${c.remotePort} ${c.state}`),
      unit,
      startedBy: startedBy(chain, unit),
      parents: chain,
    };
    await st.writer.write(record);
    openFiles.push(record);
    result.evidenceByPid.set(pid, evidence);
  }
  return result;
}

export async function finishLsofStep(ctx: CollectContext): Promise<SourceStatus[]> {
  const st = state(ctx.sink);
  const file = await st.writer.close();
  return [sourceOk('lsof-step', file.path, `${st.done.size} flagged process(es)`)];
}
