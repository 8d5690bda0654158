import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { MANIFEST_FILE, SUMS_FILE } from '../evidence/store.js';
import { errnoCode } from '../host/errors.js';

/** A bundle found under the folder: a `.tar.gz` (its sidecar, if any, is beside it) or a case folder. */
export interface FoundBundle {
  /** As the user will recognise it: the folder they named, joined with the path inside it. */
  path: string;
}

/** Folders deeper than this are not searched (a collect_dir is <dir>/<host>/<case>.tar.gz). */
const MAX_DEPTH = 16;

/**
 * Every bundle under `dir`, sorted by path: `*.tar.gz` files and case folders (a folder holding
 * manifest.json or SHA256SUMS: kept with --keep-dir, or an extracted bundle; `dir` itself too).
 * A case folder's insides are not searched further. Encrypted bundles (`*.tar.gz.age`, collect
 * --encrypt-to) cannot be read without the officer's key: they are returned apart. Symbolic
 * links are not followed, so a link cannot loop or lead out of the folder; a folder that cannot
 * be read is reported through `onError` and skipped.
 */
export async function findBundles(dir: string, onError: (message: string) => void = () => {}): Promise<{ bundles: FoundBundle[]; encrypted: string[] }> {
  const found: FoundBundle[] = [];
  const encrypted: string[] = [];
  async function walk(folder: string, depth: number): Promise<void> {
    let entries;
    try {
      entries = await fsp.readdir(folder, { withFileTypes: true });
    } catch (err) {
      onError(`cannot read ${folder}: ${errnoCode(err) ?? String(err)}`);
      return;
    }
    const names = new Set(entries.map((e) => e.name));
    if (names.has(MANIFEST_FILE) || names.has(SUMS_FILE)) {
      found.push({ path: folder });
      return;
    }
    for (const e of entries) {
      const child = path.join(folder, e.name);
      if (e.isFile() && e.name.endsWith('.tar.gz')) found.push({ path: child });
      else if (e.isFile() && e.name.endsWith('.tar.gz.age')) encrypted.push(child);
      else if (e.isDirectory() && depth < MAX_DEPTH) await walk(child, depth + 1);
    }
  }
  await walk(dir, 0);
  return { bundles: found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)), encrypted: encrypted.sort() };
}
