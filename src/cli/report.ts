import { createReadStream, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tarStream from 'tar-stream';
import { createNewFile, makeFolderTree, makeTempFolder, publishNewFile } from '../evidence/new-files.js';
import { verifyBundle } from '../evidence/verify.js';
import { CliError, EXIT } from '../model/errors.js';
import { loadReportData, renderHtml, renderMarkdown, type Integrity } from '../report/report.js';
import { sanitizeForTerminal } from '../report/text.js';

export interface ReportCliOptions {
  format?: 'html' | 'md';
  /** A file, or `-` for stdout. */
  out?: string;
  /** Exit 0 even when the bundle does not verify (the report still carries the warning). */
  force: boolean;
}

/** What the report reads from a bundle; the preserved files and raw command output stay packed. */
const NEEDED = /^(manifest\.json|findings\.json|artifacts\/[^/]+\.jsonl?|actions\/[^/]+\.json)$/;

/**
 * Unpacks what the report reads from a .tar.gz into a private temporary folder: regular files
 * only, each under the bundle's one top folder, names checked before anything is written.
 */
async function unpackForReport(bundle: string, into: string): Promise<void> {
  const extract = tarStream.extract();
  extract.on('entry', (header, stream, next) => {
    const name = header.name.replace(/^\.\//, '');
    const rel = name.split('/').slice(1).join('/');
    const safe = header.type === 'file' && NEEDED.test(rel) && !rel.split('/').some((p) => p === '..' || p === '');
    if (!safe) {
      stream.on('end', next);
      stream.resume();
      return;
    }
    const file = path.join(into, ...rel.split('/'));
    Promise.resolve()
      .then(() => makeFolderTree(into, path.posix.dirname(rel)))
      .then(() => createNewFile(file, 0o600))
      .then((handle) => pipeline(stream, handle.createWriteStream()))
      .then(() => next(), next);
  });
  await pipeline(createReadStream(bundle), createGunzip(), extract);
}

/** Where the HTML goes by default: beside the bundle, never inside a case folder (that would break its verification). */
function defaultHtmlPath(target: string, caseId: string | null): string {
  const base = caseId ?? path.basename(target).replace(/\.tar\.gz$/, '');
  return path.join(path.dirname(path.resolve(target)), `${base}.report.html`);
}

/**
 * `ir-triage report BUNDLE`: verifies the bundle, then renders its report from its own files, the
 * same renderer `collect` uses. A bundle that does not verify is still rendered — the investigator
 * wants to see what arrived — with the problems in a warning banner, and exits 1 unless --force.
 */
export async function runReport(target: string, opts: ReportCliOptions): Promise<number> {
  if (/\.age$/.test(target)) throw new CliError(`${target} is encrypted: decrypt it first (ir-triage decrypt ${target}), then run ir-triage report on the .tar.gz`);
  const format = opts.format ?? 'html';
  const check = await verifyBundle(target);
  const st = await fsp.stat(target).catch(() => null);
  if (!st || !check.manifest) {
    throw new CliError(`cannot read ${target} as a bundle: ${check.problems[0] ?? 'no manifest.json'}`);
  }
  const say = (line: string) => process.stderr.write(`ir-triage: ${sanitizeForTerminal(line)}\n`);
  if (check.ok) say(`bundle verified: ${check.files} files, custody chain intact`);
  else {
    say(`bundle NOT verified: ${check.problems.length} problem(s); the report is rendered with a warning banner`);
    for (const p of check.problems) say(`  problem: ${p}`);
  }
  const integrity: Integrity = { ok: check.ok, files: check.files, problems: check.problems, notes: check.notes };

  let dir = target;
  let scratch: string | null = null;
  try {
    if (!st.isDirectory()) {
      scratch = await makeTempFolder(path.join(os.tmpdir(), 'ir-triage-report-'));
      await unpackForReport(target, scratch);
      dir = scratch;
    }
    const data = await loadReportData(dir, { integrity });
    const text = format === 'md' ? renderMarkdown(data) : renderHtml(data);
    const out = opts.out ?? (format === 'md' ? '-' : defaultHtmlPath(target, check.caseId));
    if (out === '-') process.stdout.write(text);
    else {
      const abs = path.resolve(out);
      const bundle = path.resolve(target);
      if (abs === bundle || abs === `${bundle}.sha256`) throw new CliError(`--out ${out} would overwrite the bundle`);
      if (st.isDirectory() && abs.startsWith(`${bundle}${path.sep}`)) throw new CliError(`--out ${out} is inside the case folder: it would no longer verify`);
      // Created new: an existing file (a planted link too) is refused, never written through or replaced.
      await publishNewFile(abs, 0o644, (fh) => fh.writeFile(text)).catch((err: NodeJS.ErrnoException) => {
        throw new CliError(err.code === 'EEXIST' ? `${abs} already exists: remove it or choose another --out` : `cannot write ${abs}: ${err.code ?? String(err)}`);
      });
      process.stdout.write(`${abs}\n`);
    }
  } finally {
    if (scratch) await fsp.rm(scratch, { recursive: true, force: true });
  }
  return check.ok || opts.force ? EXIT.ok : EXIT.error;
}
