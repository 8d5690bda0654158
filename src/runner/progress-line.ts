import { formatProgress, NO_PROGRESS, type Progress, type ProgressTask } from '../model/progress.js';

/** Where a progress line is drawn: a terminal line of its own, or a spinner's suffix. */
export interface LineTarget {
  /** Replaces what was drawn with `line` (one line, no newline). */
  draw(line: string): void;
  /** Removes the line. */
  clear(): void;
  /** Characters the line may take. */
  columns(): number;
}

/** Redraws at most this often (10 a second). */
export const REDRAW_MS = 100;
/** A read shorter than this is never drawn: only long reads show a line. */
export const SHOW_AFTER_MS = 250;

/**
 * Progress drawn as one line that follows the read under way: at most one redraw per REDRAW_MS,
 * nothing for reads that end within SHOW_AFTER_MS, and the line cleared when its read ends.
 */
export class TerminalProgress implements Progress {
  private current: object | null = null;
  private drawn = false;

  constructor(
    private readonly target: LineTarget,
    private readonly now: () => number = () => Date.now(),
  ) {}

  clearLine(): void {
    if (this.drawn) this.target.clear();
    this.drawn = false;
  }

  start(label: string, total: number | null): ProgressTask {
    const token = {};
    this.current = token;
    const started = this.now();
    let done = 0;
    let lastDraw = started;
    let ended = false;
    return {
      add: (bytes: number) => {
        if (ended) return;
        done += bytes;
        if (this.current !== token) return;
        const t = this.now();
        if (t - started < SHOW_AFTER_MS || (this.drawn && t - lastDraw < REDRAW_MS)) return;
        lastDraw = t;
        this.drawn = true;
        this.target.draw(formatProgress({ label, done, total, elapsedMs: t - started }, this.target.columns()));
      },
      done: () => {
        if (ended) return;
        ended = true;
        if (this.current !== token) return;
        this.current = null;
        if (this.drawn) this.target.clear();
        this.drawn = false;
      },
    };
  }
}

/** A line of its own on a terminal stream: carriage return and erase-line, then the text. */
export function ownLine(stream: NodeJS.WriteStream): LineTarget {
  return {
    draw: (line) => stream.write(`\r\x1b[2K${line}`),
    clear: () => stream.write('\r\x1b[2K'),
    columns: () => Math.max(20, (stream.columns || 80) - 1),
  };
}

/**
 * Whether a person watches stderr: a terminal, not --json, not a CI job (CI set and not "false"),
 * not TERM=dumb. Anything else gets no progress at all.
 */
export function progressWanted(json: boolean, stream: { isTTY?: boolean } = process.stderr, env: NodeJS.ProcessEnv = process.env): boolean {
  if (json || stream.isTTY !== true) return false;
  if (env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0') return false;
  return env.TERM !== 'dumb';
}

/** The progress of a command that shows it on stderr when a person watches (progressWanted), else none. */
export function stderrProgress(json: boolean): Progress {
  return progressWanted(json) ? new TerminalProgress(ownLine(process.stderr)) : NO_PROGRESS;
}
