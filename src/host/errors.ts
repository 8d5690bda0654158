/** The errno code of a failed fs, process or socket call (ENOENT, EACCES, …); undefined for any other error. */
export function errnoCode(err: unknown): string | undefined {
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}

/** The errno code, or EUNKNOWN: for the source table and the manifest. */
export function errorCode(err: unknown): string {
  return errnoCode(err) ?? 'EUNKNOWN';
}

/** The errno code, else the error's message: one word or line saying why something was refused. */
export function errorReason(err: unknown): string {
  return errnoCode(err) ?? (err instanceof Error ? err.message : String(err));
}

/** One line for an error of any kind: `CODE: message` when it has an errno code. */
export function errorLine(err: unknown): string {
  const code = errnoCode(err);
  const message = err && typeof err === 'object' && 'message' in err && typeof err.message === 'string' ? err.message : String(err);
  return `${code ? `${code}: ` : ''}${message}`;
}
