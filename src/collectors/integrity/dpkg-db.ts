import path from 'node:path';
import { describeFsError, type RootedFs } from '../../host/rooted-fs.js';
import type { Canonicalizer } from './files.js';
import { mapLimit } from '../../model/concurrency.js';
import { errorCode } from '../../host/errors.js';
import {
  parseDiversions,
  parseDpkgList,
  parseDpkgStatus,
  parseMd5sums,
  parsePathFilters,
  parseStatOverride,
  type Diversion,
  type DpkgPackage,
  type Md5Entry,
  type PathFilter,
  type StatOverride,
} from './parse-dpkg.js';

export const DPKG_DIR = '/var/lib/dpkg';
const INFO_DIR = `${DPKG_DIR}/info`;
const MAX_DB_FILE_BYTES = 256 * 1024 * 1024;

/** dpkg's database as files: read through the root, never through the box's dpkg. */
export interface DpkgDb {
  /** By the name of the package's files in info/ (`procps`, `libc6:amd64`). */
  packages: Map<string, DpkgPackage>;
  diversions: Diversion[];
  statOverrides: StatOverride[];
  pathFilters: PathFilter[];
  /** Files of the database that could not be read or parsed, one line each. */
  problems: string[];
}

async function readOptional(fs: RootedFs, file: string, problems: string[]): Promise<string> {
  try {
    return (await fs.readTextIfExists(file, MAX_DB_FILE_BYTES)) ?? '';
  } catch (err) {
    problems.push(describeFsError(err, file));
    return '';
  }
}

export async function readDpkgDb(fs: RootedFs): Promise<DpkgDb> {
  const problems: string[] = [];
  const packages = parseDpkgStatus(await fs.readText(`${DPKG_DIR}/status`, MAX_DB_FILE_BYTES));
  const div = parseDiversions(await readOptional(fs, `${DPKG_DIR}/diversions`, problems));
  for (const p of div.problems) problems.push(`${DPKG_DIR}/diversions line ${p.line}: not a diversion entry`);
  const statOverrides = parseStatOverride(await readOptional(fs, `${DPKG_DIR}/statoverride`, problems));
  let cfg = await readOptional(fs, '/etc/dpkg/dpkg.cfg', problems);
  // dpkg reads only files whose names are letters, digits, `_` and `-` (no backups, no dot-files).
  for (const f of await fs.list('/etc/dpkg/dpkg.cfg.d', '*').catch(() => [])) {
    if (/^[A-Za-z0-9_-]+$/.test(path.posix.basename(f))) cfg += `\n${await readOptional(fs, f, problems)}`;
  }
  return { packages, diversions: div.diversions, statOverrides, pathFilters: parsePathFilters(cfg), problems };
}

/** The names of every package with a file list in info/. */
export async function listedPackages(fs: RootedFs): Promise<string[]> {
  return (await fs.list(INFO_DIR, '*.list')).map((f) => path.posix.basename(f, '.list'));
}

export interface Owner {
  package: string;
  /** The path as the package lists it (/bin/ps). */
  listed: string;
}

/**
 * Which packages own the files whose names are in `names`: every file list is read, and only
 * lines ending in one of the names are resolved (folders followed: /bin/ps is /usr/bin/ps).
 * Keyed by the resolved path.
 */
export async function findOwners(fs: RootedFs, canon: Canonicalizer, names: Set<string>, problems: string[]): Promise<Map<string, Owner[]>> {
  const owners = new Map<string, Owner[]>();
  // Only the matching lines are kept, so hundreds of lists read side by side stay small.
  const hits = await mapLimit(await listedPackages(fs), 8, async (pkg) => {
    try {
      const text = await fs.readText(`${INFO_DIR}/${pkg}.list`, MAX_DB_FILE_BYTES);
      return { pkg, lines: parseDpkgList(text).filter((l) => names.has(path.posix.basename(l))) };
    } catch (err) {
      problems.push(describeFsError(err, `${INFO_DIR}/${pkg}.list`));
      return { pkg, lines: [] };
    }
  });
  for (const { pkg, lines } of hits) {
    for (const listed of lines) {
      const key = await canon.entry(listed);
      const list = owners.get(key) ?? [];
      if (!list.some((o) => o.package === pkg)) list.push({ package: pkg, listed });
      owners.set(key, list);
    }
  }
  return owners;
}

export interface PackageFiles {
  /** md5sums entries; null when the package has no md5sums file (nothing to compare with). */
  md5: Md5Entry[] | null;
  list: string[];
}

export async function readPackageFiles(fs: RootedFs, pkg: string, problems: string[]): Promise<PackageFiles> {
  let md5: Md5Entry[] | null = null;
  const md5File = `${INFO_DIR}/${pkg}.md5sums`;
  try {
    const text = await fs.readTextIfExists(md5File, MAX_DB_FILE_BYTES);
    if (text !== null) {
      const parsed = parseMd5sums(text);
      md5 = parsed.entries;
      if (parsed.problems.length) problems.push(`${md5File}: ${parsed.problems.length} line(s) not in md5sum format (line ${parsed.problems[0].line})`);
    }
  } catch (err) {
    problems.push(describeFsError(err, md5File));
  }
  let list: string[] = [];
  try {
    list = parseDpkgList((await fs.readTextIfExists(`${INFO_DIR}/${pkg}.list`, MAX_DB_FILE_BYTES)) ?? '');
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') problems.push(describeFsError(err, `${INFO_DIR}/${pkg}.list`));
  }
  return { md5, list };
}
