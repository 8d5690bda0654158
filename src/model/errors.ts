/** A user-facing error: one clear line on stderr and an exit code, never a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export const EXIT = { ok: 0, error: 1, usage: 2, findings: 3, interrupted: 130 } as const;
