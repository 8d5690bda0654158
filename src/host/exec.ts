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
  /**
   * Which part of a longer stdout is kept: `head` (the default: the command is stopped at the
   * cap) or `tail` (the command runs to its end and the newest maxBytes are kept, from a line
   * start: a log's newest records). Memory stays at the cap either way.
   */
  keep?: 'head' | 'tail';
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
  /** With `keep: 'tail'`, when stdout was longer than maxBytes: how long it was, and where the part kept starts in it. */
  tailCut?: { size: number; fromByte: number; fromLine: number; atLineStart: boolean };
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

/**
 * The newest `max` bytes of a stream, from a line start: chunks are dropped from the front as new
 * ones come (their bytes and newlines counted), so memory stays at the cap plus one chunk.
 */
export class TailKeeper {
  private chunks: Buffer[] = [];
  private bytes = 0;
  private total = 0;
  private droppedBytes = 0;
  private droppedLines = 0;
  /** The last byte dropped was a newline (or nothing was dropped): a line starts at the kept part. */
  private droppedEndsLine = true;

  constructor(private readonly max: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    this.total += chunk.length;
    while (this.chunks.length > 1 && this.bytes - this.chunks[0].length >= this.max) {
      const d = this.chunks.shift()!;
      this.bytes -= d.length;
      this.droppedBytes += d.length;
      this.droppedLines += countNewlines(d, 0, d.length);
      this.droppedEndsLine = d[d.length - 1] === 0x0a;
    }
  }

  /** What is kept, and where it starts when something was dropped (null: everything fitted). */
  result(): { data: Buffer; cut: NonNullable<CommandResult['tailCut']> | null } {
    const buf = Buffer.concat(this.chunks, this.bytes);
    this.chunks = [];
    if (this.total <= this.max) return { data: buf, cut: null };
    let start = buf.length - Math.min(this.max, buf.length);
    let atLineStart = start > 0 ? buf[start - 1] === 0x0a : this.droppedEndsLine;
    if (!atLineStart) {
      const nl = buf.indexOf(0x0a, start);
      if (nl >= 0 && nl + 1 < buf.length) {
        start = nl + 1;
        atLineStart = true;
      }
    }
    const fromLine = this.droppedLines + countNewlines(buf, 0, start) + 1;
    return { data: buf.subarray(start), cut: { size: this.total, fromByte: this.droppedBytes + start, fromLine, atLineStart } };
  }
}

function countNewlines(buf: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = buf.indexOf(0x0a, from); i >= 0 && i < to; i = buf.indexOf(0x0a, i + 1)) n++;
  return n;
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
  const tail = spec.keep === 'tail' ? new TailKeeper(maxBytes) : null;
  const child = execa(file, args, {
    reject: false,
    detached: true,
    stdin: 'ignore',
    encoding: 'buffer',
    // keep 'tail': stdout is read as it comes and only its newest maxBytes held (TailKeeper).
    buffer: { stdout: tail === null, stderr: true },
    maxBuffer: tail ? { stderr: STDERR_MAX_BYTES } : { stdout: maxBytes, stderr: STDERR_MAX_BYTES },
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
  if (tail) child.stdout?.on('data', (chunk: Buffer) => tail.push(chunk));
  const onAbort = () => killGroup(child.pid, 'SIGKILL');
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const r = await child;
    const kept = tail?.result() ?? null;
    const stdout = kept ? kept.data : Buffer.from((r.stdout as Uint8Array | undefined) ?? new Uint8Array());
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
      truncated: Boolean(r.isMaxBuffer) || Boolean(kept?.cut),
      ...(kept?.cut ? { tailCut: kept.cut } : {}),
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
