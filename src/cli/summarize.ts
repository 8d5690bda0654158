import { promises as fsp } from 'node:fs';
import { findBundles } from '../fleet/find.js';
import { summarizeBundles } from '../fleet/summary.js';
import { renderFleetFooter, renderFleetTable } from '../fleet/table.js';
import { CliError, EXIT } from '../model/errors.js';
import { safeJson, sanitizeForTerminal } from '../report/text.js';
import { errnoCode } from '../host/errors.js';

export interface SummarizeCliOptions {
  json: boolean;
}

/** The width to fit: the terminal's, or $COLUMNS when writing to a pipe; no limit otherwise. */
function outputWidth(): number {
  if (process.stdout.isTTY && process.stdout.columns > 0) return process.stdout.columns;
  const fromEnv = Number(process.env.COLUMNS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : Infinity;
}

/**
 * `ir-triage summarize DIR`: verifies every bundle under DIR (archives and case folders, at any
 * depth, as `ansible-playbook docs/fleet/collect.yml` leaves them) and prints one line per bundle,
 * most severe first. Exit 0 when every bundle is intact, 1 when one is not (or a folder could not
 * be read), 2 for usage (no DIR, DIR not a folder, no bundle under it).
 */
export async function runSummarize(dir: string | undefined, opts: SummarizeCliOptions): Promise<number> {
  if (!dir) throw new CliError('summarize needs a folder: ir-triage summarize DIR', EXIT.usage);
  const st = await fsp.stat(dir).catch(() => null);
  if (!st?.isDirectory()) throw new CliError(`${sanitizeForTerminal(dir)} is not a folder`, EXIT.usage);

  const unreadable: string[] = [];
  const { bundles: found, encrypted } = await findBundles(dir, (m) => unreadable.push(m));
  for (const m of unreadable) process.stderr.write(`ir-triage: ${sanitizeForTerminal(m)}\n`);
  // Encrypted bundles need the officer's key: say they were left out rather than pass them by.
  const decryptFirst = encrypted.length
    ? `${encrypted.length} encrypted .tar.gz.age file${encrypted.length === 1 ? '' : 's'} left out: open ${encrypted.length === 1 ? 'it' : 'them'} with ir-triage decrypt first`
    : null;
  if (found.length === 0) {
    throw new CliError(`no bundles (*.tar.gz or case folders) under ${sanitizeForTerminal(dir)}${decryptFirst ? ` (${decryptFirst})` : ''}`, EXIT.usage);
  }
  if (decryptFirst) process.stderr.write(`ir-triage: note: ${decryptFirst}\n`);

  const rows = await summarizeBundles(found);
  // `summarize … | head`: a reader that leaves early is not an error.
  process.stdout.on('error', (err: Error) => {
    if (errnoCode(err) !== 'EPIPE') process.stderr.write(`ir-triage: stdout: ${err.message}\n`);
  });
  const text = opts.json ? safeJson(rows) + '\n' : [renderFleetTable(rows, outputWidth()), '', ...renderFleetFooter(rows)].join('\n') + '\n';
  await new Promise<void>((resolve) => process.stdout.write(text, () => resolve()));
  return rows.every((r) => r.ok) && unreadable.length === 0 ? EXIT.ok : EXIT.error;
}
