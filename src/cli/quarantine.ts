import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { closeActionCase, openActionCase, type ActionCase } from '../actions/case.js';
import { READ_ONLY_SINK } from '../actions/common.js';
import { applyQuarantine, planQuarantine, type QuarantineData } from '../actions/quarantine.js';
import type { ActionContext, ActionPlan, ActionResult } from '../actions/types.js';
import { createHostContext, type HostContext } from '../host/context.js';
import { SAFE_PATH } from '../host/exec.js';
import { CliError, EXIT } from '../model/errors.js';
import { sanitizeForTerminal as safe } from '../report/text.js';
import { checkCaseId, defaultCaseId } from './case-id.js';
import { TOOL } from './version.js';
import { errnoCode } from '../host/errors.js';

/** Options shared by the commands that change the system outside the guided run. */
export interface ActionCliOptions {
  out: string;
  case?: string;
  examiner?: string;
  yes: boolean;
  dryRun: boolean;
  force: boolean;
  json: boolean;
  maxFileBytes?: number;
  /** quarantine: cap of all copies together, and the depth bound of the walk. */
  maxTotalBytes?: number;
  maxDepth?: number;
  /** restore: sha256 of records (or of the bundles holding them) the responder vouches for although no record key authenticates them. */
  trustRecord?: string[];
}

/** Asks the responder a yes/no question; the only door to a terminal prompt, passed in so actions stay terminal-free. */
export type Prompter = (message: string) => Promise<boolean>;

export interface ActionCliDeps {
  prompter?: Prompter;
  /** A terminal to ask on (stdin and stderr, where the prompt goes, are TTYs). */
  interactive?: boolean;
  host?: HostContext;
}

/** The confirmation prompt on the terminal (@inquirer/prompts is loaded only when a question is asked). */
export const terminalPrompter: Prompter = async (message) => {
  const { confirm } = await import('@inquirer/prompts');
  return confirm({ message, default: false }, { output: process.stderr });
};

const SHOWN_CHANGES = 40;

/** The plan as the responder reads it: every path through sanitizeForTerminal (file names are the attacker's). */
export function formatPlan(plan: ActionPlan): string {
  const lines = [`${plan.action}: ${safe(plan.summary)}`];
  if (plan.refused) lines.push(`  REFUSED: ${safe(plan.refused)}`);
  const width = Math.max(0, ...plan.changes.slice(0, SHOWN_CHANGES).map((c) => c.op.length));
  for (const c of plan.changes.slice(0, SHOWN_CHANGES)) lines.push(`  ${c.op.padEnd(width)}  ${safe(c.target)}  ${safe(c.detail)}`);
  if (plan.changes.length > SHOWN_CHANGES) lines.push(`  …and ${plan.changes.length - SHOWN_CHANGES} more change(s), all listed in the undo record`);
  if (plan.warnings.length > 0) {
    lines.push('What this does not stop, and what to know:');
    for (const w of plan.warnings) lines.push(`  - ${safe(w)}`);
  }
  return lines.join('\n') + '\n';
}

export function formatResult(result: ActionResult, shown = 20, done = 0): string {
  const lines = [`${result.ok ? 'done' : 'NOT ALL DONE'}: ${safe(result.message)}`];
  const succeeded = result.applied.filter((a) => a.ok);
  for (const a of succeeded.slice(0, done)) lines.push(`  ${safe(a.target)}: ${safe(a.detail)}`);
  if (succeeded.length > done && done > 0) lines.push(`  …and ${succeeded.length - done} more (see the record)`);
  const failed = result.applied.filter((a) => !a.ok);
  for (const a of failed.slice(0, shown)) lines.push(`  not done: ${safe(a.target)}: ${safe(a.detail)}`);
  if (failed.length > shown) lines.push(`  …and ${failed.length - shown} more not done (see the record)`);
  return lines.join('\n') + '\n';
}

/**
 * Asks before a change, or refuses: --yes answers for the responder; without it a terminal is
 * needed, and without one this is a usage error (exit 2), never a hang on piped input.
 */
export async function confirmChange(command: string, opts: ActionCliOptions, deps: ActionCliDeps, question: string): Promise<'yes' | 'no' | 'no-terminal'> {
  if (opts.yes) return 'yes';
  const interactive = deps.interactive ?? (process.stdin.isTTY === true && process.stderr.isTTY === true);
  if (!interactive) {
    process.stderr.write(`ir-triage: ${command} changes the system and needs a confirmation, but there is no terminal to ask on: re-run with --yes (or --dry-run to see the plan only)\n`);
    return 'no-terminal';
  }
  try {
    return (await (deps.prompter ?? terminalPrompter)(question)) ? 'yes' : 'no';
  } catch (err) {
    // Ctrl-C at the prompt (inquirer's ExitPromptError): nothing was changed.
    if ((err as Error).name === 'ExitPromptError') throw new CliError('interrupted at the confirmation: nothing was changed', EXIT.interrupted);
    throw err;
  }
}

/** confirmChange as the commands use it: null to go on, or the exit code when nothing is to be changed. */
export async function confirmedOrExit(command: string, opts: ActionCliOptions, deps: ActionCliDeps, question: string): Promise<number | null> {
  const answer = await confirmChange(command, opts, deps, question);
  if (answer === 'yes') return null;
  if (answer === 'no-terminal') return EXIT.usage;
  process.stderr.write('ir-triage: not confirmed: nothing was changed\n');
  return EXIT.error;
}

/** The live host for an action run: the system PATH and C locale for the box's tools, never ours. */
export function actionHost(): HostContext {
  process.env.PATH = SAFE_PATH;
  process.env.LC_ALL = 'C';
  return createHostContext({ warn: (m) => process.stderr.write(`ir-triage: ${safe(m)}\n`) });
}

/** A context for planning only: a sink that refuses writes and a custody log that keeps nothing. */
export function planningContext(host: HostContext, opts: ActionCliOptions): ActionContext {
  return { host, sink: READ_ONLY_SINK, custody: () => {}, facts: {}, maxFileBytes: opts.maxFileBytes ?? 64 * 1024 * 1024, maxTotalBytes: opts.maxTotalBytes, maxDepth: opts.maxDepth, force: opts.force };
}

export async function openCliCase(host: HostContext, opts: ActionCliOptions, argv: string[]): Promise<ActionCase> {
  const hostname = os.hostname();
  const caseId = checkCaseId(opts.case ?? defaultCaseId(hostname, host.now()));
  return openActionCase({
    out: opts.out,
    caseId,
    examiner: opts.examiner ?? null,
    hostname,
    command: ['ir-triage', ...argv],
    host,
    maxFileBytes: opts.maxFileBytes ?? 64 * 1024 * 1024,
    force: opts.force,
    tool: TOOL,
  });
}

/**
 * Ctrl-C while the system is being changed: finish the change (so it is recorded and can be
 * undone), then exit 130; a second Ctrl-C quits at once.
 */
export async function guarded<T>(work: () => Promise<T>): Promise<{ value: T; interrupted: boolean }> {
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(EXIT.interrupted);
    interrupted = true;
    process.stderr.write('ir-triage: interrupted: finishing the change so that it is recorded and can be undone (Ctrl-C again to quit now)\n');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return { value: await work(), interrupted };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

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
  const plan = await planQuarantine(planningContext(host, opts), target);
  // With --json, stdout carries one JSON object: the plan (dry run, refusal) or the summary; the plan text goes to stderr.
  if (!opts.json) process.stdout.write(formatPlan(plan));
  else if (opts.dryRun || plan.refused) process.stdout.write(JSON.stringify({ plan: { ...plan, data: undefined }, notCovered: notCoveredOf(plan), dryRun: opts.dryRun }) + '\n');
  else process.stderr.write(formatPlan(plan));
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
  const { value: result, interrupted } = await guarded(() => applyQuarantine(c.ctx, plan));
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
