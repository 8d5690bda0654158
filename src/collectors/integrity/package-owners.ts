import path from 'node:path';
import { describeFsError, type RootedFs } from '../../host/rooted-fs.js';
import { errnoCode, errorLine } from '../../host/errors.js';
import { findOwners, listedPackages, type Owner } from './dpkg-db.js';
import type { Canonicalizer } from './files.js';
import { readRpmDb } from './rpm-db.js';

/** Which packages own some files, from whichever package database the box has, read as files. */
export interface PackageOwnership {
  /** The database that answered; null when there is none that can be read (ownership unknown). */
  db: 'dpkg' | 'rpm' | null;
  /** The database's file or folder. */
  where: string | null;
  /** By the resolved path (folders followed: /bin/su is /usr/bin/su). */
  owners: Map<string, Owner[]>;
  /** The box has a database that is not read (BerkeleyDB, ndb, over the cap): why. */
  skipped: string | null;
  /** Parts of the database that could not be read or parsed. */
  problems: string[];
}

/** Owners of the files whose base names are in `names`: dpkg's lists, or rpm's database. */
export async function packageOwners(fs: RootedFs, canon: Canonicalizer, names: Set<string>): Promise<PackageOwnership> {
  const problems: string[] = [];
  if ((await listedPackages(fs).catch(() => [])).length > 0) {
    return { db: 'dpkg', where: '/var/lib/dpkg/info', owners: await findOwners(fs, canon, names, problems), skipped: null, problems };
  }
  let rpm;
  try {
    rpm = await readRpmDb(fs);
  } catch (err) {
    return { db: null, where: null, owners: new Map(), skipped: null, problems: [errnoCode(err) ? describeFsError(err, 'the rpm database') : errorLine(err)] };
  }
  if (!rpm) return { db: null, where: null, owners: new Map(), skipped: null, problems };
  if (!rpm.packages) return { db: null, where: rpm.file, owners: new Map(), skipped: rpm.skipped, problems: rpm.problems };
  const owners = new Map<string, Owner[]>();
  for (const pkg of rpm.packages) {
    for (const f of pkg.files) {
      if (!names.has(path.posix.basename(f.path))) continue;
      const key = await canon.entry(f.path);
      const list = owners.get(key) ?? [];
      if (!list.some((o) => o.package === pkg.name)) list.push({ package: pkg.name, listed: f.path });
      owners.set(key, list);
    }
  }
  return { db: 'rpm', where: rpm.file, owners, skipped: null, problems: rpm.problems };
}
