import { constants, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createNewFile, makeFolderTree, makeTempFolder, publishNewFile } from '../evidence/new-files.js';
import { bundleLimits, type BundleLimits } from '../evidence/limits.js';
import { isPlainPath, readTarEntries, verifyBundle } from '../evidence/verify.js';
import { CliError, EXIT } from '../model/errors.js';
import { loadReportData, renderHtml, renderMarkdown, type Integrity } from '../report/report.js';
import { safeJson, sanitizeForTerminal } from '../report/text.js';
import { errnoCode } from '../host/errors.js';

export interface ReportCliOptions {
  format?: 'html' | 'md';
  /** A file, or `-` for stdout. */
  out?: string;
  /** Render a bundle that does not verify (its problems in a warning banner) and exit 0. */
  force: boolean;
  /** One JSON object on stdout saying what was done, or what is wrong. */
  json?: boolean;
}

/** What the report reads from a bundle; the preserved files and raw command output stay packed. */
const NEEDED = /^(manifest\.json|findings\.json|artifacts\/[^/]+\.jsonl?|actions\/[^/]+\.json)$/;

/**
 * Unpacks what the report reads from a .tar.gz into a private temporary folder: regular files
 * only, each under the bundle's one top folder, names checked before anything is written, within
 * the same limits as verify (entry size, entry count, unpacked total), so a bundle that unpacks
 * to terabytes stops at the limit instead of filling the disk.
 */
async function unpackForReport(bundle: string, into: string, limits: BundleLimits): Promise<void> {
  await readTarEntries(bundle, limits, ({ name, header, stream, next, skip }) => {
    const rel = name.split('/').slice(1).join('/');
    const safe = header.type === 'file' && isPlainPath(name) && NEEDED.test(rel);
    if (!safe) {
      skip();
      return;
    }
    const file = path.join(into, ...rel.split('/'));
    Promise.resolve()
      .then(() => makeFolderTree(into, path.posix.dirname(rel)))
      .then(() => createNewFile(file, 0o600))
      .then((handle) => pipeline(stream, handle.createWriteStream()))
      .then(() => next(), next);
  });
}

/** Where the file goes by default: beside the bundle, never inside a case folder (that would break its verification). */
function defaultOutPath(target: string, caseId: string | null, format: 'html' | 'md'): string {
  const base = caseId ?? path.basename(target).replace(/\.tar\.gz$/, '');
  return path.join(path.dirname(path.resolve(target)), `${base}.report.${format}`);
}

/**
 * `ir-triage report BUNDLE`: verifies the bundle, then renders its report from its own files, the
 * same renderer `collect` uses. A bundle that does not verify is not unpacked nor rendered (exit
 * 1, its problems named) unless --force: then it is rendered with the problems in a warning
 * banner, and the exit code is 0.
 */
export async function runReport(target: string, opts: ReportCliOptions): Promise<number> {
  const shown = sanitizeForTerminal(target);
  if (/\.age$/.test(target)) throw new CliError(`${shown} is encrypted: decrypt it first (ir-triage decrypt ${shown}), then run ir-triage report on the .tar.gz`);
  const format = opts.format ?? 'html';
  if (opts.json && opts.out === '-') throw new CliError('--json prints its result on stdout: give --out FILE for the report', EXIT.usage);
  const limits = bundleLimits();
  const check = await verifyBundle(target, limits);
  const st = await fsp.stat(target).catch(() => null);
  const say = (line: string) => process.stderr.write(`ir-triage: ${sanitizeForTerminal(line)}\n`);
  const result = { target, case: check.caseId, ok: check.ok, rendered: false, format, out: null as string | null, problems: check.problems, notes: check.notes };
  const fail = (why: string): number => {
    if (opts.json) process.stdout.write(safeJson({ ...result, error: why }) + '\n');
    say(why);
    for (const p of check.problems) say(`  problem: ${p}`);
    return EXIT.error;
  };
  if (!st || !check.manifest) return fail(`cannot read ${target} as a bundle: ${check.problems[0] ?? 'no manifest.json'}`);
  if (!check.ok && !opts.force) {
    return fail(`bundle NOT verified: ${check.problems.length} problem(s); nothing was unpacked or rendered (--force renders it with a warning banner)`);
  }
  if (check.ok) say(`bundle verified: ${check.files} files, custody chain intact`);
  else {
    say(`bundle NOT verified: ${check.problems.length} problem(s); rendered anyway (--force), with a warning banner`);
    for (const p of check.problems) say(`  problem: ${p}`);
  }
  const integrity: Integrity = { ok: check.ok, files: check.files, problems: check.problems, notes: check.notes };

  let dir = target;
  let scratch: string | null = null;
  try {
    if (!st.isDirectory()) {
      scratch = await makeTempFolder(path.join(os.tmpdir(), 'ir-triage-report-'));
      try {
        await unpackForReport(target, scratch, limits);
      } catch (err) {
        return fail(`cannot unpack ${target} for the report: ${(err as Error).message}`);
      }
      dir = scratch;
    }
    const data = await loadReportData(dir, { integrity, limits });
    const text = format === 'md' ? renderMarkdown(data) : renderHtml(data);
    const out = opts.out ?? (format === 'md' && !opts.json ? '-' : defaultOutPath(target, check.caseId, format));
    if (out === '-') process.stdout.write(text);
    else {
      const abs = path.resolve(out);
      const bundle = path.resolve(target);
      if (abs === bundle || abs === `${bundle}.sha256`) throw new CliError(`--out ${sanitizeForTerminal(out)} would overwrite the bundle`);
      if (st.isDirectory() && abs.startsWith(`${bundle}${path.sep}`)) throw new CliError(`--out ${sanitizeForTerminal(out)} is inside the case folder: it would no longer verify`);
      // Created new: an existing file (a planted link too) is refused, never written through or replaced.
      await publishNewFile(abs, 0o644, (fh) => fh.writeFile(text)).catch((err: unknown) => {
        throw new CliError(errnoCode(err) === 'EEXIST' ? `${sanitizeForTerminal(abs)} already exists: remove it or choose another --out` : `cannot write ${sanitizeForTerminal(abs)}: ${errnoCode(err) ?? String(err)}`);
      });
      if (opts.json) process.stdout.write(safeJson({ ...result, rendered: true, out: abs }) + '\n');
      else process.stdout.write(`${sanitizeForTerminal(abs)}\n`);
    }
  } finally {
    if (scratch) await fsp.rm(scratch, { recursive: true, force: true });
  }
  return check.ok || opts.force ? EXIT.ok : EXIT.error;
}
