import os from 'node:os';
import { openActionCase, type ActionCase } from '../case/action-case.js';
import type { SealedBundle } from '../evidence/bundle.js';
import { READ_ONLY_SINK } from '../actions/common.js';
import type { ActionContext, ActionResult } from '../actions/types.js';
import { createHostContext, type HostContext } from '../host/context.js';
import { CliError, EXIT } from '../model/errors.js';
import { sanitizeForTerminal as safe } from '../report/text.js';
import { commandCaseOpening } from '../case/case.js';

/**
 * What the commands that change the system outside the guided run share (quarantine, restore):
 * their options, the confirmation, the live host, the planning context, the case, Ctrl-C.
 */

/** The terminal's yes/no question; inquirer is loaded only when a question is asked. */
export async function confirmOnTerminal(message: string): Promise<boolean> {
  const { confirmOnTerminal: ask } = await import('../runner/interactive.js');
  return ask(message);
}

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

export interface ActionCliDeps {
  /** Asks the responder a yes/no question: the terminal's (inquirer, on stderr) unless one is passed in; actions never ask. */
  prompter?: (message: string) => Promise<boolean>;
  /** A terminal to ask on (stdin and stderr, where the prompt goes, are TTYs). */
  interactive?: boolean;
  host?: HostContext;
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
    return (await (deps.prompter ?? confirmOnTerminal)(question)) ? 'yes' : 'no';
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

/** The live host for an action run (the system PATH and C locale: the host door's exec, and the CLI entry). */
export function actionHost(): HostContext {
  return createHostContext({ warn: (m) => process.stderr.write(`ir-triage: ${safe(m)}\n`) });
}

/** A context for planning only: a sink that refuses writes and a custody log that keeps nothing. */
export function planningContext(host: HostContext, opts: ActionCliOptions): ActionContext {
  return { host, sink: READ_ONLY_SINK, custody: () => {}, facts: {}, maxFileBytes: opts.maxFileBytes ?? 64 * 1024 * 1024, maxTotalBytes: opts.maxTotalBytes, maxDepth: opts.maxDepth, force: opts.force };
}

export async function openCliCase(host: HostContext, opts: ActionCliOptions, argv: string[]): Promise<ActionCase> {
  return openActionCase({ ...commandCaseOpening(opts, host, os.hostname(), argv), maxFileBytes: opts.maxFileBytes ?? 64 * 1024 * 1024, force: opts.force });
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

/**
 * The end of a restore: each result and the bundle that records it (or one JSON object with
 * --json) on stdout; exit 130 when interrupted, else 0 only when every undo was done.
 */
export function printRestored(results: readonly ActionResult[], ok: boolean, sealed: SealedBundle, caseId: string, json: boolean | undefined, interrupted: boolean): number {
  if (json) {
    process.stdout.write(JSON.stringify({ ok, results: results.map((r) => ({ ok: r.ok, message: r.message, notDone: r.applied.filter((a) => !a.ok) })), bundle: sealed.bundle, sha256: sealed.sha256, case: caseId }) + '\n');
  } else {
    const lines = results.map((r) => formatResult(r, 20, 40).trimEnd());
    lines.push(`bundle:   ${safe(sealed.bundle)}`, `sha256:   ${sealed.sha256}`, `case:     ${safe(caseId)}`);
    process.stdout.write(lines.join('\n') + '\n');
  }
  if (interrupted) return EXIT.interrupted;
  return ok ? EXIT.ok : EXIT.error;
}
