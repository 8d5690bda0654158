/** inquirer, loaded at the first question: a run that asks none (collect) never pays its start-up. */
const inquirer = () => import('@inquirer/prompts');
import ora, { type Ora } from 'ora';
import { sanitizeForTerminal } from '../report/text.js';
import { NO_PROGRESS, type Progress } from '../model/progress.js';
import { ownLine, progressWanted, TerminalProgress } from './progress-line.js';
import { PromptAborted, type Choice, type Prompter } from './prompter.js';

/** Choices as inquirer draws them: names from the box sanitised, so no escape sequence reaches the terminal. */
export function safeChoices<T extends string>(choices: Array<Choice<T>>): Array<Choice<T>> {
  return choices.map((c) => ({ ...c, name: sanitizeForTerminal(c.name), ...(c.description ? { description: sanitizeForTerminal(c.description) } : {}) }));
}

/** inquirer's prompts for the responder's terminal. The only module that imports inquirer. */
export class InquirerPrompter implements Prompter {
  private async guard<T>(ask: () => Promise<T>): Promise<T> {
    try {
      return await ask();
    } catch (err) {
      // ExitPromptError: Ctrl-C or a closed terminal; AbortPromptError: our own abort.
      if (err instanceof Error && /ExitPromptError|AbortPromptError/.test(err.name)) throw new PromptAborted(err.message);
      throw err;
    }
  }

  select<T extends string>(message: string, choices: Array<Choice<T>>): Promise<T> {
    return this.guard(async () => (await inquirer()).select<T>({ message: sanitizeForTerminal(message), choices: safeChoices(choices) }));
  }

  checkbox<T extends string>(message: string, choices: Array<Choice<T>>): Promise<T[]> {
    return this.guard(async () => (await inquirer()).checkbox<T>({ message: sanitizeForTerminal(message), choices: safeChoices(choices) }));
  }

  confirm(message: string, defaultValue: boolean): Promise<boolean> {
    return this.guard(async () => (await inquirer()).confirm({ message: sanitizeForTerminal(message), default: defaultValue }));
  }
}

export interface Spinner {
  succeed(t: string): void;
  fail(t: string): void;
  /** Shown after the spinner's text until the next call (empty: nothing): the progress of a long read. */
  suffix(t: string): void;
}

/** A spinner on a terminal, plain lines elsewhere. */
export function startSpinner(text: string, enabled: boolean): Spinner {
  if (!enabled) {
    return { succeed: (t) => process.stdout.write(`✔ ${t}\n`), fail: (t) => process.stdout.write(`✖ ${t}\n`), suffix: () => {} };
  }
  const s: Ora = ora({ text, stream: process.stdout }).start();
  return {
    succeed: (t) => s.succeed(t),
    fail: (t) => s.fail(t),
    suffix: (t) => {
      s.suffixText = t;
    },
  };
}

/**
 * The guided run's progress: drawn after the spinner of the step under way (one terminal line
 * for both), when stderr is a terminal too; none otherwise. `current` is the spinner now spinning.
 */
export function spinnerProgress(current: () => { spinner: Spinner; text: string } | null): Progress {
  if (!progressWanted(false)) return NO_PROGRESS;
  // Between steps (the bundle at the end), no spinner spins: a line of its own on stderr.
  const own = ownLine(process.stderr);
  let ownDrawn = false;
  return new TerminalProgress({
    draw: (line) => {
      const c = current();
      if (c) c.spinner.suffix(line);
      else {
        own.draw(line);
        ownDrawn = true;
      }
    },
    clear: () => {
      current()?.spinner.suffix('');
      if (ownDrawn) own.clear();
      ownDrawn = false;
    },
    columns: () => {
      const c = current();
      return c ? Math.max(20, (process.stdout.columns || 80) - c.text.length - 4) : own.columns();
    },
  });
}

/** A yes/no question for the commands that change the system: asked on stderr (stdout keeps the command's output), no by default. */
export function confirmOnTerminal(message: string): Promise<boolean> {
  return inquirer().then(({ confirm }) => confirm({ message, default: false }, { output: process.stderr }));
}
