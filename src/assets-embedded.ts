/**
 * The files embedded in a single-file build. In the npm install nothing is embedded: this module
 * exports null and src/assets.ts reads the package folder. scripts/build-bundle.mjs and
 * scripts/build-sea.mjs replace this module with a generated one (the whole playbooks/ folder,
 * package.json's name and version, sql.js's sql-wasm.wasm), so that dist/ir-triage.mjs and the
 * dist/ir-triage binary run with nothing beside them.
 */

/** What a generated module provides. */
export interface EmbeddedFiles {
  /**
   * The absolute path that stands for the package root: the bundle file itself (or the binary).
   * Nothing real can exist below a file, so `<root>/playbooks/…` never names a file on disk.
   */
  root: string;
  /** The embedded file at this package-relative path (`playbooks/tools/names.txt`), or undefined. */
  get(rel: string): Uint8Array | undefined;
  /** Every embedded package-relative path, sorted. */
  list(): readonly string[];
}

export const embedded: EmbeddedFiles | null = null;
