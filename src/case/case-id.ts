import { CliError } from '../model/errors.js';

/** `<hostname>-<UTC yyyymmddThhmmssZ>` (SPEC.md), with the hostname made safe for a file name. */
export function defaultCaseId(hostname: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const host = hostname.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[.-]+/, '') || 'host';
  return `${host}-${stamp}`;
}

/** A case id names a folder and a file: letters, digits, dot, dash and underscore only. */
export function checkCaseId(id: string): string {
  if (!/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/.test(id)) {
    throw new CliError(`--case "${id}": use letters, digits, '.', '_' and '-' only (at most 128, not starting with '.' or '-')`, 2);
  }
  return id;
}
