import { execFileSync } from 'node:child_process';
import { readdirSync, rmdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { tmpDir } from './bundle.js';

/**
 * A tmpfs of its own with room for `inodes` inodes (its root folder is one): a disk that fills
 * at a chosen file, for the tests of a full --out. Null when mounting is not allowed (not root,
 * or a container without CAP_SYS_ADMIN): the caller skips and says why.
 */
export function mountSmallTmpfs(inodes: number): { dir: string; unmount: () => void } | null {
  const dir = tmpDir('irt-smallfs-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `nr_inodes=${inodes},size=64m,mode=0755`, 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    rmdirSync(dir);
    return null;
  }
  return {
    dir,
    unmount: () => {
      execFileSync('umount', [dir], { stdio: 'ignore' });
      rmdirSync(dir);
    },
  };
}

/** Files and folders under `dir`, `dir` itself included: the inodes a staging folder holds. */
export function countInodes(dir: string): number {
  let n = 1;
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    n += statSync(p).isDirectory() ? countInodes(p) : 1;
  }
  return n;
}

/** Can this process mount a tmpfs? (The full-disk tests need one.) */
export const canMount: boolean = (() => {
  const fs = mountSmallTmpfs(8);
  fs?.unmount();
  return fs !== null;
})();
