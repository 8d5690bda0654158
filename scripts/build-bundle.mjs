// npm run build:bundle → dist/ir-triage.mjs: the whole CLI in one ES module that runs with only
// `node` (18.20 or later) on a box with no node_modules. The playbooks/ folder, package.json's
// name and version and sql.js's wasm are embedded (scripts/single-file.mjs, src/assets.ts).
// No sourcemap is shipped inside the file; dist/ir-triage.mjs.map is written beside it for
// reading stack traces at your desk, and is not meant to be copied to the box.
import { createHash } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { BUNDLE_TARGET, collectAssets, COMMON, DIST, embeddedModuleForBundle, embedPlugin, keepOutOfNpmPackage, mib } from './single-file.mjs';

export const BUNDLE = path.join(DIST, 'ir-triage.mjs');

// CommonJS packages in the bundle (yaml's node build, systeminformation, sql.js…) call require()
// and read __dirname: an ES module has neither, so the banner makes them.
const BANNER = [
  "import { createRequire as __irtCreateRequire } from 'node:module';",
  "import { fileURLToPath as __irtFileURLToPath } from 'node:url';",
  "import { dirname as __irtDirname } from 'node:path';",
  'const require = __irtCreateRequire(import.meta.url);',
  'const __filename = __irtFileURLToPath(import.meta.url);',
  'const __dirname = __irtDirname(__filename);',
].join('\n');

const NODE18_UTIL = fileURLToPath(new URL('./node18-util.mjs', import.meta.url));

/**
 * ES-module imports of node:util go through scripts/node18-util.mjs, which adds util.styleText
 * where the running node lacks it (Node 18): a missing named export would stop the whole
 * module from loading, even `--version`. require('util') in CommonJS packages is left alone.
 */
const node18UtilPlugin = {
  name: 'ir-triage-node18-util',
  setup(build) {
    build.onResolve({ filter: /^(node:)?util$/ }, (args) =>
      args.kind === 'import-statement' && args.importer !== NODE18_UTIL ? { path: NODE18_UTIL } : undefined,
    );
  },
};

/**
 * Regular expressions with the `v` flag (Node 20+) are a SyntaxError on Node 18, thrown when the
 * module that holds them first runs. The only ones in the bundle are string-width's (through ora,
 * the spinner of the guided run): they are rewritten to try `v`, then `u` (the same meaning for
 * these classes), and for `\p{RGI_Emoji}`, which only `v` knows, to match nothing (Node 18 then
 * sizes emoji by their East Asian width). buildBundle() refuses a bundle with any other `v` regex.
 */
const STRING_WIDTH = /[\\/]node_modules[\\/]string-width[\\/]index\.js$/;
const REGEXP_V_LITERAL = /\/((?:\\.|[^/\n\\])+)\/v;/g;
const REGEXP_V_HELPER = `function __irtRegExpV(source) {
  for (const flags of ['v', 'u']) {
    try {
      return new RegExp(source, flags);
    } catch {}
  }
  return /(?!)/;
}
`;
const regexpVPlugin = {
  name: 'ir-triage-regexp-v',
  setup(build) {
    build.onLoad({ filter: STRING_WIDTH }, async (args) => {
      const source = readFileSync(args.path, 'utf8');
      let n = 0;
      const contents = source.replace(REGEXP_V_LITERAL, (_, body) => {
        n++;
        return `__irtRegExpV(${JSON.stringify(body)});`;
      });
      if (n === 0) return { errors: [{ text: `${args.path}: no /…/v regex found to rewrite: check the Node 18 support (scripts/build-bundle.mjs)` }] };
      return { contents: `${REGEXP_V_HELPER}${contents}`, loader: 'js' };
    });
  },
};

/** Builds dist/ir-triage.mjs and its .sha256; returns what was built. */
export async function buildBundle({ outfile = BUNDLE } = {}) {
  keepOutOfNpmPackage();
  const started = process.hrtime.bigint();
  const assets = collectAssets();
  const result = await build({
    ...COMMON,
    format: 'esm',
    target: BUNDLE_TARGET,
    outfile,
    banner: { js: `#!/usr/bin/env node\n${BANNER}` },
    sourcemap: 'external',
    sourcesContent: false,
    plugins: [...COMMON.plugins, embedPlugin(embeddedModuleForBundle(assets)), node18UtilPlugin, regexpVPlugin],
  });
  chmodSync(outfile, 0o755);
  const bytes = readFileSync(outfile);
  // esbuild turns a /…/v literal into new RegExp(…, "v") for Node 18: one left means a package
  // that fails on Node 18 at run time.
  const vRegex = /new RegExp\((?:"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`(?:\\.|[^`\\])*`),\s*["'`][a-z]*v[a-z]*["'`]\)/.exec(bytes.toString('utf8'));
  if (vRegex) throw new Error(`${outfile}: a regex with the v flag, which Node 18 cannot compile: ${vRegex[0].slice(0, 120)}`);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  writeFileSync(`${outfile}.sha256`, `${sha256}  ${path.basename(outfile)}\n`);
  return {
    outfile,
    bytes: bytes.length,
    gzipBytes: gzipSync(bytes, { level: 9 }).length,
    sha256,
    assets: [...assets.keys()],
    buildMs: Number(process.hrtime.bigint() - started) / 1e6,
    warnings: result.warnings.length,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const r = await buildBundle();
  process.stdout.write(
    `${path.relative(process.cwd(), r.outfile)}: ${mib(r.bytes)} (${mib(r.gzipBytes)} gzipped), ${r.assets.length} embedded files, ${(r.buildMs / 1000).toFixed(1)} s\n` +
      `sha256 ${r.sha256}  (also in ${path.basename(r.outfile)}.sha256)\n`,
  );
}
