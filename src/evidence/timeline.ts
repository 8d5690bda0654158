import type { TimelineEvent } from '../model/sink.js';
import { csvField } from '../model/text.js';

/** Timesketch's required columns first (message, datetime, timestamp_desc), then ours. */
export const TIMELINE_COLUMNS = ['message', 'datetime', 'timestamp_desc', 'source', 'host', 'user', 'ip', 'pid', 'path'] as const;
/** With `--timeline aggregate`, two more: how many events a row stands for, and the last one's time. */
export const AGGREGATE_COLUMNS = [...TIMELINE_COLUMNS, 'count', 'last_datetime'] as const;
export type TimelineColumns = typeof TIMELINE_COLUMNS | typeof AGGREGATE_COLUMNS;

/** One row of timeline.csv and artifacts/timeline.jsonl: every column present, in column order. */
export interface TimelineRow {
  message: string;
  datetime: string;
  timestamp_desc: string;
  source: string;
  host: string | null;
  user: string | null;
  ip: string | null;
  pid: number | null;
  path: string | null;
  /** Aggregate columns only: events the row stands for (1 for a single event), the last one's time (null for a single event). */
  count?: number;
  last_datetime?: string | null;
}

/** ISO 8601 with a zone, as Timesketch reads it: 2024-03-01T08:59:04.500000Z, 2024-03-01T09:59:04+01:00. */
export const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/**
 * The sort key of a datetime in microseconds since the epoch (wtmp keeps microseconds, and two
 * logins in the same millisecond must still sort right); null when it is not a time at all.
 */
export function timeKey(datetime: string): number | null {
  const ms = Date.parse(datetime);
  if (!Number.isFinite(ms)) return null;
  const frac = /\.(\d{4,9})(?:Z|[+-]\d{2}:\d{2})$/.exec(datetime);
  const micros = frac ? Number(frac[1].slice(3, 6).padEnd(3, '0')) : 0;
  return ms * 1000 + micros;
}

/**
 * The datetime as the timeline writes it: kept as the collector gave it when it is already ISO 8601
 * with a zone (wtmp's microseconds survive), otherwise re-written in UTC; null when unreadable.
 */
export function timelineDatetime(datetime: string): string | null {
  if (ISO_WITH_ZONE.test(datetime)) return datetime;
  const ms = Date.parse(datetime);
  // A stamp without a zone would be read in this machine's zone: refuse to guess.
  if (!Number.isFinite(ms) || !/(Z|GMT|UTC|[+-]\d{2}:?\d{2})$/i.test(datetime.trim())) return null;
  return new Date(ms).toISOString();
}

export function toTimelineRow(e: TimelineEvent, host: string | null, columns: TimelineColumns = TIMELINE_COLUMNS): TimelineRow {
  const row: TimelineRow = {
    message: e.message,
    datetime: e.datetime,
    timestamp_desc: e.timestamp_desc,
    source: e.source,
    host,
    user: e.user ?? null,
    ip: e.ip ?? null,
    pid: e.pid ?? null,
    path: e.path ?? null,
  };
  if (columns === AGGREGATE_COLUMNS) {
    row.count = e.count ?? 1;
    row.last_datetime = e.lastDatetime ?? null;
  }
  return row;
}

export function timelineCsvHeader(columns: TimelineColumns = TIMELINE_COLUMNS): string {
  return columns.join(',') + '\n';
}

/** One CSV line (RFC 4180 quoting, spreadsheet formulas defused); embedded newlines stay inside quotes. */
export function timelineCsvLine(row: TimelineRow, columns: TimelineColumns = TIMELINE_COLUMNS): string {
  return columns.map((c) => csvField(row[c])).join(',') + '\n';
}
