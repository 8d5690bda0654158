import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { HostContext } from '../host/context.js';
import type { Finding } from '../model/finding.js';
import type { OpenFilesRecord } from '../model/processes.js';
import type { TimelineEvent } from '../model/sink.js';
import { fileTimeEvents, statTimes } from './file-times.js';

/**
 * File times for the timeline, gathered as a case closes: the files findings point at, and the
 * entries of every quarantine done during the run. Read through the host door (a --root image
 * works the same), stat only: nothing is opened, so no access time moves.
 */

/** Files stat'ed per case at most: a finding storm must not turn the close into a disk walk. */
const MAX_FILES = 1000;
const MAX_QUARANTINE_ENTRIES = 10_000;
const QUARANTINE_RECORD = /^actions\/quarantine-\d+\.json$/;

/** The files the findings name (subject.path), except executables the lsof step already timed. */
export async function flaggedFileTimes(host: HostContext, findings: Finding[], openFiles: OpenFilesRecord[]): Promise<TimelineEvent[]> {
  const timed = new Set(openFiles.filter((o) => o.preserved && o.exe).map((o) => o.exe!));
  const paths = new Map<string, Finding[]>();
  for (const f of findings) {
    const p = f.subject.path;
    if (typeof p !== 'string' || !p.startsWith('/') || p.startsWith('/memfd:') || timed.has(p)) continue;
    paths.set(p, [...(paths.get(p) ?? []), f]);
  }
  const out: TimelineEvent[] = [];
  for (const [p, fs] of [...paths].slice(0, MAX_FILES)) {
    const st = await host.fs.stat(p).catch(() => null);
    if (!st) continue;
    const what = `flagged by ${[...new Set(fs.map((f) => `${f.rule} ${f.id}`))].join(', ')}`;
    const pid = typeof fs[0].subject.pid === 'number' ? fs[0].subject.pid : null;
    const user = typeof fs[0].subject.user === 'string' ? fs[0].subject.user : null;
    out.push(...fileTimeEvents(statTimes(st), { path: p, what, source: 'flagged-file', pid, user }));
  }
  return out;
}

interface QuarantineEntryView {
  rel?: unknown;
  relHex?: unknown;
  type?: unknown;
  ino?: unknown;
  btime?: unknown;
  ctime?: unknown;
}

/** ns since the epoch as a decimal string (the undo record's form) → ms; null for '0' or junk. */
function nsToMs(ns: unknown): number | null {
  if (typeof ns !== 'string' || !/^\d+$/.test(ns) || /^0+$/.test(ns)) return null;
  return Number(BigInt(ns) / 1_000_000n);
}

/**
 * The entries of each quarantine undo record in the case (actions/quarantine-N.json), as they are
 * now: birth, mtime and atime (chmod leaves them), the change time as the plan saw it when the
 * record keeps it (after the chmod, ctime is the quarantine's own time). An entry whose inode
 * changed since is left out.
 */
export async function quarantinedFileTimes(host: HostContext, caseDir: string, files: string[]): Promise<TimelineEvent[]> {
  const out: TimelineEvent[] = [];
  let budget = MAX_QUARANTINE_ENTRIES;
  for (const rel of files.filter((f) => QUARANTINE_RECORD.test(f))) {
    let record: { folder?: unknown; entries?: unknown };
    try {
      record = JSON.parse(await fsp.readFile(path.join(caseDir, rel), 'utf8')) as typeof record;
    } catch {
      continue;
    }
    if (typeof record.folder !== 'string' || !Array.isArray(record.entries)) continue;
    for (const e of record.entries as QuarantineEntryView[]) {
      if (budget-- <= 0) return out;
      if (typeof e.rel !== 'string' || (e.type !== 'file' && e.type !== 'dir')) continue;
      // A name that is not UTF-8 cannot be addressed by its display form: skip it rather than stat another file.
      if (typeof e.relHex === 'string' && Buffer.from(e.rel).toString('hex') !== e.relHex) continue;
      const p = e.rel === '' ? record.folder : path.posix.join(record.folder, e.rel);
      const st = await host.fs.lstat(p).catch(() => null);
      if (!st || (typeof e.ino === 'string' && e.ino !== String(st.ino))) continue;
      const birth = nsToMs(e.btime);
      out.push(
        ...fileTimeEvents(
          { mtimeMs: st.mtimeMs, atimeMs: st.atimeMs, ctimeMs: nsToMs(e.ctime), birthtimeMs: birth ?? st.birthtimeMs },
          { path: p, what: `quarantined by ${rel}`, source: 'quarantine' },
        ),
      );
    }
  }
  return out;
}
