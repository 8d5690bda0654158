/**
 * How far a long read has got (an auth log, the journal, the bundle): the readers count the bytes
 * where they open or stream a file, and whoever shows progress (a terminal line on stderr) draws
 * it. Nothing here writes anywhere; a run without a terminal gets NO_PROGRESS.
 */
import { sanitizeForTerminal } from './text.js';

/** One long read: bytes are added as they pass; done() once it has ended (read, failed or stopped). */
export interface ProgressTask {
  add(bytes: number): void;
  done(): void;
}

/** What a reader is given to report a long read on. */
export interface Progress {
  /** A read starts: `label` says what is done to what ("reading /var/log/auth.log"); `total` is its size in bytes when known, else null. */
  start(label: string, total: number | null): ProgressTask;
  /** Takes the line off the screen before something else is written there (a warning); the next bytes draw it again. */
  clearLine?(): void;
}

const NO_TASK: ProgressTask = { add() {}, done() {} };

/** Progress nobody sees: the default of every reader. */
export const NO_PROGRESS: Progress = { start: () => NO_TASK };

/**
 * The chunks of a stream, unchanged, each counted on `task` as it passes; done() when the stream
 * ends, fails or is left early. The byte-counting layer between a file and its reader.
 */
export async function* metered(stream: AsyncIterable<Buffer | string | Uint8Array>, task: ProgressTask): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of stream) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      task.add(buf.length);
      yield buf;
    }
  } finally {
    task.done();
  }
}

/** What a progress line shows at one moment. */
export interface ProgressState {
  /** What is read, as the reader says it: "reading /var/log/auth.log" (a path on the box is attacker-chosen text: sanitised before it is shown). */
  label: string;
  /** Bytes read so far. */
  done: number;
  /** Bytes in all, null when unknown (a command's output). */
  total: number | null;
  /** Since the read started. */
  elapsedMs: number;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 1536 → "1.5 KiB"; three significant digits from KiB up. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '?';
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  if (u === 0) return `${Math.round(v)} B`;
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${UNITS[u]}`;
}

/** Seconds as "42s", "3m05s", "1h02m". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** A label shortened to `max` characters in its middle, keeping its first word and its end (a path's file name): "reading …/log/auth.log". */
function shorten(label: string, max: number): string {
  if (label.length <= max) return label;
  if (max <= 1) return '…'.slice(0, max);
  const space = label.indexOf(' ');
  const head = space > 0 && space + 2 < max / 2 ? label.slice(0, space + 1) : '';
  return `${head}…${label.slice(label.length - (max - 1 - head.length))}`;
}

/**
 * One progress line, at most `columns` characters:
 * `reading /var/log/auth.log  120 MiB of 300 MiB (40%)  52.1 MiB/s  3s left` (the label is what
 * the reader said it reads).
 * The rate and time left appear once there is something to go on (a quarter second and a byte
 * read); an unknown or zero total shows what was read so far only. The label is sanitised for the
 * terminal (no escape or control character reaches it) and shortened from its start when the line
 * would be too long.
 */
export function formatProgress(s: ProgressState, columns = 80): string {
  const done = Math.max(0, s.done);
  const parts: string[] = [];
  if (s.total !== null && s.total > 0) {
    const pct = Math.min(100, Math.floor((done / s.total) * 100));
    parts.push(`${formatBytes(done)} of ${formatBytes(s.total)} (${pct}%)`);
  } else parts.push(formatBytes(done));
  const seconds = s.elapsedMs / 1000;
  if (seconds >= 0.25 && done > 0) {
    const rate = done / seconds;
    parts.push(`${formatBytes(rate)}/s`);
    if (s.total !== null && s.total > done) parts.push(`${formatDuration((s.total - done) / rate)} left`);
  }
  const tail = parts.join('  ');
  const label = sanitizeForTerminal(s.label).replace(/\s+/g, ' ');
  const room = Math.max(0, columns - tail.length - 2);
  const line = `${shorten(label, room)}  ${tail}`;
  return line.length > columns ? line.slice(0, Math.max(0, columns)) : line;
}
