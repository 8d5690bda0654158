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
  timeline(events: TimelineEvent[]): void;
  has(rel: string): boolean;
}
