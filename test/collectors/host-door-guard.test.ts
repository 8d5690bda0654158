/**
 * Collectors reach the machine only through the host door (src/host/: RootedFs for files inside
 * the root, ProcFs for /proc, exec for the box's tools), so every file access follows links the
 * way a chroot would and refuses links out of an account's own files (docs/security.md). This
 * walks src/collectors/ for imports of node:fs, node:fs/promises or fs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.js';

const FS_IMPORT = /(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s*['"](?:node:)?fs(?:\/promises)?['"]|\brequire\s*\(\s*['"](?:node:)?fs(?:\/promises)?['"]\s*\)|\bimport\s*\(\s*['"](?:node:)?fs(?:\/promises)?['"]\s*\)/;

/** Whether one source file reaches node:fs itself (types included: they come from the host door too). */
export function importsFs(source: string): boolean {
  return FS_IMPORT.test(source);
}

describe('collectors reach files only through the host door', () => {
  it('no module under src/collectors/ imports node:fs', () => {
    const dir = path.join(REPO, 'src', 'collectors');
    const files = readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(20);
    const offenders = files.filter((f) => importsFs(readFileSync(path.join(dir, f), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('catches each way of importing it (the check itself can fail)', () => {
    expect(importsFs("import { promises as fsp } from 'node:fs';")).toBe(true);
    expect(importsFs("import type { Stats } from 'node:fs';")).toBe(true);
    expect(importsFs("import { readlink } from 'node:fs/promises';")).toBe(true);
    expect(importsFs("import fs from 'fs';")).toBe(true);
    expect(importsFs("import {\n  lstat,\n  readlink,\n} from 'fs/promises';")).toBe(true);
    expect(importsFs("export { stat } from 'node:fs';")).toBe(true);
    expect(importsFs("const fs = await import('node:fs');")).toBe(true);
    expect(importsFs("const fs = require('fs');")).toBe(true);
    // The host door's own types and unrelated modules are fine.
    expect(importsFs("import type { RootedFs, Stats } from '../../host/rooted-fs.js';")).toBe(false);
    expect(importsFs("import path from 'node:path';\nimport { fsync } from './fsync.js';")).toBe(false);
  });
});
