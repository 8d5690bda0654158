import { CliError, EXIT } from '../model/errors.js';
import type { Containment } from '../runner/containment.js';
import { GuidedRun } from '../runner/guided.js';
import { InquirerPrompter, spinnerProgress, startSpinner, type Spinner } from '../runner/interactive.js';
import { CaseRun, type CaseOptions } from '../case/case-run.js';
import { encryptedNextSteps, encryptionFields, prepareEncryptTo } from './encrypt-to.js';

export interface RunCliOptions extends CaseOptions {
  yes: boolean;
}

/** The guided run needs a person at a terminal: piped input must never hang it. */
export function requireTerminal(): void {
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    throw new CliError('the guided run needs a terminal (stdin and stdout); for automation use: ir-triage collect --out DIR', EXIT.usage);
  }
}

/** `ir-triage run [PLAYBOOK]` (and plain `ir-triage` on a terminal): the guided playbook; --encrypt-to as in collect. */
export async function runGuided(opts: RunCliOptions, argv: string[], containment: (run: CaseRun) => Containment): Promise<number> {
  requireTerminal();
  const encryptTo = await prepareEncryptTo(opts, argv);
  // The progress of a long read is drawn after the spinner of the step that reads.
  let spinning: { spinner: Spinner; text: string } | null = null;
  const progress = spinnerProgress(() => spinning);
  const run = await CaseRun.open({ ...opts, encryptTo, progress }, argv);
  const color = !process.env.NO_COLOR;
  const guided = new GuidedRun({
    run,
    prompter: new InquirerPrompter(),
    write: (t) => process.stdout.write(t),
    spinner: (t) => {
      const spinner = startSpinner(t, true);
      const now = { spinner, text: t };
      spinning = now;
      const stop = () => {
        if (spinning === now) spinning = null;
      };
      return {
        ...spinner,
        succeed: (line: string) => (stop(), spinner.succeed(line)),
        fail: (line: string) => (stop(), spinner.fail(line)),
      };
    },
    color,
    yes: opts.yes,
    containment: containment(run),
  });
  const summary = await guided.start();
  if (summary.encryption) process.stdout.write(['', ...encryptionFields(summary.encryption), ...encryptedNextSteps(summary.bundle)].map((l) => `  ${l}`).join('\n') + '\n');
  return summary.interrupted ? EXIT.interrupted : EXIT.ok;
}
