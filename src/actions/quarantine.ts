import { createHash } from 'node:crypto';
import { chmodSync, closeSync, constants, fchmodSync, fstatSync, lstatSync, openSync, promises as fsp, readlinkSync, type BigIntStats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { KnownFacts } from '../model/facts.js';
import { errnoCode, errorReason } from '../host/errors.js';
import { nextRecordPath, recordHead, octal, refusedPlan, refuseApply, writeRecord, type UndoRecordBase } from './common.js';
import { liveProc, readAll, readExe, untouchablePids } from './proc-tree.js';
import { atPath, chmodFd, closeQuietly, fstatBig, mountId, openDirFromRoot, openPathAt, readdirFd } from '../host/fd-path.js';
import { protectedIdentity, protectedReason, protectedSet } from './protected-paths.js';
import { quarantineUndo } from './restore-quarantine.js';
import { defineAction, type ActionContext, type ActionPlan, type ActionResult, type ActionTarget, type PlannedChange } from './types.js';

/** Read and execute for user, group and other: what quarantine takes away (`chmod a-rx`). */
export const RX_BITS = 0o555;

export type EntryType = 'dir' | 'file' | 'symlink' | 'other';

/** Which entry of the folder, and which file it was: what the plan saw and the undo record keeps. */
interface EntryIdentity {
  /** Path relative to the folder, '' for the folder itself; names that are not UTF-8 show U+FFFD here. */
  rel: string;
  /** The exact bytes of rel, hex: file names are bytes, and an attacker's need not be UTF-8. */
  relHex: string;
  type: EntryType;
  /** Device and inode (decimal strings: 64-bit inode numbers do not fit a JSON number). */
  dev: string;
  ino: string;
  /** Birth time in ns (statx), '0' where the filesystem keeps none (restore then checks the inode alone): with the inode, tells a file from a new one that reuses its inode number. */
  btime: string;
}

/** One thing inside the folder (or the folder itself), as lstat saw it at plan time. */
export interface QuarantineEntry extends EntryIdentity {
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
  /** What the quarantine will not cover: beyond the depth bound, unreadable, gone, over the copy caps. */
  notCovered: NotCovered[];
  limits: QuarantineLimits;
}

/** Something inside the folder that the quarantine does not cover, and why. */
export interface NotCovered {
  rel: string;
  relHex: string;
  kind: 'too-deep' | 'unreadable' | 'vanished' | 'copy-cut' | 'copy-over-total' | 'not-reached';
  why: string;
}

/** An entry as quarantine left it: the undo record keeps every original mode. */
export interface QuarantinedEntry extends EntryIdentity {
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
  /** null: not copied (the total cap was reached). `cut` says which cap cut a truncated copy (absent in older records). */
  copy?: { path: string; sha256: string; size: number; truncated: boolean; cut?: 'file' | 'total' } | null;
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
  /** Total cap of all copies, and the depth bound of the walk (absent in older records). */
  maxTotalBytes?: number;
  maxDepth?: number;
  entries: QuarantinedEntry[];
  /** Everything not covered: beyond the depth bound, unreadable, gone, copies cut or left out by the caps (absent in older records). */
  notCovered?: NotCovered[];
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

/** Limits of a quarantine: how deep it walks, and how much it copies (per file and in all). */
export interface QuarantineLimits {
  maxFileBytes: number;
  maxTotalBytes: number;
  maxDepth: number;
}

/** The default total of all copies of one quarantine. */
export const DEFAULT_MAX_TOTAL_BYTES = 1024 * 1024 * 1024;
/** The default depth bound: folders this deep are chmod-ed but not entered. */
export const DEFAULT_MAX_DEPTH = 256;

export function limitsOf(ctx: ActionContext): QuarantineLimits {
  return { maxFileBytes: ctx.maxFileBytes, maxTotalBytes: ctx.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES, maxDepth: ctx.maxDepth ?? DEFAULT_MAX_DEPTH };
}

/** Bundle paths longer than this (a tree deeper than PATH_MAX) are stored flat, named by a hash of the path. */
const MAX_BUNDLE_REL = 200;

/** Where a file's copy goes in the case: its own path when short, else deep/<hash>~<name>. */
function copyRel(copies: string, relHex: string): string {
  const rel = bundleRel(relHex);
  if (Buffer.byteLength(rel) <= MAX_BUNDLE_REL) return `${copies}/${rel}`;
  const base = rel.slice(rel.lastIndexOf('/') + 1).slice(0, 60);
  return `${copies}/deep/${createHash('sha256').update(Buffer.from(relHex, 'hex')).digest('hex').slice(0, 24)}~${base}`;
}

/** The name of an entry (its last component) and its parent's relHex. */
function splitRel(relHex: string): { parentHex: string; name: Buffer } {
  const bytes = Buffer.from(relHex, 'hex');
  const slash = bytes.lastIndexOf(0x2f);
  return slash < 0 ? { parentHex: '', name: bytes } : { parentHex: bytes.subarray(0, slash).toString('hex'), name: bytes.subarray(slash + 1) };
}

function childHex(relHex: string, name: Buffer): string {
  return relHex === '' ? name.toString('hex') : `${relHex}2f${name.toString('hex')}`;
}

function entryOf(relHex: string, depth: number, st: BigIntStats, skip: string | null): QuarantineEntry {
  const type = entryType(st);
  const mode = Number(st.mode) & 0o7777;
  return {
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
  };
}

const MOUNT_SKIP = 'on another filesystem (a mount point): left alone and not entered';
const BIND_SKIP = 'a mount point (a bind mount of another folder): left alone and not entered';

/**
 * Walks the folder through directory descriptors (see src/host/fd-path.ts): every entry is opened O_PATH |
 * O_NOFOLLOW inside the folder descriptor that holds it, and examined with fstat on that
 * descriptor, so no rename or swap for a link, at any moment, leads outside. Mounts are not
 * entered (another device, or the same device under another mount id: a bind mount); folders at
 * the depth bound are not entered; anything that could not be read is named.
 */
function walkFd(topFd: number, maxDepth: number): { entries: QuarantineEntry[]; notCovered: NotCovered[] } {
  const top = fstatBig(topFd);
  const topMount = mountId(topFd);
  const entries: QuarantineEntry[] = [entryOf('', 0, top, null)];
  const notCovered: NotCovered[] = [];
  const visit = (dirFd: number, relHex: string, depth: number): void => {
    let names: Buffer[];
    try {
      names = readdirFd(dirFd).sort(Buffer.compare);
    } catch (err) {
      notCovered.push({ rel: displayName(Buffer.from(relHex, 'hex')), relHex, kind: 'unreadable', why: `its folder could not be listed (${errnoCode(err)}): what it holds is not copied nor chmod-ed` });
      return;
    }
    for (const name of names) {
      const rel = childHex(relHex, name);
      let fd: number;
      try {
        fd = openPathAt(dirFd, name);
      } catch (err) {
        const code = errnoCode(err);
        notCovered.push({ rel: displayName(Buffer.from(rel, 'hex')), relHex: rel, kind: code === 'ENOENT' ? 'vanished' : 'unreadable', why: code === 'ENOENT' ? 'gone while the folder was read' : `could not be opened (${code})` });
        continue;
      }
      try {
        const st = fstatBig(fd);
        const type = entryType(st);
        let skip: string | null = null;
        if (st.dev !== top.dev) skip = MOUNT_SKIP;
        else if (type === 'symlink') skip = 'a symbolic link: left alone, and so is what it points to';
        else if (type === 'other') skip = 'a device, fifo or socket: left alone';
        else if (mountId(fd) !== topMount) skip = BIND_SKIP;
        const e = entryOf(rel, depth + 1, st, skip);
        entries.push(e);
        if (type !== 'dir' || skip) continue;
        if (depth + 1 >= maxDepth) {
          notCovered.push({ rel: e.rel, relHex: rel, kind: 'too-deep', why: `at the depth bound (${maxDepth} levels): the folder is chmod-ed but not entered; what it holds is not copied nor chmod-ed` });
          continue;
        }
        // The descriptor just checked is the folder: its names are looked up through it.
        visit(fd, rel, depth + 1);
      } finally {
        closeQuietly(fd);
      }
    }
  };
  visit(topFd, '', 0);
  return { entries, notCovered };
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

/** Apply's order (for the plan's list): files first, then folders deepest first and the folder itself last, so a non-root owner never loses search permission on a folder before reaching what is inside it. */
function applyOrder(entries: QuarantineEntry[]): QuarantineEntry[] {
  const files = entries.filter((e) => e.type !== 'dir');
  const dirs = entries.filter((e) => e.type === 'dir').sort((a, b) => b.depth - a.depth);
  return [...files, ...dirs];
}

/** The system roots whose protected folders count: this machine's, and the image's for a movable root. */
function protectionRoots(ctx: ActionContext): string[] {
  return ctx.host.fs.isHostRoot ? ['/'] : ['/', ctx.host.fs.root];
}

/** Whether the folder a descriptor holds is a mount point: its own device, or its own mount (a bind mount), apart from its parent's. */
function isMountPoint(fd: number, parentFd: number): boolean {
  return fstatBig(fd).dev !== fstatBig(parentFd).dev || mountId(fd) !== mountId(parentFd);
}

/** What the copies will not hold, as the files are now: cut at the per-file cap, or beyond the total cap. */
function plannedCopyGaps(entries: QuarantineEntry[], limits: QuarantineLimits): NotCovered[] {
  const out: NotCovered[] = [];
  let left = limits.maxTotalBytes;
  for (const e of entries) {
    if (e.skip || e.type !== 'file') continue;
    const cap = Math.min(limits.maxFileBytes, left);
    if (cap <= 0) out.push({ rel: e.rel, relHex: e.relHex, kind: 'copy-over-total', why: `not copied: the copies reach the total cap (--max-total-bytes ${limits.maxTotalBytes}); still chmod-ed` });
    else if (e.size > cap) out.push({ rel: e.rel, relHex: e.relHex, kind: 'copy-cut', why: cap === limits.maxFileBytes ? `copy cut at ${cap} of ${e.size} bytes (--max-file-bytes); still chmod-ed` : `copy cut at ${cap} of ${e.size} bytes (the total cap, --max-total-bytes ${limits.maxTotalBytes}); still chmod-ed` });
    left -= Math.min(e.size, cap);
  }
  return out;
}

/**
 * Plans `chmod a-rx` of a folder and everything in it: opens it one component at a time from /
 * without following links, walks it through directory descriptors (a symlink is never followed:
 * it and its target stay untouched), lists each change mode → mode & ~0555 and everything it will
 * not cover. Refuses, unless ctx.force, a protected system folder by name, the same folder by
 * device and inode (a bind mount of /etc), a mount point, and a folder that holds a protected one.
 * Read-only.
 */
export async function planQuarantine(ctx: ActionContext, target: string): Promise<ActionPlan<QuarantineData>> {
  const limits = limitsOf(ctx);
  const empty: QuarantineData = { target, folder: target, hostFolder: target, entries: [], notCovered: [], limits };
  let resolved: { folder: string; hostFolder: string };
  try {
    resolved = await resolveTarget(ctx, target);
  } catch (err) {
    const code = errnoCode(err);
    return refusedPlan('quarantine', target, code === 'ENOENT' ? `${target}: no such folder` : `${target}: ${code ?? String(err)}`, empty);
  }
  const { folder, hostFolder } = resolved;
  const data: QuarantineData = { target, folder, hostFolder, entries: [], notCovered: [], limits };
  const st = await fsp.lstat(hostFolder);
  if (!st.isDirectory()) return refusedPlan('quarantine', folder, `${folder} is not a folder (quarantine takes the folder that holds the files)`, data);
  const warnings: string[] = [];
  const guard = (reason: string | null): ActionPlan<QuarantineData> | null => {
    if (!reason) return null;
    if (!ctx.force) return refusedPlan('quarantine', folder, `${reason}: refused (--force overrides, at your own risk)`, data);
    warnings.push(`${reason}: going ahead only because of --force.`);
    return null;
  };
  const byName = guard(protectedReason(folder));
  if (byName) return byName;

  let opened: { fd: number; parentFd: number };
  try {
    opened = openDirFromRoot(hostFolder);
  } catch (err) {
    return refusedPlan('quarantine', folder, `${folder} could not be opened one folder at a time without following links (${errnoCode(err)}): refused`, data);
  }
  try {
    const set = protectedSet(protectionRoots(ctx));
    const id = protectedIdentity(set, fstatBig(opened.fd));
    const refused =
      guard(id && `${folder} is, by device and inode, a protected folder (${id})`) ??
      guard(isMountPoint(opened.fd, opened.parentFd) ? `${folder} is a mount point (its own filesystem, or a bind mount of another folder)` : null);
    if (refused) return refused;
    const walked = walkFd(opened.fd, limits.maxDepth);
    const holds = walked.entries.find((e) => e.type === 'dir' && e.depth > 0 && protectedIdentity(set, { dev: BigInt(e.dev), ino: BigInt(e.ino) }));
    const inside = guard(holds ? `${folder} holds ${display(folder, holds.rel)}, which is by device and inode a protected folder (${protectedIdentity(set, { dev: BigInt(holds.dev), ino: BigInt(holds.ino) })})` : null);
    if (inside) return inside;
    data.entries = walked.entries;
    data.notCovered = walked.notCovered;
  } finally {
    closeQuietly(opened.fd);
    closeQuietly(opened.parentFd);
  }
  const entries = data.entries;
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
  data.notCovered.push(...plannedCopyGaps(entries, limits));

  const changing = entries.filter((e) => !e.skip);
  const files = changing.filter((e) => e.type === 'file');
  const bytes = files.reduce((n, e) => n + e.size, 0);
  const changes: PlannedChange[] = [
    { op: 'copy', target: folder, detail: `${files.length} file(s), ${bytes} bytes → files/quarantine/ in the case, each hashed (sha256) and cut at ${limits.maxFileBytes} bytes, ${limits.maxTotalBytes} bytes in all` },
    ...applyOrder(changing).map((e) => ({ op: 'chmod', target: display(folder, e.rel), detail: `${octal(e.mode)} → ${octal(e.newMode)}` })),
  ];
  const skipped = entries.filter((e) => e.skip);
  const gaps = [...data.notCovered.map((n) => `${display(folder, n.rel)}: ${n.why}`), ...skipped.map((e) => `${display(folder, e.rel)}: ${e.skip}`)];
  if (gaps.length > 0) warnings.push(`Not covered: ${gaps.length} (${coverageCounts(data.notCovered, skipped.length)}), each named in the undo record and by --dry-run --json:`);
  for (const g of gaps.slice(0, 20)) warnings.push(g);
  if (gaps.length > 20) warnings.push(`…and ${gaps.length - 20} more not covered.`);
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
    summary: `${folder} (${changing.length} entr${changing.length === 1 ? 'y' : 'ies'} to chmod, ${skipped.length} left alone${data.notCovered.length ? `, ${data.notCovered.length} not covered` : ''})`,
    changes,
    warnings,
    refused: null,
    data,
  };
}

/** "2 too deep, 1 copy cut, 3 left alone": what the gaps are, by kind. */
function coverageCounts(notCovered: NotCovered[], leftAlone: number): string {
  const n = new Map<string, number>();
  for (const g of notCovered) n.set(g.kind, (n.get(g.kind) ?? 0) + 1);
  const words: Record<NotCovered['kind'], string> = { 'too-deep': 'beyond the depth bound', unreadable: 'unreadable', vanished: 'gone while read', 'copy-cut': 'copy cut', 'copy-over-total': 'not copied (total cap)', 'not-reached': 'not reached' };
  const parts = [...n].map(([k, c]) => `${c} ${words[k as NotCovered['kind']]}`);
  if (leftAlone) parts.push(`${leftAlone} left alone`);
  return parts.join(', ');
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
    const code = errnoCode(err);
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
    return { ok: false, why: `chmod failed: ${errorReason(err)}` };
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
    return { ok: false, why: `cannot open or chmod: ${errorReason(err)}` };
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

/** The plan's entries as a tree, by parent: what apply walks, name by name, through descriptors. */
function childrenByParent(entries: QuarantineEntry[]): Map<string, QuarantineEntry[]> {
  const out = new Map<string, QuarantineEntry[]>();
  for (const e of entries) {
    if (e.relHex === '') continue;
    const { parentHex } = splitRel(e.relHex);
    let list = out.get(parentHex);
    if (!list) out.set(parentHex, (list = []));
    list.push(e);
  }
  return out;
}

/** Every planned entry below relHex (for a folder found replaced: none of it is reached). */
function below(entries: QuarantineEntry[], relHex: string): QuarantineEntry[] {
  const prefix = `${relHex}2f`;
  return entries.filter((e) => (relHex === '' ? e.relHex !== '' : e.relHex.startsWith(prefix) && e.relHex.length % 2 === 0));
}

/**
 * Quarantines the planned folder: opens it again one component at a time from / (O_NOFOLLOW),
 * then, through directory descriptors only, first copies and hashes every regular file into the
 * case (files/quarantine/<n>/…; per-file and total caps), then chmods files and folders (a
 * folder after what it holds, the folder itself last), each through its own O_PATH descriptor
 * after fstat shows it is still the planned inode with the planned mode. Writes the undo record;
 * when that fails (a full disk) every change is put back.
 */
export async function applyQuarantine(ctx: ActionContext, plan: ActionPlan<QuarantineData>): Promise<ActionResult> {
  if (plan.refused) return refuseApply(ctx, plan, plan.refused);
  const { folder, hostFolder, entries } = plan.data;
  const limits = plan.data.limits ?? limitsOf(ctx);
  const planned = plan.data.notCovered ?? [];
  // The folder itself: still the one the plan resolved?
  let real: string;
  try {
    real = (await resolveTarget(ctx, plan.data.target)).hostFolder;
  } catch (err) {
    return refuseApply(ctx, plan, `${folder}: ${errorReason(err)} since the plan`);
  }
  const top = entries.find((e) => e.relHex === '');
  if (real !== hostFolder || !top) return refuseApply(ctx, plan, `${plan.data.target} now resolves to ${real}, not ${hostFolder} as planned`);
  let opened: { fd: number; parentFd: number };
  try {
    opened = openDirFromRoot(hostFolder);
  } catch (err) {
    return refuseApply(ctx, plan, `${folder} could not be opened one folder at a time without following links (${errnoCode(err)}) since the plan`);
  }
  const topFd = opened.fd;
  closeQuietly(opened.parentFd);
  try {
    const topProblem = mismatch(fstatBig(topFd), top, null);
    if (topProblem) return refuseApply(ctx, plan, `${folder} was replaced since the plan`);
    return await applyFrom(ctx, plan, topFd, top, limits, planned);
  } finally {
    closeQuietly(topFd);
  }
}

async function applyFrom(ctx: ActionContext, plan: ActionPlan<QuarantineData>, topFd: number, top: QuarantineEntry, limits: QuarantineLimits, planned: NotCovered[]): Promise<ActionResult> {
  const { folder, hostFolder, entries } = plan.data;
  const topMount = mountId(topFd);
  const tree = childrenByParent(entries);
  const rel = nextRecordPath(ctx.sink, 'quarantine');
  const n = /-(\d+)\.json$/.exec(rel)![1];
  const copies = `files/quarantine/${n}`;
  const done = new Map<string, QuarantinedEntry>();
  const skipped = (e: QuarantineEntry, outcome: string): QuarantinedEntry => ({
    rel: e.rel, relHex: e.relHex, type: e.type, dev: e.dev, ino: e.ino, btime: e.btime, ctime: e.ctime, mtime: e.mtime, modeBefore: e.mode, modeAfter: e.mode, changed: false, outcome,
  });
  const refuse = (e: QuarantineEntry, why: string) => done.set(e.relHex, skipped(e, `refused: ${why}`));
  const refused = (e: QuarantineEntry) => done.get(e.relHex)?.outcome.startsWith('refused') === true;

  /** A planned folder below dirFd, opened and checked; its subtree refused when it is not the planned one. */
  const enter = (dirFd: number, e: QuarantineEntry): number | null => {
    let fd: number;
    try {
      fd = openPathAt(dirFd, splitRel(e.relHex).name);
    } catch (err) {
      const code = errnoCode(err);
      const why = code === 'ELOOP' ? 'replaced by a symbolic link: not followed' : code === 'ENOENT' ? 'gone since the plan' : `cannot open: ${code}`;
      refuse(e, why);
      for (const d of below(entries, e.relHex)) if (!d.skip && !refused(d)) refuse(d, `the folder ${e.rel} was ${why}: not entered`);
      return null;
    }
    const st = fstatBig(fd);
    const problem = mismatch(st, e, null) ?? (mountId(fd) !== topMount ? 'a mount point since the plan: not entered' : null);
    if (problem) {
      closeQuietly(fd);
      refuse(e, problem);
      for (const d of below(entries, e.relHex)) if (!d.skip && !refused(d)) refuse(d, `the folder ${e.rel} was ${problem.replace(/: left alone$/, '')}: not entered`);
      return null;
    }
    return fd;
  };

  // Preserve before you change: every regular file (up to the caps), or nothing is changed.
  for (const e of entries) if (e.skip) done.set(e.relHex, skipped(e, `left alone: ${e.skip}`));
  let copyFailure: string | null = null;
  let committed = 0;
  const copyOne = async (dirFd: number, e: QuarantineEntry): Promise<void> => {
    const cap = Math.min(limits.maxFileBytes, limits.maxTotalBytes - committed);
    if (cap <= 0) {
      done.set(e.relHex, { ...skipped(e, `not copied: the copies reached the total cap (--max-total-bytes ${limits.maxTotalBytes})`), copy: null });
      return;
    }
    committed += cap;
    let fh: FileHandle | null = null;
    let size = 0;
    try {
      const at = atPath(dirFd, splitRel(e.relHex).name);
      const flags = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
      fh = await fsp.open(at, flags | NOATIME).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EPERM' || !NOATIME) throw err;
        return fsp.open(at, flags);
      });
      const problem = mismatch(await fh.stat({ bigint: true }), e, e.mode);
      if (problem) {
        refuse(e, problem);
        return;
      }
      const copy = await ctx.sink.copyIn(copyRel(copies, e.relHex), fh.createReadStream({ autoClose: false }), cap);
      size = copy.size;
      const cut = copy.truncated ? (cap < limits.maxFileBytes ? 'total' : 'file') : undefined;
      done.set(e.relHex, { ...skipped(e, 'copied'), copy: { path: copy.path, sha256: copy.sha256, size: copy.size, truncated: copy.truncated, ...(cut ? { cut } : {}) } });
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ELOOP') refuse(e, 'replaced by a symbolic link: not followed');
      else if (code === 'ENOENT') refuse(e, 'gone since the plan');
      else copyFailure ??= `could not copy ${display(folder, e.rel)} into the case (${code === 'ENOSPC' ? 'the disk is full' : code ?? (err as Error).message}): nothing was changed`;
    } finally {
      committed -= cap - size;
      await fh?.close().catch(() => {});
    }
  };
  const copyDir = async (dirFd: number, relHex: string): Promise<void> => {
    const kids = tree.get(relHex) ?? [];
    const files = kids.filter((e) => !e.skip && e.type === 'file');
    // A few copies in flight: thousands of small files go several times faster than one by one.
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(COPY_CONCURRENCY, files.length) }, async () => {
        while (next < files.length && copyFailure === null) await copyOne(dirFd, files[next++]);
      }),
    );
    for (const d of kids.filter((e) => !e.skip && e.type === 'dir')) {
      if (copyFailure !== null) return;
      const fd = enter(dirFd, d);
      if (fd === null) continue;
      try {
        await copyDir(fd, d.relHex);
      } finally {
        closeQuietly(fd);
      }
    }
  };
  await copyDir(topFd, '');
  if (copyFailure) return refuseApply(ctx, plan, copyFailure);

  // chmod through descriptors: what a folder holds first, the folder after, the top last.
  // Hard links inside the folder: one inode, several names; it is changed once, through the first.
  const byInode = new Map<string, QuarantinedEntry>();
  const changedFds: Array<{ e: QuarantinedEntry; rel: string }> = [];
  const chmodEntry = (fd: number, e: QuarantineEntry): void => {
    const base = done.get(e.relHex) ?? skipped(e, '');
    const first = byInode.get(`${e.dev}:${e.ino}`);
    if (first) {
      done.set(e.relHex, { ...base, modeAfter: first.modeAfter, changed: first.changed, outcome: `${first.outcome} (a hard link of ${first.rel})` });
      return;
    }
    const problem = mismatch(fstatBig(fd), e, e.mode);
    let result: QuarantinedEntry;
    if (problem) result = { ...base, outcome: `refused: ${problem}` };
    else {
      try {
        chmodFd(fd, e.newMode);
        const modeNow = Number(fstatBig(fd).mode) & 0o7777;
        result = { ...base, modeAfter: modeNow, changed: true, outcome: `chmod ${octal(e.mode)} → ${octal(modeNow)}` };
        changedFds.push({ e: result, rel: e.relHex });
      } catch (err) {
        result = { ...base, outcome: `refused: chmod failed: ${errnoCode(err)}` };
      }
    }
    done.set(e.relHex, result);
    byInode.set(`${e.dev}:${e.ino}`, result);
  };
  const chmodDir = (dirFd: number, relHex: string): void => {
    for (const e of tree.get(relHex) ?? []) {
      if (e.skip || refused(e)) continue;
      if (e.type === 'dir') {
        const fd = enter(dirFd, e);
        if (fd === null) continue;
        try {
          chmodDir(fd, e.relHex);
          chmodEntry(fd, e);
        } finally {
          closeQuietly(fd);
        }
        continue;
      }
      let fd: number;
      try {
        fd = openPathAt(dirFd, splitRel(e.relHex).name);
      } catch (err) {
        const code = errnoCode(err);
        refuse(e, code === 'ELOOP' ? 'replaced by a symbolic link: not followed' : code === 'ENOENT' ? 'gone since the plan' : `cannot open: ${code}`);
        continue;
      }
      try {
        chmodEntry(fd, e);
      } finally {
        closeQuietly(fd);
      }
    }
  };
  chmodDir(topFd, '');
  chmodEntry(topFd, top);

  const recorded = entries.map((e) => done.get(e.relHex) ?? skipped(e, 'refused: not reached'));
  // What the copies did not hold, as it turned out: cut at a cap, or not copied at all.
  const copyGaps: NotCovered[] = recorded
    .filter((e) => e.type === 'file' && (e.copy === null || e.copy?.truncated))
    .map((e) => ({ rel: e.rel, relHex: e.relHex, kind: e.copy ? 'copy-cut' : 'copy-over-total', why: e.copy ? `copy cut at ${e.copy.size} bytes (${e.copy.cut === 'total' ? `the total cap, --max-total-bytes ${limits.maxTotalBytes}` : `--max-file-bytes ${limits.maxFileBytes}`})` : `not copied: the copies reached the total cap (--max-total-bytes ${limits.maxTotalBytes})` }));
  const notCovered = [...planned.filter((g) => g.kind !== 'copy-cut' && g.kind !== 'copy-over-total'), ...copyGaps];
  const record: QuarantineRecord = {
    ...recordHead(ctx, 'quarantine', rel, plan.summary),
    target: plan.data.target,
    folder,
    hostFolder,
    copies,
    maxFileBytes: limits.maxFileBytes,
    maxTotalBytes: limits.maxTotalBytes,
    maxDepth: limits.maxDepth,
    entries: recorded,
    notCovered,
  };
  try {
    await writeRecord(ctx.sink, rel, record);
  } catch (err) {
    const back = revert(changedFds.map((c) => c.e), topFd);
    return refuseApply(ctx, plan, `could not write the undo record into the case (${errnoCode(err) === 'ENOSPC' ? 'the disk is full' : errnoCode(err)}): ${back === 0 ? 'every change was put back' : `${back} change(s) could not be put back (see the custody log)`}`);
  }
  const changed = recorded.filter((e) => e.changed).length;
  const refusedList = recorded.filter((e) => e.outcome.startsWith('refused'));
  const copied = recorded.filter((e) => e.copy);
  const leftAlone = recorded.filter((e) => e.outcome.startsWith('left alone')).length;
  const gaps = notCovered.filter((g) => g.kind !== 'copy-cut' && g.kind !== 'copy-over-total');
  ctx.custody('action-applied', {
    action: 'quarantine',
    summary: plan.summary,
    folder,
    record: rel,
    changed,
    leftAlone,
    refused: refusedList.slice(0, 100).map((e) => ({ rel: e.rel, outcome: e.outcome })),
    copies: { folder: copies, files: copied.length, truncated: copied.filter((e) => e.copy!.truncated).length, notCopied: recorded.filter((e) => e.copy === null).length, maxFileBytes: limits.maxFileBytes, maxTotalBytes: limits.maxTotalBytes },
    notCovered: { count: notCovered.length, first: notCovered.slice(0, 100).map((g) => ({ rel: g.rel, kind: g.kind, why: g.why })) },
  });
  const tail = [
    refusedList.length ? `${refusedList.length} refused (changed since the plan)` : '',
    gaps.length ? `${gaps.length} not covered (${coverageCounts(gaps, 0)})` : '',
    copyGaps.length ? `${copyGaps.length} cop${copyGaps.length === 1 ? 'y' : 'ies'} cut or left out by the caps` : '',
    leftAlone ? `${leftAlone} left alone (links, special files, mounts, shared hard links)` : '',
  ].filter(Boolean);
  return {
    ok: refusedList.length === 0 && gaps.length === 0,
    message: `quarantined ${folder}: ${changed} entr${changed === 1 ? 'y' : 'ies'} chmod-ed, ${copied.length} file(s) copied into ${copies}${tail.length ? `; ${tail.join(', ')}` : ''}`,
    undoRecord: rel,
    applied: [
      ...recorded.filter((e) => e.changed || e.outcome.startsWith('refused')).map((e) => ({ target: display(folder, e.rel), ok: e.changed, detail: e.outcome })),
      ...gaps.map((g) => ({ target: display(folder, g.rel), ok: false, detail: `not covered: ${g.why}` })),
      ...copyGaps.map((g) => ({ target: display(folder, g.rel), ok: true, detail: g.why })),
    ],
  };
}

/**
 * Puts back the modes apply set (the undo record could not be written): each entry reached again
 * from the folder's descriptor one component at a time, without following links, and changed
 * only while it is the same inode with the mode apply set. Folders first, top-down. Returns how
 * many could not be put back.
 */
function revert(changed: QuarantinedEntry[], topFd: number): number {
  let failed = 0;
  for (const e of restoreOrder(changed)) {
    const parts = e.relHex === '' ? [] : Buffer.from(e.relHex, 'hex').toString('latin1').split('/').map((p) => Buffer.from(p, 'latin1'));
    let fd = topFd;
    try {
      for (const p of parts) {
        const next = openPathAt(fd, p);
        if (fd !== topFd) closeQuietly(fd);
        fd = next;
      }
      if (mismatch(fstatBig(fd), e, e.modeAfter)) failed++;
      else chmodFd(fd, e.modeBefore);
    } catch {
      failed++;
    } finally {
      if (fd !== topFd) closeQuietly(fd);
    }
  }
  return failed;
}

/** Restore's order: folders top-down (a parent's search permission first), then files. */
function restoreOrder<T extends { type: EntryType; relHex: string }>(entries: T[]): T[] {
  const dirs = entries.filter((e) => e.type === 'dir').sort((a, b) => depthOf(a.relHex) - depthOf(b.relHex));
  return [...dirs, ...entries.filter((e) => e.type !== 'dir')];
}

function depthOf(relHex: string): number {
  if (relHex === '') return 0;
  let n = 1;
  const bytes = Buffer.from(relHex, 'hex');
  for (const b of bytes) if (b === 0x2f) n++;
  return n;
}

// The undo (plan, checks and apply) lives in restore-quarantine.ts: it trusts nothing the record says.

/** What quarantine offers: the first folder of each located process, with the processes it holds. */
export function heldFolderTargets(facts: KnownFacts): ActionTarget[] {
  const folders = new Map<string, string[]>();
  for (const o of facts.openFiles ?? []) {
    const first = o.folders[0];
    if (first) folders.set(first, [...(folders.get(first) ?? []), `${o.comm} (pid ${o.pid})`]);
  }
  return [...folders].map(([folder, who]) => ({ value: folder, name: folder, description: `holds ${who.join(', ')}` }));
}

export const quarantineAction = defineAction({
  id: 'quarantine',
  title: 'Quarantine a folder',
  description: 'Copy and hash every file, then chmod a-rx everything inside; undone by restore.',
  nothingFound: 'Nothing to quarantine: no malware folder was found.',
  targets: heldFolderTargets,
  plan: planQuarantine,
  apply: applyQuarantine,
  undo: quarantineUndo,
});
