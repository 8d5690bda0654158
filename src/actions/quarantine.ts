import { createHash } from 'node:crypto';
import { chmodSync, closeSync, constants, fchmodSync, fstatSync, lstatSync, openSync, promises as fsp, readdirSync, readlinkSync, type BigIntStats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { nextRecordPath, octal, RECORD_VERSION, refusedPlan, refuseApply, writeRecord, type UndoRecordBase } from './common.js';
import { liveProc, readAll, readExe, untouchablePids } from './proc-tree.js';
import { protectedReason } from './protected-paths.js';
import type { ActionContext, ActionPlan, ActionResult, PlannedChange } from './types.js';

/** Read and execute for user, group and other: what quarantine takes away (`chmod a-rx`). */
export const RX_BITS = 0o555;

export type EntryType = 'dir' | 'file' | 'symlink' | 'other';

/** One thing inside the folder (or the folder itself), as lstat saw it at plan time. */
export interface QuarantineEntry {
  /** Path relative to the folder, '' for the folder itself; names that are not UTF-8 show U+FFFD here. */
  rel: string;
  /** The exact bytes of rel, hex: file names are bytes, and an attacker's need not be UTF-8. */
  relHex: string;
  type: EntryType;
  /** Device and inode (decimal strings: 64-bit inode numbers do not fit a JSON number). */
  dev: string;
  ino: string;
  /** Birth time in ns (statx), '0' where the filesystem keeps none: with the inode, tells a file from a new one that reuses its inode number. */
  btime: string;
  /** Change time in ns: the identity check where there is no birth time. */
  ctime: string;
  /** Permission bits before (mode & 07777). */
  mode: number;
  /** Permission bits quarantine sets: mode & ~0555; equal to mode for an entry left alone. */
  newMode: number;
  nlink: number;
  size: number;
  uid: number;
  gid: number;
  mtime: string;
  /** 0 for the folder, 1 for what it holds directly, … */
  depth: number;
  /** Why it is left alone (a symlink, a device, another filesystem, hard links outside), or null. */
  skip: string | null;
}

export interface QuarantineData {
  /** The target as given. */
  target: string;
  /** Its real path inside the root (links and .. resolved). */
  folder: string;
  /** The same folder on this machine's filesystem (differs from folder only with a movable root). */
  hostFolder: string;
  entries: QuarantineEntry[];
}

/** An entry as quarantine left it: the undo record keeps every original mode. */
export interface QuarantinedEntry {
  rel: string;
  relHex: string;
  type: EntryType;
  dev: string;
  ino: string;
  /** Birth time in ns ('0': unknown), checked by restore with the inode. */
  btime: string;
  /** Change and modification times in ns before the chmod, for the timeline (records from older versions lack them). */
  ctime?: string;
  mtime?: string;
  modeBefore: number;
  /** The mode after apply (what restore expects to find); equal to modeBefore when unchanged. */
  modeAfter: number;
  /** Quarantine changed it: restore puts modeBefore back. */
  changed: boolean;
  /** "chmod 0755 → 0200", "left alone: …", "refused: …". */
  outcome: string;
  /** The copy in the case, for regular files. */
  copy?: { path: string; sha256: string; size: number; truncated: boolean } | null;
}

export interface QuarantineRecord extends UndoRecordBase {
  action: 'quarantine';
  target: string;
  folder: string;
  hostFolder: string;
  /** Where the copies are (files/quarantine/<n>/). */
  copies: string;
  /** Per-file cap used for the copies; copies cut at it say truncated. */
  maxFileBytes: number;
  entries: QuarantinedEntry[];
}

const TYPE_NAMES: Record<EntryType, string> = { dir: 'folder', file: 'file', symlink: 'symbolic link', other: 'special file' };

/** The bytes of a path below the folder, for the fs calls: names are kept exactly as the kernel gave them. */
function hostBytes(hostFolder: string, relHex: string): Buffer {
  if (relHex === '') return Buffer.from(hostFolder);
  return Buffer.concat([Buffer.from(hostFolder === '/' ? '' : hostFolder), Buffer.from('/'), Buffer.from(relHex, 'hex')]);
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** A name's bytes as text: UTF-8 when it is, else every byte above 0x7f shown as \xNN (never a lossy U+FFFD). */
export function displayName(bytes: Buffer): string {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return [...bytes].map((b) => (b < 0x80 ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
  }
}

function display(folder: string, rel: string): string {
  return rel === '' ? folder : path.posix.join(folder, rel);
}

function entryType(st: BigIntStats): EntryType {
  if (st.isDirectory()) return 'dir';
  if (st.isFile()) return 'file';
  if (st.isSymbolicLink()) return 'symlink';
  return 'other';
}

/**
 * A path inside the bundle for an attacker-named file: plain names are kept; a component with
 * other bytes (newlines, backslashes, non-UTF-8) is made safe and tagged with a hash of its bytes,
 * so SHA256SUMS stays readable by `sha256sum -c` and two names never collide.
 */
export function bundleRel(relHex: string): string {
  const bytes = Buffer.from(relHex, 'hex');
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== 0x2f) continue;
    const comp = bytes.subarray(start, i);
    start = i + 1;
    const text = comp.toString('utf8');
    const plain = Buffer.from(text, 'utf8').equals(comp) && /^[A-Za-z0-9._@+=,~ -]{1,200}$/.test(text) && text !== '.' && text !== '..' && !/^ | $/.test(text);
    parts.push(plain ? text : `${text.replace(/[^A-Za-z0-9._@+=,~-]/g, '_').slice(0, 100)}~${createHash('sha256').update(comp).digest('hex').slice(0, 12)}`);
  }
  return parts.join('/');
}

/** The real path of the target inside the root, and on this machine. */
async function resolveTarget(ctx: ActionContext, target: string): Promise<{ folder: string; hostFolder: string }> {
  if (ctx.host.fs.isHostRoot) {
    const real = await fsp.realpath(path.resolve(target));
    return { folder: real, hostFolder: real };
  }
  const hostFolder = await ctx.host.fs.resolve(target);
  return { folder: `/${path.relative(ctx.host.fs.root, hostFolder)}`, hostFolder };
}

/** lstat every entry below the folder, never following a link and never leaving its filesystem. */
function walk(hostFolder: string): QuarantineEntry[] {
  const top = lstatSync(hostFolder, { bigint: true });
  const entries: QuarantineEntry[] = [];
  const stack: Array<{ relHex: string; depth: number; st: BigIntStats }> = [{ relHex: '', depth: 0, st: top }];
  while (stack.length > 0) {
    const { relHex, depth, st } = stack.pop()!;
    const type = entryType(st);
    const mode = Number(st.mode) & 0o7777;
    let skip: string | null = null;
    if (st.dev !== top.dev) skip = 'on another filesystem (a mount point): left alone and not entered';
    else if (type === 'symlink') skip = 'a symbolic link: left alone, and so is what it points to';
    else if (type === 'other') skip = 'a device, fifo or socket: left alone';
    entries.push({
      rel: displayName(Buffer.from(relHex, 'hex')),
      relHex,
      type,
      dev: String(st.dev),
      ino: String(st.ino),
      btime: String(st.birthtimeNs),
      ctime: String(st.ctimeNs),
      mode,
      newMode: skip ? mode : mode & ~RX_BITS,
      nlink: Number(st.nlink),
      size: Number(st.size),
      uid: Number(st.uid),
      gid: Number(st.gid),
      mtime: new Date(Number(st.mtimeMs)).toISOString(),
      depth,
      skip,
    });
    if (type !== 'dir' || skip) continue;
    const dirBytes = hostBytes(hostFolder, relHex);
    const names = (readdirSync(dirBytes, { encoding: 'buffer' }) as Buffer[]).sort(Buffer.compare).reverse();
    for (const name of names) {
      const childHex = relHex === '' ? name.toString('hex') : `${relHex}2f${name.toString('hex')}`;
      let cst: BigIntStats;
      try {
        cst = lstatSync(hostBytes(hostFolder, childHex), { bigint: true });
      } catch {
        continue; // removed while we walked
      }
      stack.push({ relHex: childHex, depth: depth + 1, st: cst });
    }
  }
  return entries;
}

/** Processes running from the folder (executable or working folder inside it): chmod does not touch them. */
function processesInside(ctx: ActionContext, folder: string): string[] {
  const proc = liveProc(ctx);
  if (!proc) return [];
  const ours = untouchablePids(proc, ctx.host.selfPid);
  const inside = (p: string | null) => p !== null && (p === folder || p.startsWith(`${folder}/`));
  const out: string[] = [];
  for (const e of readAll(proc)) {
    if (ours.has(e.pid) || e.kernelThread) continue;
    let cwd: string | null = null;
    try {
      cwd = readlinkSync(proc.path(e.pid, 'cwd'));
    } catch {
      cwd = null;
    }
    const { exe } = readExe(proc, e.pid);
    if (inside(exe) || inside(cwd)) out.push(`pid ${e.pid} (${e.comm})`);
  }
  return out;
}

/** Apply's order: files first, then folders deepest first and the folder itself last, so a non-root owner never loses search permission on a folder before reaching what is inside it. */
function applyOrder(entries: QuarantineEntry[]): QuarantineEntry[] {
  const files = entries.filter((e) => e.type !== 'dir');
  const dirs = entries.filter((e) => e.type === 'dir').sort((a, b) => b.depth - a.depth);
  return [...files, ...dirs];
}

/**
 * Plans `chmod a-rx` of a folder and everything in it: walks it with lstat (a symlink is never
 * followed: it and its target stay untouched), lists each change mode → mode & ~0555. Refuses a
 * protected system folder unless ctx.force. Read-only.
 */
export async function planQuarantine(ctx: ActionContext, target: string): Promise<ActionPlan<QuarantineData>> {
  const empty: QuarantineData = { target, folder: target, hostFolder: target, entries: [] };
  let resolved: { folder: string; hostFolder: string };
  try {
    resolved = await resolveTarget(ctx, target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return refusedPlan('quarantine', target, code === 'ENOENT' ? `${target}: no such folder` : `${target}: ${code ?? String(err)}`, empty);
  }
  const { folder, hostFolder } = resolved;
  const data: QuarantineData = { target, folder, hostFolder, entries: [] };
  const st = await fsp.lstat(hostFolder);
  if (!st.isDirectory()) return refusedPlan('quarantine', folder, `${folder} is not a folder (quarantine takes the folder that holds the files)`, data);
  const warnings: string[] = [];
  const reason = protectedReason(folder);
  if (reason) {
    if (!ctx.force) return refusedPlan('quarantine', folder, `${reason}: refused (--force overrides, at your own risk)`, data);
    warnings.push(`${reason}: going ahead only because of --force.`);
  }
  const entries = walk(hostFolder);
  // A hard link shares its mode with every other name of the file: names outside the folder would change too.
  const seen = new Map<string, number>();
  for (const e of entries) if (e.type === 'file' && !e.skip) seen.set(`${e.dev}:${e.ino}`, (seen.get(`${e.dev}:${e.ino}`) ?? 0) + 1);
  for (const e of entries) {
    if (e.type !== 'file' || e.skip || e.nlink <= 1) continue;
    const outside = e.nlink - (seen.get(`${e.dev}:${e.ino}`) ?? 0);
    if (outside > 0 && !ctx.force) {
      e.skip = `has ${outside} hard link(s) outside the folder that share its mode: left alone (--force changes it anyway)`;
      e.newMode = e.mode;
    }
  }
  data.entries = entries;

  const changing = entries.filter((e) => !e.skip);
  const files = changing.filter((e) => e.type === 'file');
  const bytes = files.reduce((n, e) => n + e.size, 0);
  const changes: PlannedChange[] = [
    { op: 'copy', target: folder, detail: `${files.length} file(s), ${bytes} bytes → files/quarantine/ in the case, each hashed (sha256) and cut at ${ctx.maxFileBytes} bytes` },
    ...applyOrder(changing).map((e) => ({ op: 'chmod', target: display(folder, e.rel), detail: `${octal(e.mode)} → ${octal(e.newMode)}` })),
  ];
  const skipped = entries.filter((e) => e.skip);
  for (const e of skipped.slice(0, 20)) warnings.push(`${display(folder, e.rel)}: ${e.skip}`);
  if (skipped.length > 20) warnings.push(`…and ${skipped.length - 20} more entries left alone.`);
  const running = processesInside(ctx, folder);
  warnings.push(
    running.length > 0
      ? `Running processes are not stopped by chmod: ${running.slice(0, 10).join(', ')}${running.length > 10 ? ` and ${running.length - 10} more` : ''} run from this folder: freeze or kill them (a kill preserves the executable first).`
      : 'Running processes are not stopped by chmod (none runs from this folder now): freeze or kill any that do.',
    'root is not stopped: it reads and searches regardless of modes, can still run a file with any x bit left (none is), and can chmod everything back.',
    'Interpreters need only read: `sh file`, `perl file`, `python3 file` run a script without its x bit. Read is removed too, but root still reads.',
    'The dynamic loader runs an ELF without its x bit (`/lib64/ld-linux-x86-64.so.2 ./file`); it needs read, which root keeps.',
    'Copies elsewhere and hard links outside the folder are not affected; the owner (or root) can undo it. Moving the folder to a root-only place, or a noexec mount, contains more.',
  );
  return {
    action: 'quarantine',
    summary: `${folder} (${changing.length} entr${changing.length === 1 ? 'y' : 'ies'} to chmod, ${skipped.length} left alone)`,
    changes,
    warnings,
    refused: null,
    data,
  };
}

const NOATIME = constants.O_NOATIME ?? 0;
const COPY_CONCURRENCY = 8;

/**
 * Opens an entry without following a final symlink, and without blocking on a fifo. An lstat first
 * makes sure it is still the planned inode and type, so a device node swapped in is never opened.
 */
function openEntry(bytes: Buffer, want: Identity): number {
  const st = lstatSync(bytes, { bigint: true });
  if (st.isSymbolicLink()) throw Object.assign(new Error('symbolic link'), { code: 'ELOOP' });
  if (String(st.dev) !== want.dev || String(st.ino) !== want.ino || entryType(st) !== want.type) throw Object.assign(new Error('replaced'), { code: 'EREPLACED' });
  return openSync(bytes, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | (want.type === 'dir' ? constants.O_DIRECTORY : 0));
}

/** What identifies an entry: device and inode, and the birth time (or, without one, the change time). */
interface Identity {
  type: EntryType;
  dev: string;
  ino: string;
  btime?: string;
  ctime?: string;
}

type ChmodOutcome = { ok: true; modeNow: number } | { ok: false; why: string };

/**
 * chmod one entry through a descriptor opened with O_NOFOLLOW, after checking (fstat on that very
 * descriptor) that it is still the inode the plan saw with the mode expected: a file swapped for a
 * symlink or another file between plan and apply is never touched. Without root, an owner cannot
 * open a file it may not read: then the path is lstat-checked and chmod-ed directly.
 */
function chmodChecked(bytes: Buffer, want: Identity, expectMode: number | null, newMode: number, isRoot: boolean): ChmodOutcome {
  let fd: number;
  try {
    fd = openEntry(bytes, want);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return { ok: false, why: 'replaced by a symbolic link: not followed' };
    if (code === 'EREPLACED') return { ok: false, why: 'replaced by another file since it was seen (inode changed): left alone' };
    if (code === 'ENOENT') return { ok: false, why: 'gone' };
    if (code === 'ENOTDIR') return { ok: false, why: 'no longer a folder' };
    if (code === 'EACCES' && !isRoot) return chmodByPath(bytes, want, expectMode, newMode);
    return { ok: false, why: `cannot open: ${code ?? String(err)}` };
  }
  try {
    const st = fstatSync(fd, { bigint: true });
    const problem = mismatch(st, want, expectMode);
    if (problem) return { ok: false, why: problem };
    fchmodSync(fd, newMode);
    return { ok: true, modeNow: Number(fstatSync(fd, { bigint: true }).mode) & 0o7777 };
  } catch (err) {
    return { ok: false, why: `chmod failed: ${(err as NodeJS.ErrnoException).code ?? String(err)}` };
  } finally {
    closeSync(fd);
  }
}

function chmodByPath(bytes: Buffer, want: Identity, expectMode: number | null, newMode: number): ChmodOutcome {
  try {
    const st = lstatSync(bytes, { bigint: true });
    if (st.isSymbolicLink()) return { ok: false, why: 'replaced by a symbolic link: not followed' };
    const problem = mismatch(st, want, expectMode);
    if (problem) return { ok: false, why: problem };
    // chmod follows a final link; lstat just said there is none. Only the owner could race this, on its own files.
    chmodSync(bytes, newMode);
    return { ok: true, modeNow: Number(lstatSync(bytes, { bigint: true }).mode) & 0o7777 };
  } catch (err) {
    return { ok: false, why: `cannot open or chmod: ${(err as NodeJS.ErrnoException).code ?? String(err)}` };
  }
}

function mismatch(st: BigIntStats, want: Identity, expectMode: number | null): string | null {
  if (String(st.dev) !== want.dev || String(st.ino) !== want.ino) return 'replaced by another file since it was seen (inode changed): left alone';
  // A deleted file's inode number is soon reused: the birth time tells the new file from the old.
  const btime = String(st.birthtimeNs);
  if (want.btime && want.btime !== '0' && btime !== '0') {
    if (btime !== want.btime) return 'replaced by another file since it was seen (same inode number, new file): left alone';
  } else if (want.ctime && String(st.ctimeNs) !== want.ctime) return 'changed since it was seen (its change time moved; no birth time here to tell more): left alone';
  if (entryType(st) !== want.type) return `no longer a ${TYPE_NAMES[want.type]}: left alone`;
  const mode = Number(st.mode) & 0o7777;
  if (expectMode !== null && mode !== expectMode) return `mode changed since it was seen (${octal(expectMode)} then, ${octal(mode)} now): left alone`;
  return null;
}

/**
 * Quarantines the planned folder: first copies and hashes every regular file into the case
 * (files/quarantine/<n>/…), then chmods files, then folders deepest first, each through an
 * O_NOFOLLOW descriptor after re-checking its inode and mode. Writes the undo record.
 */
export async function applyQuarantine(ctx: ActionContext, plan: ActionPlan<QuarantineData>): Promise<ActionResult> {
  if (plan.refused) return refuseApply(ctx, plan, plan.refused);
  const { folder, hostFolder, entries } = plan.data;
  // The folder itself: still the one the plan resolved?
  let real: string;
  try {
    real = (await resolveTarget(ctx, plan.data.target)).hostFolder;
  } catch (err) {
    return refuseApply(ctx, plan, `${folder}: ${(err as NodeJS.ErrnoException).code ?? String(err)} since the plan`);
  }
  const top = entries.find((e) => e.relHex === '');
  if (real !== hostFolder || !top) return refuseApply(ctx, plan, `${plan.data.target} now resolves to ${real}, not ${hostFolder} as planned`);
  const topSt = lstatSync(hostFolder, { bigint: true });
  if (String(topSt.ino) !== top.ino || String(topSt.dev) !== top.dev) return refuseApply(ctx, plan, `${folder} was replaced since the plan`);

  const rel = nextRecordPath(ctx.sink, 'quarantine');
  const n = /-(\d+)\.json$/.exec(rel)![1];
  const copies = `files/quarantine/${n}`;
  const done = new Map<string, QuarantinedEntry>();
  const skipped = (e: QuarantineEntry, outcome: string): QuarantinedEntry => ({
    rel: e.rel, relHex: e.relHex, type: e.type, dev: e.dev, ino: e.ino, btime: e.btime, ctime: e.ctime, mtime: e.mtime, modeBefore: e.mode, modeAfter: e.mode, changed: false, outcome,
  });

  // Preserve before you change: every regular file, or nothing is changed.
  for (const e of entries) if (e.skip) done.set(e.relHex, skipped(e, `left alone: ${e.skip}`));
  const toCopy = entries.filter((e) => !e.skip && e.type === 'file');
  let copyFailure: string | null = null;
  const copyOne = async (e: QuarantineEntry): Promise<void> => {
    let fh: FileHandle | null = null;
    try {
      const bytes = hostBytes(hostFolder, e.relHex);
      const pre = mismatch(lstatSync(bytes, { bigint: true }), e, e.mode);
      if (pre) {
        done.set(e.relHex, skipped(e, `refused: ${pre}`));
        return;
      }
      const flags = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
      fh = await fsp.open(bytes, flags | NOATIME).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EPERM' || !NOATIME) throw err;
        return fsp.open(bytes, flags);
      });
      const problem = mismatch(await fh.stat({ bigint: true }), e, e.mode);
      if (problem) {
        done.set(e.relHex, skipped(e, `refused: ${problem}`));
        return;
      }
      const copy = await ctx.sink.copyIn(`${copies}/${bundleRel(e.relHex)}`, fh.createReadStream({ autoClose: false }), ctx.maxFileBytes);
      done.set(e.relHex, { ...skipped(e, 'copied'), copy: { path: copy.path, sha256: copy.sha256, size: copy.size, truncated: copy.truncated } });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ELOOP') done.set(e.relHex, skipped(e, 'refused: replaced by a symbolic link: not followed'));
      else if (code === 'ENOENT') done.set(e.relHex, skipped(e, 'refused: gone since the plan'));
      else copyFailure ??= `could not copy ${display(folder, e.rel)} into the case (${code ?? (err as Error).message}): nothing was changed`;
    } finally {
      await fh?.close().catch(() => {});
    }
  };
  // A few copies in flight: thousands of small files go several times faster than one by one.
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(COPY_CONCURRENCY, toCopy.length) }, async () => {
      while (next < toCopy.length && copyFailure === null) await copyOne(toCopy[next++]);
    }),
  );
  if (copyFailure) return refuseApply(ctx, plan, copyFailure);

  // Hard links inside the folder: one inode, several names; it is changed once, through the first.
  const byInode = new Map<string, QuarantinedEntry>();
  for (const e of applyOrder(entries.filter((x) => !x.skip))) {
    const prior = done.get(e.relHex);
    if (prior && prior.outcome.startsWith('refused')) continue;
    const base = prior ?? skipped(e, '');
    const first = byInode.get(`${e.dev}:${e.ino}`);
    if (first) {
      done.set(e.relHex, { ...base, modeAfter: first.modeAfter, changed: first.changed, outcome: `${first.outcome} (a hard link of ${first.rel})` });
      continue;
    }
    const r = chmodChecked(hostBytes(hostFolder, e.relHex), e, e.mode, e.newMode, ctx.host.isRoot);
    done.set(
      e.relHex,
      r.ok
        ? { ...base, modeAfter: r.modeNow, changed: true, outcome: `chmod ${octal(e.mode)} → ${octal(r.modeNow)}` }
        : { ...base, outcome: `refused: ${r.why}` },
    );
    byInode.set(`${e.dev}:${e.ino}`, done.get(e.relHex)!);
  }

  const recorded = entries.map((e) => done.get(e.relHex)!);
  const record: QuarantineRecord = {
    action: 'quarantine',
    version: RECORD_VERSION,
    appliedAt: ctx.host.now().toISOString(),
    record: rel,
    summary: plan.summary,
    target: plan.data.target,
    folder,
    hostFolder,
    copies,
    maxFileBytes: ctx.maxFileBytes,
    entries: recorded,
  };
  await writeRecord(ctx.sink, rel, record);
  const changed = recorded.filter((e) => e.changed).length;
  const refused = recorded.filter((e) => e.outcome.startsWith('refused'));
  const copied = recorded.filter((e) => e.copy);
  ctx.custody('action-applied', {
    action: 'quarantine',
    summary: plan.summary,
    folder,
    record: rel,
    changed,
    leftAlone: recorded.filter((e) => e.outcome.startsWith('left alone')).length,
    refused: refused.slice(0, 100).map((e) => ({ rel: e.rel, outcome: e.outcome })),
    copies: { folder: copies, files: copied.length, truncated: copied.filter((e) => e.copy!.truncated).length },
  });
  return {
    ok: refused.length === 0,
    message: `quarantined ${folder}: ${changed} entr${changed === 1 ? 'y' : 'ies'} chmod-ed, ${copied.length} file(s) copied into ${copies}${refused.length ? `, ${refused.length} refused (changed since the plan)` : ''}`,
    undoRecord: rel,
    applied: recorded.filter((e) => e.changed || e.outcome.startsWith('refused')).map((e) => ({ target: display(folder, e.rel), ok: e.changed, detail: e.outcome })),
  };
}

// The undo (plan, checks and apply) lives in restore-quarantine.ts: it trusts nothing the record says.
