import type { ProcFs } from '../../host/proc.js';
import type { ProcessRecord } from '../../model/processes.js';
import { parseExeLink, parseMaps, parseStat, parseStatus, pickEnviron, splitCmdline, startTimeIso } from './parse-proc.js';
import { errorCode } from '../../host/errors.js';

/** The process ended while we read it: normal on a live box. */
export function vanished(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'ENOENT' || code === 'ESRCH';
}

/** Reads one optional field: unreadable (no permission, a kernel thread's exe) becomes null. */
function optional<T>(read: () => T, missing: { seen: boolean }): T | null {
  try {
    return read();
  } catch (err) {
    // ENOENT may be a kernel thread's missing exe link, or the process ending: decided afterwards.
    if (vanished(err)) missing.seen = true;
    return null;
  }
}

export interface ReadContext {
  proc: ProcFs;
  btime: number | null;
  users: Map<number, string>;
}

/**
 * Reads one process from /proc/PID. Returns null when it ended during the read. Keeps from the
 * environment only LD_PRELOAD and LD_LIBRARY_PATH.
 */
export function readProcess(ctx: ReadContext, pid: number): ProcessRecord | null {
  const { proc } = ctx;
  try {
    const stat = parseStat(proc.readTextSync(`${pid}/stat`));
    const missing = { seen: false };
    const status = optional(() => parseStatus(proc.readTextSync(`${pid}/status`)), missing);
    const cmdline = optional(() => splitCmdline(proc.readFileSync(`${pid}/cmdline`, 256 * 1024)), missing);
    const environ = optional(() => pickEnviron(proc.readFileSync(`${pid}/environ`, 1024 * 1024)), missing);
    const exeLink = parseExeLink(optional(() => proc.readlinkSync(`${pid}/exe`), missing));
    const cwd = optional(() => proc.readlinkSync(`${pid}/cwd`), missing);
    const root = optional(() => proc.readlinkSync(`${pid}/root`), missing);
    const maps = optional(() => parseMaps(proc.readTextSync(`${pid}/maps`, 8 * 1024 * 1024)).files, missing);
    const netns = optional(() => {
      const m = /^net:\[(\d+)\]$/.exec(proc.readlinkSync(`${pid}/ns/net`));
      return m ? Number(m[1]) : null;
    }, missing);
    const fds = (optional(() => proc.readdirSync(`${pid}/fd`), missing)) ?? [];
    const socketInodes = new Set<number>();
    const openFiles = new Set<string>();
    let pipes = 0;
    for (const fd of fds) {
      let target: string;
      try {
        target = proc.readlinkSync(`${pid}/fd/${fd}`);
      } catch {
        continue; // closed between readdir and readlink
      }
      const socket = /^socket:\[(\d+)\]$/.exec(target);
      if (socket) socketInodes.add(Number(socket[1]));
      else if (target.startsWith('pipe:[')) pipes++;
      else if (target.startsWith('/')) openFiles.add(target);
    }
    if (missing.seen) {
      // Something was missing: keep the record only if the same process is still there.
      try {
        if (parseStat(proc.readTextSync(`${pid}/stat`)).starttime !== stat.starttime) return null;
      } catch (err) {
        if (vanished(err)) return null;
        throw err;
      }
    }
    const uid = status?.uid.real ?? null;
    return {
      pid,
      ppid: stat.ppid,
      uid,
      user: uid === null ? null : (ctx.users.get(uid) ?? null),
      comm: stat.comm,
      argv: cmdline ?? [],
      exe: exeLink.exe,
      exeDeleted: exeLink.deleted,
      cwd,
      root,
      startTime: ctx.btime === null ? null : startTimeIso(stat.starttime, ctx.btime),
      startTicks: stat.starttime,
      state: stat.state,
      kernelThread: stat.kernelThread,
      ldPreload: environ?.ldPreload ?? null,
      ldLibraryPath: environ?.ldLibraryPath ?? null,
      socketInodes: [...socketInodes].sort((a, b) => a - b),
      openFiles: [...openFiles],
      pipes,
      mappedFiles: maps ?? [],
      netns,
    };
  } catch (err) {
    if (vanished(err)) return null;
    throw err;
  }
}
