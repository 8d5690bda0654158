import path from 'node:path';
import type { RootedFs } from '../../host/rooted-fs.js';
import type { IntegrityRecord } from '../../model/integrity.js';
import type { Candidate } from './discover.js';
import { findOwners, readDpkgDb, readPackageFiles, type DpkgDb, type Owner } from './dpkg-db.js';
import type { Canonicalizer } from './files.js';
import { blankRecord, hasSetuidBit, inspectInto } from './inspect.js';
import { isPathExcluded, type Diversion, type DpkgPackage } from './parse-dpkg.js';
import { findShadows } from './shadowing.js';
import { isCodePath, USUAL_SETUID, type IntegrityTargets } from './targets.js';
import { mapLimit } from '../../model/concurrency.js';

export interface CheckOutcome {
  /** By the file's resolved path. */
  records: Map<string, IntegrityRecord>;
  /** The packages verified (names of their files in info/). */
  packages: string[];
  /** Database files that could not be read or parsed. */
  problems: string[];
  /** Packaged files dpkg never unpacked because of a path-exclude filter (not missing). */
  excluded: number;
}

function addTool(rec: IntegrityRecord, tool: string): void {
  if (!rec.tools.includes(tool)) rec.tools.push(tool);
}

function packageOf(db: DpkgDb, name: string): DpkgPackage | null {
  return db.packages.get(name) ?? db.packages.get(name.split(':')[0]) ?? null;
}

function setPackage(rec: IntegrityRecord, db: DpkgDb, name: string): void {
  const info = packageOf(db, name);
  rec.package = name;
  rec.packageDb = 'dpkg';
  rec.packageVersion = info?.version ?? null;
  rec.packageState = info?.state ?? null;
}

/** The package's own files: what the package database says, against what is on disk. */
async function checkPackageFile(
  fs: RootedFs,
  key: string,
  rec: IntegrityRecord,
  expectedMd5: string,
  diversion: Diversion | undefined,
  users: Map<number, string>,
): Promise<'keep' | 'absent'> {
  const pkg = rec.package!;
  rec.expectedMd5 = expectedMd5;
  const ins = await inspectInto(fs, key, rec, users);
  if (diversion) {
    rec.diversion = { to: diversion.to, by: diversion.by };
    rec.status = 'diverted';
    rec.reason = `diverted by ${diversion.by === ':' ? 'the admin (dpkg-divert --local)' : diversion.by}: ${pkg}'s own file lies at ${diversion.to}`;
  } else if (ins.kind === 'missing') {
    return 'absent';
  } else if (ins.error) {
    rec.status = 'unreadable';
    rec.reason = ins.error;
  } else if (ins.kind === 'dir' || ins.kind === 'other') {
    rec.status = 'modified';
    rec.reason = `a ${ins.kind === 'dir' ? 'folder' : 'special file'} stands where ${pkg} installed a file`;
  } else if (!ins.hashed) {
    rec.status = ins.kind === 'link' ? 'modified' : 'unreadable';
    rec.reason = ins.kind === 'link' ? `a link to ${ins.real}, which leads nowhere, stands where ${pkg} installed a file` : 'not hashed';
  } else if (rec.md5 === expectedMd5) {
    rec.status = 'ok';
    if (ins.kind === 'link') rec.reason = `a link to ${ins.real} stands where ${pkg} installed a file, with the same content`;
  } else {
    rec.status = 'modified';
    rec.reason = `${ins.kind === 'link' ? `a link to ${ins.real} stands where ${pkg} installed a file, and its` : 'its'} content is not what ${pkg}${rec.packageVersion ? ` ${rec.packageVersion}` : ''} installed (md5 differs)`;
  }
  return 'keep';
}

/**
 * Checks the listed tools, and every binary and library of the packages that own them, against
 * dpkg's database read as files: owners from info/*.list, expected content from
 * info/*.md5sums, diversions, stat overrides and path-exclude filters.
 */
export async function checkDpkg(
  fs: RootedFs,
  canon: Canonicalizer,
  targets: IntegrityTargets,
  candidates: Candidate[],
  users: Map<number, string>,
): Promise<CheckOutcome> {
  const db = await readDpkgDb(fs);
  const problems = [...db.problems];
  const names = new Set<string>();
  for (const c of candidates) for (const p of [c.entry, c.real]) names.add(path.posix.basename(p));
  const owners = await findOwners(fs, canon, names, problems);
  const ownerOf = (p: string): Owner | null => owners.get(p)?.[0] ?? null;

  const packages = new Set<string>();
  for (const c of candidates) for (const p of [c.entry, c.real]) for (const o of owners.get(p) ?? []) packages.add(o.package);

  const diversions = new Map<string, Diversion>();
  for (const d of db.diversions) diversions.set(await canon.entry(d.from), d);

  const inScope = new Set(candidates.flatMap((c) => [c.entry, c.real]));
  const records = new Map<string, IntegrityRecord>();
  const others = new Map<string, Array<{ pkg: string; listed: string; md5: string }>>();
  const hasMd5sums = new Map<string, boolean>();
  let excluded = 0;
  for (const pkg of [...packages].sort()) {
    const files = await readPackageFiles(fs, pkg, problems);
    hasMd5sums.set(pkg, files.md5 !== null);
    const conffiles = new Set(packageOf(db, pkg)?.conffiles ?? []);
    const todo: Array<{ key: string; rec: IntegrityRecord; md5: string }> = [];
    for (const e of files.md5 ?? []) {
      // A conffile is the admin's to edit: a changed one is not a modified binary.
      if (!isCodePath(e.path) || conffiles.has(e.path)) continue;
      const key = await canon.entry(e.path);
      if (records.has(key)) {
        // Two packages claim the same file (a /usr-merge move, /bin/x in one and /usr/x in the other).
        others.set(key, [...(others.get(key) ?? []), { pkg, listed: e.path, md5: e.md5 }]);
        continue;
      }
      if (!targets.wholePackages && !inScope.has(key)) continue;
      const rec = blankRecord(e.path);
      setPackage(rec, db, pkg);
      records.set(key, rec);
      todo.push({ key, rec, md5: e.md5 });
    }
    await mapLimit(todo, 4, async ({ key, rec, md5 }) => {
      const kept = await checkPackageFile(fs, key, rec, md5, diversions.get(key), users);
      if (kept === 'keep') return;
      if (isPathExcluded(rec.path, db.pathFilters) || isPathExcluded(key, db.pathFilters)) {
        excluded++;
        records.delete(key);
        return;
      }
      rec.status = 'missing';
      rec.reason = `the file ${pkg} installed is gone`;
    });
  }

  // The claim whose content is on disk wins: the other package's entry is the stale one.
  for (const [key, claims] of others) {
    const rec = records.get(key);
    if (rec?.status !== 'modified' || rec.md5 === null) continue;
    const match = claims.find((c) => c.md5 === rec.md5);
    if (!match) continue;
    setPackage(rec, db, match.pkg);
    Object.assign(rec, { path: match.listed, expectedMd5: match.md5, status: 'ok', reason: null });
  }

  for (const c of candidates) {
    // A link joins its target's record only when that target is a packaged file (pkill → pgrep).
    const target = c.isLink ? records.get(c.real) : undefined;
    const direct = records.get(c.entry) ?? (target?.package ? target : undefined);
    if (direct) {
      addTool(direct, c.tool);
      continue;
    }
    const owner = ownerOf(c.entry);
    const key = owner ? c.entry : c.real;
    const existing = records.get(key);
    if (existing) {
      addTool(existing, c.tool);
      continue;
    }
    const rec = blankRecord(owner?.listed ?? c.entry);
    rec.tools = [c.tool];
    const ins = await inspectInto(fs, c.entry, rec, users);
    if (owner) setPackage(rec, db, owner.package);
    if (ins.error) {
      rec.status = 'unreadable';
      rec.reason = ins.error;
    } else if (owner && c.isLink) {
      const realOwner = ownerOf(c.real);
      if (ins.real === null || rec.sha256 === null) {
        rec.status = 'missing';
        rec.reason = `the link ${owner.package} ships leads to ${c.real}, which does not exist`;
      } else if (!realOwner) {
        rec.status = 'modified';
        rec.reason = `the link ${owner.package} ships now leads to ${c.real}, a file no package ships`;
      } else {
        rec.reason = `leads to ${c.real} of ${realOwner.package}, which has no checksum to compare with`;
      }
    } else if (owner) {
      if (hasMd5sums.get(owner.package)) {
        rec.status = 'modified';
        rec.reason = `a regular file stands where ${owner.package} ships a link (it lists ${owner.listed} without content)`;
      } else {
        rec.reason = `no md5sums file of ${owner.package} to compare with`;
      }
    } else if (c.isLink && ownerOf(c.real)) {
      rec.reason = `a link to ${c.real} of ${ownerOf(c.real)!.package}, which has no checksum to compare with`;
    } else {
      rec.status = 'not-packaged';
      rec.reason = c.isLink ? `a link to ${c.real}; no package owns either` : 'no package owns this file';
    }
    records.set(key, rec);
  }

  markShadows(candidates, records, (p) => owners.has(p));
  const setuidOverrides = db.statOverrides.filter((o) => (parseInt(o.mode, 8) & 0o6000) !== 0).map((o) => o.path);
  markSetuid(records, new Set(setuidOverrides));
  return { records, packages: [...packages].sort(), problems, excluded };
}

function recordOf(c: Candidate, records: Map<string, IntegrityRecord>): IntegrityRecord | undefined {
  return records.get(c.entry) ?? records.get(c.real);
}

function isPackaged(c: Candidate, records: Map<string, IntegrityRecord>, owned: (p: string) => boolean): boolean {
  if (owned(c.entry)) return true;
  return c.isLink && (records.get(c.real)?.package ?? null) !== null;
}

/** Unpackaged tools met before the packaged one in PATH, and unpackaged copies of a packaged library. */
export function markShadows(candidates: Candidate[], records: Map<string, IntegrityRecord>, owned: (p: string) => boolean): void {
  const byTool = new Map<string, Candidate[]>();
  for (const c of candidates) byTool.set(`${c.kind}\0${c.tool}`, [...(byTool.get(`${c.kind}\0${c.tool}`) ?? []), c]);
  for (const [key, group] of byTool) {
    if (key.startsWith('path\0')) {
      const hits = [...group].sort((a, b) => a.dirIndex - b.dirIndex).map((c) => ({ path: c.entry, packaged: isPackaged(c, records, owned), c }));
      for (const s of findShadows(hits)) {
        const rec = recordOf(hits.find((h) => h.path === s.path)!.c, records);
        if (rec && rec.status === 'not-packaged') rec.shadows = s.shadows;
      }
    } else if (key.startsWith('library\0')) {
      const packaged = group.find((c) => isPackaged(c, records, owned) && !c.isLink) ?? group.find((c) => isPackaged(c, records, owned));
      if (!packaged) continue;
      for (const c of group) {
        const rec = recordOf(c, records);
        if (rec && rec.status === 'not-packaged') rec.shadows = recordOf(packaged, records)?.realPath ?? packaged.real;
      }
    }
  }
}

/** A setuid or setgid bit that neither the usual setuid programs nor an admin's stat override explain. */
export function markSetuid(records: Map<string, IntegrityRecord>, overrides: Set<string>): void {
  for (const rec of records.values()) {
    if (rec.status === 'missing' || !hasSetuidBit(rec)) continue;
    const name = path.posix.basename(rec.realPath ?? rec.path);
    if (USUAL_SETUID.has(name) || overrides.has(rec.path) || (rec.realPath !== null && overrides.has(rec.realPath))) continue;
    rec.unexpectedSetuid = true;
  }
}
