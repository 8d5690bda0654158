import type { AccountRecord, FileMeta } from '../../model/access.js';
import type { KnownFacts } from '../../model/facts.js';
import { sanitizeForTerminal } from '../../model/text.js';
import { inWindow, type IncidentWindow } from '../../model/window.js';

/**
 * Attacker text (a key comment, a GECOS field) for a title or a detail: controls made visible
 * as \xNN, cut to maxChars. The report and the terminal escape again; this keeps findings.json
 * readable as well.
 */
export function printable(value: string, maxChars = 80): string {
  const shown = sanitizeForTerminal(value, { bidi: 'x' });
  return shown.length > maxChars ? `${shown.slice(0, maxChars - 1)}…` : shown;
}

/** Which of a file's times fall in the window, as "mtime 2026-01-02T…, ctime …". */
export function timesInWindow(window: IncidentWindow, meta: FileMeta | null): string[] {
  if (!meta) return [];
  const out: string[] = [];
  if (inWindow(window, meta.mtime)) out.push(`modified ${meta.mtime}`);
  if (inWindow(window, meta.ctime)) out.push(`inode changed ${meta.ctime}`);
  if (meta.birth && inWindow(window, meta.birth)) out.push(`created ${meta.birth}`);
  return out;
}

/** An account sshd or a console would let in with a password or none. */
export function hasUsablePassword(a: AccountRecord): boolean {
  if (a.shadow) return a.shadow.state === 'hash' || a.shadow.state === 'empty';
  return a.passwdField === 'hash' || a.passwdField === 'empty';
}

/** The password field as one phrase, never the hash. */
export function passwordText(a: AccountRecord): string {
  const s = a.shadow;
  if (!s) return a.passwdField === 'shadow' ? 'no /etc/shadow entry read' : `password field in /etc/passwd: ${a.passwdField}`;
  const scheme = s.algorithm ? ` (${s.algorithm})` : '';
  const state = { hash: `a password is set${scheme}`, empty: 'the password is EMPTY', locked: `the password is locked${scheme}`, 'no-password': 'no password login', invalid: 'an unusable password field' }[s.state];
  return `${state}${s.lastChange ? `, last changed ${s.lastChange}` : ''}${s.expired ? `, expired ${s.expire}` : ''}`;
}

/** Where account findings point. */
export function accountEvidence(facts: KnownFacts): string[] {
  return facts.accountFiles ? ['artifacts/accounts.jsonl', 'artifacts/account-files.json'] : ['artifacts/accounts.jsonl'];
}
