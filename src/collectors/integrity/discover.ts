import path from 'node:path';
import { type RootedFs } from '../../host/rooted-fs.js';
import type { Canonicalizer } from './files.js';
import { uniqueDirs } from './shadowing.js';
import type { IntegrityTargets } from './targets.js';
import { errorCode } from '../../host/errors.js';

/** A file of a listed tool's name, found on disk. */
export interface Candidate {
  /** The tool or library name it was found under. */
  tool: string;
  kind: 'path' | 'fixed' | 'library';
  /** Position of its folder in PATH (kind path), for the shadowing check. */
  dirIndex: number;
  /** The path with its folder resolved, its own name kept (a link stays a link). */
  entry: string;
  isLink: boolean;
  /** The file it leads to, every link followed. */
  real: string;
}

async function isPresent(fs: RootedFs, inside: string): Promise<{ link: boolean } | null> {
  try {
    const st = await fs.lstat(inside);
    if (st.isDirectory()) return null;
    return { link: st.isSymbolicLink() };
  } catch (err) {
    if (errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR') return null;
    throw err;
  }
}

async function readdirQuiet(fs: RootedFs, dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch {
    return [];
  }
}

/** Library folders as they really lie: each folder, its multiarch folders, and their tls/ and security/ subfolders. */
async function libraryDirs(fs: RootedFs, dirs: string[]): Promise<string[]> {
  const bases: string[] = [];
  for (const d of dirs) {
    const real = await fs.realPath(d).catch(() => d);
    if (!bases.includes(real)) bases.push(real);
    for (const name of (await readdirQuiet(fs, real)).sort()) {
      if (!/-linux-gnu/.test(name)) continue;
      const sub = await fs.realPath(path.posix.join(real, name)).catch(() => path.posix.join(real, name));
      if (!bases.includes(sub)) bases.push(sub);
    }
  }
  const out: string[] = [];
  for (const b of bases) for (const d of [b, `${b}/tls`, `${b}/security`]) if (!out.includes(d)) out.push(d);
  return out;
}

/** Every file on disk that answers to one of the targets, in PATH order for the tools. */
export async function discoverTargets(fs: RootedFs, canon: Canonicalizer, targets: IntegrityTargets): Promise<Candidate[]> {
  const out: Candidate[] = [];
  const seen = new Set<string>();
  const add = async (tool: string, kind: Candidate['kind'], dirIndex: number, inside: string) => {
    const entry = await canon.entry(inside);
    const key = `${tool}\0${entry}`;
    if (seen.has(key)) return;
    const present = await isPresent(fs, entry);
    if (!present) return;
    seen.add(key);
    const real = present.link ? await fs.realPath(entry).catch(() => entry) : entry;
    out.push({ tool, kind, dirIndex, entry, isLink: present.link, real });
  };

  const dirs = uniqueDirs(await Promise.all(targets.pathDirs.map(async (dir) => ({ dir, real: await fs.realPath(dir).catch(() => dir) }))));
  for (const tool of targets.tools) {
    for (const [i, dir] of dirs.entries()) await add(tool, 'path', i, path.posix.join(dir, tool));
  }
  for (const p of targets.fixedPaths) await add(path.posix.basename(p), 'fixed', 0, p);
  for (const dir of await libraryDirs(fs, targets.libDirs)) {
    for (const name of (await readdirQuiet(fs, dir)).sort()) {
      const lib = targets.libraries.find((l) => name === l || name.startsWith(`${l}.`));
      if (lib) await add(lib, 'library', 0, path.posix.join(dir, name));
    }
  }
  return out;
}
