/**
 * The file sweep as it was before its walk was made cheaper (frozen, with node:fs in place of the
 * host door's walk calls): the differential test compares its bodyfile, records and timeline rows
 * with the current collector's on the same tree.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { constants, lstatSync, promises as fsp, readdirSync, type BigIntStats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { RootedFs } from '../../../src/host/rooted-fs.js';
import { errorCode } from '../../../src/host/errors.js';
import type { ChangedFile, SetuidFile } from '../../../src/model/activity.js';
import type { TimelineEvent } from '../../../src/model/sink.js';
import { sourceError, sourceOk, type SourceStatus } from '../../../src/model/source.js';
import { findOwners, listedPackages } from '../../../src/collectors/integrity/dpkg-db.js';
import { Canonicalizer } from '../../../src/collectors/integrity/files.js';
import { readHomes } from '../../../src/collectors/persistence/files.js';
import { type CollectContext } from '../../../src/collectors/types.js';

const TYPE_CHAR: Record<ChangedFile['type'], string> = { file: '-', dir: 'd', link: 'l', other: '-' };

/** `-rwsr-xr-x` as ls prints it (set-id and sticky bits included). */
function modeString(type: ChangedFile['type'], mode: number): string {
  const bit = (m: number, c: string) => (mode & m ? c : '-');
  const special = (x: number, s: number, lower: string, upper: string) => (mode & s ? (mode & x ? lower : upper) : mode & x ? 'x' : '-');
  return (
    TYPE_CHAR[type] +
    bit(0o400, 'r') + bit(0o200, 'w') + special(0o100, 0o4000, 's', 'S') +
    bit(0o40, 'r') + bit(0o20, 'w') + special(0o10, 0o2000, 's', 'S') +
    bit(0o4, 'r') + bit(0o2, 'w') + special(0o1, 0o1000, 't', 'T')
  );
}

/** A name made safe for one `|`-separated line: `|`, `%`, and control characters percent-encoded. */
function bodyfileName(name: string): string {
  return name.replace(/[|%\u0000-\u001f\u007f]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

function secs(iso: string | null): number {
  if (!iso) return 0;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? Math.floor(t / 1000) : 0;
}

function bodyfileLine(f: ChangedFile): string {
  const name = bodyfileName(f.linkTarget !== null ? `${f.path} -> ${f.linkTarget}` : f.path);
  return `${f.md5 ?? '0'}|${name}|${f.ino}|${modeString(f.type, f.mode)}|${f.uid}|${f.gid}|${f.size}|${secs(f.atime)}|${secs(f.mtime)}|${secs(f.ctime)}|${secs(f.btime)}\n`;
}

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

interface SweepLimits {
  /** Entries looked at (lstat) in all. */
  maxEntries: number;
  /** Folder depth below each place. */
  maxDepth: number;
  /** Wall-clock budget of the walk. */
  maxMs: number;
  /** Changed files recorded (the rest counted). */
  maxRecords: number;
}

const DEFAULT_SWEEP_LIMITS: SweepLimits = { maxEntries: 1_000_000, maxDepth: 32, maxMs: 30_000, maxRecords: 50_000 };
/** Entries stat'ed before they are judged. */
const STAT_BATCH = 256;
/** Executables larger than this are not hashed (recorded as null). */
const MAX_HASH_BYTES = 256 * 1024 * 1024;


function openEntry(host: string): Promise<FileHandle> {
  return fsp.open(host, constants.O_RDONLY | constants.O_NOATIME | constants.O_NOFOLLOW | constants.O_NONBLOCK);
}

function iso(ns: bigint): string {
  return new Date(Number(ns / 1000000n)).toISOString();
}

function writableDir(inside: string): string | null {
  return WRITABLE.find((d) => inside === d || inside.startsWith(`${d}/`)) ?? null;
}

/** The first folder on the path (not the file itself) that looks hidden: a dot-name, or a name of dots and spaces. */
function hiddenDir(inside: string): string | null {
  return inside.split('/').slice(1, -1).find((c) => c.startsWith('.') || /^\s|\s$/.test(c)) ?? null;
}

function typeOf(st: BigIntStats): ChangedFile['type'] {
  return st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : 'other';
}

/** elf, script or null, from the first bytes, read with O_NOATIME and never through a link. */
async function executableKind(_fs: RootedFs, host: string): Promise<'elf' | 'script' | null> {
  const h = await openEntry(host).catch(() => null);
  if (!h) return null;
  try {
    const buf = Buffer.alloc(4);
    const { bytesRead } = await h.read(buf, 0, 4, 0);
    if (bytesRead === 4 && buf[0] === 0x7f && buf.toString('latin1', 1, 4) === 'ELF') return 'elf';
    if (bytesRead >= 2 && buf[0] === 0x23 && buf[1] === 0x21) return 'script';
    return null;
  } finally {
    await h.close();
  }
}

async function hashes(_fs: RootedFs, host: string, size: number): Promise<{ sha256: string; md5: string } | null> {
  if (size > MAX_HASH_BYTES) return null;
  const h = await openEntry(host).catch(() => null);
  if (!h) return null;
  try {
    const sha = createHash('sha256');
    const md5 = createHash('md5');
    for await (const chunk of h.createReadStream({ autoClose: false })) {
      sha.update(chunk as Buffer);
      md5.update(chunk as Buffer);
    }
    return { sha256: sha.digest('hex'), md5: md5.digest('hex') };
  } catch {
    return null;
  } finally {
    await h.close();
  }
}

interface Walk {
  ctx: CollectContext<'window'>;
  limits: SweepLimits;
  startMs: number;
  windowStart: bigint;
  entries: number;
  changed: ChangedFile[];
  changedLeftOut: number;
  setuid: Array<SetuidFile & { host: string }>;
  /** Real folders already walked (a place inside another is walked once). */
  walked: Set<string>;
  /** Caps that bit, and folders not entered, for the source table. */
  notes: Set<string>;
  errors: number;
  stopped: string | null;
}

async function walkArea(w: Walk, area: string, kind: AreaKind): Promise<void> {
  const fs = w.ctx.host.fs;
  let startHost: string;
  let startSt: BigIntStats;
  try {
    startHost = await fs.resolve(area);
    startSt = await fsp.lstat(startHost, { bigint: true });
  } catch {
    return; // not on this box
  }
  if (!startSt.isDirectory() || w.walked.has(startHost)) return;
  for (const done of w.walked) if (startHost.startsWith(`${done}/`)) return;
  w.walked.add(startHost);
  // The place as seen inside the root, its links resolved (/bin → /usr/bin on a /usr-merged box).
  const startInside = await fs.realPath(area);
  const stack: Array<{ host: string; inside: string; depth: number }> = [{ host: startHost, inside: startInside, depth: 0 }];
  while (stack.length > 0) {
    if (w.stopped) return;
    const dir = stack.pop()!;
    let names: string[];
    try {
      // Synchronous listing and lstat: a walk of many small calls is several times faster without the thread pool's round trips; the loop yields every 1024 entries.
      names = readdirSync(dir.host);
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') w.errors++;
      continue;
    }
    for (let b = 0; b < names.length; b += STAT_BATCH) {
      const batch = names.slice(b, b + STAT_BATCH);
      const stats = batch.map((n) => { try { return lstatSync(path.join(dir.host, n), { bigint: true, throwIfNoEntry: false }) ?? null; } catch { return null; } });
      for (const [k, name] of batch.entries()) {
      if (++w.entries > w.limits.maxEntries) {
        w.stopped = `stopped at the cap of ${w.limits.maxEntries} entries`;
        return;
      }
      if ((w.entries & 1023) === 0) {
        await new Promise((r) => setImmediate(r)); // Ctrl-C and timers get their turn
        if (Date.now() - w.startMs > w.limits.maxMs || w.ctx.host.signal.aborted) {
          w.stopped = w.ctx.host.signal.aborted ? 'interrupted' : `stopped at the time cap of ${w.limits.maxMs} ms`;
          return;
        }
      }
      const host = path.join(dir.host, name);
      const inside = path.posix.join(dir.inside, name);
      const st = stats[k];
      if (!st) continue;
      if (st.isDirectory()) {
        if (st.dev !== startSt.dev) w.notes.add(`${inside}: another filesystem, not entered`);
        else if (w.walked.has(host)) {
          // walked as a place of its own
        } else if (dir.depth + 1 >= w.limits.maxDepth) w.notes.add(`folders deeper than ${w.limits.maxDepth} levels not entered (first: ${inside})`);
        else stack.push({ host, inside, depth: dir.depth + 1 });
      }
      const mode = Number(st.mode) & 0o7777;
      if (st.isFile() && mode & 0o6000) {
        w.setuid.push({ host, path: inside, mode, uid: Number(st.uid), gid: Number(st.gid), size: Number(st.size), mtime: iso(st.mtimeNs), ctime: iso(st.ctimeNs), btime: st.birthtimeNs > 0n ? iso(st.birthtimeNs) : null, sha256: null, package: null, packaged: null, writableDir: writableDir(inside) });
      }
      if (kind === 'setuid') continue;
      const inWindow: ChangedFile['inWindow'] = [];
      if (kind === 'all' && st.mtimeNs >= w.windowStart) inWindow.push('mtime');
      if (st.ctimeNs >= w.windowStart) inWindow.push('ctime');
      if (kind === 'all' && st.birthtimeNs > 0n && st.birthtimeNs >= w.windowStart) inWindow.push('btime');
      if (inWindow.length === 0) continue;
      if (w.changed.length >= w.limits.maxRecords) {
        w.changedLeftOut++;
        continue;
      }
      const type = typeOf(st);
      // Only files with an execute bit are opened for their first bytes: what a kit runs, it makes executable.
      const executable = type === 'file' && st.size >= 2n && mode & 0o111 ? await executableKind(fs, host) : null;
      const h = executable ? await hashes(fs, host, Number(st.size)) : null;
      w.changed.push({
        path: inside, type, linkTarget: type === 'link' ? await fsp.readlink(host).catch(() => null) : null, mode, uid: Number(st.uid), gid: Number(st.gid), size: Number(st.size), ino: String(st.ino),
        atime: iso(st.atimeNs), mtime: iso(st.mtimeNs), ctime: iso(st.ctimeNs), btime: st.birthtimeNs > 0n ? iso(st.birthtimeNs) : null,
        inWindow, executable, sha256: h?.sha256 ?? null, md5: h?.md5 ?? null, writableDir: writableDir(inside), hiddenDir: hiddenDir(inside), area: startInside,
      });
      }
    }
  }
}

/** Which package owns each set-id file (dpkg's lists, read through the root); packaged stays null without a database. */
async function ownSetuid(w: Walk, sources: SourceStatus[]): Promise<void> {
  const fs = w.ctx.host.fs;
  const known = (await listedPackages(fs).catch(() => [])).length > 0;
  const problems: string[] = [];
  const owners = known ? await findOwners(fs, new Canonicalizer(fs), new Set(w.setuid.map((s) => path.posix.basename(s.path))), problems) : new Map();
  if (problems.length) sources.push(sourceError('file-sweep.packages', problems.slice(0, 5).join('; ')));
  const canon = new Canonicalizer(fs);
  for (const s of w.setuid) {
    const o = owners.get(await canon.entry(s.path)) ?? owners.get(s.path);
    s.package = o?.[0]?.package ?? null;
    s.packaged = known ? s.package !== null : null;
    s.sha256 = (await hashes(fs, s.host, s.size))?.sha256 ?? null;
  }
}

/** The sweep with explicit limits (tests and the benchmark set small ones). */
export async function referenceSweep(ctx: CollectContext<'window'>, limits: SweepLimits) {
  const sources: SourceStatus[] = [];
  const start = ctx.facts.window?.start ?? new Date(ctx.host.now().getTime() - 30 * 86_400_000).toISOString();
  const w: Walk = { ctx, limits, startMs: Date.now(), windowStart: BigInt(Date.parse(start)) * 1000000n, entries: 0, changed: [], changedLeftOut: 0, setuid: [], walked: new Set(), notes: new Set(), errors: 0, stopped: null };
  const homes = await readHomes(ctx, 'file-sweep', sources);
  const areas = [...AREAS];
  areas.splice(areas.findIndex((a) => a.dir === '/root') + 1, 0, ...homes.map((h) => ({ dir: h.home, kind: 'all' as const })));
  for (const a of areas) {
    if (w.stopped) break;
    await walkArea(w, a.dir, a.kind);
  }
  await ownSetuid(w, sources);
  const setuid: SetuidFile[] = w.setuid.map(({ host: _host, ...s }) => s);
  const body = w.changed.map(bodyfileLine).join('');
  try {
    await ctx.sink.writeFile('artifacts/bodyfile.txt', body);
  } catch (err) {
    sources.push(sourceError('file-sweep', `artifacts/bodyfile.txt: ${String(err)}`));
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
