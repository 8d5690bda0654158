/**
 * The lines of a shell start-up file that change where or whether history is kept: `HISTFILE=`,
 * `HISTSIZE=`, `HISTFILESIZE=`, `SAVEHIST=` (with or without export/declare), `unset HISTFILE`,
 * `set +o history`. Pure.
 */
import type { HistorySetting } from '../../model/activity.js';

export { settingDisablesHistory } from '../../model/activity.js';

const ASSIGN = /(?:^|[\s;&|({])(?:(?:export|declare|typeset|readonly|local)\s+(?:-[A-Za-z]+\s+)*)?(HISTFILE|HISTSIZE|HISTFILESIZE|SAVEHIST)=("[^"]*"|'[^']*'|[^\s;&|)]*)/g;
const UNSET = /(?:^|[\s;&|({])unset\s+(?:-v\s+)?(?:[A-Za-z_][A-Za-z0-9_]*\s+)*HISTFILE\b/;
const OFF = /(?:^|[\s;&|({])set\s+\+o\s+history\b/;

function unquote(v: string): string {
  return (v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'")) ? v.slice(1, -1) : v;
}

export function parseHistorySettings(text: string, file: string, user: string | null): HistorySetting[] {
  const out: HistorySetting[] = [];
  text.split('\n').forEach((raw, i) => {
    const l = raw.length > 4096 ? raw.slice(0, 4096) : raw;
    const code = l.replace(/^\s*#.*$/, '');
    if (!code.trim()) return;
    const base = { file, line: i + 1, user, text: l };
    for (const m of code.matchAll(ASSIGN)) {
      const name = m[1];
      out.push({ ...base, what: name === 'HISTFILE' ? 'histfile' : 'histsize', name, value: unquote(m[2]) });
    }
    if (UNSET.test(code)) out.push({ ...base, what: 'unset-histfile', name: null, value: null });
    if (OFF.test(code)) out.push({ ...base, what: 'history-off', name: null, value: null });
  });
  return out;
}
