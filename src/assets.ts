/**
 * The files ir-triage ships beside its code: the playbooks/ folder (playbooks and their tool
 * lists), package.json (name and version) and sql.js's sql-wasm.wasm.
 *
 * In the npm install they are read from the package folder. In the single-file builds
 * (dist/ir-triage.mjs, the dist/ir-triage binary) the file is copied alone to a suspect box, so
 * they are embedded at build time and read from memory. Shipped files are addressed by absolute
 * path either way (`shippedPath('playbooks')`), so that a playbook's tool lists, given relative to
 * the playbook, resolve the same in both. These functions read any other path from disk, which
 * lets callers use them for the user's own playbooks and lists too.
 *
 * Not for the suspect box's own files: those go through the HostContext's RootedFs.
 */
import { promises as fsp, readFileSync as fsReadFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { embedded, type EmbeddedFiles } from './assets-embedded.js';

/** The embedded key of sql.js's WebAssembly module. */
export const SQL_WASM_KEY = 'vendor/sql-wasm.wasm';

export interface Assets {
  /** The package root, or in a single-file build the file that embeds it. */
  root: string;
  isEmbedded(): boolean;
  /** The absolute path of a shipped file or folder: `shippedPath('playbooks', 'tools')`. */
  shippedPath(...parts: string[]): string;
  /** Reads a shipped file (from memory in a single-file build) or any other file from disk. */
  readFile(file: string): Promise<Buffer>;
  readTextFile(file: string): Promise<string>;
  /** Synchronous readFile, for the few values needed at module load (the version). */
  readFileSync(file: string): Buffer;
  /** The names in a folder, shipped or not (sorted when embedded; in readdir's order otherwise). */
  readdir(dir: string): Promise<string[]>;
  /** sql.js's WebAssembly module: embedded, or from the installed sql.js package. */
  readSqlWasm(): Buffer;
}

function fsError(code: 'ENOENT' | 'EISDIR' | 'ENOTDIR', syscall: string, file: string): NodeJS.ErrnoException {
  const text = { ENOENT: 'no such file or directory', EISDIR: 'illegal operation on a directory', ENOTDIR: 'not a directory' }[code];
  const err: NodeJS.ErrnoException = new Error(`${code}: ${text}, ${syscall} '${file}'`);
  err.code = code;
  err.syscall = syscall;
  err.path = file;
  return err;
}

/**
 * The asset functions over `files` (null: nothing embedded, read `packageRoot`). Paths below an
 * embedded root answer from memory, with fs's error codes (ENOENT, EISDIR, ENOTDIR), since the
 * disk has nothing there: the root is a file.
 */
export function createAssets(files: EmbeddedFiles | null, packageRoot: string): Assets {
  const root = files?.root ?? packageRoot;

  /** The package-relative path of `file` when it lies inside the embedded root; null otherwise. */
  const embeddedRel = (file: string): string | null => {
    if (!files) return null;
    const rel = path.relative(files.root, path.resolve(file));
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return null;
    return rel.split(path.sep).join('/');
  };
  const children = (rel: string): string[] => {
    const names = new Set<string>();
    for (const key of files!.list()) if (key.startsWith(`${rel}/`)) names.add(key.slice(rel.length + 1).split('/')[0]);
    return [...names].sort();
  };
  const readEmbedded = (rel: string, file: string): Buffer => {
    const bytes = files!.get(rel);
    if (bytes === undefined) throw fsError(children(rel).length > 0 ? 'EISDIR' : 'ENOENT', 'open', file);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
  const shippedPath = (...parts: string[]) => path.join(root, ...parts);

  return {
    root,
    isEmbedded: () => files !== null,
    shippedPath,
    async readFile(file) {
      const rel = embeddedRel(file);
      return rel === null ? fsp.readFile(file) : readEmbedded(rel, file);
    },
    async readTextFile(file) {
      return (await this.readFile(file)).toString('utf8');
    },
    readFileSync(file) {
      const rel = embeddedRel(file);
      return rel === null ? fsReadFileSync(file) : readEmbedded(rel, file);
    },
    async readdir(dir) {
      const rel = embeddedRel(dir);
      if (rel === null) return fsp.readdir(dir);
      const names = children(rel);
      if (names.length === 0) throw fsError(files!.get(rel) ? 'ENOTDIR' : 'ENOENT', 'scandir', dir);
      return names;
    },
    readSqlWasm() {
      if (files) return readEmbedded(SQL_WASM_KEY, shippedPath(SQL_WASM_KEY));
      const require = createRequire(path.join(packageRoot, 'package.json'));
      return fsReadFileSync(require.resolve('sql.js/dist/sql-wasm.wasm'));
    },
  };
}

// The package root is only computed without an embedded copy: in the SEA, import.meta.url is not
// a file of a package.
const assets = createAssets(embedded, embedded ? '' : fileURLToPath(new URL('../', import.meta.url)));

/**
 * The URL of one of ir-triage's own compiled modules (`collectors/auth/scan-worker.js`), to start
 * as a worker thread; null in the single-file builds, which are one file with no module beside
 * it: the caller then does the work on its own thread.
 */
export function ownModuleUrl(rel: string): URL | null {
  return embedded ? null : new URL(`./${rel}`, import.meta.url);
}

export const SHIPPED_ROOT = assets.root;
export const isEmbedded = (): boolean => assets.isEmbedded();
export const shippedPath = (...parts: string[]): string => assets.shippedPath(...parts);
export const readFile = (file: string): Promise<Buffer> => assets.readFile(file);
export const readTextFile = (file: string): Promise<string> => assets.readTextFile(file);
export const readFileSync = (file: string): Buffer => assets.readFileSync(file);
export const readdir = (dir: string): Promise<string[]> => assets.readdir(dir);
export const readSqlWasm = (): Buffer => assets.readSqlWasm();
