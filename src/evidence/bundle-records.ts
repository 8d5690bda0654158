import { createHash } from 'node:crypto';
import { CliError } from '../model/errors.js';
import { bundleLimits, DEFAULT_LIMITS } from './limits.js';
import { openRegular } from './safe-open.js';
import { isPlainPath, readTarEntries, verifyBundle } from './verify.js';

/** The largest undo record read into memory: a JSON file of the bundle, under the same limit. */
export const MAX_RECORD_BYTES = DEFAULT_LIMITS.maxJsonBytes;

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
  // Non-blocking and checked on the descriptor: a FIFO named as the record is refused, not waited on.
  const { handle: fh } = await openRegular(file, { follow: true });
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
  const limits = bundleLimits();
  const report = await verifyBundle(bundle, limits);
  if (!report.ok) throw new CliError(`${bundle} does not verify, so its undo records are not trusted: ${report.problems.join('; ')}`);
  const listed = new Map((report.manifest?.files ?? []).map((f) => [f.path, f.sha256]));
  const found: BundleRecord[] = [];
  // The same limits as verify: the bundle read now is the one verified only if nothing swapped it.
  await readTarEntries(bundle, limits, ({ name, header, stream, next, skip }) => {
    const rel = name.split('/').slice(1).join('/');
    if (header.type !== 'file' || !isPlainPath(name) || !pattern.test(rel) || (header.size ?? 0) > limits.maxJsonBytes) {
      skip();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (data: unknown) => {
      const d = data as Buffer;
      size += d.length;
      if (size <= limits.maxJsonBytes) chunks.push(d);
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
  return found;
}
