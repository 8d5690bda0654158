import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { closeActionCase } from '../case/action-case.js';
import { findAction, undos } from '../actions/index.js';
import type { ActionPlan, ActionResult, LoadedUndoRecord, Undo } from '../actions/types.js';
import { isGzip, MAX_RECORD_BYTES, verifiedBundleRecords } from '../evidence/bundle-records.js';
import { CliError, EXIT } from '../model/errors.js';
import { sanitizeForTerminal as safe } from '../report/text.js';
import { sha256OfFile, trustRecords } from './restore-trust.js';
import { renderPlan } from '../runner/plan-view.js';
import { actionHost, confirmedOrExit, guarded, openCliCase, planningContext, printRestored, type ActionCliDeps, type ActionCliOptions } from './action-cli.js';

/** The undo records of a bundle: actions/<id>-N.json of every action restore can undo. */
const RECORD_IN_BUNDLE = new RegExp(`^actions\\/(${undos().map((u) => u.action).join('|')})-(\\d+)\\.json$`);

export interface LoadedUndo {
  /** The record, checked by the undo of the action it names and bound to it. */
  undo: LoadedUndoRecord;
  /** The undo's order in a batch. */
  rank: number;
  source: string;
  sha256: string;
  bytes: Buffer;
  /** The record's number in its case (disable-N): later ones are undone first. */
  n: number;
  /** The sha256 of the bundle it was taken from. */
  bundleSha256: string | null;
}

/** The undo of the action the record names, or else `fallback` (which then refuses it, saying why). */
function parse(bytes: Buffer, source: string, fallback: Undo): { undo: LoadedUndoRecord; rank: number } {
  let data: { action?: unknown };
  try {
    data = JSON.parse(bytes.toString('utf8')) as { action?: unknown };
  } catch {
    throw new CliError(`${source} is not JSON`);
  }
  try {
    const undo = findAction(String(data?.action))?.undo ?? fallback;
    return { undo: undo.load(data), rank: undo.rank };
  } catch (err) {
    throw new CliError(`${source}: ${(err as Error).message}`);
  }
}

/** Every undo record of a bundle (disable and quarantine), read only after the whole bundle verified, each checked against its manifest hash. */
async function undoRecordsOfBundle(bundle: string): Promise<LoadedUndo[]> {
  const found = await verifiedBundleRecords(bundle, RECORD_IN_BUNDLE);
  const bundleSha256 = await sha256OfFile(bundle);
  return found.map((r) => {
    const [, action, n] = RECORD_IN_BUNDLE.exec(r.rel)!;
    return { ...parse(r.bytes, r.rel, findAction(action)!.undo!), source: r.source, sha256: r.sha256, bytes: r.bytes, n: Number(n), bundleSha256 };
  });
}

/**
 * The undo records `ir-triage restore` takes from FILE when one of them is a disable record (a
 * bundle's actions/disable-N.json, or such a file on its own); null otherwise, and the quarantine
 * restore handles FILE as before.
 */
export async function loadDisableUndo(file: string): Promise<LoadedUndo[] | null> {
  const st = await fsp.stat(file).catch(() => null);
  if (!st?.isFile()) return null;
  if (await isGzip(file)) {
    const all = await undoRecordsOfBundle(file);
    return all.some((l) => l.undo.action === 'disable') ? all : null;
  }
  if (st.size > MAX_RECORD_BYTES) return null;
  const bytes = await fsp.readFile(file);
  let action: unknown;
  try {
    action = (JSON.parse(bytes.toString('utf8')) as { action?: unknown })?.action;
  } catch {
    return null;
  }
  const disable = findAction('disable')?.undo;
  if (action !== 'disable' || !disable) return null;
  process.stderr.write(`ir-triage: note: ${safe(file)} is checked on its own; give the bundle that holds it to check it against the sealed copy\n`);
  return [{ ...parse(bytes, file, disable), source: file, sha256: createHash('sha256').update(bytes).digest('hex'), bytes, n: 0, bundleSha256: null }];
}

/** By the undo's rank (disable records before the quarantines), each action's records last applied first (two lines of one file come back in the reverse order). */
function order(loaded: LoadedUndo[]): LoadedUndo[] {
  return [...loaded].sort((a, b) => a.rank - b.rank || b.n - a.n);
}

function where(l: LoadedUndo): string {
  return l.undo.where;
}

/**
 * `ir-triage restore` for a disable record (or a bundle holding one): puts back each commented
 * line, execute bit and unit link, then the bundle's quarantines, in one small case bundle of its
 * own (custody: record-loaded, action-planned, answer, action-undone).
 */
export async function runRestoreDisable(file: string, loaded: LoadedUndo[], opts: ActionCliOptions, argv: string[], deps: ActionCliDeps = {}): Promise<number> {
  const items = order(loaded);
  const trusted = await trustRecords(items, opts, deps);
  if (typeof trusted === 'number') return trusted;
  const host = deps.host ?? actionHost();
  const planCtx = planningContext(host, opts);
  const plans: ActionPlan[] = [];
  const assumed = new Map<string, Buffer>();
  for (const l of items) {
    const file = l.undo.file;
    const planned = await l.undo.plan(planCtx, { force: opts.force, assume: file === null ? undefined : assumed.get(file) });
    if (file !== null && planned.leaves && !planned.plan.refused) assumed.set(file, planned.leaves);
    plans.push(planned.plan);
  }
  if (opts.json && opts.dryRun) process.stdout.write(JSON.stringify({ plans: plans.map((p) => ({ ...p, data: undefined })), dryRun: true }) + '\n');
  else for (const p of plans) (opts.json ? process.stderr : process.stdout).write(renderPlan(p, 'command'));
  const doable = plans.filter((p) => !p.refused);
  if (doable.length === 0) return EXIT.error;
  if (opts.dryRun) {
    if (!opts.json) process.stdout.write('dry run: nothing was changed\n');
    return EXIT.ok;
  }
  const declined = await confirmedOrExit('restore', opts, deps, `undo ${doable.length} change(s) in ${[...new Set(items.map((l) => safe(where(l))))].join(', ')}?`);
  if (declined !== null) return declined;
  const c = await openCliCase(host, opts, argv);
  const results: ActionResult[] = [];
  const { interrupted } = await guarded(async () => {
    for (const [i, l] of items.entries()) {
      const kept = await c.store.writeFile(`files/restore/${l.undo.action}-record-${i + 1}.json`, l.bytes);
      c.ctx.custody('record-loaded', { source: l.source, sha256: l.sha256, kept: kept.path, action: l.undo.action, path: where(l), applied: l.undo.record.appliedAt, trusted: trusted[i] });
      // Planned again right before it runs (an earlier undo of the same file has changed it), and
      // it must be the very change shown: anything else since is refused, not applied unseen.
      const planned = await l.undo.plan(c.ctx, { force: opts.force });
      const plan = planned.plan;
      c.ctx.custody('action-planned', { action: 'restore', of: l.undo.action, path: where(l), summary: plan.summary, changes: plan.changes, refused: plan.refused, force: opts.force });
      const shown = plans[i];
      const differs = !plan.refused && (shown.refused !== null || JSON.stringify(plan.changes) !== JSON.stringify(shown.changes));
      if (plan.refused || differs) {
        results.push({ ok: false, message: `${l.undo.action} undo refused: ${plan.refused ?? 'the change is no longer the one shown before the confirmation'}`, undoRecord: l.undo.record.record, applied: [] });
        continue;
      }
      c.ctx.custody('answer', { question: 'apply the restore', answer: 'yes', by: opts.yes ? '--yes' : 'terminal' });
      const result = await planned.apply(c.ctx);
      await c.store.writeFile(`actions/restore-${i + 1}.json`, JSON.stringify({ source: l.source, recordSha256: l.sha256, of: l.undo.action, path: where(l), force: opts.force, ...result }, null, 2) + '\n');
      results.push(result);
    }
  });
  const ok = results.length > 0 && results.every((r) => r.ok);
  const sealed = await closeActionCase(c, 'restore', { records: items.map((l) => ({ source: l.source, sha256: l.sha256 })), ok, from: file });
  return printRestored(results, ok, sealed, c.caseId, opts.json, interrupted);
}
