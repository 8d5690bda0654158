import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { closeActionCase } from '../case/action-case.js';
import { checkDisableRecord, planUndoDisable, undoDisable, type DisableRecord, type UndoDisableData } from '../actions/disable.js';
import type { QuarantineRecord } from '../actions/quarantine.js';
import { checkRecord, planRestoreQuarantine, restoreQuarantine, type RestoreData } from '../actions/restore-quarantine.js';
import type { ActionContext, ActionPlan, ActionResult } from '../actions/types.js';
import { isGzip, MAX_RECORD_BYTES, verifiedBundleRecords } from '../evidence/bundle-records.js';
import { CliError, EXIT } from '../model/errors.js';
import { sanitizeForTerminal as safe } from '../report/text.js';
import { sha256OfFile, trustRecords } from './restore-trust.js';
import { actionHost, confirmedOrExit, formatPlan, formatResult, guarded, openCliCase, planningContext, type ActionCliDeps, type ActionCliOptions } from './quarantine.js';

const RECORD_IN_BUNDLE = /^actions\/(disable|quarantine)-(\d+)\.json$/;

type AnyRecord = { kind: 'disable'; record: DisableRecord } | { kind: 'quarantine'; record: QuarantineRecord };

export interface LoadedUndo {
  undo: AnyRecord;
  source: string;
  sha256: string;
  bytes: Buffer;
  /** The record's number in its case (disable-N): later ones are undone first. */
  n: number;
  /** The sha256 of the bundle it was taken from. */
  bundleSha256: string | null;
}

function parse(bytes: Buffer, source: string): AnyRecord {
  let data: { action?: unknown };
  try {
    data = JSON.parse(bytes.toString('utf8')) as { action?: unknown };
  } catch {
    throw new CliError(`${source} is not JSON`);
  }
  try {
    return data?.action === 'disable' ? { kind: 'disable', record: checkDisableRecord(data) } : { kind: 'quarantine', record: checkRecord(data) };
  } catch (err) {
    throw new CliError(`${source}: ${(err as Error).message}`);
  }
}

/** Every undo record of a bundle (disable and quarantine), read only after the whole bundle verified, each checked against its manifest hash. */
async function undoRecordsOfBundle(bundle: string): Promise<LoadedUndo[]> {
  const found = await verifiedBundleRecords(bundle, RECORD_IN_BUNDLE);
  const bundleSha256 = await sha256OfFile(bundle);
  return found.map((r) => ({ undo: parse(r.bytes, r.rel), source: r.source, sha256: r.sha256, bytes: r.bytes, n: Number(RECORD_IN_BUNDLE.exec(r.rel)![2]), bundleSha256 }));
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
    return all.some((l) => l.undo.kind === 'disable') ? all : null;
  }
  if (st.size > MAX_RECORD_BYTES) return null;
  const bytes = await fsp.readFile(file);
  let action: unknown;
  try {
    action = (JSON.parse(bytes.toString('utf8')) as { action?: unknown })?.action;
  } catch {
    return null;
  }
  if (action !== 'disable') return null;
  process.stderr.write(`ir-triage: note: ${safe(file)} is checked on its own; give the bundle that holds it to check it against the sealed copy\n`);
  return [{ undo: parse(bytes, file), source: file, sha256: createHash('sha256').update(bytes).digest('hex'), bytes, n: 0, bundleSha256: null }];
}

/** Disable records last applied first (two lines of one file come back in the reverse order), then the quarantines. */
function order(loaded: LoadedUndo[]): LoadedUndo[] {
  const rank = (l: LoadedUndo) => (l.undo.kind === 'disable' ? 0 : 1);
  return [...loaded].sort((a, b) => rank(a) - rank(b) || b.n - a.n);
}

async function planOne(ctx: ActionContext, l: LoadedUndo, force: boolean, assume?: Buffer): Promise<ActionPlan> {
  return l.undo.kind === 'disable' ? planUndoDisable(ctx, l.undo.record, { force, assume }) : planRestoreQuarantine(ctx, l.undo.record, { force });
}

function where(l: LoadedUndo): string {
  return l.undo.kind === 'disable' ? l.undo.record.path : l.undo.record.folder;
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
    const p = await planOne(planCtx, l, opts.force, l.undo.kind === 'disable' ? assumed.get(l.undo.record.hostPath) : undefined);
    const content = (p.data as UndoDisableData | null)?.content;
    if (l.undo.kind === 'disable' && content && !p.refused) assumed.set(l.undo.record.hostPath, content);
    plans.push(p);
  }
  if (opts.json && opts.dryRun) process.stdout.write(JSON.stringify({ plans: plans.map((p) => ({ ...p, data: undefined })), dryRun: true }) + '\n');
  else for (const p of plans) (opts.json ? process.stderr : process.stdout).write(formatPlan(p));
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
      const kept = await c.store.writeFile(`files/restore/${l.undo.kind}-record-${i + 1}.json`, l.bytes);
      c.ctx.custody('record-loaded', { source: l.source, sha256: l.sha256, kept: kept.path, action: l.undo.kind, path: where(l), applied: l.undo.record.appliedAt, trusted: trusted[i] });
      // Planned again right before it runs (an earlier undo of the same file has changed it), and
      // it must be the very change shown: anything else since is refused, not applied unseen.
      const plan = await planOne(c.ctx, l, opts.force);
      c.ctx.custody('action-planned', { action: 'restore', of: l.undo.kind, path: where(l), summary: plan.summary, changes: plan.changes, refused: plan.refused, force: opts.force });
      const shown = plans[i];
      const differs = !plan.refused && (shown.refused !== null || JSON.stringify(plan.changes) !== JSON.stringify(shown.changes));
      if (plan.refused || differs) {
        results.push({ ok: false, message: `${l.undo.kind} undo refused: ${plan.refused ?? 'the change is no longer the one shown before the confirmation'}`, undoRecord: l.undo.record.record, applied: [] });
        continue;
      }
      c.ctx.custody('answer', { question: 'apply the restore', answer: 'yes', by: opts.yes ? '--yes' : 'terminal' });
      const result = l.undo.kind === 'disable' ? await undoDisable(c.ctx, plan as ActionPlan<UndoDisableData>) : await restoreQuarantine(c.ctx, plan as ActionPlan<RestoreData>, { force: opts.force });
      await c.store.writeFile(`actions/restore-${i + 1}.json`, JSON.stringify({ source: l.source, recordSha256: l.sha256, of: l.undo.kind, path: where(l), force: opts.force, ...result }, null, 2) + '\n');
      results.push(result);
    }
  });
  const ok = results.length > 0 && results.every((r) => r.ok);
  const sealed = await closeActionCase(c, 'restore', { records: items.map((l) => ({ source: l.source, sha256: l.sha256 })), ok, from: file });
  if (opts.json) {
    process.stdout.write(JSON.stringify({ ok, results: results.map((r) => ({ ok: r.ok, message: r.message, notDone: r.applied.filter((a) => !a.ok) })), bundle: sealed.bundle, sha256: sealed.sha256, case: c.caseId }) + '\n');
  } else {
    const lines = results.map((r) => formatResult(r, 20, 40).trimEnd());
    lines.push(`bundle:   ${safe(sealed.bundle)}`, `sha256:   ${sealed.sha256}`, `case:     ${safe(c.caseId)}`);
    process.stdout.write(lines.join('\n') + '\n');
  }
  if (interrupted) return EXIT.interrupted;
  return ok ? EXIT.ok : EXIT.error;
}
