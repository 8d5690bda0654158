/**
 * rpm's package database read as a file, never through the box's rpm: rpmdb.sqlite (rpm 4.16 and
 * later: Fedora 33+, RHEL 9, openSUSE since 2021) opened with sql.js, each header blob parsed by
 * rpm-header.ts. The older Berkeley DB `Packages` and SUSE's own `Packages.db` (ndb) are named,
 * not parsed.
 *
 * Only the main database file is read: rows still in a -wal companion that was never
 * checkpointed are not seen (rpm checkpoints when it exits).
 */
import path from 'node:path';
import type { Database } from 'sql.js';
import { describeFsError, type RootedFs } from '../../host/rooted-fs.js';
import { errorCode } from '../../host/errors.js';
import { loadSqlJs } from '../logins/parse-wtmpdb.js';
import { parseRpmHeader, type RpmPackage } from './rpm-header.js';

/** Where rpm keeps its database: the old place and the /usr one (rpm ≥ 4.16 on Fedora and SUSE). */
export const RPM_DIRS = ['/var/lib/rpm', '/usr/lib/sysimage/rpm'];
/** A Fedora workstation's rpmdb.sqlite is about 100 MiB. */
const MAX_DB_BYTES = 1024 * 1024 * 1024;
/** Packages read from one database (a big box has a few thousand). */
const MAX_PACKAGES = 200_000;
/** Headers that failed to parse, named one by one in the problems (the rest counted). */
const MAX_NAMED_PROBLEMS = 5;

export type RpmDbFormat = 'sqlite' | 'bdb' | 'ndb';

/** An RPM database found on the box: its file, and its packages when the format is one read here. */
export interface RpmDb {
  file: string;
  format: RpmDbFormat;
  /** Null for the formats not read (bdb, ndb): `skipped` says why. */
  packages: RpmPackage[] | null;
  skipped: string | null;
  /** Headers that could not be parsed, the database too large, or a -wal not empty. */
  problems: string[];
}

const FILES: Array<{ name: string; format: RpmDbFormat }> = [
  { name: 'rpmdb.sqlite', format: 'sqlite' },
  { name: 'Packages.db', format: 'ndb' },
  { name: 'Packages', format: 'bdb' },
];

async function isFile(fs: RootedFs, p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isFile();
  } catch (err) {
    if (errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR') return false;
    throw err;
  }
}

/** The first RPM database on the box, by folder then format; null when there is none. */
export async function findRpmDb(fs: RootedFs): Promise<{ file: string; format: RpmDbFormat } | null> {
  for (const dir of RPM_DIRS) {
    for (const f of FILES) {
      const file = path.posix.join(dir, f.name);
      if (await isFile(fs, file).catch(() => false)) return { file, format: f.format };
    }
  }
  return null;
}

function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').trim();
}

/** Every package of an rpmdb.sqlite, from its bytes. Throws one line naming `file` when it is not one. */
export async function parseRpmSqlite(bytes: Uint8Array, file: string): Promise<{ packages: RpmPackage[]; problems: string[] }> {
  const SQL = await loadSqlJs();
  let db: Database;
  try {
    db = new SQL.Database(bytes);
  } catch (e) {
    throw new Error(`${file}: cannot open as an SQLite database: ${oneLine(e)}`);
  }
  const packages: RpmPackage[] = [];
  const problems: string[] = [];
  let bad = 0;
  try {
    const stmt = db.prepare('SELECT hnum, blob FROM Packages ORDER BY hnum');
    try {
      while (stmt.step()) {
        if (packages.length + bad >= MAX_PACKAGES) {
          problems.push(`${file}: stopped at the cap of ${MAX_PACKAGES} packages`);
          break;
        }
        const [hnum, blob] = stmt.get();
        try {
          if (!(blob instanceof Uint8Array)) throw new Error('not a blob');
          packages.push(parseRpmHeader(blob));
        } catch (e) {
          if (++bad <= MAX_NAMED_PROBLEMS) problems.push(`${file}: package header ${String(hnum)}: ${oneLine(e)}`);
        }
      }
    } finally {
      stmt.free();
    }
  } catch (e) {
    throw new Error(`${file}: not an rpm database: ${oneLine(e)}`);
  } finally {
    db.close();
  }
  if (bad > MAX_NAMED_PROBLEMS) problems.push(`${file}: ${bad - MAX_NAMED_PROBLEMS} more package header(s) not parsed`);
  return { packages, problems };
}

/** Finds and reads the box's RPM database through the root; null when the box has none. Throws when it cannot be read. */
export async function readRpmDb(fs: RootedFs): Promise<RpmDb | null> {
  const found = await findRpmDb(fs);
  if (!found) return null;
  const { file, format } = found;
  if (format !== 'sqlite') {
    const what = format === 'bdb' ? 'a Berkeley DB database (rpm before 4.16)' : "SUSE's ndb database";
    return { file, format, packages: null, skipped: `${file} is ${what}: only rpmdb.sqlite is read, so package ownership is unknown here`, problems: [] };
  }
  const r = await fs.readFile(file, MAX_DB_BYTES);
  if (r.truncated) return { file, format, packages: null, skipped: `${file} is over ${MAX_DB_BYTES} bytes: not read`, problems: [] };
  const { packages, problems } = await parseRpmSqlite(r.data, file);
  try {
    const wal = await fs.stat(`${file}-wal`);
    if (wal.size > 0) problems.push(`${file}-wal holds ${wal.size} bytes not checkpointed: packages changed since (rpm still running, or killed) are not seen`);
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') problems.push(describeFsError(err, `${file}-wal`));
  }
  return { file, format, packages, skipped: null, problems };
}
