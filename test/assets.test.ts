/**
 * src/assets.ts in the npm install (nothing embedded): shipped files come from the package folder.
 * The embedded side on an in-memory set of files here, and in the single-file builds themselves
 * (test/e2e/single-file.test.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { readdir as readdirAsync } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EmbeddedFiles } from '../src/assets-embedded.js';
import { createAssets, isEmbedded, readdir, readFile, readFileSync as readShippedSync, readSqlWasm, readTextFile, SHIPPED_ROOT, shippedPath, SQL_WASM_KEY } from '../src/assets.js';
import { REPO } from './helpers/cli.js';

describe('assets in the npm install', () => {
  it('are the package folder, not embedded copies', () => {
    expect(isEmbedded()).toBe(false);
    expect(path.resolve(SHIPPED_ROOT)).toBe(REPO);
    expect(shippedPath('playbooks', 'tools')).toBe(path.join(REPO, 'playbooks/tools'));
  });

  it('read shipped and other files as fs does', async () => {
    const pb = path.join(REPO, 'playbooks/ssh-compromise.yaml');
    expect(await readTextFile(shippedPath('playbooks/ssh-compromise.yaml'))).toBe(readFileSync(pb, 'utf8'));
    expect(readShippedSync(shippedPath('package.json')).equals(readFileSync(path.join(REPO, 'package.json')))).toBe(true);
    expect((await readdir(shippedPath('playbooks'))).sort()).toEqual(readdirSync(path.join(REPO, 'playbooks')).sort());
    await expect(readFile(shippedPath('playbooks/nope.yaml'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it("give sql.js's WebAssembly module", () => {
    const wasm = readSqlWasm();
    expect(wasm.subarray(0, 4)).toEqual(Buffer.from([0x00, 0x61, 0x73, 0x6d])); // "\0asm"
    expect(wasm.equals(readFileSync(path.join(REPO, 'node_modules/sql.js/dist/sql-wasm.wasm')))).toBe(true);
  });
});

/** Embedded files as a generated module provides them, rooted at a file (this test file). */
function memoryFiles(root: string, entries: Record<string, string>): EmbeddedFiles {
  const map = new Map(Object.entries(entries).map(([k, v]) => [k, new TextEncoder().encode(v)]));
  return { root, get: (rel) => map.get(rel), list: () => [...map.keys()].sort() };
}

describe('assets in a single-file build (embedded)', () => {
  const self = path.join(REPO, 'test/assets.test.ts');
  const files = memoryFiles(self, {
    'package.json': '{"name":"ir-triage","version":"9.9.9"}\n',
    'playbooks/b.yaml': 'id: b\n',
    'playbooks/a.yaml': 'id: a\n',
    'playbooks/tools/names.txt': 'pscan2;80\n',
    [SQL_WASM_KEY]: '\0asm',
  });
  const a = createAssets(files, '/nowhere');

  it('are rooted at the file itself, where no real path can be', () => {
    expect(a.isEmbedded()).toBe(true);
    expect(a.root).toBe(self);
    expect(a.shippedPath('playbooks', 'a.yaml')).toBe(`${self}/playbooks/a.yaml`);
  });

  it('read embedded files from memory, with relative and dotted paths resolved first', async () => {
    expect(await a.readTextFile(a.shippedPath('playbooks/a.yaml'))).toBe('id: a\n');
    expect(await a.readTextFile(path.resolve(a.shippedPath('playbooks'), 'tools/../tools/names.txt'))).toBe('pscan2;80\n');
    expect(JSON.parse(a.readFileSync(a.shippedPath('package.json')).toString('utf8')).version).toBe('9.9.9');
    expect(a.readSqlWasm().toString('latin1')).toBe('\0asm');
  });

  it('list embedded folders sorted, files and folders alike', async () => {
    expect(await a.readdir(a.shippedPath('playbooks/'))).toEqual(['a.yaml', 'b.yaml', 'tools']);
    expect(await a.readdir(a.shippedPath('playbooks/tools'))).toEqual(['names.txt']);
  });

  it('fail as fs would: ENOENT, EISDIR, ENOTDIR', async () => {
    await expect(a.readFile(a.shippedPath('playbooks/nope.yaml'))).rejects.toMatchObject({ code: 'ENOENT', path: `${self}/playbooks/nope.yaml` });
    await expect(a.readFile(a.shippedPath('playbooks/tools'))).rejects.toMatchObject({ code: 'EISDIR' });
    await expect(a.readdir(a.shippedPath('playbooks/a.yaml'))).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(a.readdir(a.shippedPath('nothing'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(() => a.readFileSync(a.shippedPath('nope'))).toThrow(/^ENOENT: no such file or directory, open /);
  });

  it('read every other path from disk, the user\'s own playbooks included', async () => {
    expect(await a.readTextFile(path.join(REPO, 'playbooks/ssh-compromise.yaml'))).toBe(readFileSync(path.join(REPO, 'playbooks/ssh-compromise.yaml'), 'utf8'));
    // A sibling whose name starts like the root is not inside it.
    await expect(a.readFile(`${self}x/playbooks/a.yaml`)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await a.readdir(path.join(REPO, 'test/fixtures'))).toEqual(expect.arrayContaining(['auth']));
  });
});

describe('shipped files are found through src/assets.ts only', () => {
  it('no other module locates files relative to itself (that breaks in the single-file builds)', async () => {
    const files = (await readdirAsync(path.join(REPO, 'src'), { recursive: true })).filter((f) => f.endsWith('.ts'));
    const offenders = files.filter((f) => f !== 'assets.ts' && /\bimport\.meta\b|\b__dirname\b|\b__filename\b/.test(readFileSync(path.join(REPO, 'src', f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
