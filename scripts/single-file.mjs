// Shared by build-bundle.mjs and build-sea.mjs: what a single-file build embeds, and the esbuild
// settings both use. The shipped files are listed at build time from the folders themselves (the
// whole playbooks/ folder, whatever it holds today), never from a fixed list.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DIST = path.join(REPO, 'dist');

/** The oldest Node the single-file bundle is built for and tested on (docs/deploy.md). */
export const BUNDLE_TARGET = 'node18';

/** Must match SQL_WASM_KEY in src/assets.ts. */
const SQL_WASM_KEY = 'vendor/sql-wasm.wasm';

/** Every regular file under dir, as sorted paths relative to REPO with '/' separators. */
function filesUnder(dir) {
  const out = [];
  for (const entry of readdirSync(path.join(REPO, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    const st = statSync(path.join(REPO, rel)); // follows a link, as reading the folder would
    if (st.isDirectory()) out.push(...filesUnder(rel));
    else if (st.isFile()) out.push(rel);
  }
  return out.sort();
}

/**
 * What is embedded: package-relative key → bytes. package.json is cut down to what the code
 * reads (name and version): the dependency list means nothing inside a bundle.
 */
export function collectAssets() {
  const assets = new Map();
  const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8'));
  assets.set('package.json', Buffer.from(`${JSON.stringify({ name: pkg.name, version: pkg.version, license: pkg.license }, null, 2)}\n`));
  for (const rel of filesUnder('playbooks')) assets.set(rel, readFileSync(path.join(REPO, rel)));
  const require = createRequire(path.join(REPO, 'package.json'));
  assets.set(SQL_WASM_KEY, readFileSync(require.resolve('sql.js/dist/sql-wasm.wasm')));
  return assets;
}

function isText(bytes) {
  return !bytes.includes(0) && Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
}

/**
 * The generated src/assets-embedded.ts of the .mjs bundle: text files as plain strings (a reader
 * of the bundle sees the playbooks as written), binary files gzipped and base64-encoded.
 */
export function embeddedModuleForBundle(assets) {
  const text = {};
  const binary = {};
  for (const [key, bytes] of assets) {
    if (isText(bytes)) text[key] = bytes.toString('utf8');
    else binary[key] = gzipSync(bytes, { level: 9 }).toString('base64');
  }
  const keys = [...assets.keys()].sort();
  return `import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
const TEXT = ${JSON.stringify(text, null, 1)};
const GZIP_BASE64 = ${JSON.stringify(binary)};
const KEYS = Object.freeze(${JSON.stringify(keys)});
export const embedded = {
  root: fileURLToPath(import.meta.url),
  get(rel) {
    if (Object.hasOwn(TEXT, rel)) return Buffer.from(TEXT[rel], 'utf8');
    if (Object.hasOwn(GZIP_BASE64, rel)) return gunzipSync(Buffer.from(GZIP_BASE64[rel], 'base64'));
    return undefined;
  },
  list() {
    return KEYS;
  },
};
`;
}

/** The generated src/assets-embedded.ts of the SEA: the files are SEA assets, read with node:sea. */
export function embeddedModuleForSea(assets) {
  const keys = [...assets.keys()].sort();
  return `import { getAsset } from 'node:sea';
const KEYS = Object.freeze(${JSON.stringify(keys)});
export const embedded = {
  root: process.execPath,
  get(rel) {
    return KEYS.includes(rel) ? new Uint8Array(getAsset(rel)) : undefined;
  },
  list() {
    return KEYS;
  },
};
`;
}

/** An esbuild plugin that swaps src/assets-embedded.ts for the generated module. */
export function embedPlugin(contents) {
  return {
    name: 'ir-triage-embedded-assets',
    setup(build) {
      build.onResolve({ filter: /[\\/]assets-embedded\.js$/ }, () => ({ path: 'assets-embedded', namespace: 'ir-triage-embedded' }));
      build.onLoad({ filter: /.*/, namespace: 'ir-triage-embedded' }, () => ({ contents, loader: 'js', resolveDir: REPO }));
    },
  };
}

/**
 * `await import('@inquirer/prompts')` keeps every prompt in the bundle, and the editor prompt
 * brings iconv-lite and chardet (about 0.5 MiB that every start has to parse). ir-triage never
 * opens an editor: in the single-file builds `editor` is a stub that says so.
 */
export const noEditorPlugin = {
  name: 'ir-triage-no-editor-prompt',
  setup(build) {
    build.onResolve({ filter: /^@inquirer\/prompts$/ }, (args) =>
      args.namespace === 'ir-triage-prompts' ? undefined : { path: 'prompts', namespace: 'ir-triage-prompts' },
    );
    build.onLoad({ filter: /.*/, namespace: 'ir-triage-prompts' }, () => ({
      contents: `export * from '@inquirer/prompts';
export function editor() {
  throw new Error('the editor prompt is not part of the single-file build');
}
`,
      loader: 'js',
      resolveDir: REPO,
    }));
  },
};

/** The entry: the CLI's main(), as bin/ir-triage.js runs it (without top-level await, which CJS lacks). */
export const ENTRY = {
  contents: "import { main } from './src/cli/main.ts';\nmain(process.argv.slice(2)).then((code) => { process.exitCode = code; });\n",
  resolveDir: REPO,
  sourcefile: 'ir-triage-entry.ts',
  loader: 'ts',
};

/** esbuild options common to both builds. */
export const COMMON = {
  stdin: ENTRY,
  bundle: true,
  platform: 'node',
  minify: true,
  // Licences of the bundled packages stay in the one file, at its end.
  legalComments: 'eof',
  logLevel: 'warning',
  metafile: true,
  plugins: [noEditorPlugin],
};

/**
 * package.json's "files" ships dist/ (the tsc output): without this, `npm pack` would carry the
 * 97 MiB binary and the bundle too. A .npmignore below the package root applies within "files".
 */
export function keepOutOfNpmPackage() {
  mkdirSync(DIST, { recursive: true });
  writeFileSync(path.join(DIST, '.npmignore'), '# the single-file builds (scripts/build-*.mjs) stay out of the npm package\nir-triage\nir-triage.*\n');
}

export function mib(bytes) {
  return `${(bytes / 2 ** 20).toFixed(2)} MiB`;
}
