import { createHash } from 'node:crypto';
import path from 'node:path';
import { describeFsError, type BigIntStats } from '../../host/rooted-fs.js';
import { ENTRY_NUMS, OP, TreeWalk, type WalkBatch, type WalkPlace } from '../../host/tree-walk.js';
import { errorCode } from '../../host/errors.js';
import type { ChangedFile, SetuidFile } from '../../model/activity.js';
import type { TimelineEvent } from '../../model/sink.js';
import { sourceError, sourceOk, sourceSkipped, type SourceStatus } from '../../model/source.js';
import { Canonicalizer } from '../integrity/files.js';
import { packageOwners } from '../integrity/package-owners.js';
import { readHomes } from '../persistence/files.js';
import { defineCollector, type CollectContext } from '../types.js';
import { bodyfileLineAt } from './bodyfile.js';

/** all: any of mtime, ctime, birth in the window; ctime: the system binary folders (a replaced binary keeps its mtime, not its ctime); setuid: only set-id files are looked for. */
type AreaKind = 'all' | 'ctime' | 'setuid';

/** The places intruders use, in the order they are walked (the caps bite the last ones first). */
const AREAS: Array<{ dir: string; kind: AreaKind }> = [
  // The small tmpfs places first: a /tmp of many thousand files must not use up the caps before /dev/shm is seen.
  ...['/dev/shm', '/run/shm', '/var/tmp', '/var/lock', '/run/lock', '/run/user', '/tmp'].map((dir) => ({ dir, kind: 'all' as const })),
  { dir: '/root', kind: 'all' },
  // homes from /etc/passwd come here
  ...['/etc', '/usr/local', '/opt', '/var/spool/cron', '/etc/systemd/system', '/usr/lib/systemd/system', '/lib/systemd/system'].map((dir) => ({ dir, kind: 'all' as const })),
  ...['/bin', '/sbin', '/usr/bin', '/usr/sbin', '/lib'].map((dir) => ({ dir, kind: 'ctime' as const })),
  ...['/usr/lib', '/usr/libexec', '/usr/lib64', '/lib64'].map((dir) => ({ dir, kind: 'setuid' as const })),
];

/** Folders any user can write to (as process.exe-in-writable-dir names them). */
const WRITABLE = ['/tmp', '/var/tmp', '/dev/shm', '/run/shm', '/var/lock', '/run/lock'];

export interface SweepLimits {
  /** Entries looked at (lstat) in all. */
  maxEntries: number;
  /** Folder depth below each place. */
  maxDepth: number;
  /** Wall-clock budget of the walk. */
  maxMs: number;
  /** Changed files recorded (the rest counted). */
  maxRecords: number;
}

export const DEFAULT_SWEEP_LIMITS: SweepLimits = { maxEntries: 1_000_000, maxDepth: 32, maxMs: 30_000, maxRecords: 50_000 };
/** Executables larger than this are not hashed (recorded as null). */
const MAX_HASH_BYTES = 256 * 1024 * 1024;

/** Times this close to the window's start (ms) are judged on the exact, nanosecond stat: the first look's millisecond floats are exact to well under one. */
const EDGE_MS = 1;
/** Bytes read of an executable candidate at once (its magic, and the whole of most scripts). */
const READ_BYTES = 64 * 1024;

function ms(ns: bigint): number {
  return Number(ns / 1000000n);
}

const WRITABLE_PREFIXES = WRITABLE.map((d) => [d, `${d}/`] as const);

function writableDir(inside: string): string | null {
  for (const [d, prefix] of WRITABLE_PREFIXES) if (inside === d || inside.startsWith(prefix)) return d;
  return null;
}

/** The first folder on the path (not the file itself) that looks hidden: a dot-name, or a name of dots and spaces. */
function hiddenDir(inside: string): string | null {
  return inside.split('/').slice(1, -1).find((c) => c.startsWith('.') || /^\s|\s$/.test(c)) ?? null;
}

function typeOf(st: BigIntStats): ChangedFile['type'] {
  return st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : 'other';
}

function join(folder: string, name: string): string {
  return folder.endsWith('/') ? folder + name : `${folder}/${name}`;
}

interface Hashes {
  sha256: string;
  md5: string;
}

/**
 * What a regular file is from its first bytes (elf, script or null), and the hashes of an
 * executable one (null past the size cap or on a read error). Opened once, with O_NOATIME and
 * never through a link; read until its end, never more than the cap.
 */
async function examine(w: Walk, host: string, size: number, hash: 'executable' | 'always'): Promise<{ kind: 'elf' | 'script' | null; hashes: Hashes | null }> {
  const known = w.hashed.get(host);
  if (known !== undefined && hash === 'always') return { kind: null, hashes: known };
  const f = w.ctx.host.fs.openEntrySync(host);
  if (!f) return { kind: null, hashes: null };
  try {
    const buf = w.buf;
    let n: number;
    try {
      n = f.readSync(buf, 0);
    } catch {
      return { kind: null, hashes: null };
    }
    const kind = n >= 4 && buf[0] === 0x7f && buf.toString('latin1', 1, 4) === 'ELF' ? 'elf' : n >= 2 && buf[0] === 0x23 && buf[1] === 0x21 ? 'script' : null;
    if (kind === null && hash === 'executable') return { kind, hashes: null };
    if (size > MAX_HASH_BYTES) return { kind, hashes: null };
    const sha = createHash('sha256');
    const md5 = createHash('md5');
    let total = 0;
    try {
      // A short read of a regular file is its end.
      for (let got = n; got > 0; got = got === buf.length ? await f.read(buf, total) : 0) {
        total += got;
        if (total > MAX_HASH_BYTES) return { kind, hashes: null }; // grew past the cap while read
        sha.update(buf.subarray(0, got));
        md5.update(buf.subarray(0, got));
      }
    } catch {
      return { kind, hashes: null };
    }
    const hashes = { sha256: sha.digest('hex'), md5: md5.digest('hex') };
    w.hashed.set(host, hashes);
    return { kind, hashes };
  } finally {
    f.close();
  }
}

interface Walk {
  ctx: CollectContext<'window'>;
  limits: SweepLimits;
  startMs: number;
  windowStart: bigint;
  /** The same, in milliseconds, for the first look. */
  windowStartMs: number;
  entries: number;
  changed: ChangedFile[];
  /** The bodyfile line of each changed entry, in the same order. */
  lines: string[];
  changedLeftOut: number;
  setuid: Array<SetuidFile & { host: string }>;
  /** Hashes of the files read so far, by host path: each file is read once. */
  hashed: Map<string, Hashes | null>;
  buf: Buffer;
  /** Real folders already walked (a place inside another is walked once). */
  walked: Set<string>;
  /** Caps that bit, and folders not entered, for the source table. */
  notes: Set<string>;
  errors: number;
  stopped: string | null;
}

/** An entry's stat as the sweep judges it, exact whichever look it came from. */
interface Entry {
  type: ChangedFile['type'];
  mode: number;
  uid: number;
  gid: number;
  size: number;
  ino: string;
  /** Times in whole milliseconds, as the ISO strings and the bodyfile have them; bt null when the kernel gives no birth time. */
  at: number;
  mt: number;
  ct: number;
  bt: number | null;
  /** Which times are at or after the window's start. */
  mIn: boolean;
  cIn: boolean;
  bIn: boolean;
}

function exactEntry(st: BigIntStats, windowStart: bigint): Entry {
  const born = st.birthtimeNs > 0n;
  return {
    type: typeOf(st), mode: Number(st.mode) & 0o7777, uid: Number(st.uid), gid: Number(st.gid), size: Number(st.size), ino: String(st.ino),
    at: ms(st.atimeNs), mt: ms(st.mtimeNs), ct: ms(st.ctimeNs), bt: born ? ms(st.birthtimeNs) : null,
    mIn: st.mtimeNs >= windowStart, cIn: st.ctimeNs >= windowStart, bIn: born && st.birthtimeNs >= windowStart,
  };
}

/** Millisecond floats below this are exact to better than 0.0005 ms (one unit in the last place). */
const FLOAT_EXACT_MS = 2 ** 42;

/**
 * A time of the first look (milliseconds as a float: seconds × 1000 + nanoseconds / 10⁶) whose
 * whole millisecond is certain: positive, and not within 0.001 ms of a millisecond's edge, where
 * the float's rounding could carry it into the next. Null otherwise (the exact stat decides).
 */
function wholeMs(t: number): number | null {
  if (!(t > 0 && t < FLOAT_EXACT_MS)) return null;
  const whole = Math.floor(t);
  const frac = t - whole;
  return frac > 0.001 && frac < 0.999 ? whole : null;
}

/** What the walk's first look (a number lstat) gives of an entry. */
interface FirstLook {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  ino: number;
  atimeMs: number;
  mtimeMs: number;
  ctimeMs: number;
  birthtimeMs: number;
}

const S_IFMT = 0o170000;
const TYPE_OF_FORMAT: Record<number, ChangedFile['type']> = { 0o100000: 'file', 0o040000: 'dir', 0o120000: 'link' };

/** The entry from the first look's stat, when every value it needs is certain; null when the exact stat must decide. */
function firstLookEntry(st: FirstLook, windowStartMs: number): Entry | null {
  if (!Number.isSafeInteger(st.ino) || !Number.isSafeInteger(st.size)) return null;
  const at = wholeMs(st.atimeMs);
  const mt = wholeMs(st.mtimeMs);
  const ct = wholeMs(st.ctimeMs);
  const bt = st.birthtimeMs === 0 ? null : wholeMs(st.birthtimeMs);
  if (at === null || mt === null || ct === null || (bt === null && st.birthtimeMs !== 0)) return null;
  const type = TYPE_OF_FORMAT[st.mode & S_IFMT] ?? 'other';
  // A whole millisecond at or after the window's start (itself a whole millisecond) is exactly that time at or after it.
  return { type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, size: st.size, ino: String(st.ino), at, mt, ct, bt, mIn: mt >= windowStartMs, cIn: ct >= windowStartMs, bIn: bt !== null && bt >= windowStartMs };
}

function isoMs(t: number): string {
  return new Date(t).toISOString();
}

/** The entry `name` of a folder (first look `first`): a set-id file noted; changed in the window, recorded. */
async function judge(w: Walk, dir: { host: string; inside: string }, name: string, first: FirstLook, kind: AreaKind, startInside: string): Promise<void> {
  const fs = w.ctx.host.fs;
  let e = firstLookEntry(first, w.windowStartMs);
  if (!e) {
    const st = fs.lstatChildSync(dir.host, name, true);
    if (!st) return;
    e = exactEntry(st, w.windowStart);
  }
  const host = join(dir.host, name);
  const inside = join(dir.inside, name);
  const mode = e.mode;
  if (e.type === 'file' && mode & 0o6000) {
    w.setuid.push({ host, path: inside, mode, uid: e.uid, gid: e.gid, size: e.size, mtime: isoMs(e.mt), ctime: isoMs(e.ct), btime: e.bt !== null ? isoMs(e.bt) : null, sha256: null, package: null, packaged: null, writableDir: writableDir(inside) });
  }
  if (kind === 'setuid') return;
  const inWindow: ChangedFile['inWindow'] = [];
  if (kind === 'all' && e.mIn) inWindow.push('mtime');
  if (e.cIn) inWindow.push('ctime');
  if (kind === 'all' && e.bIn) inWindow.push('btime');
  if (inWindow.length === 0) return;
  if (w.changed.length >= w.limits.maxRecords) {
    w.changedLeftOut++;
    return;
  }
  const { type, size } = e;
  // Only files with an execute bit are opened for their first bytes: what a kit runs, it makes executable.
  const exe = type === 'file' && size >= 2 && mode & 0o111 ? await examine(w, host, size, 'executable') : null;
  const h = exe?.hashes ?? null;
  // Most new files have one time for all four: one string for each distinct one.
  const mtime = isoMs(e.mt);
  const atime = e.at === e.mt ? mtime : isoMs(e.at);
  const ctime = e.ct === e.mt ? mtime : isoMs(e.ct);
  const btime = e.bt === null ? null : e.bt === e.mt ? mtime : e.bt === e.ct ? ctime : isoMs(e.bt);
  const f: ChangedFile = {
    path: inside, type, linkTarget: type === 'link' ? await fs.readlinkEntry(host).catch(() => null) : null, mode, uid: e.uid, gid: e.gid, size, ino: e.ino,
    atime, mtime, ctime, btime,
    inWindow, executable: exe?.kind ?? null, sha256: h?.sha256 ?? null, md5: h?.md5 ?? null, writableDir: writableDir(inside), hiddenDir: hiddenDir(inside), area: startInside,
  };
  w.changed.push(f);
  w.lines.push(bodyfileLineAt(f, Math.floor(e.at / 1000), Math.floor(e.mt / 1000), Math.floor(e.ct / 1000), e.bt === null ? 0 : Math.floor(e.bt / 1000)));
}

/** The place `area` as the walk takes it: null when it is not on this box, not a folder, or walked already (itself or a place it lies in). */
async function placeOf(w: Walk, area: string, kind: AreaKind): Promise<WalkPlace | null> {
  const fs = w.ctx.host.fs;
  let startHost: string;
  let startSt: BigIntStats;
  try {
    startHost = await fs.resolve(area);
    startSt = await fs.lstatEntry(startHost);
  } catch {
    return null; // not on this box
  }
  if (!startSt.isDirectory() || w.walked.has(startHost)) return null;
  for (const done of w.walked) if (startHost.startsWith(`${done}/`)) return null;
  w.walked.add(startHost);
  // The place as seen inside the root, its links resolved (/bin → /usr/bin on a /usr-merged box).
  return { host: startHost, inside: await fs.realPath(area), dev: Number(startSt.dev), kind, skip: [...w.walked] };
}

/** Counts one more entry against the entry cap; every 1024, lets Ctrl-C and timers in and checks the time cap. False once the walk must stop. */
async function counted(w: Walk): Promise<boolean> {
  if (++w.entries > w.limits.maxEntries) {
    w.stopped = `stopped at the cap of ${w.limits.maxEntries} entries`;
    return false;
  }
  if ((w.entries & 1023) === 0) {
    await new Promise((r) => setImmediate(r));
    if (Date.now() - w.startMs > w.limits.maxMs || w.ctx.host.signal.aborted) {
      w.stopped = w.ctx.host.signal.aborted ? 'interrupted' : `stopped at the time cap of ${w.limits.maxMs} ms`;
      return false;
    }
  }
  return true;
}

/**
 * Walks the places in order, never following a link. The listing and the first look (a number
 * lstat of every entry) run on a worker thread (host/tree-walk.ts), which drops what is plainly
 * outside the window; here each entry is counted against the caps in walk order and the rest
 * judged, as if this thread had walked.
 */
async function walkPlaces(w: Walk, places: WalkPlace[]): Promise<void> {
  if (places.length === 0) return;
  const walk = new TreeWalk(w.ctx.host.fs, { places, maxDepth: w.limits.maxDepth, maybeFromMs: w.windowStartMs - EDGE_MS, surelyFromMs: w.windowStartMs + EDGE_MS });
  const notes: string[] = [];
  const note = () => {
    for (const n of notes) w.notes.add(n);
    notes.length = 0;
  };
  let place: WalkPlace | undefined;
  let placeIndex = -1;
  let dir = { host: '', inside: '' };
  try {
    for (;;) {
      let b: WalkBatch;
      try {
        b = await walk.batch();
      } catch (err) {
        // What was walked is kept, and the manifest says where the walk ended.
        w.stopped = `stopped: the walk failed (${(err as Error).message})`;
        return;
      }
      let si = 0;
      let ni = 0;
      for (let i = 0; i < b.ops.length; i++) {
        switch (b.ops[i]) {
          case OP.PLACE:
            place = places[++placeIndex];
            break;
          case OP.FOLDER:
            dir = { host: b.strings[si++]!, inside: b.strings[si++]! };
            break;
          case OP.UNREADABLE:
            w.errors++;
            break;
          case OP.OTHER_FS:
            notes.push(`${b.strings[si++]}: another filesystem, not entered`);
            break;
          case OP.TOO_DEEP:
            notes.push(`folders deeper than ${w.limits.maxDepth} levels not entered (first: ${b.strings[si++]})`);
            break;
          case OP.GONE:
            if (!(await counted(w))) return;
            note();
            break;
          case OP.OUTSIDE:
          case OP.LATE: {
            const late = b.ops[i] === OP.LATE;
            const n = b.ops[++i]!;
            for (let k = 0; k < n; k++) {
              if (!(await counted(w))) return;
              if (k === 0) note();
              if (late) w.changedLeftOut++;
            }
            break;
          }
          case OP.ENTRY: {
            if (!(await counted(w))) return;
            note();
            const v = b.nums;
            const first: FirstLook = { mode: v[ni]!, uid: v[ni + 1]!, gid: v[ni + 2]!, size: v[ni + 3]!, ino: v[ni + 4]!, atimeMs: v[ni + 5]!, mtimeMs: v[ni + 6]!, ctimeMs: v[ni + 7]!, birthtimeMs: v[ni + 8]! };
            ni += ENTRY_NUMS;
            await judge(w, dir, b.strings[si++]!, first, place!.kind, place!.inside);
            if (w.changed.length >= w.limits.maxRecords) walk.recordsFull = true;
            break;
          }
        }
      }
      if (b.end) return;
    }
  } finally {
    await walk.close();
  }
}

/** Which package owns each set-id file (dpkg's lists or rpm's database, read through the root); packaged stays null without a database. */
async function ownSetuid(w: Walk, sources: SourceStatus[]): Promise<void> {
  const fs = w.ctx.host.fs;
  const canon = new Canonicalizer(fs);
  const found = await packageOwners(fs, canon, new Set(w.setuid.map((s) => path.posix.basename(s.path))));
  if (found.skipped) sources.push(sourceSkipped('file-sweep.packages', found.skipped, found.where ?? undefined));
  if (found.problems.length) sources.push(sourceError('file-sweep.packages', found.problems.slice(0, 5).join('; '), found.where ?? undefined));
  else if (found.db && w.setuid.length) sources.push(sourceOk('file-sweep.packages', found.where ?? undefined, `owners of ${w.setuid.length} set-id file(s) from ${found.db === 'rpm' ? "rpm's database" : "dpkg's file lists"}`));
  const known = found.db !== null;
  for (const s of w.setuid) {
    const o = found.owners.get(await canon.entry(s.path)) ?? found.owners.get(s.path);
    s.package = o?.[0]?.package ?? null;
    s.packaged = known ? s.package !== null : null;
    s.sha256 = (await examine(w, s.host, s.size, 'always')).hashes?.sha256 ?? null;
  }
}

/** file-sweep: files changed in the incident window where intruders put things, as a bodyfile; set-id files and their packages. */
export const fileSweepCollector = defineCollector({
  id: 'file-sweep',
  title: 'Files changed in the incident window',
  description: 'Walks /tmp, /var/tmp, /dev/shm, /run/user, every home, /root, /etc, /usr/local, /opt, the cron spool and the unit folders (any time in the window), /bin, /sbin, /usr/bin, /usr/sbin, /lib (change time), bounded in entries, depth and time, never following a link: every file changed in the window in bodyfile.txt (mactime format) and on the timeline, executables hashed; set-id files and the package that owns each.',
  liveOnly: false,
  needsRoot: true,
  artifacts: ['artifacts/bodyfile.txt', 'artifacts/changed-files.jsonl', 'artifacts/setuid-files.jsonl'],
  provides: ['changedFiles', 'setuidFiles'],
  reads: ['window'],
  // The walk runs on its own thread: started once the window is known, beside the steps.
  background: true,
  async collect(ctx) {
    return sweep(ctx, DEFAULT_SWEEP_LIMITS);
  },
});

/** The sweep with explicit limits (tests and the benchmark set small ones). */
export async function sweep(ctx: CollectContext<'window'>, limits: SweepLimits) {
  const sources: SourceStatus[] = [];
  const start = ctx.facts.window?.start ?? new Date(ctx.host.now().getTime() - 30 * 86_400_000).toISOString();
  const windowStartMs = Date.parse(start);
  const w: Walk = { ctx, limits, startMs: Date.now(), windowStart: BigInt(windowStartMs) * 1000000n, windowStartMs, entries: 0, changed: [], lines: [], changedLeftOut: 0, setuid: [], hashed: new Map(), buf: Buffer.allocUnsafe(READ_BYTES), walked: new Set(), notes: new Set(), errors: 0, stopped: null };
  const homes = await readHomes(ctx, 'file-sweep', sources);
  const areas = [...AREAS];
  areas.splice(areas.findIndex((a) => a.dir === '/root') + 1, 0, ...homes.map((h) => ({ dir: h.home, kind: 'all' as const })));
  const places: WalkPlace[] = [];
  for (const a of areas) {
    const p = await placeOf(w, a.dir, a.kind);
    if (p) places.push(p);
  }
  await walkPlaces(w, places);
  await ownSetuid(w, sources);
  const setuid: SetuidFile[] = w.setuid.map(({ host: _host, ...s }) => s);
  const body = w.lines.join('');
  try {
    await ctx.sink.writeFile('artifacts/bodyfile.txt', body);
  } catch (err) {
    sources.push(sourceError('file-sweep', `artifacts/bodyfile.txt: ${describeFsError(err, 'bodyfile.txt')}`));
  }
  await ctx.sink.writeJsonl('artifacts/changed-files.jsonl', w.changed);
  await ctx.sink.writeJsonl('artifacts/setuid-files.jsonl', setuid);
  const rows: TimelineEvent[] = [];
  for (const f of w.changed) {
    const what = `${f.type === 'dir' ? 'folder' : f.executable ? `executable (${f.executable})` : f.type} ${f.path}`;
    if (f.inWindow.includes('btime') && f.btime) rows.push({ datetime: f.btime, timestamp_desc: 'Creation time', message: `created: ${what}`, source: 'file-sweep', path: f.path });
    if (f.inWindow.includes('mtime')) rows.push({ datetime: f.mtime, timestamp_desc: 'Modification time', message: `modified: ${what}`, source: 'file-sweep', path: f.path });
    if (f.inWindow.includes('ctime') && f.ctime !== f.mtime) rows.push({ datetime: f.ctime, timestamp_desc: 'Metadata change time', message: `changed (inode): ${what}`, source: 'file-sweep', path: f.path });
  }
  ctx.sink.timeline(rows);
  const elapsed = Date.now() - w.startMs;
  const left = [w.stopped, w.changedLeftOut ? `${w.changedLeftOut} changed entries past the cap of ${limits.maxRecords} counted, not recorded` : null, w.errors ? `${w.errors} folder(s) unreadable` : null, ...[...w.notes].slice(0, 20)].filter(Boolean);
  sources.push(sourceOk('file-sweep', undefined, `${w.entries} entries in ${elapsed} ms since ${start}: ${w.changed.length} changed in the window, ${setuid.length} set-id file(s)${left.length ? `; ${left.join('; ')}` : ''}`));
  return { facts: { changedFiles: w.changed, setuidFiles: setuid }, sources };
}
