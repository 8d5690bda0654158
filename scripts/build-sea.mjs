// npm run build:sea → dist/ir-triage: a standalone executable (Node's single executable
// application, SEA): this machine's node binary with the CLI injected, for boxes without Node.
//
// Node 20's SEA runs a CommonJS main whose require() loads only built-in modules, so the CLI is
// bundled by esbuild as CommonJS; the playbooks/ folder, package.json's name and version and
// sql.js's wasm become SEA assets, read back with node:sea's getAsset (src/assets.ts).
// The result is tied to the node that built it (version and glibc floor: docs/deploy.md).
// Never `strip` it: the stripped binary crashes at start.
//
// The build is reproducible: the same node and the same checkout make the same bytes, so anyone
// can rebuild the binary and compare its sha256. V8's code cache would start it on about a third
// less CPU but differs from build to build, so it is off unless asked for.
//
// Options: --code-cache (V8's code cache in the blob: faster start, not reproducible), --out FILE.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { collectAssets, COMMON, DIST, embeddedModuleForSea, embedPlugin, keepOutOfNpmPackage, mib, REPO } from './single-file.mjs';

export const SEA = path.join(DIST, 'ir-triage');

/** The fuse postject flips so that node looks for the injected blob (Node's SEA docs). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** Builds dist/ir-triage and its .sha256; returns what was built. */
export async function buildSea({ outfile = SEA, codeCache = false } = {}) {
  keepOutOfNpmPackage();
  const started = process.hrtime.bigint();
  const work = mkdtempSync(path.join(os.tmpdir(), 'irt-sea-build-'));
  try {
    const assets = collectAssets();
    const main = path.join(work, 'ir-triage.cjs');
    await build({
      ...COMMON,
      format: 'cjs',
      // The SEA runs the node that builds it: no lower target is needed.
      target: `node${process.versions.node.split('.')[0]}`,
      outfile: main,
      // Packages that locate themselves with import.meta.url (ps-list) get the CommonJS equivalent.
      define: { 'import.meta.url': '__irtImportMetaUrl' },
      banner: { js: "const __irtImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
      plugins: [...COMMON.plugins, embedPlugin(embeddedModuleForSea(assets))],
    });

    // Each asset as a file for the SEA config, under its package-relative key.
    const assetFiles = {};
    for (const [key, bytes] of assets) {
      const file = path.join(work, 'assets', key);
      mkdirFor(file);
      writeFileSync(file, bytes);
      assetFiles[key] = path.relative(work, file);
    }
    const blob = path.join(work, 'sea-prep.blob');
    const config = path.join(work, 'sea-config.json');
    // Paths relative to the work folder: the blob records the name of main, and a temporary
    // folder's name in it would make every build differ.
    const seaConfig = { main: path.basename(main), output: path.basename(blob), disableExperimentalSEAWarning: true, useCodeCache: codeCache, assets: assetFiles };
    writeFileSync(config, JSON.stringify(seaConfig, null, 2));
    run(process.execPath, ['--experimental-sea-config', config], work);

    // Inject into a copy of this node, then move it into place in one step.
    const tmp = path.join(work, 'ir-triage');
    copyFileSync(process.execPath, tmp);
    chmodSync(tmp, 0o755);
    const postject = path.join(REPO, 'node_modules/.bin/postject');
    run(postject, [tmp, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], work);
    mkdirFor(outfile);
    copyFileSync(tmp, outfile);
    chmodSync(outfile, 0o755);

    const bytes = readFileSync(outfile);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    writeFileSync(`${outfile}.sha256`, `${sha256}  ${path.basename(outfile)}\n`);
    return {
      outfile,
      bytes: bytes.length,
      gzipBytes: gzipSync(bytes, { level: 6 }).length,
      mainBytes: readFileSync(main).length,
      blobBytes: readFileSync(blob).length,
      sha256,
      node: process.version,
      codeCache,
      assets: [...assets.keys()],
      buildMs: Number(process.hrtime.bigint() - started) / 1e6,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Runs a build step quietly; its output is shown only when it fails. */
function run(file, args, cwd) {
  try {
    execFileSync(file, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (err) {
    throw new Error(`${path.basename(file)} ${args.join(' ')} failed (exit ${err.status}):\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
}

function mkdirFor(file) {
  mkdirSync(path.dirname(file), { recursive: true });
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  const outAt = args.indexOf('--out');
  const r = await buildSea({ codeCache: args.includes('--code-cache'), outfile: outAt >= 0 ? path.resolve(args[outAt + 1]) : SEA });
  process.stdout.write(
    `${path.relative(process.cwd(), r.outfile)}: ${mib(r.bytes)} (${mib(r.gzipBytes)} gzipped), node ${r.node}, code cache ${r.codeCache ? 'on' : 'off'}, ${r.assets.length} embedded files, ${(r.buildMs / 1000).toFixed(1)} s\n` +
      `sha256 ${r.sha256}  (also in ${path.basename(r.outfile)}.sha256)\n`,
  );
}
