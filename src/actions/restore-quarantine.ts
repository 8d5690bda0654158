/**
 * The undo of a quarantine. A record is data from a file someone hands over, so whatever it says,
 * restore only ever touches the folder it names and what lies below it, reached one component at
 * a time through O_PATH | O_NOFOLLOW descriptors from the folder's own descriptor (itself checked
 * to be the device and inode quarantined); each entry is changed only while it is the same inode
 * (device, inode, birth time) with the mode the plan showed, and only gains back r and x bits it
 * had before: never setuid, setgid, sticky or write.
 */
import path from 'node:path';
import type { BigIntStats } from 'node:fs';
import { chmodFd, closeQuietly, components, fstatBig, openBelow, openDirNoFollow } from '../host/fd-path.js';
import { octal, refusedPlan, refuseApply, RECORD_VERSION } from './common.js';
import { protectedReason } from './protected-paths.js';
import type { EntryType, QuarantinedEntry, QuarantineRecord } from './quarantine.js';
import { defineUndo, type ActionContext, type ActionPlan, type ActionResult } from './types.js';
import { errnoCode, errorReason } from '../host/errors.js';

/** What quarantine takes away, so all a restore may give back: read and execute. */
const RX_BITS = 0o555;

export interface RestoreOptions {
  /** Restore entries whose mode changed since the quarantine too (never one whose inode changed). */
  force?: boolean;
}

export interface RestoreItem {
  rel: string;
  relHex: string;
  type: EntryType;
  ino: string;
  dev: string;
  /** Current mode (null when gone or not reachable yet). */
  modeNow: number | null;
  modeBefore: number;
  modeAfter: number;
  /** The mode restore sets: modeBefore, less any bit other than r and x the entry lacks now. */
  modeNew: number;
  /**
   * What restore will do or why not. 'pending': below a folder this user cannot search until that
   * folder is restored (an owner without root): checked when reached.
   */
  action: 'restore' | 'force' | 'pending' | 'already' | 'changed' | 'replaced' | 'gone';
}

export interface RestoreData {
  record: QuarantineRecord;
  items: RestoreItem[];
}

const TYPES: EntryType[] = ['dir', 'file', 'symlink', 'other'];

function display(folder: string, rel: string): string {
  return rel === '' ? folder : path.posix.join(folder, rel);
}

function relParts(relHex: string): Buffer[] {
  return relHex === '' ? [] : components(Buffer.concat([Buffer.from('/'), Buffer.from(relHex, 'hex')]));
}

/**
 * A quarantine record as restore accepts it: every path a chain of plain names below the folder,
 * the folder itself listed as a folder, and each change one quarantine can have made (r and x
 * taken away, nothing else), so its undo can only give r and x back.
 */
export function checkRecord(record: unknown): QuarantineRecord {
  const r = record as Partial<QuarantineRecord> | null;
  if (!r || typeof r !== 'object' || r.action !== 'quarantine') throw new Error('not a quarantine record');
  if (r.version !== RECORD_VERSION) throw new Error(`quarantine record version ${String(r.version)}: this ir-triage reads version ${RECORD_VERSION}`);
  if (typeof r.hostFolder !== 'string' || typeof r.folder !== 'string' || !path.isAbsolute(r.hostFolder) || !Array.isArray(r.entries)) throw new Error('quarantine record without a folder or entries');
  try {
    components(r.hostFolder);
  } catch {
    throw new Error('quarantine record whose folder is not a plain absolute path (no ., .. or empty parts)');
  }
  let top = 0;
  for (const e of r.entries as unknown[]) {
    const x = e as Partial<QuarantinedEntry> | null;
    if (!x || typeof x !== 'object' || typeof x.relHex !== 'string' || !/^(?:[0-9a-f]{2})*$/.test(x.relHex) || typeof x.rel !== 'string') throw new Error('quarantine record with a malformed entry');
    if (!Number.isInteger(x.modeBefore) || !Number.isInteger(x.modeAfter) || typeof x.ino !== 'string' || !/^\d+$/.test(x.ino) || typeof x.dev !== 'string' || !/^\d+$/.test(x.dev) || typeof x.changed !== 'boolean' || !TYPES.includes(x.type as EntryType)) {
      throw new Error('quarantine record with a malformed entry');
    }
    if (x.btime !== undefined && (typeof x.btime !== 'string' || !/^\d+$/.test(x.btime))) throw new Error('quarantine record with a malformed entry');
    const before = x.modeBefore!;
    const after = x.modeAfter!;
    if (before < 0 || before > 0o7777 || after < 0 || after > 0o7777) throw new Error('quarantine record with a mode out of range');
    // Quarantine only takes bits away, and only r and x: after ⊆ before, and they differ in r and x alone.
    if ((after & ~before) !== 0 || ((before ^ after) & ~RX_BITS) !== 0) throw new Error('quarantine record with a mode change quarantine cannot have made');
    if (x.changed && x.type !== 'dir' && x.type !== 'file') throw new Error('quarantine record that changes a symbolic link or special file');
    try {
      relParts(x.relHex);
    } catch {
      throw new Error('quarantine record with a path that leaves the folder');
    }
    if (x.relHex === '') {
      top++;
      if (x.type !== 'dir') throw new Error('quarantine record whose folder is not a folder');
    }
  }
  if (top !== 1) throw new Error('quarantine record without exactly one entry for the folder itself');
  return r as QuarantineRecord;
}

/** The relHex of the folder holding an entry ('' for the folder itself); a slash is the byte 2f at an even offset. */
function parentHex(relHex: string): string {
  for (let i = relHex.length - 2; i >= 0; i -= 2) if (relHex.slice(i, i + 2) === '2f') return relHex.slice(0, i);
  return '';
}

/** Folders top-down (a parent's search permission first), then files. */
function restoreOrder<T extends { type: EntryType; relHex: string }>(entries: T[]): T[] {
  const dirs = entries.filter((e) => e.type === 'dir').sort((a, b) => relParts(a.relHex).length - relParts(b.relHex).length);
  return [...dirs, ...entries.filter((e) => e.type !== 'dir')];
}

function sameFile(st: BigIntStats, e: QuarantinedEntry): string | null {
  if (String(st.dev) !== e.dev || String(st.ino) !== e.ino) return 'replaced by another file since the quarantine (inode changed)';
  const btime = String(st.birthtimeNs);
  if (e.btime && e.btime !== '0' && btime !== '0' && btime !== e.btime) return 'replaced by another file since the quarantine (same inode number, new file)';
  const isType: EntryType = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : 'other';
  if (isType !== e.type) return `no longer a ${e.type === 'dir' ? 'folder' : 'file'}`;
  return null;
}

/** The mode restore sets: the original, but never a bit other than r or x that the entry lacks now. */
export function restoredMode(modeBefore: number, modeNow: number): number {
  return modeBefore & (modeNow | RX_BITS) & 0o7777;
}

/** The folder the record names, opened from / without following a link, and checked to be the quarantined inode. */
function openTop(record: QuarantineRecord): { fd: number } | { why: string } {
  const top = record.entries.find((e) => e.relHex === '')!;
  let fd: number;
  try {
    fd = openDirNoFollow(record.hostFolder);
  } catch (err) {
    const code = errnoCode(err);
    return { why: code === 'ENOTDIR' ? `${record.folder}: a part of its path is now a symbolic link or not a folder: not followed` : `${record.folder}: ${code ?? String(err)}` };
  }
  const problem = sameFile(fstatBig(fd), top);
  if (problem) {
    closeQuietly(fd);
    return { why: `${record.folder} is not the folder that was quarantined: ${problem}` };
  }
  return { fd };
}

/** Looks at one entry below the open folder: its stat, or why it cannot be seen. */
function look(topfd: number, e: QuarantinedEntry): { st: BigIntStats } | { code: string } {
  let fd: number | null = null;
  try {
    fd = openBelow(topfd, relParts(e.relHex));
    return { st: fstatBig(fd) };
  } catch (err) {
    return { code: errorReason(err) };
  } finally {
    closeQuietly(fd);
  }
}

/** What restore will do, entry by entry, as things are now. Read-only. */
export async function planRestoreQuarantine(ctx: ActionContext, record: QuarantineRecord, options: RestoreOptions = {}): Promise<ActionPlan<RestoreData>> {
  const items: RestoreItem[] = [];
  try {
    checkRecord(record);
  } catch (err) {
    return refusedPlan('restore', String(record?.folder), (err as Error).message, { record, items });
  }
  const guard = protectedReason(record.folder);
  if (guard && !ctx.force) return refusedPlan('restore', record.folder, `${guard}: refused (--force overrides)`, { record, items });
  const top = openTop(record);
  if ('why' in top) return refusedPlan('restore', record.folder, `${top.why}: nothing is changed`, { record, items });
  const blocked = new Set<string>();
  try {
    for (const e of restoreOrder(record.entries.filter((x) => x.changed))) {
      const seen = look(top.fd, e);
      let action: RestoreItem['action'];
      let modeNow: number | null = null;
      if ('code' in seen) {
        // An owner without root cannot search a folder quarantine left 0200 until it is restored.
        const parent = parentHex(e.relHex);
        const under = (seen.code === 'EACCES' && !ctx.host.isRoot) || blocked.has(parent);
        action = under ? 'pending' : seen.code === 'ENOTDIR' || seen.code === 'ELOOP' ? 'replaced' : 'gone';
        if (under && e.type === 'dir') blocked.add(e.relHex);
      } else {
        modeNow = Number(seen.st.mode) & 0o7777;
        if (sameFile(seen.st, e)) action = 'replaced';
        else if (modeNow === e.modeAfter) action = 'restore';
        else if (modeNow === e.modeBefore) action = 'already';
        else action = options.force ? 'force' : 'changed';
      }
      const modeNew = restoredMode(e.modeBefore, modeNow ?? e.modeAfter);
      items.push({ rel: e.rel, relHex: e.relHex, type: e.type, ino: e.ino, dev: e.dev, modeNow, modeBefore: e.modeBefore, modeAfter: e.modeAfter, modeNew, action });
    }
  } finally {
    closeQuietly(top.fd);
  }
  const changes = items
    .filter((i) => i.action === 'restore' || i.action === 'force' || i.action === 'pending')
    .map((i) => ({
      op: 'chmod',
      target: display(record.folder, i.rel),
      detail: i.action === 'pending' ? `${octal(i.modeAfter)} → ${octal(i.modeNew)} (checked once its folder is restored)` : `${octal(i.modeNow!)} → ${octal(i.modeNew)}${i.action === 'force' ? ' (--force: changed since the quarantine)' : ''}`,
    }));
  const warnings: string[] = [];
  const why: Record<string, string> = {
    changed: 'its mode changed since the quarantine: left alone (--force restores it)',
    replaced: 'replaced by another file since the quarantine: left alone',
    gone: 'gone since the quarantine',
    already: 'already has its original mode',
  };
  const notes = items.filter((i) => i.action in why);
  for (const i of notes.slice(0, 20)) warnings.push(`${display(record.folder, i.rel)}: ${why[i.action]}${i.modeNow !== null && i.action === 'changed' ? ` (now ${octal(i.modeNow)}, quarantine set ${octal(i.modeAfter)})` : ''}`);
  if (notes.length > 20) warnings.push(`…and ${notes.length - 20} more.`);
  warnings.push('Restoring makes the files readable and runnable again: do it once they are no longer needed as evidence in place, or are known harmless.');
  return {
    action: 'restore',
    summary: `${record.folder} (${changes.length} of ${items.length} entries to restore)`,
    changes,
    warnings,
    refused: null,
    data: { record, items },
  };
}

/**
 * Applies exactly the planned changes (the list the responder saw): the folder opened again and
 * checked, then each entry, folders first top-down, reached through descriptors, checked to be
 * the same inode with the mode the plan saw (any mode with force), and chmod-ed on its
 * descriptor. Appends `action-undone`.
 */
export async function restoreQuarantine(ctx: ActionContext, plan: ActionPlan<RestoreData>, options: RestoreOptions = {}): Promise<ActionResult> {
  if (plan.refused) return refuseApply(ctx, plan, plan.refused);
  const { record, items } = plan.data;
  const top = openTop(record);
  if ('why' in top) return refuseApply(ctx, plan, `${top.why} (since the plan): nothing was changed`);
  const byRel = new Map(record.entries.map((e) => [e.relHex, e]));
  const applied: ActionResult['applied'] = [];
  let restored = 0;
  try {
    for (const i of items.filter((x) => x.action === 'restore' || x.action === 'force' || x.action === 'pending')) {
      const e = byRel.get(i.relHex)!;
      const target = display(record.folder, i.rel);
      let fd: number | null = null;
      try {
        fd = openBelow(top.fd, relParts(e.relHex));
        const st = fstatBig(fd);
        const problem = sameFile(st, e);
        if (problem) {
          applied.push({ target, ok: false, detail: `${problem}: left alone` });
          continue;
        }
        const mode = Number(st.mode) & 0o7777;
        const expected = i.action === 'pending' ? e.modeAfter : i.modeNow;
        if (mode === e.modeBefore) {
          applied.push({ target, ok: true, detail: `already ${octal(mode)}` });
          continue;
        }
        if (!options.force && mode !== expected) {
          applied.push({ target, ok: false, detail: `mode changed since the plan (${octal(expected ?? e.modeAfter)} then, ${octal(mode)} now): left alone` });
          continue;
        }
        const newMode = restoredMode(e.modeBefore, mode);
        chmodFd(fd, newMode);
        restored++;
        applied.push({ target, ok: true, detail: `chmod ${octal(mode)} → ${octal(Number(fstatBig(fd).mode) & 0o7777)}` });
      } catch (err) {
        const code = errnoCode(err);
        const detail = code === 'ENOENT' ? 'gone' : code === 'ENOTDIR' || code === 'ELOOP' ? 'a part of its path was replaced by a symbolic link or a file: not followed' : `cannot chmod: ${code ?? String(err)}`;
        applied.push({ target, ok: false, detail: `${detail}: left alone` });
      } finally {
        closeQuietly(fd);
      }
    }
  } finally {
    closeQuietly(top.fd);
  }
  // Entries the plan already showed as left alone (changed, replaced, gone) count as not done too.
  for (const i of items.filter((x) => x.action === 'changed' || x.action === 'replaced' || x.action === 'gone')) {
    applied.push({ target: display(record.folder, i.rel), ok: false, detail: `${i.action === 'changed' ? 'its mode changed since the quarantine (--force restores it)' : i.action === 'replaced' ? 'replaced by another file since the quarantine' : 'gone since the quarantine'}: left alone` });
  }
  const failed = applied.filter((a) => !a.ok);
  ctx.custody('action-undone', {
    action: 'quarantine',
    record: record.record,
    folder: record.folder,
    force: options.force === true,
    restored,
    leftAlone: failed.slice(0, 100).map((a) => ({ path: a.target, detail: a.detail })),
    leftAloneCount: failed.length,
  });
  return {
    ok: failed.length === 0,
    message: `restored ${restored} of ${applied.length} entr${applied.length === 1 ? 'y' : 'ies'} of ${record.folder}${failed.length ? `; ${failed.length} left alone` : ''}`,
    undoRecord: record.record,
    applied,
  };
}

/** The undo of quarantine, as `ir-triage restore` runs it: after any disable of the same case. */
export const quarantineUndo = defineUndo<QuarantineRecord, RestoreData>({
  action: 'quarantine',
  rank: 1,
  check: checkRecord,
  where: (record) => record.folder,
  plan: (ctx, record, options) => planRestoreQuarantine(ctx, record, { force: options.force }),
  apply: (ctx, plan, options) => restoreQuarantine(ctx, plan, { force: options.force }),
});
