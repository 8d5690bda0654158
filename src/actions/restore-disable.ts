/**
 * The undo of a disable. A record is data from a file someone hands over: only a change disable
 * can have made is undone (a comment marker taken off the recorded line, execute bits given back,
 * enablement links put back in a .wants/.requires folder), each file reached through its folder's
 * descriptor, never following a link, and only while it is the file the disable left.
 */
import { constants } from 'node:fs';
import path from 'node:path';
import { closeSync, fchmodSync, fchownSync, fstatSync, fsyncSync, lstatSync, openSync, readlinkSync, readSync as readSyncFd, renameSync, symlinkSync, unlinkSync, writeSync } from 'node:fs';
import { atPath, chmodFd, checkName, closeQuietly, components, fstatBig, mkdirAt, openDirNoFollow, openPathAt } from '../host/fd-path.js';
import { octal, RECORD_VERSION, refusedPlan, refuseApply, shellQuote } from './common.js';
import { defineUndo, type ActionContext, type ActionPlan, type ActionResult, type PlannedChange } from './types.js';
import { type FileState, type UnitLink, type DisableRecord, isUnitName, isUnitDir, lineRange, withPrefix, sha, explain, runSystemctl } from './disable-record.js';
import { errnoCode } from '../host/errors.js';

export interface UndoDisableOptions {
  /** Put the original back even when the file changed since the disable (the later changes are lost, and kept in the undo case). */
  force?: boolean;
  /**
   * The file as an earlier undo of the same batch will leave it: two lines disabled in one file
   * are undone last first, and a dry run plans the second against the first's result.
   */
  assume?: Buffer;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

function checkState(s: unknown, what: string): void {
  const x = s as Partial<FileState> | null;
  if (!x || typeof x !== 'object' || typeof x.sha256 !== 'string' || !SHA256_HEX.test(x.sha256) || typeof x.dev !== 'string' || !/^\d+$/.test(x.dev) || typeof x.ino !== 'string' || !/^\d+$/.test(x.ino)) throw new Error(`disable record with a malformed ${what}`);
  if (!Number.isInteger(x.mode) || x.mode! < 0 || x.mode! > 0o7777 || !Number.isInteger(x.uid) || !Number.isInteger(x.gid) || !Number.isInteger(x.size)) throw new Error(`disable record with a malformed ${what}`);
}

function plainAbsolute(p: unknown): boolean {
  if (typeof p !== 'string' || !path.isAbsolute(p)) return false;
  try {
    return components(p).length > 0;
  } catch {
    return false;
  }
}

/**
 * A disable record as undo accepts it: a plain path (no ., .., empty parts), the file's states
 * complete, and only a change disable can have made: a `#` or `: #` put before one line, execute
 * bits taken away, or enablement links removed from a .wants/.requires folder of a unit folder,
 * each naming the unit it enables (systemd's grammar) and pointing at a unit file in a unit folder.
 */
export function checkDisableRecord(record: unknown): DisableRecord {
  const r = record as Partial<DisableRecord> | null;
  if (!r || typeof r !== 'object' || r.action !== 'disable') throw new Error('not a disable record');
  if (r.version !== RECORD_VERSION) throw new Error(`disable record version ${String(r.version)}: this ir-triage reads version ${RECORD_VERSION}`);
  if (!['comment-line', 'chmod-x', 'unit'].includes(String(r.method))) throw new Error(`disable record with an unknown method ${String(r.method)}`);
  if (!plainAbsolute(r.hostPath) || !plainAbsolute(r.path) || !r.before || typeof r.before.sha256 !== 'string') throw new Error('disable record without a file');
  // With a movable root, the file on this machine is the root followed by the path inside it.
  if (r.hostPath !== r.path && !r.hostPath!.endsWith(r.path!)) throw new Error('disable record whose file on this machine is not the file it names');
  if (typeof r.outcome !== 'string' || typeof r.record !== 'string' || typeof r.summary !== 'string') throw new Error('disable record without its outcome');
  if (r.method !== 'unit' || r.after) checkState(r.before, 'file state');
  if (r.after) checkState(r.after, 'file state');
  if (r.method === 'comment-line') {
    if (!Number.isInteger(r.line) || r.line! < 1 || typeof r.lineBefore !== 'string' || typeof r.lineAfter !== 'string') throw new Error('disable record without its line');
    // Undo only takes off what disable put on: a comment marker, before exactly the recorded line.
    if (r.prefix !== undefined && r.prefix !== null && r.prefix !== '#' && r.prefix !== ': #') throw new Error('disable record with a prefix disable cannot have written');
    if (r.lineAfter !== `${r.prefix ?? '#'}${r.lineBefore}`) throw new Error('disable record whose line after is not its line before commented out');
  }
  // Disable only ever takes execute bits away, so its undo may only give them back.
  if (r.method === 'chmod-x') {
    const b = r.modeBefore;
    const a = r.modeAfter;
    if (!Number.isInteger(b) || !Number.isInteger(a) || b! < 0 || b! > 0o7777 || (a! & ~b!) !== 0 || ((b! ^ a!) & ~0o111) !== 0) throw new Error('disable record with a mode change disable cannot have made');
  }
  if (r.method === 'unit') {
    if (!Array.isArray(r.units) || typeof r.systemctl !== 'boolean') throw new Error('disable record without its units');
    for (const u of r.units) {
      if (!u || !isUnitName(u.name)) throw new Error(`disable record with a unit name systemd would not accept: ${JSON.stringify(u?.name)}`);
      if (!Array.isArray(u.links) || !Array.isArray(u.removed)) throw new Error('disable record with malformed links');
      for (const l of u.links) {
        if (!l || typeof l.link !== 'string' || typeof l.hostLink !== 'string' || typeof l.target !== 'string') throw new Error('disable record with malformed links');
        const wants = path.posix.dirname(l.link);
        if (!plainAbsolute(l.link) || !plainAbsolute(l.hostLink) || !l.hostLink.endsWith(l.link) || !/\.(?:wants|requires|upholds)$/.test(wants) || !isUnitDir(path.posix.dirname(wants))) {
          throw new Error('disable record with a link outside a .wants/.requires folder of a unit folder');
        }
        const name = path.posix.basename(l.link);
        const template = u.name.includes('@.') && name.startsWith(u.name.slice(0, u.name.indexOf('@') + 1)) && name.endsWith(u.name.slice(u.name.indexOf('@.') + 1));
        if (!isUnitName(name) || (name !== u.name && !template)) throw new Error(`disable record with a link that does not enable ${u.name}`);
        if (!plainAbsolute(l.target) || !isUnitDir(path.posix.dirname(l.target)) || !isUnitName(path.posix.basename(l.target)) || /[\n\r]/.test(l.target)) throw new Error('disable record with a link target that is not a unit file in a unit folder');
      }
      for (const removed of u.removed) if (!u.links.some((l) => l.link === removed)) throw new Error('disable record that removed a link it does not describe');
    }
  }
  return r as DisableRecord;
}

export interface UndoDisableData {
  record: DisableRecord;
  /** The bytes to write back (comment-line), rebuilt from the file as it is now. */
  content: Buffer | null;
  current: FileState | null;
}

/** The folder holding a file, opened from / without following any link, and the file's name in it. */
function openParentOf(hostPath: string): { dirfd: number; name: Buffer } {
  const parts = components(hostPath);
  const name = parts[parts.length - 1];
  const dirfd = openDirNoFollow(Buffer.concat([Buffer.from('/'), Buffer.from(parts.slice(0, -1).map((p) => p.toString('latin1')).join('/'), 'latin1')]));
  return { dirfd, name };
}

/** Reads a file named inside an open folder, never following a link, only a regular file. */
function readStateAt(dirfd: number, name: Buffer): { data: Buffer; state: FileState } {
  const fd = openSync(atPath(dirfd, name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd, { bigint: true });
    if (!st.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTREG' });
    const chunks: Buffer[] = [];
    const buf = Buffer.alloc(1 << 16);
    for (let n: number; (n = readSyncAll(fd, buf)) > 0; ) chunks.push(Buffer.from(buf.subarray(0, n)));
    const data = Buffer.concat(chunks);
    return { data, state: { sha256: sha(data), size: data.length, dev: String(st.dev), ino: String(st.ino), mode: Number(st.mode) & 0o7777, uid: Number(st.uid), gid: Number(st.gid) } };
  } finally {
    closeSync(fd);
  }
}

function writeAllSync(fd: number, data: Buffer): void {
  for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off);
}

function readSyncAll(fd: number, buf: Buffer): number {
  return readSyncFd(fd, buf, 0, buf.length, null);
}

/** The state of the file the record names, read through its folder's descriptor. */
function readRecorded(hostPath: string): { data: Buffer; state: FileState } {
  const { dirfd, name } = openParentOf(hostPath);
  try {
    return readStateAt(dirfd, name);
  } finally {
    closeSync(dirfd);
  }
}

function explainOpen(err: unknown): string {
  const code = errnoCode(err);
  if (code === 'ENOTDIR' || code === 'ELOOP') return 'a part of its path is a symbolic link (or not a folder) now: not followed';
  if (code === 'ENOENT') return 'no such file';
  if (code === 'ENOTREG') return 'not a regular file';
  return code ?? String(err);
}

/** What undo will do, as things are now. Read-only. */
export async function planUndoDisable(ctx: ActionContext, record: DisableRecord, options: UndoDisableOptions = {}): Promise<ActionPlan<UndoDisableData>> {
  const r = record;
  const data: UndoDisableData = { record: r, content: null, current: null };
  const refuse = (why: string) => refusedPlan('restore', String(r?.path), why, data);
  try {
    checkDisableRecord(r);
  } catch (err) {
    return refuse((err as Error).message);
  }
  if (r.outcome.startsWith('failed')) return refuse(`the disable of ${r.path} did not change anything (${r.outcome}): nothing to undo`);
  const changes: PlannedChange[] = [];
  const warnings: string[] = [];
  if (r.method === 'unit') {
    for (const u of r.units) for (const l of u.links.filter((x) => u.removed.includes(x.link))) changes.push({ op: 'symlink', target: l.link, detail: `→ ${l.target}` });
    if (r.systemctl) {
      const start = r.units.filter((u) => u.wasActive).map((u) => u.name);
      changes.push({ op: 'systemctl', target: 'daemon-reload', detail: 'systemctl daemon-reload' });
      if (start.length) changes.push({ op: 'systemctl', target: start.join(' '), detail: shellQuote(['systemctl', 'start', '--', ...start]) });
    }
    return { action: 'restore', summary: `re-enable ${r.units.map((u) => u.name).join(', ')}`, changes, warnings, refused: null, data };
  }
  let now: { data: Buffer; state: FileState };
  try {
    now = readRecorded(r.hostPath);
    if (options.assume) now = { data: options.assume, state: { ...now.state, sha256: sha(options.assume), size: options.assume.length } };
  } catch (err) {
    return refuse(`${r.path}: ${explainOpen(err)}`);
  }
  data.current = now.state;
  if (r.method === 'chmod-x') {
    if (now.state.ino !== r.before.ino || now.state.dev !== r.before.dev) return refuse(`${r.path} was replaced since the disable (inode changed): left alone`);
    if (now.state.mode === r.modeBefore) return refuse(`${r.path} already has its original mode ${octal(r.modeBefore!)}`);
    if (now.state.mode !== r.modeAfter && !options.force) return refuse(`${r.path} mode changed since the disable (${octal(r.modeAfter!)} then, ${octal(now.state.mode)} now): left alone (--force restores it)`);
    const mode = r.modeBefore! & (now.state.mode | 0o111);
    changes.push({ op: 'chmod', target: r.path, detail: `${octal(now.state.mode)} → ${octal(mode)}` });
    return { action: 'restore', summary: `chmod ${octal(mode)} ${r.path}`, changes, warnings, refused: null, data };
  }
  if (now.state.sha256 === r.before.sha256) return refuse(`${r.path} already holds its original content`);
  // The content, not the inode: each undo of a line of the same file writes a new file (rename).
  if (r.after && now.state.sha256 !== r.after.sha256) {
    if (!options.force) return refuse(`${r.path} changed since the disable (sha256 ${r.after.sha256.slice(0, 12)}… then, ${now.state.sha256.slice(0, 12)}… now): left alone so that the later change is not lost (--force puts line ${r.line} back anyway)`);
    warnings.push(`${r.path} changed since the disable: --force puts line ${r.line} back into the file as it is now.`);
  }
  const range = lineRange(now.data, r.line!);
  const content = range && now.data.subarray(range.start, range.end).toString('utf8') === r.lineAfter ? withPrefix(now.data, r.line!, r.prefix ?? '#', true) : null;
  if (!content) return refuse(`${r.path} line ${r.line} is no longer the commented-out line: edit it by hand (the original is in the disable case)`);
  if (!options.force && sha(content) !== r.before.sha256) return refuse(`${r.path}: putting line ${r.line} back would not give the original bytes: left alone`);
  data.content = content;
  changes.push({ op: 'uncomment', target: `${r.path}:${r.line}`, detail: `${JSON.stringify(r.lineAfter)} → ${JSON.stringify(r.lineBefore)}` });
  return { action: 'restore', summary: `put back ${r.path} line ${r.line}`, changes, warnings, refused: null, data };
}

/**
 * Writes content under a new name in the open folder (O_CREAT | O_EXCL | O_NOFOLLOW), owner and
 * mode of the file now but never a bit the original lacked, then renames it over the name, after
 * checking the name still holds the very file (inode and content) the plan read.
 */
function replaceAt(dirfd: number, name: Buffer, content: Buffer, now: FileState, original: FileState): void {
  const tmp = Buffer.concat([Buffer.from('.'), name.subarray(0, 200), Buffer.from(`.ir-triage-${process.pid}`)]);
  checkName(tmp);
  const fd = openSync(atPath(dirfd, tmp), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    try {
      fchownSync(fd, now.uid, now.gid);
    } catch (err) {
      if (errnoCode(err) !== 'EPERM') throw err;
    }
    fchmodSync(fd, now.mode & original.mode);
    writeAllSync(fd, content);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(atPath(dirfd, tmp));
    throw err;
  }
  closeSync(fd);
  try {
    const again = readStateAt(dirfd, name);
    if (again.state.sha256 !== now.sha256 || again.state.ino !== now.ino || again.state.dev !== now.dev) throw Object.assign(new Error('changed while the undo ran: left alone'), { code: 'ECHANGED' });
    renameSync(atPath(dirfd, tmp), atPath(dirfd, name));
  } catch (err) {
    try {
      unlinkSync(atPath(dirfd, tmp));
    } catch {
      // renamed, or gone
    }
    throw err;
  }
}

/**
 * Recreates one enablement link exactly as recorded, inside the .wants/.requires folder it was
 * removed from: the unit folder is opened from / without following links; only the .wants folder
 * itself may be made again (systemctl removes an empty one); the link is read back after.
 */
function relinkAt(l: UnitLink): { ok: boolean; detail: string } {
  const wants = path.posix.dirname(l.hostLink);
  const unitDir = path.posix.dirname(wants);
  const wantsName = Buffer.from(path.posix.basename(wants));
  const name = Buffer.from(path.posix.basename(l.hostLink));
  let unitfd: number | null = null;
  let dirfd: number | null = null;
  try {
    unitfd = openDirNoFollow(unitDir);
    const ust = fstatBig(unitfd);
    try {
      dirfd = openPathAt(unitfd, wantsName, true);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
      mkdirAt(unitfd, wantsName, 0o755);
      dirfd = openPathAt(unitfd, wantsName, true);
    }
    const dst = fstatBig(dirfd);
    // A folder someone else may write in could have the name swapped under us: refused.
    if (dst.uid !== ust.uid || (Number(dst.mode) & 0o022) !== 0) return { ok: false, detail: `${wants} belongs to another user or is writable by others: left alone` };
    const there = lstatOrNull(atPath(dirfd, name));
    if (there) {
      const same = there.isSymbolicLink() && readlinkSync(atPath(dirfd, name), 'utf8') === l.target;
      return { ok: same, detail: same ? 'already there' : 'something else is there now: left alone' };
    }
    symlinkSync(l.target, atPath(dirfd, name));
    const made = lstatOrNull(atPath(dirfd, name));
    if (!made?.isSymbolicLink() || readlinkSync(atPath(dirfd, name), 'utf8') !== l.target) return { ok: false, detail: 'the link read back is not the one recorded' };
    return { ok: true, detail: `link to ${l.target} recreated` };
  } catch (err) {
    return { ok: false, detail: explainOpen(err) };
  } finally {
    closeQuietly(dirfd);
    closeQuietly(unitfd);
  }
}

function lstatOrNull(p: Buffer): ReturnType<typeof lstatSync> | null {
  try {
    return lstatSync(p);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw err;
  }
}

/** Undoes a disable as planned: the line back, the mode back, or the links recreated (and the units started again when systemctl stopped them). */
export async function undoDisable(ctx: ActionContext, plan: ActionPlan<UndoDisableData>): Promise<ActionResult> {
  if (plan.refused) return refuseApply(ctx, plan, plan.refused);
  const { record: r, content, current } = plan.data;
  try {
    checkDisableRecord(r);
  } catch (err) {
    return refuseApply(ctx, plan, (err as Error).message);
  }
  const applied: ActionResult['applied'] = [];
  let dirfd: number | null = null;
  try {
    if (r.method === 'comment-line' || r.method === 'chmod-x') {
      const parent = openParentOf(r.hostPath);
      dirfd = parent.dirfd;
      const now = readStateAt(dirfd, parent.name);
      if (!current || now.state.sha256 !== current.sha256 || now.state.ino !== current.ino || now.state.dev !== current.dev) return refuseApply(ctx, plan, `${r.path} changed since the undo was planned: left alone`);
      if (r.method === 'comment-line') {
        replaceAt(dirfd, parent.name, content!, now.state, r.before);
        applied.push({ target: `${r.path}:${r.line}`, ok: true, detail: `${JSON.stringify(r.lineAfter)} → ${JSON.stringify(r.lineBefore)}` });
      } else {
        const fd = openPathAt(dirfd, parent.name);
        try {
          const st = fstatBig(fd);
          if (!st.isFile() || String(st.ino) !== r.before.ino || String(st.dev) !== r.before.dev) return refuseApply(ctx, plan, `${r.path} was replaced since the undo was planned`);
          const mode = r.modeBefore! & ((Number(st.mode) & 0o7777) | 0o111);
          chmodFd(fd, mode);
          applied.push({ target: r.path, ok: true, detail: `chmod → ${octal(mode)}` });
        } finally {
          closeSync(fd);
        }
      }
    } else {
      for (const u of r.units) {
        for (const l of u.links.filter((x) => u.removed.includes(x.link))) applied.push({ target: l.link, ...relinkAt(l) });
      }
      if (r.systemctl) {
        const reload = await runSystemctl(ctx, ['daemon-reload']);
        applied.push({ target: 'daemon-reload', ok: reload.ok, detail: reload.ok ? 'done' : reload.text.slice(0, 300) });
        const start = r.units.filter((u) => u.wasActive).map((u) => u.name);
        if (start.length) {
          const s = await runSystemctl(ctx, ['start', '--', ...start]);
          applied.push({ target: start.join(' '), ok: s.ok, detail: s.ok ? 'started again' : s.text.slice(0, 300) });
        }
      }
    }
  } catch (err) {
    const code = errnoCode(err);
    applied.push({ target: r.path, ok: false, detail: code === 'ECHANGED' ? (err as Error).message : code === 'ENOTDIR' || code === 'ELOOP' ? explainOpen(err) : explain(err) });
  } finally {
    closeQuietly(dirfd);
  }
  const ok = applied.length > 0 && applied.every((a) => a.ok);
  ctx.custody('action-undone', { action: 'disable', record: r.record, path: r.path, method: r.method, line: r.line, ok, applied: applied.slice(0, 50) });
  return { ok, message: ok ? `undone: ${plan.summary}` : `undo of ${r.summary} not fully done`, undoRecord: r.record, applied };
}

/**
 * The undo of disable, as `ir-triage restore` runs it: first in a batch, the last applied first,
 * each planned against the file as the undo before it leaves it (two lines of one file).
 */
export const disableUndo = defineUndo<DisableRecord, UndoDisableData>({
  action: 'disable',
  rank: 0,
  check: checkDisableRecord,
  where: (record) => record.path,
  file: (record) => record.hostPath,
  plan: (ctx, record, options) => planUndoDisable(ctx, record, { force: options.force, assume: options.assume }),
  leaves: (plan) => plan.data.content,
  apply: (ctx, plan) => undoDisable(ctx, plan),
});
