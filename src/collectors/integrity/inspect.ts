import { describeFsError, type RootedFs, type Stats } from '../../host/rooted-fs.js';
import type { IntegrityRecord } from '../../model/integrity.js';
import { fileMeta, hashInside, MAX_HASH_BYTES } from './files.js';
import { errorCode } from '../../host/errors.js';

/** A record with nothing known yet. */
export function blankRecord(p: string): IntegrityRecord {
  return {
    path: p,
    realPath: null,
    tools: [],
    package: null,
    packageVersion: null,
    packageState: null,
    status: 'unverified',
    reason: null,
    packageDb: null,
    expectedMd5: null,
    expectedSha256: null,
    md5: null,
    sha256: null,
    size: null,
    mode: null,
    uid: null,
    gid: null,
    owner: null,
    mtime: null,
    ctime: null,
    birth: null,
    unexpectedSetuid: false,
    shadows: null,
    diversion: null,
    secondView: null,
    runningPids: [],
    runningMismatchPids: [],
    preserved: null,
  };
}

/** What is on disk at one path. */
export interface Inspection {
  /** lstat of the path itself: null when missing. */
  kind: 'file' | 'link' | 'dir' | 'other' | 'missing';
  /** The file the path leads to (links followed). */
  real: string | null;
  /** Readable and hashed; null with `error` set otherwise. */
  hashed: boolean;
  error: string | null;
}

function kindOf(st: Stats): Inspection['kind'] {
  if (st.isSymbolicLink()) return 'link';
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  return 'other';
}

/**
 * Looks at one path (its folder already resolved) and fills the record's file facts: where it
 * leads, size, mode, owner, times, md5 and sha256 of what it leads to.
 */
export async function inspectInto(fs: RootedFs, entry: string, rec: IntegrityRecord, users: Map<number, string>): Promise<Inspection> {
  let st: Stats;
  try {
    st = await fs.lstat(entry);
  } catch (err) {
    if (errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR') return { kind: 'missing', real: null, hashed: false, error: null };
    return { kind: 'other', real: null, hashed: false, error: describeFsError(err, entry) };
  }
  const kind = kindOf(st);
  let real = entry;
  if (kind === 'link') {
    try {
      real = await fs.realPath(entry);
      st = await fs.stat(real);
    } catch (err) {
      rec.realPath = real;
      return { kind, real, hashed: false, error: errorCode(err) === 'ENOENT' ? null : describeFsError(err, entry) };
    }
  }
  rec.realPath = real;
  const meta = fileMeta(st);
  Object.assign(rec, { size: meta.size, mode: meta.mode, uid: meta.uid, gid: meta.gid, mtime: meta.mtime, ctime: meta.ctime, birth: meta.birth });
  rec.owner = users.get(meta.uid) ?? null;
  if (!st.isFile()) return { kind, real, hashed: false, error: null };
  try {
    const h = await hashInside(fs, real);
    if (!h) return { kind, real, hashed: false, error: `${real}: over ${MAX_HASH_BYTES} bytes, not hashed` };
    rec.md5 = h.md5;
    rec.sha256 = h.sha256;
    return { kind, real, hashed: true, error: null };
  } catch (err) {
    return { kind, real, hashed: false, error: describeFsError(err, real) };
  }
}

/** The setuid/setgid bits of the file the record describes. */
export function hasSetuidBit(rec: IntegrityRecord): boolean {
  return rec.mode !== null && (parseInt(rec.mode, 8) & 0o6000) !== 0;
}
