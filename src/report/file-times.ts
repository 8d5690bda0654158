import type { Stats } from 'node:fs';
import type { TimelineEvent } from '../model/sink.js';

/**
 * A file's four times as timeline rows, named as plaso names them so Timesketch groups them with
 * its own: when the attacker's file arrived (birth), was last written (mtime), had its inode
 * changed (ctime: chmod, rename, a touch -d to fake the mtime), and was last read (atime).
 */
export const FILE_TIME_DESC = {
  birth: 'Creation Time',
  mtime: 'Content Modification Time',
  ctime: 'Metadata Modification Time',
  atime: 'Last Access Time',
} as const;

export interface FileTimes {
  mtimeMs: number;
  ctimeMs: number | null;
  atimeMs: number;
  /** 0 or null where the filesystem (or the kernel's statx) keeps none. */
  birthtimeMs: number | null;
}

export interface FileTimeContext {
  /** The path as the box names it. */
  path: string;
  /** What the file is to the investigation: "executable of pscan2 (pid 4242)", "quarantined". */
  what: string;
  source: string;
  user?: string | null;
  pid?: number | null;
}

export function statTimes(st: Stats): FileTimes {
  return { mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, atimeMs: st.atimeMs, birthtimeMs: st.birthtimeMs };
}

/** The rows for one file; a time the filesystem does not keep (birth 0) is left out. */
export function fileTimeEvents(t: FileTimes, c: FileTimeContext): TimelineEvent[] {
  const out: TimelineEvent[] = [];
  const add = (kind: keyof typeof FILE_TIME_DESC, ms: number | null) => {
    if (ms === null || !Number.isFinite(ms) || ms <= 0) return;
    out.push({
      datetime: new Date(ms).toISOString(),
      message: `${kind} of ${c.path} (${c.what})`,
      timestamp_desc: FILE_TIME_DESC[kind],
      source: c.source,
      user: c.user ?? null,
      pid: c.pid ?? null,
      path: c.path,
    });
  };
  add('birth', t.birthtimeMs);
  add('mtime', t.mtimeMs);
  add('ctime', t.ctimeMs);
  add('atime', t.atimeMs);
  return out;
}
