import { TarArchive } from 'archiver';
import { createHash } from 'node:crypto';
import { createWriteStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CliError } from '../model/errors.js';
import type { StoredFile } from '../model/sink.js';
import { MANIFEST_FILE, SUMS_FILE, type CaseStore } from './store.js';
import { formatSums } from './sums.js';

export interface SealedBundle {
  bundle: string;
  sidecar: string;
  sha256: string;
  size: number;
}

/**
 * Writes manifest.json (every file but itself and SHA256SUMS) and SHA256SUMS (every other file),
 * then the .tar.gz from the staged copies and its .sha256 sidecar.
 */
export async function sealCase(store: CaseStore, manifest: Record<string, unknown>): Promise<SealedBundle> {
  await store.sealCustody();
  const listed = [...store.files.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
  await store.writeFile(MANIFEST_FILE, JSON.stringify({ ...manifest, files: listed }, null, 2) + '\n');
  await store.writeFile(SUMS_FILE, formatSums([...store.files.values()]));
  return writeBundle(store.dir, store.caseId, [...store.files.values()]);
}

/** The .tar.gz with one top folder <case>/, written beside a .partial name and renamed when whole. */
export async function writeBundle(caseDir: string, caseId: string, files: StoredFile[]): Promise<SealedBundle> {
  const outDir = path.dirname(caseDir);
  const bundle = path.join(outDir, `${caseId}.tar.gz`);
  const partialPath = `${bundle}.partial`;
  const hash = createHash('sha256');
  let size = 0;
  const hasher = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  const archive = new TarArchive({ gzip: true, gzipOptions: { level: 6 } });
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : 1));
  for (const f of sorted) {
    archive.file(path.join(caseDir, f.path), { name: `${caseId}/${f.path}`, mode: 0o644 });
  }
  const done = pipeline(archive, hasher, createWriteStream(partialPath, { mode: 0o600 }));
  try {
    await Promise.all([archive.finalize(), done]);
  } catch (err) {
    archive.abort();
    await fsp.rm(partialPath, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOSPC' ? 'the disk is full' : (err as Error).message;
    throw new CliError(`could not write the bundle ${bundle}: ${why}; the staged evidence is kept in ${caseDir}`);
  }
  await fsp.rename(partialPath, bundle);
  const sha256 = hash.digest('hex');
  const sidecar = `${bundle}.sha256`;
  try {
    await fsp.writeFile(sidecar, `${sha256}  ${path.basename(bundle)}\n`, { mode: 0o644 });
  } catch (err) {
    throw new CliError(`could not write ${sidecar}: ${(err as NodeJS.ErrnoException).code ?? String(err)}; the staged evidence is kept in ${caseDir}`);
  }
  return { bundle, sidecar, sha256, size };
}
