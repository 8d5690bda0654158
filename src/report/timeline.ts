import type { TimelineEvent } from '../model/sink.js';
import { csvField } from './text.js';

export const TIMELINE_COLUMNS = ['message', 'datetime', 'timestamp_desc', 'source', 'host', 'user', 'ip', 'pid', 'path'] as const;

export function sortTimeline(events: TimelineEvent[]): TimelineEvent[] {
  return [...events].sort((a, b) => Date.parse(a.datetime) - Date.parse(b.datetime) || a.message.localeCompare(b.message));
}

/** timeline.csv with Timesketch's required columns first, sorted by time. */
export function renderTimelineCsv(events: TimelineEvent[], host: string): string {
  const rows = [TIMELINE_COLUMNS.join(',')];
  for (const e of sortTimeline(events)) {
    rows.push(
      [e.message, e.datetime, e.timestamp_desc, e.source, host, e.user, e.ip, e.pid, e.path].map(csvField).join(','),
    );
  }
  return rows.join('\n') + '\n';
}
