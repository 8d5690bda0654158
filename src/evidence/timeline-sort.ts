import { closeSync, createReadStream, rmSync, writeSync } from 'node:fs';
import { createNewFileSync, makeFolderTree } from './new-files.js';
import path from 'node:path';
import type { TimelineEvent } from '../model/sink.js';
import { timeKey, timelineDatetime } from './timeline.js';
import { errnoCode } from '../host/errors.js';

/**
 * An external merge sort for the timeline: a big auth log yields millions of events, more than
 * memory should hold. Events are buffered; a full buffer is sorted and written to a run file in a
 * scratch folder; at the end the runs (and what is still buffered) are merged in one pass, with a
 * cascade when there are more runs than files worth opening at once. Memory stays at one buffer
 * plus one read chunk per run, whatever the number of events.
 *
 * Order: by time (microseconds), then by arrival, so events of the same second keep the order of
 * the log they came from.
 *
 * Runs are read and merged in batches (an await per chunk, not per event): millions of events
 * must not each cross an async generator.
 */

/** An event with its sort key: time in microseconds, then arrival sequence. */
export interface KeyedEvent {
  key: number;
  seq: number;
  event: TimelineEvent;
}

/** A sorted source: each call gives the next events in order, an empty array when it is done. */
export type BatchSource = () => Promise<KeyedEvent[]>;

export interface TimelineSpoolOptions {
  /** Events buffered before a sorted run is written out. */
  runEvents?: number;
  /** Bytes buffered (estimated from the strings) before a run is written out. */
  runBytes?: number;
  /** Most run files read at once; more are merged in stages first. */
  fanIn?: number;
  /** Bytes read from a run file at a time. */
  readChunkBytes?: number;
}

/**
 * 10,000 events (or 4 MiB estimated) a run: the buffer is the largest thing a collect holds while
 * the auth log is read, and V8 sizes its heap after what stays alive (50,000 events held the peak
 * about 70 MiB higher for no gain in time).
 */
const DEFAULTS = { runEvents: 10_000, runBytes: 4 * 1024 * 1024, fanIn: 64, readChunkBytes: 64 * 1024 };
/** Events handed out per merged batch. */
const MERGE_BATCH = 4096;
/** Bytes gathered before one write to a run file. */
const WRITE_CHUNK = 1 << 20;

export function compareKeyed(a: KeyedEvent, b: KeyedEvent): number {
  return a.key - b.key || a.seq - b.seq;
}

function estimateBytes(e: TimelineEvent): number {
  return 160 + 2 * (e.message.length + e.datetime.length + e.timestamp_desc.length + e.source.length + (e.user?.length ?? 0) + (e.ip?.length ?? 0) + (e.path?.length ?? 0));
}

/** A run line: the key and the event's fields as one flat JSON array (parsed back faster than an object). */
function runLine(k: KeyedEvent): string {
  const e = k.event;
  const row: unknown[] = [k.key, k.seq, e.datetime, e.message, e.timestamp_desc, e.source, e.user ?? null, e.ip ?? null, e.pid ?? null, e.path ?? null];
  if (e.count != null) row.push(e.count, e.lastDatetime ?? null);
  return JSON.stringify(row) + '\n';
}

type RunRow = [number, number, string, string, string, string, string | null, string | null, number | null, string | null, number?, (string | null)?];

function fromRunLine(line: string): KeyedEvent {
  const [key, seq, datetime, message, timestamp_desc, source, user, ip, pid, path, count, lastDatetime] = JSON.parse(line) as RunRow;
  const event: TimelineEvent = { datetime, message, timestamp_desc, source, user, ip, pid, path };
  if (count !== undefined) Object.assign(event, { count, lastDatetime: lastDatetime ?? null });
  return { key, seq, event };
}

/** A run file as a batch source: one read chunk of whole lines per call. */
export function fileSource(file: string, chunkBytes = DEFAULTS.readChunkBytes): BatchSource {
  const chunks = createReadStream(file, { encoding: 'utf8', highWaterMark: chunkBytes })[Symbol.asyncIterator]();
  let rest = '';
  let done = false;
  return async () => {
    while (!done) {
      const next = await chunks.next();
      let lines: string[];
      if (next.done) {
        done = true;
        lines = rest === '' ? [] : [rest];
        rest = '';
      } else {
        lines = (rest + (next.value as string)).split('\n');
        rest = lines.pop() ?? '';
      }
      const out: KeyedEvent[] = [];
      for (const line of lines) {
        if (line !== '') out.push(fromRunLine(line));
      }
      if (out.length > 0) return out;
    }
    return [];
  };
}

/** An already sorted array as a batch source. */
export function arraySource(items: KeyedEvent[]): BatchSource {
  let given = false;
  return async () => {
    if (given) return [];
    given = true;
    return items;
  };
}

interface Cursor {
  buf: KeyedEvent[];
  pos: number;
  source: BatchSource;
}

const before = (a: Cursor, b: Cursor) => compareKeyed(a.buf[a.pos], b.buf[b.pos]) < 0;

function siftDown(heap: Cursor[], i: number): void {
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let m = i;
    if (l < heap.length && before(heap[l], heap[m])) m = l;
    if (r < heap.length && before(heap[r], heap[m])) m = r;
    if (m === i) return;
    [heap[i], heap[m]] = [heap[m], heap[i]];
    i = m;
  }
}

/** A k-way merge over a heap of cursors: sorted batches out, in (key, seq) order. */
export async function* mergeSorted(sources: BatchSource[], batchSize = MERGE_BATCH): AsyncGenerator<KeyedEvent[]> {
  const heap: Cursor[] = [];
  for (const source of sources) {
    const buf = await source();
    if (buf.length > 0) heap.push({ buf, pos: 0, source });
  }
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) siftDown(heap, i);
  let out: KeyedEvent[] = [];
  while (heap.length > 0) {
    const top = heap[0];
    out.push(top.buf[top.pos++]);
    if (top.pos === top.buf.length) {
      top.buf = await top.source();
      top.pos = 0;
      if (top.buf.length === 0) {
        const last = heap.pop()!;
        if (heap.length === 0) break;
        heap[0] = last;
      }
    }
    siftDown(heap, 0);
    if (out.length >= batchSize) {
      yield out;
      out = [];
    }
  }
  if (out.length > 0) yield out;
}

export class TimelineSpool {
  private buffer: KeyedEvent[] = [];
  private bufferBytes = 0;
  private readonly runFiles: string[] = [];
  private seq = 0;
  private files = 0;
  private readonly opts: Required<TimelineSpoolOptions>;
  /** Events accepted. */
  count = 0;
  /** Events refused because their datetime is not a time with a zone. */
  dropped = 0;
  /** A sample of the refused datetimes, for the manifest. */
  readonly droppedSamples: string[] = [];
  /**
   * Why spilling failed (a full disk, say). From then on events are counted in `dropped`, not
   * kept: memory stays bounded, and the timeline holds what was spilled and buffered before.
   */
  failure: string | null = null;

  /** `dir` is a scratch folder of its own (created on the first spill, removed by dispose). */
  constructor(
    readonly dir: string,
    opts: TimelineSpoolOptions = {},
  ) {
    this.opts = { ...DEFAULTS, ...opts };
    // A stage must merge at least two runs into one, or the cascade would never end.
    this.opts.fanIn = Math.max(2, this.opts.fanIn);
  }

  /** Run files written so far. */
  get runs(): number {
    return this.runFiles.length;
  }

  /** Synchronous, as the sink's timeline() is: a full buffer is sorted and written out at once. */
  add(events: Iterable<TimelineEvent>): void {
    for (const e of events) {
      if (this.failure !== null) {
        this.dropped++;
        continue;
      }
      const datetime = typeof e.datetime === 'string' ? timelineDatetime(e.datetime) : null;
      const key = datetime === null ? null : timeKey(datetime);
      if (datetime === null || key === null) {
        this.dropped++;
        if (this.droppedSamples.length < 5) this.droppedSamples.push(String(e.datetime));
        continue;
      }
      const event = datetime === e.datetime ? e : { ...e, datetime };
      this.buffer.push({ key, seq: this.seq++, event });
      this.bufferBytes += estimateBytes(event);
      this.count++;
      if (this.buffer.length >= this.opts.runEvents || this.bufferBytes >= this.opts.runBytes) this.spill();
    }
  }

  /** The events still in memory, in arrival order (a small case never spills: tests read this). */
  buffered(): TimelineEvent[] {
    return [...this.buffer].sort((a, b) => a.seq - b.seq).map((k) => k.event);
  }

  private nextRunFile(): string {
    makeFolderTree(path.dirname(this.dir), path.basename(this.dir));
    return path.join(this.dir, `run-${String(++this.files).padStart(6, '0')}.jsonl`);
  }

  private spill(): void {
    if (this.buffer.length === 0) return;
    this.buffer.sort(compareKeyed);
    let file: string | null = null;
    try {
      file = this.nextRunFile();
      this.writeRun(file);
    } catch (err) {
      // Degrade, never die: keep the sorted buffer for the merge, take no more events.
      if (file) rmSync(file, { force: true });
      this.failure = `could not write a timeline run: ${errnoCode(err) ?? (err as Error).message}`;
      return;
    }
    this.runFiles.push(file);
    this.buffer = [];
    this.bufferBytes = 0;
  }

  private writeRun(file: string): void {
    const fd = createNewFileSync(file, 0o600);
    try {
      let parts: string[] = [];
      let size = 0;
      for (const k of this.buffer) {
        const line = runLine(k);
        parts.push(line);
        size += line.length;
        if (size >= WRITE_CHUNK) {
          writeSync(fd, parts.join(''));
          parts = [];
          size = 0;
        }
      }
      if (parts.length) writeSync(fd, parts.join(''));
    } finally {
      closeSync(fd);
    }
  }

  /** Merges `files` into one new run file (a cascade stage). */
  private async mergeToRun(files: string[]): Promise<string> {
    const file = this.nextRunFile();
    const fd = createNewFileSync(file, 0o600);
    try {
      for await (const batch of mergeSorted(files.map((f) => fileSource(f, this.opts.readChunkBytes)))) {
        writeSync(fd, batch.map(runLine).join(''));
      }
    } finally {
      closeSync(fd);
    }
    for (const f of files) rmSync(f, { force: true });
    return file;
  }

  /**
   * Every event, sorted, in batches. Consumes the spool: call once, at the end. Runs beyond fanIn
   * are merged in stages of fanIn first, so no more than fanIn files are ever open.
   */
  async *sorted(): AsyncGenerator<TimelineEvent[]> {
    const memory = this.buffer.sort(compareKeyed);
    this.buffer = [];
    let files = [...this.runFiles];
    while (files.length + 1 > this.opts.fanIn) {
      const group = files.slice(0, this.opts.fanIn);
      const merged = await this.mergeToRun(group);
      files = [...files.slice(group.length), merged];
    }
    const sources = [...files.map((f) => fileSource(f, this.opts.readChunkBytes)), arraySource(memory)];
    for await (const batch of mergeSorted(sources)) yield batch.map((k) => k.event);
  }

  /** Removes the scratch folder and its runs. */
  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
    this.runFiles.length = 0;
    this.buffer = [];
  }
}
