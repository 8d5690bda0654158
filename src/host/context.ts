import os from 'node:os';
import path from 'node:path';
import psList from 'ps-list';
import { runCommand, type CommandResult, type CommandSpec } from './exec.js';
import { ProcFs } from './proc.js';
import { RootedFs } from './rooted-fs.js';
import { errnoCode } from './errors.js';

export type Mode = 'live' | 'offline';

export type Exec = (spec: CommandSpec, signal?: AbortSignal) => Promise<CommandResult>;

/** The only door to the machine: every collector reaches files, /proc and commands through it. */
export interface HostContext {
  mode: Mode;
  /** Files, rooted at / live or at the mounted image offline. */
  fs: RootedFs;
  /** /proc, or null offline (live-only sources are then skipped). */
  proc: ProcFs | null;
  /** /sys (kernel modules), or null offline; a fake tree in tests. */
  sys: ProcFs | null;
  /** kill(pid, 0): does the kernel know this pid (EPERM counts as yes)? The brute-force pid walk's syscall view. */
  pidAlive: (pid: number) => boolean;
  /** Runs the box's own tools (live only). */
  exec: Exec;
  /** The box's own process list, through its ps (ps-list): the view the cross-check compares with /proc. */
  boxPs: () => Promise<Array<{ pid: number; ppid?: number; name: string }>>;
  /** Effective uid 0. */
  isRoot: boolean;
  now: () => Date;
  /** Aborted on Ctrl-C: collectors stop early and what they have is kept. */
  signal: AbortSignal;
  /** Our own process: never reported as suspicious. */
  selfPid: number;
  /** Diagnostics for the responder (stderr), never evidence. */
  warn: (message: string) => void;
}

export interface HostOptions {
  root?: string;
  /** Overrides the mode derived from root (fake-root tests of live collectors). */
  mode?: Mode;
  procDir?: string | null;
  /** /sys by default live, null offline. */
  sysDir?: string | null;
  pidAlive?: (pid: number) => boolean;
  exec?: Exec;
  boxPs?: () => Promise<Array<{ pid: number; ppid?: number; name: string }>>;
  isRoot?: boolean;
  signal?: AbortSignal;
  now?: () => Date;
  warn?: (message: string) => void;
}

export function createHostContext(options: HostOptions = {}): HostContext {
  const root = path.resolve(options.root ?? '/');
  const mode: Mode = options.mode ?? (root === '/' ? 'live' : 'offline');
  const procDir = options.procDir === undefined ? (mode === 'live' ? '/proc' : null) : options.procDir;
  const sysDir = options.sysDir === undefined ? (mode === 'live' ? '/sys' : null) : options.sysDir;
  return {
    mode,
    fs: new RootedFs(root),
    proc: procDir ? new ProcFs(procDir) : null,
    sys: sysDir ? new ProcFs(sysDir) : null,
    pidAlive: options.pidAlive ?? killZero,
    exec: options.exec ?? runCommand,
    boxPs: options.boxPs ?? (() => psList({ all: true })),
    isRoot: options.isRoot ?? (typeof process.geteuid === 'function' ? process.geteuid() === 0 : false),
    now: options.now ?? (() => new Date()),
    signal: options.signal ?? new AbortController().signal,
    selfPid: process.pid,
    warn: options.warn ?? (() => {}),
  };
}

/** kill(pid, 0) sends nothing: ESRCH means no such pid, EPERM that it exists and is not ours. */
export function killZero(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === 'EPERM';
  }
}

