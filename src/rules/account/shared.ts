import type { AccountRecord, FileMeta } from '../../model/access.js';
import type { KnownFacts } from '../../model/facts.js';
import { inWindow, type IncidentWindow } from '../../model/window.js';

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
