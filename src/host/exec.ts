import { execa } from 'execa';

/** The PATH every external command runs with: the system folders, never the caller's PATH. */
export const SAFE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface CommandSpec {
  /** Stable name used for commands/NAME.txt (e.g. "ss-tanp"). */
  name: string;
  argv: string[];
  timeoutMs?: number;
  /** Cap on stdout bytes kept; what lies beyond is dropped and the truncation recorded. */
  maxBytes?: number;
  env?: Record<string, string>;
  /** Exit codes that mean success for this tool besides 0 (lsof exits 1 when nothing matched). */
  okExitCodes?: number[];
  /** Told the size of each piece of stdout as it arrives (a progress line for a long export). */
  onStdout?: (bytes: number) => void;
}

/** One shape whether the command passed, failed, timed out or was missing. */
export interface CommandResult {
  name: string;
  argv: string[];
  startedAt: string;
  durationMs: number;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** stdout was cut at maxBytes. */
  truncated: boolean;
  /** The binary does not exist on this box. */
  notInstalled: boolean;
  /** Spawn or runtime error message, when there was one. */
  error: string | null;
  stdout: Buffer;
  stderr: string;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
const STDERR_MAX_BYTES = 1024 * 1024;
const KILL_GRACE_MS = 2_000;

export function commandOk(result: CommandResult, okExitCodes: number[] = []): boolean {
  return (result.exitCode === 0 || okExitCodes.includes(result.exitCode ?? -1)) && !result.timedOut && result.error === null;
}

/** Kills the whole process group, so grandchildren holding a pipe cannot keep us waiting. */
function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Runs one external command: fixed PATH and locale, its own process group, a timeout that kills
 * the group, an output cap. Never throws: failure is data.
 */
export async function runCommand(spec: CommandSpec, signal?: AbortSignal): Promise<CommandResult> {
  const timeoutMs = spec.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = spec.maxBytes ?? DEFAULT_MAX_BYTES;
  const started = Date.now();
  const [file, ...args] = spec.argv;
  const base: CommandResult = {
    name: spec.name,
    argv: spec.argv,
    startedAt: new Date(started).toISOString(),
    durationMs: 0,
    exitCode: null,
    signal: null,
    timedOut: false,
    truncated: false,
    notInstalled: false,
    error: null,
    stdout: Buffer.alloc(0),
    stderr: '',
  };
  if (!file) return { ...base, error: 'empty command line' };

  let timedOut = false;
  const child = execa(file, args, {
    reject: false,
    detached: true,
    stdin: 'ignore',
    encoding: 'buffer',
    maxBuffer: { stdout: maxBytes, stderr: STDERR_MAX_BYTES },
    extendEnv: false,
    env: { PATH: SAFE_PATH, LC_ALL: 'C', LANG: 'C', TZ: 'UTC', SYSTEMD_PAGER: '', PAGER: 'cat', ...spec.env },
    stripFinalNewline: false,
    cleanup: true,
  });
  if (spec.onStdout) {
    const onStdout = spec.onStdout;
    child.stdout?.on('data', (chunk: Uint8Array) => onStdout(chunk.length));
  }
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child.pid, 'SIGTERM');
    setTimeout(() => killGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS).unref();
  }, timeoutMs);
  const onAbort = () => killGroup(child.pid, 'SIGKILL');
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const r = await child;
    const stdout = Buffer.from((r.stdout as Uint8Array | undefined) ?? new Uint8Array());
    const stderr = Buffer.from((r.stderr as Uint8Array | undefined) ?? new Uint8Array()).toString('utf8');
    const code = (r as { code?: string }).code;
    const notInstalled = code === 'ENOENT';
    let error: string | null = null;
    if (notInstalled) error = `${file}: not installed`;
    else if (timedOut) error = `timed out after ${timeoutMs} ms`;
    else if (signal?.aborted) error = 'interrupted';
    else if (r.isMaxBuffer && !r.stdout) error = 'output over the cap';
    else if (code && code !== 'ERR_MAX_BUFFER' && r.exitCode === undefined && !r.signal) error = r.shortMessage ?? code;
    return {
      ...base,
      durationMs: Date.now() - started,
      exitCode: r.exitCode ?? null,
      signal: r.signal ?? null,
      timedOut,
      truncated: Boolean(r.isMaxBuffer),
      notInstalled,
      error,
      stdout: stdout.length > maxBytes ? stdout.subarray(0, maxBytes) : stdout,
      stderr,
    };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}
