/**
 * Reading the files the persistence collectors parse: through the RootedFs (links never leave the
 * root), hashed, copied into files/persistence/<path> once, with the identity (device, inode,
 * times) the disable action re-checks before it edits anything. Also the box's homes and the
 * package database's list of owned files, shared by the three collectors.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { HostContext } from '../../host/context.js';
import { describeFsError, type BigIntStats } from '../../host/rooted-fs.js';
import { refuseSecret } from '../../host/secrets.js';
import type { PersistenceFile } from '../../model/persistence.js';
import { sourceError, sourceSkipped, type SourceStatus } from '../../model/source.js';
import type { CollectContext } from '../types.js';
import { errorCode } from '../../host/errors.js';

export interface ReadPersistenceFile {
  file: PersistenceFile;
  text: string;
}

function iso(ns: bigint): string {
  return new Date(Number(ns / 1000000n)).toISOString();
}

/**
 * The bundle path of a preserved copy: files/persistence/ and the path inside the root. A component
 * with unusual characters (an intruder names files) is made safe and tagged with a hash of it, so
 * SHA256SUMS stays readable by `sha256sum -c` and two names never collide.
 */
export function copyPath(inside: string, prefix = 'files/persistence'): string {
  const parts = path.posix.normalize(inside).split('/').filter((c) => c !== '' && c !== '.');
  const safe = parts.map((c) =>
    /^[A-Za-z0-9._@+=,~-]{1,200}$/.test(c) && c !== '..' ? c : `${c.replace(/[^A-Za-z0-9._@+=,~-]/g, '_').slice(0, 100)}~${createHash('sha256').update(c).digest('hex').slice(0, 12)}`,
  );
  return `${prefix}/${safe.join('/')}`;
}

/** Identity and times from a bigint stat. */
export function identity(st: BigIntStats): Pick<PersistenceFile, 'mode' | 'uid' | 'gid' | 'dev' | 'ino' | 'mtime' | 'ctime' | 'btime' | 'size'> {
  return {
    size: Number(st.size),
    mode: Number(st.mode) & 0o7777,
    uid: Number(st.uid),
    gid: Number(st.gid),
    dev: String(st.dev),
    ino: String(st.ino),
    mtime: iso(st.mtimeNs),
    ctime: iso(st.ctimeNs),
    btime: st.birthtimeNs > 0n ? iso(st.birthtimeNs) : null,
  };
}

/**
 * Reads one regular file, copies it into the case (once per path) and describes it. A missing
 * file is null without a source entry (most of these paths are optional); any other failure is
 * recorded in `sources` and also null.
 */
export async function readPersistenceFile(
  ctx: CollectContext,
  inside: string,
  kind: string,
  sourceId: string,
  sources: SourceStatus[],
  owners: PackageOwners,
): Promise<ReadPersistenceFile | null> {
  try {
    const st = await ctx.host.fs.stat(inside, { bigint: true });
    if (!st.isFile()) return null;
    const { data, truncated } = await ctx.host.fs.readFile(inside, ctx.options.maxFileBytes);
    refuseSecret(inside, data);
    const sha256 = createHash('sha256').update(data).digest('hex');
    const rel = copyPath(inside);
    let copy: string | null = rel;
    if (!ctx.sink.has(rel)) {
      try {
        await ctx.sink.writeFile(rel, data);
      } catch (err) {
        copy = null;
        sources.push(sourceError(sourceId, `${inside}: could not copy into the case: ${(err as Error).message}`, inside));
      }
    }
    const pkg = owners.owner(inside);
    const file: PersistenceFile = {
      path: inside,
      kind,
      sha256,
      ...identity(st),
      copy,
      truncated,
      package: pkg,
      packaged: owners.known ? pkg !== null : null,
    };
    return { file, text: data.toString('utf8') };
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    // A planted link or a secret is not a failure of the source: it is named, and left out.
    if (code === 'ELINKOUT' || code === 'ESECRET') sources.push(sourceSkipped(sourceId, describeFsError(err, inside), inside));
    else sources.push(sourceError(sourceId, describeFsError(err, inside), inside));
    return null;
  }
}

/** Regular files (and links to them) in a folder, sorted; none when it is missing. Backup and package-manager leftovers are kept: an intruder can name a file anything. */
export async function listFiles(ctx: CollectContext, dir: string, sourceId: string, sources: SourceStatus[]): Promise<string[]> {
  let names: string[];
  try {
    names = await ctx.host.fs.readdir(dir);
  } catch (err) {
    const code = errorCode(err);
    if (code !== 'ENOENT' && code !== 'ENOTDIR') sources.push(sourceError(sourceId, describeFsError(err, dir), dir));
    return [];
  }
  const out: string[] = [];
  for (const name of names.sort()) {
    const p = path.posix.join(dir, name);
    try {
      if ((await ctx.host.fs.stat(p)).isFile()) out.push(p);
    } catch {
      // a dangling link: nothing to read
    }
  }
  return out;
}

export interface Home {
  user: string;
  uid: number;
  home: string;
}

/** Every account's home from /etc/passwd (and /root), each folder once, only those that exist. */
export async function readHomes(ctx: CollectContext, sourceId: string, sources: SourceStatus[]): Promise<Home[]> {
  const homes: Home[] = [];
  let text = '';
  try {
    text = (await ctx.host.fs.readTextIfExists('/etc/passwd', 16 * 1024 * 1024)) ?? '';
  } catch (err) {
    sources.push(sourceError(sourceId, describeFsError(err, '/etc/passwd'), '/etc/passwd'));
  }
  const seen = new Set<string>();
  const candidates: Home[] = [];
  for (const line of text.split('\n')) {
    const parts = line.split(':');
    if (parts.length < 7 || line.startsWith('#') || !/^\d+$/.test(parts[2])) continue;
    const home = parts[5];
    if (!home.startsWith('/') || home === '/' || /^\/(?:nonexistent|dev\/null|bin|sbin|usr\/s?bin)$/.test(home)) continue;
    candidates.push({ user: parts[0], uid: Number(parts[2]), home: path.posix.normalize(home) });
  }
  if (!candidates.some((c) => c.home === '/root')) candidates.push({ user: 'root', uid: 0, home: '/root' });
  for (const c of candidates) {
    if (seen.has(c.home)) continue;
    seen.add(c.home);
    try {
      if ((await ctx.host.fs.stat(c.home)).isDirectory()) homes.push(c);
    } catch {
      // no such folder: nothing to read
    }
  }
  return homes;
}

/** Which package owns a path, from dpkg's file lists (read through the root, so it works offline). */
export interface PackageOwners {
  /** A package database was found and read. */
  known: boolean;
  owner(inside: string): string | null;
}

/** /usr-merged systems list /lib/x where the file is reached as /usr/lib/x, and the reverse. */
function mergedPath(p: string): string {
  return p.replace(/^\/usr\/(lib|lib32|lib64|libx32|bin|sbin)\//, '/$1/');
}

/** Paths the persistence collectors ask about; dpkg lists hold a great many others. */
function interesting(p: string): boolean {
  return p.startsWith('/etc/') || p.includes('/systemd/');
}

const LIST_CONCURRENCY = 16;

const OWNERS = new WeakMap<HostContext, Promise<PackageOwners>>();

/** dpkg's *.list files read once per run (shared by the three collectors). */
export function packageOwners(ctx: CollectContext): Promise<PackageOwners> {
  let p = OWNERS.get(ctx.host);
  if (!p) {
    p = readDpkgLists(ctx);
    OWNERS.set(ctx.host, p);
  }
  return p;
}

async function readDpkgLists(ctx: CollectContext): Promise<PackageOwners> {
  const dir = '/var/lib/dpkg/info';
  let names: string[];
  try {
    names = (await ctx.host.fs.readdir(dir)).filter((n) => n.endsWith('.list'));
  } catch {
    return { known: false, owner: () => null };
  }
  const map = new Map<string, string>();
  const sorted = names.sort();
  // A few reads in flight: a Debian server has about a thousand lists, 10 MB in all.
  let next = 0;
  const texts: Array<string | null> = new Array(sorted.length).fill(null);
  await Promise.all(
    Array.from({ length: Math.min(LIST_CONCURRENCY, sorted.length) }, async () => {
      while (next < sorted.length) {
        const i = next++;
        texts[i] = await ctx.host.fs.readText(path.posix.join(dir, sorted[i]), 64 * 1024 * 1024).catch(() => null);
      }
    }),
  );
  for (const [i, name] of sorted.entries()) {
    const pkg = name.slice(0, -'.list'.length).replace(/:[^:]+$/, '');
    // mergedPath keeps /etc/… and …/systemd/… as they are: filter first, normalise the few kept.
    for (const line of (texts[i] ?? '').split('\n')) if (interesting(line)) map.set(mergedPath(line), pkg);
  }
  return { known: names.length > 0, owner: (inside) => map.get(mergedPath(path.posix.normalize(inside))) ?? null };
}
