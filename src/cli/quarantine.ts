import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { closeActionCase } from '../case/action-case.js';
import { quarantineAction, type QuarantineData } from '../actions/quarantine.js';
import type { ActionPlan, ActionResult } from '../actions/types.js';
import { CliError, EXIT } from '../model/errors.js';
import { sanitizeForTerminal as safe } from '../report/text.js';
import { renderPlan } from '../runner/plan-view.js';
import { actionHost, confirmedOrExit, formatResult, guarded, openCliCase, planningContext, type ActionCliDeps, type ActionCliOptions } from './action-cli.js';
import { errnoCode } from '../host/errors.js';

/** What the plan (and, after apply, the undo record) says is not covered. */
function notCoveredOf(plan: ActionPlan<QuarantineData>, result?: ActionResult): Array<{ path: string; why: string }> {
  const gaps = plan.data.notCovered.map((g) => ({ path: g.rel === '' ? plan.data.folder : path.posix.join(plan.data.folder, g.rel), why: g.why }));
  if (!result) return [...gaps, ...plan.data.entries.filter((e) => e.skip).map((e) => ({ path: path.posix.join(plan.data.folder, e.rel), why: e.skip! }))];
  return result.applied.filter((a) => a.detail.startsWith('not covered: ') || /^copy cut|^not copied/.test(a.detail)).map((a) => ({ path: a.target, why: a.detail }));
}

/**
 * `ir-triage quarantine PATH`: plan, show, confirm, copy and hash every file into a case bundle,
 * chmod a-rx, seal the bundle, and write the undo record beside it as <out>/<case>.restore.json.
 */
export async function runQuarantine(target: string, opts: ActionCliOptions, argv: string[], deps: ActionCliDeps = {}): Promise<number> {
  const host = deps.host ?? actionHost();
  const plan = await quarantineAction.plan(planningContext(host, opts), target);
  // With --json, stdout carries one JSON object: the plan (dry run, refusal) or the summary; the plan text goes to stderr.
  if (!opts.json) process.stdout.write(renderPlan(plan, 'command'));
  else if (opts.dryRun || plan.refused) process.stdout.write(JSON.stringify({ plan: { ...plan, data: undefined }, notCovered: notCoveredOf(plan), dryRun: opts.dryRun }) + '\n');
  else process.stderr.write(renderPlan(plan, 'command'));
  if (plan.refused) return EXIT.error;
  if (opts.dryRun) {
    if (!opts.json) process.stdout.write('dry run: nothing was changed\n');
    return EXIT.ok;
  }
  const out = path.resolve(opts.out);
  const folder = plan.data.hostFolder;
  if (out === folder || out.startsWith(`${folder}/`)) throw new CliError(`--out ${out} lies inside the folder to quarantine: choose another --out`, EXIT.usage);

  const declined = await confirmedOrExit('quarantine', opts, deps, `chmod a-rx ${safe(plan.data.folder)} and everything in it (after copying every file into the case)?`);
  if (declined !== null) return declined;

  const c = await openCliCase(host, opts, argv);
  c.ctx.maxTotalBytes = opts.maxTotalBytes;
  c.ctx.maxDepth = opts.maxDepth;
  c.ctx.custody('action-planned', { action: 'quarantine', target, folder: plan.data.folder, summary: plan.summary, changes: plan.changes.length, warnings: plan.warnings });
  c.ctx.custody('answer', { question: 'apply the quarantine', answer: 'yes', by: opts.yes ? '--yes' : 'terminal' });
  const { value: result, interrupted } = await guarded(() => quarantineAction.apply(c.ctx, plan));
  let restoreCopy: string | null = null;
  let restoreProblem: string | null = null;
  if (result.undoRecord) {
    const name = `${c.caseId}.restore.json`;
    restoreCopy = c.store.out.show(name);
    // The same bytes as the record in the bundle: its sha256 is in the bundle's SHA256SUMS.
    try {
      const bytes = await fsp.readFile(c.store.folder.at(result.undoRecord));
      await c.store.out.writeFile(name, bytes, 0o600);
    } catch (err) {
      const code = errnoCode(err);
      restoreProblem = `could not write ${restoreCopy} (${code === 'ENOSPC' ? 'the disk is full' : code === 'EEXIST' ? 'it already exists: moved there during the run' : code ?? String(err)}): the undo record is ${result.undoRecord} in the case`;
      restoreCopy = null;
    }
  }
  // What the case does not hold: the manifest says so, as collect's does for a source it could not read.
  const gaps = notCoveredOf(plan, result);
  const partialReasons = [
    ...(host.isRoot ? [] : ['not run as root: files and processes of other users could not be changed or copied']),
    ...(gaps.length ? [`${gaps.length} entr${gaps.length === 1 ? 'y' : 'ies'} of the folder not covered (too deep, unreadable, or copies cut or left out by the caps): listed in ${result.undoRecord ?? 'the custody log'}`] : []),
  ];
  const sealed = await (async () => {
    try {
      return await closeActionCase(c, 'quarantine', {
        target,
        folder: plan.data.folder,
        ok: result.ok,
        undoRecord: result.undoRecord,
        partial: partialReasons.length > 0,
        partialReasons,
        limits: plan.data.limits,
        notCovered: gaps.length,
      });
    } catch (err) {
      // The bundle could not be written (a full disk): say so in one line, and whether the folder was changed.
      if (err instanceof CliError && result.undoRecord) throw new CliError(`${err.message}; the quarantine was applied: its undo record is ${path.join(c.store.dir, result.undoRecord)}`, err.exitCode);
      throw err;
    }
  })();
  if (restoreProblem) process.stderr.write(`ir-triage: ${safe(restoreProblem)}\n`);

  const summary = { ok: result.ok, message: result.message, bundle: sealed.bundle, sha256: sealed.sha256, case: c.caseId, undoRecord: result.undoRecord, restore: restoreCopy };
  if (opts.json) process.stdout.write(JSON.stringify(summary) + '\n');
  else {
    const lines = [formatResult(result).trimEnd(), `bundle:   ${safe(sealed.bundle)}`, `sha256:   ${sealed.sha256}`, `case:     ${safe(c.caseId)}`];
    if (restoreCopy) lines.push(`undo:     ir-triage restore ${safe(restoreCopy)}`);
    process.stdout.write(lines.join('\n') + '\n');
  }
  if (interrupted) return EXIT.interrupted;
  return result.ok ? EXIT.ok : EXIT.error;
}
