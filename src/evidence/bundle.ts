import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CliError } from '../model/errors.js';
import { NO_PROGRESS, type Progress } from '../model/progress.js';
import type { StoredFile } from '../model/sink.js';
import { encryptFile } from './encrypt.js';
import { sha256File } from './hash.js';
import { OutputFolder, writableTo } from './new-files.js';
import type { Manifest } from './bundle-schemas.js';
import { TOOL_ACTOR } from './custody.js';
import { ParallelGzip } from './parallel-gzip.js';
import { MANIFEST_FILE, SUMS_FILE, type CaseStore } from './store.js';
import { formatSums } from './sums.js';
import { verifyBundle, type VerifyReport } from './verify.js';
import { errnoCode } from '../host/errors.js';

export interface SealedBundle {
  bundle: string;
  sidecar: string;
  sha256: string;
  size: number;
  /** Set when the bundle was encrypted: `bundle`, `sha256` and `size` are then the .age file's. */
  encryption?: BundleEncryption;
  /** The check of the plaintext bundle, when sealing already made it (encryption needs it first). */
  verified?: VerifyReport;
}

/** What the investigator needs to know about an encrypted bundle, outside it. */
export interface BundleEncryption {
  format: 'age';
  recipients: string[];
  /** The plaintext .tar.gz, as `ir-triage decrypt` will write it back. */
  plaintextSha256: string;
  plaintextSize: number;
}

export interface SealOptions {
  /** age recipients (age1…): the bundle becomes <case>.tar.gz.age; the plaintext .tar.gz never leaves the staging folder. */
  encryptTo?: readonly string[];
  /** Where the compression reports how far it is (a terminal line when someone watches). */
  progress?: Progress;
}

/** Where the plaintext .tar.gz is made and checked before encryption: inside the staging folder, removed with it. */
const SEALING_DIR = '.sealing';

/**
 * Writes manifest.json (every file but itself and SHA256SUMS) and SHA256SUMS (every other file),
 * then the .tar.gz from the staged copies and its .sha256 sidecar. With `encryptTo`, the custody
 * log first records the recipients (inside the bundle, so the investigator sees who else can open
 * it), and the bundle is written as <case>.tar.gz.age (see sealEncrypted).
 */
export async function sealCase(store: CaseStore, manifest: Omit<Manifest, 'files'>, opts: SealOptions = {}): Promise<SealedBundle> {
  const recipients = [...(opts.encryptTo ?? [])];
  if (recipients.length > 0) store.custody.append(TOOL_ACTOR, 'encrypting-bundle', { format: 'age', recipients });
  await store.sealCustody();
  const listed = [...store.files.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
  const written: Manifest = { ...manifest, files: listed };
  await store.writeFile(MANIFEST_FILE, JSON.stringify(written, null, 2) + '\n');
  await store.writeFile(SUMS_FILE, formatSums([...store.files.values()]));
  if (recipients.length > 0) return sealEncrypted(store, [...store.files.values()], recipients, opts.progress);
  return writeBundle(store, [...store.files.values()], store.out, opts.progress);
}

/**
 * The encrypted bundle: the plaintext .tar.gz is written inside the staging folder (which holds
 * the same evidence unpacked, mode 0700), verified, streamed through age into
 * <out>/<case>.tar.gz.age, and removed. Its sidecar hashes the .age file, so a courier can check
 * what they carry without the key. Nothing plaintext is ever written beside the .age file.
 */
async function sealEncrypted(store: CaseStore, files: StoredFile[], recipients: string[], progress?: Progress): Promise<SealedBundle> {
  const sealing = store.folder.makeFolder(SEALING_DIR, 0o700);
  try {
    const plain = await writeBundle(store, files, sealing, progress);
    const verified = await verifyBundle(sealing.at(path.basename(plain.bundle)));
    if (!verified.ok) {
      throw new CliError(`the bundle did not verify after writing (${verified.problems[0]}); nothing was encrypted; the staged evidence is kept in ${store.dir}`);
    }
    const name = `${store.caseId}.tar.gz.age`;
    const bundle = store.out.show(name);
    let written;
    try {
      written = await encryptFile(sealing.at(path.basename(plain.bundle)), { folder: store.out, name }, recipients);
    } catch (err) {
      throw new CliError(`${(err as Error).message}; the staged evidence is kept in ${store.dir}`);
    }
    // Re-read: what reached the disk (a USB stick, say) is what the sidecar vouches for.
    const onDisk = await sha256File(store.out.at(name));
    if (onDisk.sha256 !== written.sha256 || onDisk.size !== written.size) {
      await fsp.rm(store.out.at(name), { force: true });
      throw new CliError(`the encrypted bundle ${bundle} read back differently from what was written (a failing disk?); the staged evidence is kept in ${store.dir}`);
    }
    const sidecar = await writeSidecar(store.out, name, written.sha256, store.dir);
    return {
      bundle,
      sidecar,
      sha256: written.sha256,
      size: written.size,
      encryption: { format: 'age', recipients, plaintextSha256: plain.sha256, plaintextSize: plain.size },
      verified,
    };
  } finally {
    sealing.remove();
  }
}

/** The sidecar `<bundle>.sha256`, created new beside the bundle. */
async function writeSidecar(out: OutputFolder, bundleName: string, sha256: string, caseDir: string): Promise<string> {
  const name = `${bundleName}.sha256`;
  try {
    await out.writeFile(name, `${sha256}  ${bundleName}\n`, 0o644);
  } catch (err) {
    const code = errnoCode(err);
    const why = code === 'ENOSPC' ? 'the disk is full' : code === 'EEXIST' ? 'it already exists (moved there during the run)' : code ?? String(err);
    throw new CliError(`could not write the bundle's sidecar ${out.show(name)}: ${why}; the staged evidence is kept in ${caseDir}`);
  }
  return out.show(name);
}

/**
 * The .tar.gz with one top folder <case>/, read from the staging folder and written into `into`
 * (--out, or the sealing folder), under a private folder first and linked to its name when whole.
 */
export async function writeBundle(store: CaseStore, files: StoredFile[], into: OutputFolder = store.out, progress: Progress = NO_PROGRESS): Promise<SealedBundle> {
  const { caseId } = store;
  const name = `${caseId}.tar.gz`;
  const bundle = into.show(name);
  const hash = createHash('sha256');
  let size = 0;
  const hasher = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  // The tar stream is gzipped in members on every core (ParallelGzip), at level 6. archiver is
  // loaded here, when the bundle is written, not at start-up: a live run reads the box first.
  const { TarArchive } = await import('archiver');
  const archive = new TarArchive({ gzip: false });
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : 1));
  for (const f of sorted) {
    archive.file(store.folder.at(f.path), { name: `${caseId}/${f.path}`, mode: 0o644 });
  }
  // The tar's size: a 512-byte header and the content padded to 512 per file, two empty blocks at the end.
  const tarBytes = sorted.reduce((n, f) => n + 512 + Math.ceil(f.size / 512) * 512, 1024);
  const task = progress.start('compressing the bundle', tarBytes);
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      task.add(chunk.length);
      done(null, chunk);
    },
  });
  try {
    await into.publish(name, 0o600, async (fh) => {
      const done = pipeline(archive, counter, new ParallelGzip(6), hasher, writableTo(fh));
      await Promise.all([archive.finalize(), done]);
    });
  } catch (err) {
    // Stops reading the staged files. archiver's abort() also unpipes its engine, which a tar
    // stream without archiver's own gzip cannot do (it throws): the pipeline has already torn the
    // streams down, so a failing abort changes nothing.
    try {
      archive.abort();
    } catch {
      archive.destroy();
    }
    const code = errnoCode(err);
    const why = code === 'ENOSPC' ? 'the disk is full' : code === 'EEXIST' ? 'it already exists (moved there during the run)' : (err as Error).message;
    throw new CliError(`could not write the bundle ${bundle}: ${why}; the staged evidence is kept in ${store.dir}`);
  } finally {
    task.done();
  }
  const sha256 = hash.digest('hex');
  const sidecar = into === store.out ? await writeSidecar(into, name, sha256, store.dir) : '';
  return { bundle, sidecar, sha256, size };
}
