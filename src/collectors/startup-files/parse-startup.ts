/**
 * The lines of start-up files that matter to a responder: what rc.local and init scripts run, and
 * in shell start-up files (profile, bashrc, …) the lines that run a file by path, fetch code, open
 * a reverse shell, set LD_PRELOAD, PATH or PROMPT_COMMAND, or replace sudo, su, ssh or passwd with
 * an alias or a function (a password catcher). /etc/environment (pam_env) and /etc/ld.so.preload
 * have their own formats. Pure; line numbers are 1-based.
 */
import type { CommandAnalysis, StartupEntry } from '../../model/persistence.js';
import { analyzeCommand, isPlain, type AnalyzeOptions } from '../persistence/parse-command.js';

export type StartupSource = StartupEntry['source'];

export interface StartupLine {
  line: number;
  what: StartupEntry['what'];
  text: string;
  value: string | null;
  name?: string;
  analysis: CommandAnalysis | null;
}

const MAX_TEXT = 4096;
/** Commands an intruder replaces to catch passwords or hide their tracks. */
export const HIJACKED = ['sudo', 'su', 'ssh', 'scp', 'sftp', 'passwd'];
const ASSIGN = /^\s*(?:export\s+|declare\s+-[a-zA-Z]*x[a-zA-Z]*\s+|readonly\s+)?(LD_PRELOAD|PATH|PROMPT_COMMAND)\s*\+?=\s*(.*?)\s*;?\s*$/;
const ALIAS = new RegExp(`^\\s*alias\\s+(${HIJACKED.join('|')})=(.*)$`);
const FUNCTION = new RegExp(`^\\s*(?:function\\s+(${HIJACKED.join('|')})\\b|(${HIJACKED.join('|')})\\s*\\(\\s*\\))`);

function unquote(v: string): string {
  const t = v.trim();
  if (t.length >= 2 && (t[0] === '"' || t[0] === "'") && t.endsWith(t[0])) return t.slice(1, -1);
  return t;
}

function numbered(text: string): Array<{ line: number; text: string }> {
  return text.split('\n').map((t, i) => ({ line: i + 1, text: (t.endsWith('\r') ? t.slice(0, -1) : t).slice(0, MAX_TEXT) }));
}

/** An alias whose body does not start with the command itself (`alias sudo='sudo '` is a common, harmless trick). */
function replacesCommand(name: string, body: string): boolean {
  const first = unquote(body).trim().split(/\s+/)[0] ?? '';
  return first !== name && first !== 'command' && !new RegExp(`^/(?:usr/)?(?:local/)?s?bin/${name}$`).test(first);
}

/** One line of a shell start-up file, rc.local or init script: what it does, or null when nothing that matters. */
function shellLine(n: number, text: string, everyCommand: boolean, opts: AnalyzeOptions): StartupLine | null {
  const t = text.trim();
  if (t === '' || t.startsWith('#')) return null;
  const assign = ASSIGN.exec(t);
  if (assign) {
    const value = unquote(assign[2]);
    if (assign[1] === 'LD_PRELOAD') return value ? { line: n, what: 'ld-preload', text, value, analysis: null } : null;
    if (assign[1] === 'PATH') return { line: n, what: 'path', text, value, analysis: null };
    return { line: n, what: 'prompt-command', text, value, analysis: analyzeCommand(value, opts) };
  }
  const alias = ALIAS.exec(t);
  if (alias) {
    const body = unquote(alias[2]);
    return replacesCommand(alias[1], alias[2]) ? { line: n, what: 'alias', text, value: body, name: alias[1], analysis: analyzeCommand(body, opts) } : null;
  }
  const fn = FUNCTION.exec(t);
  if (fn) return { line: n, what: 'alias', text, value: t, name: fn[1] ?? fn[2], analysis: null };
  if (everyCommand && /^(?:exit\s+0|exit|fi|then|else|done|do|esac|\{|\}|;;)$/.test(t)) return null;
  const analysis = analyzeCommand(t, opts);
  if (analysis.ldPreload) return { line: n, what: 'ld-preload', text, value: analysis.ldPreload, analysis };
  if (!everyCommand && isPlain(analysis)) return null;
  return { line: n, what: 'command', text, value: null, analysis };
}

/**
 * Lines that matter in one start-up file. rc.local: every command (it exists to run things at
 * boot). init scripts and shell start-up files: only lines of interest. /etc/environment: LD_PRELOAD
 * and PATH. /etc/ld.so.preload: every library named.
 */
export function parseStartup(text: string, source: StartupSource, opts: AnalyzeOptions = {}): StartupLine[] {
  const out: StartupLine[] = [];
  for (const { line, text: l } of numbered(text)) {
    if (source === 'ld-so-preload') {
      // glibc reads names separated by spaces, tabs, newlines or colons; `#` starts a comment.
      const value = l.replace(/#.*$/, '').trim();
      if (value) out.push({ line, what: 'preload-library', text: l, value: value.split(/[\s:]+/).filter(Boolean).join(' '), analysis: null });
      continue;
    }
    if (source === 'environment') {
      const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(l);
      if (!m || l.trim().startsWith('#')) continue;
      const value = unquote(m[2]);
      if (m[1] === 'LD_PRELOAD' && value) out.push({ line, what: 'ld-preload', text: l, value, analysis: null });
      else if (m[1] === 'PATH') out.push({ line, what: 'path', text: l, value, analysis: null });
      continue;
    }
    if (line === 1 && l.startsWith('#!')) continue;
    const r = shellLine(line, l, source === 'rc-local', opts);
    if (r) out.push(r);
  }
  return out;
}
