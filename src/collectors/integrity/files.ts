import { createHash } from 'node:crypto';
import path from 'node:path';
import type { RootedFs, Stats } from '../../host/rooted-fs.js';

/** Larger files are not hashed (the cap is recorded): no packaged binary or library comes close. */
export const MAX_HASH_BYTES = 1024 * 1024 * 1024;

/**
 * Where a file's folder really lies, the file's own name kept: /bin/ps → /usr/bin/ps on a
 * /usr-merged box. Folders are resolved once each.
 */
export class Canonicalizer {
  private readonly dirs = new Map<string, Promise<string>>();

  constructor(private readonly fs: RootedFs) {}

  async entry(p: string): Promise<string> {
    const abs = path.posix.resolve('/', p);
    const dir = path.posix.dirname(abs);
    let real = this.dirs.get(dir);
    if (!real) {
      real = this.fs.realPath(dir).catch(() => dir);
      this.dirs.set(dir, real);
    }
    return path.posix.join(await real, path.posix.basename(abs));
  }
}

export interface FileHashes {
  md5: string;
  sha256: string;
  size: number;
}

/** md5 (to compare with dpkg's md5sums) and sha256 (for the hash list) in one read, through the root. */
export async function hashInside(fs: RootedFs, inside: string): Promise<FileHashes | null> {
  const handle = await fs.open(inside);
  try {
    const md5 = createHash('md5');
    const sha = createHash('sha256');
    let size = 0;
    for await (const chunk of handle.createReadStream({ autoClose: false })) {
      const buf = chunk as Buffer;
      size += buf.length;
      if (size > MAX_HASH_BYTES) return null;
      md5.update(buf);
      sha.update(buf);
    }
    return { md5: md5.digest('hex'), sha256: sha.digest('hex'), size };
  } finally {
    await handle.close();
  }
}

const iso = (ms: number): string | null => (ms > 0 && Number.isFinite(ms) ? new Date(ms).toISOString() : null);

export interface FileMeta {
  size: number;
  mode: string;
  uid: number;
  gid: number;
  mtime: string | null;
  ctime: string | null;
  birth: string | null;
  setuid: boolean;
}

export function fileMeta(st: Stats): FileMeta {
  return {
    size: st.size,
    mode: (st.mode & 0o7777).toString(8).padStart(4, '0'),
    uid: st.uid,
    gid: st.gid,
    mtime: iso(st.mtimeMs),
    ctime: iso(st.ctimeMs),
    // Node reports 0 where the file system keeps no creation time.
    birth: iso(st.birthtimeMs),
    setuid: (st.mode & 0o6000) !== 0,
  };
}

/** The sha256sum(1) line for a file; names with a backslash or newline are escaped as sha256sum does. */
export function sha256sumLine(sha256: string, file: string): string {
  if (!/[\\\n]/.test(file)) return `${sha256}  ${file}`;
  return `\\${sha256}  ${file.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`;
}
