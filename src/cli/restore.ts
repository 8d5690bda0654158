import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { closeActionCase } from '../case/action-case.js';
import type { QuarantineRecord } from '../actions/quarantine.js';
import { quarantineUndo, type RestoreData } from '../actions/restore-quarantine.js';
import type { ActionPlan, ActionResult } from '../actions/types.js';
import { isGzip, MAX_RECORD_BYTES, verifiedBundleRecords } from '../evidence/bundle-records.js';
import { verifyBundle } from '../evidence/verify.js';
import { CliError, EXIT } from '../model/errors.js';
import { sanitizeForTerminal as safe } from '../report/text.js';
import { loadDisableUndo, runRestoreDisable } from './restore-disable.js';
import { sha256OfFile, trustRecords } from './restore-trust.js';
import { renderPlan } from '../runner/plan-view.js';
import { actionHost, confirmedOrExit, guarded, openCliCase, planningContext, printRestored, type ActionCliDeps, type ActionCliOptions } from './action-cli.js';
import { errnoCode } from '../host/errors.js';

const RECORD_IN_BUNDLE = /^actions\/quarantine-\d+\.json$/;

export interface LoadedRecord {
  record: QuarantineRecord;
  /** Where it came from: the .json file, or bundle.tar.gz:<case>/actions/quarantine-N.json. */
  source: string;
  sha256: string;
  bytes: Buffer;
  /** The sha256 of the bundle it was taken from, or that holds the same record beside it. */
  bundleSha256: string | null;
}

/** The quarantine records of a bundle, read only after the whole bundle verified, each checked against its manifest hash. */
async function recordsFromBundle(bundle: string): Promise<LoadedRecord[]> {
  const found = await verifiedBundleRecords(bundle, RECORD_IN_BUNDLE);
  if (found.length === 0) throw new CliError(`${bundle} holds no quarantine record (actions/quarantine-N.json)`);
  const bundleSha256 = await sha256OfFile(bundle);
  return found.map((r) => ({ record: parseRecord(r.bytes, r.rel), source: r.source, sha256: r.sha256, bytes: r.bytes, bundleSha256 }));
}

function parseRecord(bytes: Buffer, source: string): QuarantineRecord {
  let data: unknown;
  try {
    data = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new CliError(`${source} is not JSON`);
  }
  try {
    return quarantineUndo.check(data);
  } catch (err) {
    throw new CliError(`${source}: ${(err as Error).message}`);
  }
}

/** A <case>.restore.json written beside a bundle, or the bundle itself (verified first). */
export async function loadRecords(file: string): Promise<LoadedRecord[]> {
  let st;
  try {
    st = await fsp.stat(file);
  } catch (err) {
    throw new CliError(`${file}: ${errnoCode(err) === 'ENOENT' ? 'no such file' : String(err)}`);
  }
  if (!st.isFile()) throw new CliError(`${file} is not a file: give the <case>.restore.json or the bundle .tar.gz`, EXIT.usage);
  if (await isGzip(file)) return recordsFromBundle(file);
  if (st.size > MAX_RECORD_BYTES) throw new CliError(`${file} is too large for an undo record`);
  const bytes = await fsp.readFile(file);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const record = parseRecord(bytes, file);
  const bundleSha256 = await checkAgainstBundle(file, record, sha256);
  return [{ record, source: file, sha256, bytes, bundleSha256 }];
}

/**
 * The <case>.restore.json lies outside the sealed bundle, so anyone who can write there could edit
 * it: when the bundle is beside it, the record must be the very one the bundle holds.
 */
async function checkAgainstBundle(file: string, record: QuarantineRecord, sha256: string): Promise<string | null> {
  const m = /^(.*)\.restore\.json$/.exec(file);
  const bundle = m ? `${m[1]}.tar.gz` : null;
  if (!bundle || !(await fsp.stat(bundle).then((s) => s.isFile(), () => false))) {
    process.stderr.write(`ir-triage: note: no bundle beside ${safe(file)} to check the record against\n`);
    return null;
  }
  const report = await verifyBundle(bundle);
  if (!report.ok) throw new CliError(`${bundle} (beside the record) does not verify: ${report.problems.join('; ')}`);
  const listed = ((report.manifest?.files ?? []) as Array<{ path: string; sha256: string }>).find((f) => f.path === record.record);
  if (!listed || listed.sha256 !== sha256) throw new CliError(`${file} is not the undo record sealed in ${bundle} (${record.record} there has another sha256): it was changed`);
  return sha256OfFile(bundle);
}

/**
 * `ir-triage restore RECORD`: puts back the modes a quarantine changed. It never touches the sealed
 * quarantine bundle: the undo is recorded in a small case bundle of its own (custody log with the
 * `action-undone` event, the record it used, the outcome), so it is verifiable the same way.
 */
export async function runRestore(file: string, opts: ActionCliOptions, argv: string[], deps: ActionCliDeps = {}): Promise<number> {
  // A disable record (or a bundle holding one, with or without quarantines) has its own undo.
  const withDisable = await loadDisableUndo(file);
  if (withDisable) return runRestoreDisable(file, withDisable, opts, argv, deps);
  const loaded = await loadRecords(file);
  const trusted = await trustRecords(loaded, opts, deps);
  if (typeof trusted === 'number') return trusted;
  const host = deps.host ?? actionHost();
  const planCtx = planningContext(host, opts);
  const plans: Array<ActionPlan<RestoreData>> = [];
  for (const l of loaded) plans.push(await quarantineUndo.plan(planCtx, l.record, { force: opts.force }));
  // With --json, stdout carries one JSON object; the plan text goes to stderr.
  if (opts.json && opts.dryRun) process.stdout.write(JSON.stringify({ plans: plans.map((p) => ({ ...p, data: undefined })), dryRun: true }) + '\n');
  else for (const p of plans) (opts.json ? process.stderr : process.stdout).write(renderPlan(p, 'command'));
  const refused = plans.find((p) => p.refused);
  if (refused) return EXIT.error;
  if (opts.dryRun) {
    if (!opts.json) process.stdout.write('dry run: nothing was changed\n');
    return EXIT.ok;
  }
  const count = plans.reduce((n, p) => n + p.changes.length, 0);
  const declined = await confirmedOrExit('restore', opts, deps, `put back the original modes of ${count} entr${count === 1 ? 'y' : 'ies'} in ${loaded.map((l) => safe(l.record.folder)).join(', ')}?`);
  if (declined !== null) return declined;

  const c = await openCliCase(host, opts, argv);
  const results: ActionResult[] = [];
  const { interrupted } = await guarded(async () => {
    for (const [i, l] of loaded.entries()) {
      const kept = await c.store.writeFile(`files/restore/quarantine-record-${i + 1}.json`, l.bytes);
      c.ctx.custody('record-loaded', { source: l.source, sha256: l.sha256, kept: kept.path, folder: l.record.folder, quarantined: l.record.appliedAt, trusted: trusted[i] });
      c.ctx.custody('action-planned', { action: 'restore', folder: l.record.folder, summary: plans[i].summary, changes: plans[i].changes.length, force: opts.force });
      c.ctx.custody('answer', { question: 'apply the restore', answer: 'yes', by: opts.yes ? '--yes' : 'terminal' });
      // Exactly the planned list, each entry re-checked as it is changed.
      const result = await quarantineUndo.apply(c.ctx, plans[i], { force: opts.force });
      await c.store.writeFile(`actions/restore-${i + 1}.json`, JSON.stringify({ source: l.source, recordSha256: l.sha256, folder: l.record.folder, force: opts.force, ...result }, null, 2) + '\n');
      results.push(result);
    }
  });
  const ok = results.every((r) => r.ok);
  const sealed = await closeActionCase(c, 'restore', { records: loaded.map((l) => ({ source: l.source, sha256: l.sha256 })), ok });
  return printRestored(results, ok, sealed, c.caseId, opts.json, interrupted);
}

