import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tarStream from 'tar-stream';
import { parseBoundedJson } from './bounded-json.js';
import { FindingsSchema, IncidentsFileSchema, ManifestSchema, type BundleFinding, type Manifest } from './bundle-schemas.js';
import type { z } from 'zod';
import { verifyCustodyChain } from './custody.js';
import { bundleLimits, LIMIT_ENV, type BundleLimits } from './limits.js';
import { bytesLimitText, fileKind, NotRegularFileError, openRegular, readRegular, TooLargeError } from './safe-open.js';
import { CUSTODY_FILE, MANIFEST_FILE, SUMS_FILE } from './store.js';
import { parseSums } from './sums.js';
import { errnoCode } from '../host/errors.js';

/** The incidents of the run (written by collect and run since incidents exist; older bundles lack it). */
const INCIDENTS_FILE = 'artifacts/incidents.json';
/** Small files kept in memory while hashing the rest as it streams by (each up to maxJsonBytes). */
const KEEP_IN_MEMORY = new Set([MANIFEST_FILE, SUMS_FILE, CUSTODY_FILE, 'findings.json', INCIDENTS_FILE]);
/** The sidecar is one line. */
const MAX_SIDECAR_BYTES = 4096;
/** Folders inside one another in a case folder. */
const MAX_FOLDER_DEPTH = 32;

export interface BundleEntry {
  path: string;
  size: number;
  sha256: string;
}

export interface VerifyReport {
  target: string;
  caseId: string | null;
  ok: boolean;
  problems: string[];
  notes: string[];
  files: number;
  /** manifest.json, findings.json and custody.jsonl, for callers that render them: set only when each passed its schema. */
  manifest: Manifest | null;
  findings: BundleFinding[] | null;
  /** artifacts/incidents.json when the bundle has one that passed its schema (one that does not is a note: the report names it). */
  incidents: z.infer<typeof IncidentsFileSchema> | null;
  custody: string | null;
}

/** Reading stopped at one of the limits: the message names the file and the limit. */
export class BundleLimitError extends Error {
  constructor(message: string, readonly limit: keyof BundleLimits) {
    super(`${message} (limit ${LIMIT_ENV[limit]})`);
  }
}

interface Collected {
  entries: Map<string, BundleEntry>;
  kept: Map<string, Buffer>;
  tops: Set<string>;
  problems: string[];
}

/** Every name part plain: no absolute path, no `..`, nothing empty. */
export function isPlainPath(name: string): boolean {
  return name !== '' && !name.startsWith('/') && !name.split('/').some((p) => p === '' || p === '.' || p === '..') && !name.includes('\0');
}

/** The kinds of tar entry a bundle may hold; anything else (links, devices, FIFOs) is named and not read. */
const TAR_KIND: Record<string, string> = {
  symlink: 'a symbolic link',
  link: 'a hard link',
  'character-device': 'a character device',
  'block-device': 'a block device',
  fifo: 'a FIFO',
  'contiguous-file': 'a contiguous file',
};

/**
 * Counts the decompressed bytes: past the limit the gzip stream is cut, whatever the tar
 * headers say (zeros after the end of the archive unpack too).
 */
function unpackedCap(limits: BundleLimits): Transform {
  const cap = limits.maxTotalBytes + (limits.maxEntries + 4) * 1024;
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > cap) done(new BundleLimitError(`unpacks to more than ${bytesLimitText(limits.maxTotalBytes)}`, 'maxTotalBytes'));
      else done(null, chunk);
    },
  });
}

/**
 * Checks each tar header against the limits before its data is read: returns the error that
 * stops reading, or null. `state` carries the running counts.
 */
function checkTarHeader(name: string, size: number, state: { entries: number; declared: number }, limits: BundleLimits): BundleLimitError | null {
  if (++state.entries > limits.maxEntries) return new BundleLimitError(`more than ${limits.maxEntries.toLocaleString('en-US')} entries`, 'maxEntries');
  if (!Number.isSafeInteger(size) || size < 0) return new BundleLimitError(`${name}: a size field that is not a size (${size})`, 'maxEntryBytes');
  if (size > limits.maxEntryBytes) return new BundleLimitError(`${name}: larger than ${bytesLimitText(limits.maxEntryBytes)}`, 'maxEntryBytes');
  state.declared += size;
  if (state.declared > limits.maxTotalBytes) return new BundleLimitError(`the files add up to more than ${bytesLimitText(limits.maxTotalBytes)}`, 'maxTotalBytes');
  return null;
}

/** One entry of a bundle being read: its name without a leading ./, checked against the limits already. */
export interface TarEntry {
  name: string;
  header: tarStream.ExtractEvents['entry'][0];
  stream: tarStream.ExtractEvents['entry'][1];
  /** Goes on to the next entry (or stops reading with an error) once this one's stream is consumed. */
  next: tarStream.ExtractEvents['entry'][2];
  /** Drains this entry unread and goes on. */
  skip: () => void;
}

/**
 * Reads a .tar.gz bundle entry by entry, the one way verify, the report and the undo records
 * read one: opened as a regular file, gunzipped under the unpacked cap, and every header checked
 * against the limits (entry count, entry size, declared total) before `onEntry` sees it; the
 * first limit passed stops reading with its error. `onRaw` sees the packed bytes (the bundle's
 * own hash).
 */
export async function readTarEntries(file: string, limits: BundleLimits, onEntry: (entry: TarEntry) => void, onRaw?: (chunk: Buffer) => void): Promise<void> {
  const state = { entries: 0, declared: 0 };
  const extract = tarStream.extract();
  extract.on('entry', (header, stream, next) => {
    // When reading stops, the entry's own stream fails too: the error reaches the caller through the pipeline.
    stream.on('error', () => {});
    const name = header.name.replace(/^\.\//, '');
    const over = checkTarHeader(name, header.size ?? 0, state, limits);
    if (over) {
      next(over);
      return;
    }
    const skip = () => {
      stream.on('end', next);
      stream.resume();
    };
    onEntry({ name, header, stream, next, skip });
  });
  const { handle } = await openRegular(file, { follow: true });
  const input = handle.createReadStream();
  if (onRaw) input.on('data', (chunk) => onRaw(chunk as Buffer));
  await pipeline(input, createGunzip(), unpackedCap(limits), extract);
}

async function readTarGz(file: string, limits: BundleLimits, onRaw?: (chunk: Buffer) => void): Promise<Collected> {
  const c: Collected = { entries: new Map(), kept: new Map(), tops: new Set(), problems: [] };
  await readTarEntries(file, limits, ({ name, header, stream, next, skip }) => {
    if (!isPlainPath(name.replace(/\/$/, ''))) {
      c.problems.push(`${name}: a path outside the case folder (absolute, or with ..): not read`);
      skip();
      return;
    }
    const [top, ...rest] = name.replace(/\/$/, '').split('/');
    c.tops.add(top);
    if (header.type === 'directory') {
      skip();
      return;
    }
    const rel = rest.join('/');
    if (header.type !== 'file') {
      const kind = TAR_KIND[header.type ?? ''] ?? `a ${header.type ?? 'unknown'} entry`;
      c.problems.push(`${name}: ${kind}${header.linkname ? ` to ${header.linkname}` : ''}: only files and folders belong in a bundle; not read`);
      skip();
      return;
    }
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    let size = 0;
    let keep = KEEP_IN_MEMORY.has(rel);
    if (keep && (header.size ?? 0) > limits.maxJsonBytes) {
      c.problems.push(`${rel}: larger than ${bytesLimitText(limits.maxJsonBytes)} (limit ${LIMIT_ENV.maxJsonBytes}): not read`);
      keep = false;
    }
    stream.on('data', (data: unknown) => {
      const chunk = data as Buffer;
      hash.update(chunk);
      size += chunk.length;
      if (keep) chunks.push(chunk);
    });
    stream.on('end', () => {
      if (c.entries.has(rel)) c.problems.push(`file appears twice in the bundle: ${rel}`);
      c.entries.set(rel, { path: rel, size, sha256: hash.digest('hex') });
      if (keep) c.kept.set(rel, Buffer.concat(chunks));
      next();
    });
    stream.on('error', next);
  }, onRaw);
  return c;
}

/** sha256 and size of a regular file, read through one descriptor. */
async function hashRegular(file: string, follow: boolean): Promise<{ sha256: string; size: number }> {
  const { handle } = await openRegular(file, { follow });
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of handle.createReadStream()) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

async function readDirectory(dir: string, limits: BundleLimits): Promise<Collected> {
  const c: Collected = { entries: new Map(), kept: new Map(), tops: new Set([path.basename(path.resolve(dir))]), problems: [] };
  const state = { entries: 0, declared: 0 };
  async function walk(rel: string, depth: number): Promise<void> {
    if (depth > MAX_FOLDER_DEPTH) {
      c.problems.push(`${rel}: folders deeper than ${MAX_FOLDER_DEPTH}: not read`);
      return;
    }
    for (const d of await fsp.readdir(path.join(dir, rel), { withFileTypes: true })) {
      const childRel = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) {
        await walk(childRel, depth + 1);
        continue;
      }
      const abs = path.join(dir, childRel);
      try {
        // Opened without following a link and checked on the descriptor: a FIFO or a link to /dev/zero is named, never read.
        const { handle, stat } = await openRegular(abs);
        await handle.close();
        const over = checkTarHeader(childRel, stat.size, state, limits);
        if (over) throw over;
        const keep = KEEP_IN_MEMORY.has(childRel);
        if (keep && stat.size > limits.maxJsonBytes) {
          c.problems.push(`${childRel}: larger than ${bytesLimitText(limits.maxJsonBytes)} (limit ${LIMIT_ENV.maxJsonBytes}): not read`);
        } else if (keep) {
          const bytes = await readRegular(abs, limits.maxJsonBytes);
          c.kept.set(childRel, bytes);
          c.entries.set(childRel, { path: childRel, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
          continue;
        }
        const { sha256, size } = await hashRegular(abs, false);
        c.entries.set(childRel, { path: childRel, size, sha256 });
      } catch (err) {
        if (err instanceof BundleLimitError) throw err;
        if (err instanceof NotRegularFileError) c.problems.push(`unexpected non-file in the case folder: ${childRel} (${err.what})`);
        else if (err instanceof TooLargeError) c.problems.push(`${childRel}: larger than ${bytesLimitText(err.maxBytes)}: not read`);
        else c.problems.push(`${childRel}: cannot be read (${errnoCode(err) ?? (err as Error).message})`);
      }
    }
  }
  await walk('', 0);
  return c;
}

/** An age-encrypted file starts with its version line. */
async function isAgeFile(file: string): Promise<boolean> {
  const opened = await openRegular(file, { follow: true }).catch(() => null);
  if (!opened) return false;
  try {
    const head = Buffer.alloc(21);
    const { bytesRead } = await opened.handle.read(head, 0, head.length, 0);
    return head.subarray(0, bytesRead).toString('latin1') === 'age-encryption.org/v1';
  } finally {
    await opened.handle.close();
  }
}

/** The sidecar's text; null when there is none. A sidecar that is not a regular file (a FIFO, a link) is a problem, never read. */
async function readSidecar(sidecar: string): Promise<{ text: string | null; problem: string | null }> {
  try {
    return { text: (await readRegular(sidecar, MAX_SIDECAR_BYTES)).toString('utf8'), problem: null };
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return { text: null, problem: null };
    if (err instanceof NotRegularFileError) return { text: null, problem: `${path.basename(sidecar)}: ${err.what}, not a regular file: not read` };
    if (err instanceof TooLargeError) return { text: null, problem: `${path.basename(sidecar)}: larger than ${bytesLimitText(MAX_SIDECAR_BYTES)}: not a sidecar` };
    return { text: null, problem: `${path.basename(sidecar)}: cannot be read (${errnoCode(err) ?? (err as Error).message})` };
  }
}

/**
 * Checks a bundle (.tar.gz) or a kept case folder: the sidecar, every file against SHA256SUMS and
 * manifest.json, files added or missing, the custody chain, and each JSON file against its
 * schema. Reads within the limits (bundleLimits()); a bundle past one is not intact, the limit
 * named. Names each problem; never throws for what the bundle holds.
 */
export async function verifyBundle(target: string, limits: BundleLimits = bundleLimits()): Promise<VerifyReport> {
  const report: VerifyReport = {
    target,
    caseId: null,
    ok: false,
    problems: [],
    notes: [],
    files: 0,
    manifest: null,
    findings: null,
    incidents: null,
    custody: null,
  };
  let st;
  try {
    st = await fsp.stat(target);
  } catch (err) {
    report.problems.push(`${target}: ${errnoCode(err) === 'ENOENT' ? 'no such file' : (errnoCode(err) ?? String(err))}`);
    return report;
  }

  let c: Collected;
  if (st.isDirectory()) {
    try {
      c = await readDirectory(target, limits);
    } catch (err) {
      report.problems.push(`${path.basename(path.resolve(target))}: ${err instanceof BundleLimitError ? 'stopped reading: ' : 'cannot be read: '}${(err as Error).message}`);
      return report;
    }
  } else if (!st.isFile()) {
    report.problems.push(`${target}: ${fileKind(st)}, not a regular file: not read`);
    return report;
  } else {
    const sidecar = `${target}.sha256`;
    const { text: sidecarText, problem: sidecarProblem } = await readSidecar(sidecar);
    if (sidecarProblem) report.problems.push(sidecarProblem);
    const encrypted = await isAgeFile(target);
    // One read: the archive's own hash is taken from the same bytes the tar reader unpacks.
    const raw = createHash('sha256');
    let rawBytes = 0;
    let unreadable: Error | null = null;
    let tar: Collected | null = null;
    if (!encrypted) {
      try {
        tar = await readTarGz(target, limits, (chunk) => {
          raw.update(chunk);
          rawBytes += chunk.length;
        });
      } catch (err) {
        unreadable = err as Error;
      }
    }
    if (sidecarText === null) {
      if (!sidecarProblem) report.notes.push(`no sidecar ${path.basename(sidecar)} beside the bundle: the archive's own hash was not checked`);
    } else {
      const m = /^([0-9a-f]{64}) [ *](.+)$/m.exec(sidecarText.trim());
      // A read cut short (a broken archive) or a file that changed size is hashed again on its own.
      const actual = !encrypted && !unreadable && rawBytes === st.size ? raw.digest('hex') : await hashRegular(target, true).then((h) => h.sha256, () => null);
      if (!m) report.problems.push(`${path.basename(sidecar)} is not in sha256sum format`);
      else if (actual === null) report.problems.push(`${path.basename(target)} could not be read again to check ${path.basename(sidecar)}`);
      else if (m[1] !== actual) report.problems.push(`the bundle's sha256 ${actual} does not match ${path.basename(sidecar)} (${m[1]})`);
      else report.notes.push(`bundle sha256 ${actual} matches ${path.basename(sidecar)}`);
    }
    if (encrypted) {
      report.problems.push(`${path.basename(target)} is encrypted (age): decrypt it first with ir-triage decrypt ${path.basename(target)} --identity KEYFILE, then verify the .tar.gz`);
      return report;
    }
    if (unreadable || !tar) {
      const name = path.basename(target);
      report.problems.push(unreadable instanceof BundleLimitError ? `${name}: stopped reading: ${unreadable.message}` : `${name} is not a readable .tar.gz: ${unreadable?.message ?? 'nothing read'}`);
      return report;
    }
    c = tar;
  }
  report.problems.push(...c.problems);
  if (c.tops.size !== 1) report.problems.push(`the bundle must hold one top folder, found: ${[...c.tops].slice(0, 10).join(', ') || 'none'}${c.tops.size > 10 ? ', …' : ''}`);
  report.caseId = [...c.tops][0] ?? null;
  report.files = c.entries.size;

  const sumsText = c.kept.get(SUMS_FILE)?.toString('utf8');
  const sums = sumsText === undefined ? null : parseSums(sumsText);
  if (!sums) {
    if (!c.entries.has(SUMS_FILE)) report.problems.push(`${SUMS_FILE} is missing`);
  } else {
    for (const n of sums.bad.slice(0, 20)) report.problems.push(`${SUMS_FILE} line ${n} is not "<sha256>  <path>"`);
    for (const [rel, want] of sums.entries) {
      const got = c.entries.get(rel);
      if (!got) report.problems.push(`missing file: ${rel} (listed in ${SUMS_FILE})`);
      else if (got.sha256 !== want) report.problems.push(`hash mismatch: ${rel} (${SUMS_FILE} says ${want}, file is ${got.sha256})`);
    }
    for (const rel of c.entries.keys()) {
      if (rel !== SUMS_FILE && !sums.entries.has(rel)) report.problems.push(`unexpected file: ${rel} (not in ${SUMS_FILE})`);
    }
  }

  const manifestText = c.kept.get(MANIFEST_FILE)?.toString('utf8');
  if (manifestText === undefined) {
    if (!c.entries.has(MANIFEST_FILE)) report.problems.push(`${MANIFEST_FILE} is missing`);
  } else {
    const parsed = parseBoundedJson(MANIFEST_FILE, manifestText, ManifestSchema, limits);
    if (parsed.ok) report.manifest = parsed.value;
    else report.problems.push(...parsed.problems);
  }
  if (report.manifest) {
    const listed = report.manifest.files;
    const listedPaths = new Set(listed.map((f) => f.path));
    for (const f of listed) {
      const got = c.entries.get(f.path);
      if (!got) report.problems.push(`missing file: ${f.path} (listed in ${MANIFEST_FILE})`);
      else if (got.sha256 !== f.sha256 || got.size !== f.size) report.problems.push(`changed file: ${f.path} (size or sha256 differs from ${MANIFEST_FILE})`);
    }
    for (const rel of c.entries.keys()) {
      if (rel !== MANIFEST_FILE && rel !== SUMS_FILE && !listedPaths.has(rel)) report.problems.push(`unexpected file: ${rel} (not in ${MANIFEST_FILE})`);
    }
    if (report.caseId && report.manifest.case !== report.caseId) report.problems.push(`${MANIFEST_FILE} names case ${report.manifest.case} but the top folder is ${report.caseId}`);
  }

  const custody = c.kept.get(CUSTODY_FILE)?.toString('utf8');
  if (custody === undefined) {
    if (!c.entries.has(CUSTODY_FILE)) report.problems.push(`${CUSTODY_FILE} is missing`);
  } else {
    const chain = verifyCustodyChain(custody, limits);
    for (const p of chain) report.problems.push(p.message);
    if (chain.length === 0) report.custody = custody;
  }
  const findings = c.kept.get('findings.json')?.toString('utf8');
  if (findings !== undefined) {
    const parsed = parseBoundedJson('findings.json', findings, FindingsSchema, limits);
    if (parsed.ok) report.findings = parsed.value;
    else report.problems.push(...parsed.problems);
  }
  const incidents = c.kept.get(INCIDENTS_FILE)?.toString('utf8');
  if (incidents !== undefined) {
    const parsed = parseBoundedJson(INCIDENTS_FILE, incidents, IncidentsFileSchema, limits);
    if (parsed.ok) report.incidents = parsed.value;
    else report.notes.push(`${parsed.problems[0]}: the incidents are left out`);
  }
  // Problems are deduplicated: one edit can be seen by both SHA256SUMS and the manifest.
  report.problems = [...new Set(report.problems)];
  report.ok = report.problems.length === 0;
  return report;
}
