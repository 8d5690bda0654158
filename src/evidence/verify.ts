import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tarStream from 'tar-stream';
import { verifyCustodyChain } from './custody.js';
import { sha256File } from './hash.js';
import { CUSTODY_FILE, MANIFEST_FILE, SUMS_FILE } from './store.js';
import { parseSums } from './sums.js';

/** Small files kept in memory while hashing the rest as it streams by. */
const KEEP_IN_MEMORY = new Set([MANIFEST_FILE, SUMS_FILE, CUSTODY_FILE, 'findings.json']);
const MAX_KEPT_BYTES = 256 * 1024 * 1024;

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
  /** The contents of manifest.json, findings.json and custody.jsonl, for callers that render them. */
  manifest: Record<string, unknown> | null;
  findings: unknown[] | null;
  custody: string | null;
}

interface Collected {
  entries: Map<string, BundleEntry>;
  kept: Map<string, Buffer>;
  tops: Set<string>;
  problems: string[];
}

async function readTarGz(file: string, onRaw?: (chunk: Buffer) => void): Promise<Collected> {
  const c: Collected = { entries: new Map(), kept: new Map(), tops: new Set(), problems: [] };
  const extract = tarStream.extract();
  extract.on('entry', (header, stream, next) => {
    const name = header.name.replace(/^\.\//, '');
    const [top, ...rest] = name.split('/');
    c.tops.add(top);
    if (header.type === 'directory') {
      stream.resume();
      stream.on('end', next);
      return;
    }
    const rel = rest.join('/');
    if (header.type !== 'file') c.problems.push(`unexpected ${header.type} entry in the bundle: ${name}`);
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    let size = 0;
    const keep = KEEP_IN_MEMORY.has(rel);
    stream.on('data', (data: unknown) => {
      const chunk = data as Buffer;
      hash.update(chunk);
      size += chunk.length;
      if (keep && size <= MAX_KEPT_BYTES) chunks.push(chunk);
    });
    stream.on('end', () => {
      if (c.entries.has(rel)) c.problems.push(`file appears twice in the bundle: ${rel}`);
      c.entries.set(rel, { path: rel, size, sha256: hash.digest('hex') });
      if (keep) c.kept.set(rel, Buffer.concat(chunks));
      next();
    });
    stream.on('error', next);
  });
  const input = createReadStream(file);
  if (onRaw) input.on('data', (chunk) => onRaw(chunk as Buffer));
  await pipeline(input, createGunzip(), extract);
  return c;
}

async function readDirectory(dir: string): Promise<Collected> {
  const c: Collected = { entries: new Map(), kept: new Map(), tops: new Set([path.basename(dir)]), problems: [] };
  async function walk(rel: string): Promise<void> {
    for (const d of await fsp.readdir(path.join(dir, rel), { withFileTypes: true })) {
      const childRel = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) await walk(childRel);
      else if (d.isFile()) {
        const abs = path.join(dir, childRel);
        const { sha256, size } = await sha256File(abs);
        c.entries.set(childRel, { path: childRel, size, sha256 });
        if (KEEP_IN_MEMORY.has(childRel)) c.kept.set(childRel, await fsp.readFile(abs));
      } else c.problems.push(`unexpected non-file in the case folder: ${childRel}`);
    }
  }
  await walk('');
  return c;
}

/**
 * Checks a bundle (.tar.gz) or a kept case folder: the sidecar, every file against SHA256SUMS and
 * manifest.json, files added or missing, and the custody chain. Names each problem.
 */
/** An age-encrypted file starts with its version line. */
async function isAgeFile(file: string): Promise<boolean> {
  const fh = await fsp.open(file, 'r').catch(() => null);
  if (!fh) return false;
  try {
    const head = Buffer.alloc(21);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    return head.subarray(0, bytesRead).toString('latin1') === 'age-encryption.org/v1';
  } finally {
    await fh.close();
  }
}

export async function verifyBundle(target: string): Promise<VerifyReport> {
  const report: VerifyReport = {
    target,
    caseId: null,
    ok: false,
    problems: [],
    notes: [],
    files: 0,
    manifest: null,
    findings: null,
    custody: null,
  };
  let st;
  try {
    st = await fsp.stat(target);
  } catch (err) {
    report.problems.push(`${target}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(err)}`);
    return report;
  }

  let c: Collected;
  if (st.isDirectory()) {
    c = await readDirectory(target);
  } else {
    const sidecar = `${target}.sha256`;
    const sidecarText = await fsp.readFile(sidecar, 'utf8').catch(() => null);
    const encrypted = await isAgeFile(target);
    // One read: the archive's own hash is taken from the same bytes the tar reader unpacks.
    const raw = createHash('sha256');
    let rawBytes = 0;
    let unreadable: Error | null = null;
    let tar: Collected | null = null;
    if (!encrypted) {
      try {
        tar = await readTarGz(target, (chunk) => {
          raw.update(chunk);
          rawBytes += chunk.length;
        });
      } catch (err) {
        unreadable = err as Error;
      }
    }
    if (sidecarText === null) {
      report.notes.push(`no sidecar ${path.basename(sidecar)} beside the bundle: the archive's own hash was not checked`);
    } else {
      const m = /^([0-9a-f]{64}) [ *](.+)$/m.exec(sidecarText.trim());
      // A read cut short (a broken archive) or a file that changed size is hashed again on its own.
      const actual = !encrypted && !unreadable && rawBytes === st.size ? raw.digest('hex') : (await sha256File(target)).sha256;
      if (!m) report.problems.push(`${path.basename(sidecar)} is not in sha256sum format`);
      else if (m[1] !== actual) report.problems.push(`the bundle's sha256 ${actual} does not match ${path.basename(sidecar)} (${m[1]})`);
      else report.notes.push(`bundle sha256 ${actual} matches ${path.basename(sidecar)}`);
    }
    if (encrypted) {
      report.problems.push(`${path.basename(target)} is encrypted (age): decrypt it first with ir-triage decrypt ${path.basename(target)} --identity KEYFILE, then verify the .tar.gz`);
      return report;
    }
    if (unreadable || !tar) {
      report.problems.push(`${path.basename(target)} is not a readable .tar.gz: ${unreadable?.message ?? 'nothing read'}`);
      return report;
    }
    c = tar;
  }
  report.problems.push(...c.problems);
  if (c.tops.size !== 1) report.problems.push(`the bundle must hold one top folder, found: ${[...c.tops].join(', ') || 'none'}`);
  report.caseId = [...c.tops][0] ?? null;
  report.files = c.entries.size;

  const sumsText = c.kept.get(SUMS_FILE)?.toString('utf8');
  const sums = sumsText === undefined ? null : parseSums(sumsText);
  if (!sums) report.problems.push(`${SUMS_FILE} is missing`);
  else {
    for (const n of sums.bad) report.problems.push(`${SUMS_FILE} line ${n} is not "<sha256>  <path>"`);
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
  if (manifestText === undefined) report.problems.push(`${MANIFEST_FILE} is missing`);
  else {
    try {
      report.manifest = JSON.parse(manifestText) as Record<string, unknown>;
    } catch {
      report.problems.push(`${MANIFEST_FILE} is not valid JSON`);
    }
  }
  if (report.manifest) {
    const listed = Array.isArray(report.manifest.files) ? (report.manifest.files as BundleEntry[]) : [];
    const listedPaths = new Set(listed.map((f) => f.path));
    for (const f of listed) {
      const got = c.entries.get(f.path);
      if (!got) report.problems.push(`missing file: ${f.path} (listed in ${MANIFEST_FILE})`);
      else if (got.sha256 !== f.sha256 || got.size !== f.size) report.problems.push(`changed file: ${f.path} (size or sha256 differs from ${MANIFEST_FILE})`);
    }
    for (const rel of c.entries.keys()) {
      if (rel !== MANIFEST_FILE && rel !== SUMS_FILE && !listedPaths.has(rel)) report.problems.push(`unexpected file: ${rel} (not in ${MANIFEST_FILE})`);
    }
    if (report.caseId && report.manifest.case !== report.caseId) report.problems.push(`${MANIFEST_FILE} names case ${String(report.manifest.case)} but the top folder is ${report.caseId}`);
  }

  const custody = c.kept.get(CUSTODY_FILE)?.toString('utf8');
  if (custody === undefined) report.problems.push(`${CUSTODY_FILE} is missing`);
  else {
    report.custody = custody;
    for (const p of verifyCustodyChain(custody)) report.problems.push(p.message);
  }
  const findings = c.kept.get('findings.json')?.toString('utf8');
  if (findings !== undefined) {
    try {
      const parsed = JSON.parse(findings) as unknown;
      if (Array.isArray(parsed)) report.findings = parsed;
      else report.problems.push('findings.json is not a JSON array');
    } catch {
      report.problems.push('findings.json is not valid JSON');
    }
  }
  // Problems are deduplicated: one edit can be seen by both SHA256SUMS and the manifest.
  report.problems = [...new Set(report.problems)];
  report.ok = report.problems.length === 0;
  return report;
}
