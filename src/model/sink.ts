import type { Readable } from 'node:stream';
import type { CommandResult } from '../host/exec.js';

export interface StoredFile {
  /** Path inside the bundle's case folder, with forward slashes. */
  path: string;
  size: number;
  sha256: string;
}

export interface CopyResult extends StoredFile {
  /** The source was longer than the cap and was cut. */
  truncated: boolean;
}

/**
 * A copy that holds only part of its file: which part and what was left out. Listed in
 * manifest.json `copiesCut`, so a reader of the bundle knows the copy is not the whole file.
 */
export interface CopyCut {
  /** The copy, in the case. */
  path: string;
  /** The file on the box. */
  source: string;
  /** Its size when it was copied. */
  size: number;
  /** `tail`: the end of the file was kept (the newest lines of a log); `head`: its start. */
  kept: 'head' | 'tail';
  /** Offset in the file of the copy's first byte. */
  fromByte: number;
  /** Line number in the file of the copy's first line (1-based), null when not known. */
  fromLine: number | null;
  /** The copy starts at the start of a line (false only when no whole line fit in the cap). */
  atLineStart: boolean;
  keptBytes: number;
  droppedBytes: number;
  /** The cap, and the option that sets it. */
  cap: number;
  option: string;
}

/** Streams records into artifacts/NAME.jsonl. */
export interface JsonlWriter {
  write(record: unknown): Promise<void>;
  close(): Promise<StoredFile>;
  readonly count: number;
}

/** A timestamped event for timeline.csv (Timesketch's columns first). */
export interface TimelineEvent {
  /** ISO 8601 with a zone. */
  datetime: string;
  message: string;
  timestamp_desc: string;
  source: string;
  user?: string | null;
  ip?: string | null;
  pid?: number | null;
  path?: string | null;
  /** Events the row stands for (an aggregate row of `--timeline aggregate`); absent: one. */
  count?: number | null;
  /** The last of those events' time (ISO 8601 with a zone); absent for a single event. */
  lastDatetime?: string | null;
}

/** Where collectors put evidence. Implemented by the case store; collectors never see the disk. */
export interface EvidenceSink {
  writeFile(rel: string, data: string | Uint8Array): Promise<StoredFile>;
  writeJsonl(rel: string, records: Iterable<unknown>): Promise<StoredFile>;
  jsonl(rel: string): JsonlWriter;
  /** Copies a stream into the case, hashing as it goes, cut at maxBytes. */
  copyIn(rel: string, source: Readable, maxBytes: number): Promise<CopyResult>;
  /** commands/NAME.txt (raw stdout) and commands/NAME.json (argv, exit code, duration, stderr, truncation). */
  writeCommand(result: CommandResult): Promise<StoredFile[]>;
  /** Records that a copy already written holds only part of its file (manifest.json `copiesCut`). */
  noteCut(cut: CopyCut): void;
  timeline(events: TimelineEvent[]): void;
  has(rel: string): boolean;
}
