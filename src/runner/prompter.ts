/** How the guided run asks questions: inquirer on a terminal, a script in tests. */
export interface Choice<T extends string> {
  value: T;
  name: string;
  description?: string;
}

export interface Prompter {
  select<T extends string>(message: string, choices: Array<Choice<T>>): Promise<T>;
  checkbox<T extends string>(message: string, choices: Array<Choice<T>>): Promise<T[]>;
  confirm(message: string, defaultValue: boolean): Promise<boolean>;
}

/** The responder pressed Ctrl-C (or closed the terminal) at a prompt. */
export class PromptAborted extends Error {}

/** Answers from a list, in order; an unexpected question fails loudly (tests must not guess). */
export class ScriptedPrompter implements Prompter {
  readonly asked: string[] = [];

  constructor(private readonly answers: Array<string | string[] | boolean | 'ABORT'>) {}

  private next(message: string): string | string[] | boolean {
    this.asked.push(message);
    if (this.answers.length === 0) throw new Error(`unexpected question: ${message}`);
    const a = this.answers.shift()!;
    if (a === 'ABORT') throw new PromptAborted('aborted by the script');
    return a;
  }

  async select<T extends string>(message: string, choices: Array<Choice<T>>): Promise<T> {
    const a = this.next(message);
    if (typeof a !== 'string' || !choices.some((c) => c.value === a)) throw new Error(`answer ${String(a)} is not a choice of: ${message}`);
    return a as T;
  }

  async checkbox<T extends string>(message: string, choices: Array<Choice<T>>): Promise<T[]> {
    const a = this.next(message);
    const list = Array.isArray(a) ? a : [];
    for (const v of list) if (!choices.some((c) => c.value === v)) throw new Error(`answer ${v} is not a choice of: ${message}`);
    return list as T[];
  }

  async confirm(message: string): Promise<boolean> {
    const a = this.next(message);
    if (typeof a !== 'boolean') throw new Error(`answer ${String(a)} is not yes/no: ${message}`);
    return a;
  }
}
