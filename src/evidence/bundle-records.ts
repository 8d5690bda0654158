import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tarStream from 'tar-stream';
import { CliError } from '../model/errors.js';
import { verifyBundle } from './verify.js';

/** The largest undo record read into memory. */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024;

/** A file of a bundle, read after the whole bundle verified and checked against its manifest hash. */
export interface BundleRecord {
  /** Path inside the case folder (actions/quarantine-1.json). */
  rel: string;
  /** bundle.tar.gz:<case>/actions/quarantine-1.json, for messages. */
  source: string;
  sha256: string;
  bytes: Buffer;
}

/** A gzip file (a bundle) rather than a JSON record. */
export async function isGzip(file: string): Promise<boolean> {
  const fh = await fsp.open(file, 'r');
  try {
    const head = Buffer.alloc(2);
    await fh.read(head, 0, 2, 0);
    return head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/**
 * The files of a bundle whose case-relative path matches `pattern` (the undo records under
 * actions/), read only once the whole bundle verified, each checked against manifest.json's hash:
 * a record that undoes changes on a box is never taken from a bundle that was edited.
 */
export async function verifiedBundleRecords(bundle: string, pattern: RegExp): Promise<BundleRecord[]> {
  const report = await verifyBundle(bundle);
  if (!report.ok) throw new CliError(`${bundle} does not verify, so its undo records are not trusted: ${report.problems.join('; ')}`);
  const listed = new Map(((report.manifest?.files ?? []) as Array<{ path: string; sha256: string }>).map((f) => [f.path, f.sha256]));
  const found: BundleRecord[] = [];
  const extract = tarStream.extract();
  extract.on('entry', (header, stream, next) => {
    const rel = header.name.replace(/^\.\//, '').split('/').slice(1).join('/');
    if (header.type !== 'file' || !pattern.test(rel)) {
      stream.resume();
      stream.on('end', next);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (data: unknown) => {
      const d = data as Buffer;
      size += d.length;
      if (size <= MAX_RECORD_BYTES) chunks.push(d);
    });
    stream.on('end', () => {
      const bytes = Buffer.concat(chunks);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      if (listed.get(rel) !== sha256) {
        next(new Error(`${rel} does not match the hash in manifest.json`));
        return;
      }
      found.push({ rel, source: `${bundle}:${header.name}`, sha256, bytes });
      next();
    });
    stream.on('error', next);
  });
  await pipeline(createReadStream(bundle), createGunzip(), extract);
  return found;
}
