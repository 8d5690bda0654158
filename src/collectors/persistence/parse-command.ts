/**
 * What a shell command line runs, read as text and never executed: the cron, systemd-units and
 * startup-files collectors hand every command to analyzeCommand. A small POSIX-shell lexer (quotes,
 * escapes, `$(…)`, backticks, `<(…)`, redirections, `|`, `;`, `&&`, `||`, `&`, groups) is enough to
 * tell the program, the scripts handed to interpreters and the pipelines, which is all the
 * persistence rules judge. Pure: no file is read.
 */
import type { CommandAnalysis } from '../../model/persistence.js';
import { lookup } from '../../model/lookup.js';

type Token = { t: 'word'; v: string; raw: string } | { t: 'op'; v: string };

/** Longest first: `>>` before `>`. */
const OPERATORS = ['&&', '||', ';;', '|&', '>>', '<<<', '<<', '&>>', '&>', '>&', '<&', '>|', '|', '&', ';', '(', ')', '<', '>', '\n'];
const REDIRECTIONS = new Set(['>>', '<<<', '<<', '&>>', '&>', '>&', '<&', '>|', '<', '>']);

/** Commands longer than this are cut: a crafted line must not make the lexer run for long. */
export const MAX_COMMAND_CHARS = 16 * 1024;
/** Nested `sh -c` and `$(…)` deeper than this are not followed. */
const MAX_DEPTH = 4;
/** Groups `( … )` and `{ …; }` nested deeper than this are read as one level. */
const MAX_GROUP_DEPTH = 32;
/** Substitutions followed per command. */
const MAX_SUBS = 64;

/** Index of the `)` closing a `(` opened just before `start`, respecting quotes; -1 when unclosed. */
function closingParen(s: string, start: number): number {
  let depth = 1;
  for (let i = start; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') i++;
    else if (c === "'") {
      const j = s.indexOf("'", i + 1);
      if (j < 0) return -1;
      i = j;
    } else if (c === '"') {
      for (i++; i < s.length && s[i] !== '"'; i++) if (s[i] === '\\') i++;
    } else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return -1;
}

/** Splits a command into words and operators; the text of every `$(…)`, backtick and `<(…)` goes to `subs`. */
export function lex(input: string, subs: string[] = []): Token[] {
  const s = input.length > MAX_COMMAND_CHARS ? input.slice(0, MAX_COMMAND_CHARS) : input;
  const out: Token[] = [];
  let word = '';
  let raw = '';
  let inWord = false;
  const end = () => {
    if (inWord) out.push({ t: 'word', v: word, raw });
    word = '';
    raw = '';
    inWord = false;
  };
  const substitution = (i: number, open: number): number => {
    const close = closingParen(s, open);
    const stop = close < 0 ? s.length : close;
    subs.push(s.slice(open, stop));
    word += s.slice(i, stop + 1);
    raw += s.slice(i, stop + 1);
    inWord = true;
    return stop;
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      if (s[i + 1] === '\n') {
        i++;
        continue;
      }
      word += s[i + 1] ?? '';
      raw += s.slice(i, i + 2);
      inWord = true;
      i++;
      continue;
    }
    if (c === "'") {
      const j = s.indexOf("'", i + 1);
      const stop = j < 0 ? s.length : j;
      word += s.slice(i + 1, stop);
      raw += s.slice(i, stop + 1);
      inWord = true;
      i = stop;
      continue;
    }
    if (c === '"') {
      inWord = true;
      raw += c;
      for (i++; i < s.length && s[i] !== '"'; i++) {
        if (s[i] === '\\' && i + 1 < s.length && '"\\$`\n'.includes(s[i + 1])) {
          word += s[i + 1];
          raw += s.slice(i, i + 2);
          i++;
        } else if (s[i] === '$' && s[i + 1] === '(' && s[i + 2] !== '(') {
          i = substitution(i, i + 2);
        } else if (s[i] === '`') {
          const j = s.indexOf('`', i + 1);
          const stop = j < 0 ? s.length : j;
          subs.push(s.slice(i + 1, stop));
          word += s.slice(i, stop + 1);
          raw += s.slice(i, stop + 1);
          i = stop;
        } else {
          word += s[i];
          raw += s[i];
        }
      }
      raw += '"';
      continue;
    }
    if (c === '$' && s[i + 1] === '(' && s[i + 2] !== '(') {
      i = substitution(i, i + 2);
      continue;
    }
    if ((c === '<' || c === '>') && s[i + 1] === '(') {
      // Process substitution: `bash <(curl …)` runs what curl fetched.
      end();
      i = substitution(i, i + 2);
      end();
      continue;
    }
    if (c === '`') {
      const j = s.indexOf('`', i + 1);
      const stop = j < 0 ? s.length : j;
      subs.push(s.slice(i + 1, stop));
      word += s.slice(i, stop + 1);
      raw += s.slice(i, stop + 1);
      inWord = true;
      i = stop;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      end();
      continue;
    }
    if (c === '#' && !inWord) break; // a comment runs to the end of the line
    const op = OPERATORS.find((o) => s.startsWith(o, i));
    if (op) {
      // `2>` and `2>&1`: a file-descriptor number is part of the redirection, not a word.
      if (REDIRECTIONS.has(op) && inWord && /^\d+$/.test(raw)) {
        word = '';
        raw = '';
        inWord = false;
      }
      end();
      out.push({ t: 'op', v: op });
      i += op.length - 1;
      continue;
    }
    word += c;
    raw += c;
    inWord = true;
  }
  end();
  return out;
}

interface Simple {
  words: string[];
}
/** A pipeline element: one simple command, or a group `( … )` / `{ … }` holding pipelines. */
type Element = { simple: Simple } | { group: Pipeline[] };
type Pipeline = Element[];

/** Pipelines of a token list (separators `;`, `&&`, `||`, `&`, newline); redirection targets dropped. */
function pipelines(tokens: Token[]): Pipeline[] {
  let pos = 0;
  const parseList = (closer: string | null, depth = 0): Pipeline[] => {
    const list: Pipeline[] = [];
    let pipe: Pipeline = [];
    let flat = 0;
    let flatBraces = 0;
    let words: string[] = [];
    const flushSimple = () => {
      if (words.length) pipe.push({ simple: { words } });
      words = [];
    };
    const flushPipe = () => {
      flushSimple();
      if (pipe.length) list.push(pipe);
      pipe = [];
    };
    while (pos < tokens.length) {
      const tok = tokens[pos++];
      if (tok.t === 'word') {
        if (tok.v === '{' && words.length === 0) {
          if (depth < MAX_GROUP_DEPTH) pipe.push({ group: parseList('}', depth + 1) });
          else flatBraces++;
          continue;
        }
        if (tok.v === '}' && words.length === 0 && flatBraces > 0) {
          flatBraces--;
          continue;
        }
        if (closer === '}' && tok.v === '}' && words.length === 0) {
          flushPipe();
          return list;
        }
        words.push(tok.v);
        continue;
      }
      if (REDIRECTIONS.has(tok.v)) {
        // The target is a file the command reads or writes, not something it runs.
        if (tokens[pos]?.t === 'word') pos++;
        continue;
      }
      if (tok.v === '(') {
        flushSimple();
        // Deeper groups than any real command are read flat: a crafted line must not exhaust the stack.
        if (depth < MAX_GROUP_DEPTH) pipe.push({ group: parseList(')', depth + 1) });
        else flat++;
        continue;
      }
      if (tok.v === ')' && flat > 0) {
        flat--;
        continue;
      }
      if (tok.v === ')' && closer === ')') {
        flushPipe();
        return list;
      }
      if (tok.v === '|' || tok.v === '|&') {
        flushSimple();
        continue;
      }
      flushPipe();
    }
    flushPipe();
    return list;
  };
  return parseList(null);
}

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'ash', 'mksh', 'busybox', 'fish', 'csh', 'tcsh']);
const INTERPRETERS = /^(?:python[0-9.]*|perl[0-9.]*|php[0-9.]*|ruby[0-9.]*|node|nodejs|lua[0-9.]*|tclsh|pwsh)$/;
const FETCHERS = new Set(['curl', 'wget', 'fetch', 'lwp-download', 'lwp-request', 'GET', 'tftp', 'ftp', 'aria2c', 'nc', 'ncat', 'netcat', 'socat']);
/** Wrappers that run the rest of their arguments as a command, with how many option arguments they take. */
const WRAPPERS: Record<string, { valueOpts?: RegExp; positional?: number }> = {
  nohup: {},
  setsid: {},
  exec: {},
  command: {},
  builtin: {},
  time: {},
  chronic: {},
  cronic: {},
  'run-one': {},
  stdbuf: { valueOpts: /^-[ioe]$/ },
  nice: { valueOpts: /^-n$/ },
  ionice: { valueOpts: /^-[cnp]$/ },
  timeout: { valueOpts: /^-[sk]$/, positional: 1 },
  flock: { valueOpts: /^-[wE]$/, positional: 1 },
  sudo: { valueOpts: /^-[ugUpCrthD]$/ },
  doas: { valueOpts: /^-[uC]$/ },
  env: { valueOpts: /^-[uCS]$/ },
  xargs: { valueOpts: /^-[IdEnLPsa]$/ },
  chroot: { positional: 1 },
  runuser: { valueOpts: /^-[ugG]$/ },
};

export function baseName(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? p : p.slice(i + 1);
}

const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;

function isShell(word: string): boolean {
  return SHELLS.has(baseName(word));
}

function isInterpreter(word: string): boolean {
  return INTERPRETERS.test(baseName(word));
}

export interface AnalyzeOptions {
  /** The home folder of the user the command runs as: `~`, `$HOME` and `./x` without a `cd` resolve to it. */
  home?: string | null;
}

/** `~/x`, `$HOME/x`, `${HOME}/x` with the home put in (kept as `~/x` when it is not known). */
export function expandHome(p: string, home: string | null | undefined): string {
  const m = /^(?:~|\$HOME|\$\{HOME\})(\/.*)?$/.exec(p);
  if (!m) return p;
  return `${home ?? '~'}${m[1] ?? ''}`;
}

function joinPath(dir: string, rel: string): string {
  const parts = `${dir}/${rel}`.split('/');
  const out: string[] = [];
  for (const part of parts) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  const lead = dir.startsWith('~') ? '' : '/';
  return lead + out.join('/');
}

/** A word that names a file to run: absolute, home-relative or ./relative. */
function pathLike(word: string): boolean {
  return /^(?:\/|~\/|~$|\$HOME\/|\$\{HOME\}\/|\.{1,2}\/)/.test(word);
}

interface Walk {
  runs: CommandAnalysis['runs'];
  programs: Set<string>;
  fetchPipe: string | null;
  reverseShell: string | null;
  ldPreload: string | null;
}

/** The program and its arguments, past assignments and wrappers (`nohup`, `sudo -u x`, `timeout 5`, …). */
function unwrap(words: string[], w: Walk): string[] {
  let i = 0;
  for (;;) {
    while (i < words.length && ASSIGNMENT.test(words[i])) {
      const m = ASSIGNMENT.exec(words[i])!;
      if (m[1] === 'LD_PRELOAD' && m[2]) w.ldPreload ??= m[2];
      i++;
    }
    if (i >= words.length) return [];
    const spec = lookup(WRAPPERS, baseName(words[i]));
    if (!spec) return words.slice(i);
    i++;
    let positional = spec.positional ?? 0;
    while (i < words.length) {
      const a = words[i];
      if (a === '--') {
        i++;
        break;
      }
      if (a.startsWith('-') && a.length > 1) {
        i += spec.valueOpts?.test(a) ? 2 : 1;
        continue;
      }
      if (ASSIGNMENT.test(a)) break;
      if (positional > 0) {
        positional--;
        i++;
        continue;
      }
      break;
    }
  }
}

/** Options of a shell or interpreter before its script or -c text. */
function scriptOf(args: string[]): { inline: string | null; script: string | null; stdin: boolean } {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-c' || a === '-e' || a === '-r' || a === '-E' || /^-[a-zA-Z]*c$/.test(a)) return { inline: args[i + 1] ?? '', script: null, stdin: false };
    if (a === '-s' || a === '-') return { inline: null, script: null, stdin: true };
    if (a === '--') return { inline: null, script: args[i + 1] ?? null, stdin: args[i + 1] === undefined };
    if (a.startsWith('-') || a.startsWith('+')) {
      if (a === '-m' || a === '-W' || a === '-X' || a === '-o' || a === '-O') i++;
      continue;
    }
    return { inline: null, script: a, stdin: false };
  }
  return { inline: null, script: null, stdin: true };
}

/** A simple command that reads code from stdin: a shell or interpreter without a script or -c. */
function readsCodeFromStdin(words: string[], w: Walk): boolean {
  const cmd = unwrap(words, { ...w, runs: [], programs: new Set() });
  if (cmd.length === 0) return false;
  const prog = baseName(cmd[0]);
  if (prog === 'busybox') return cmd[1] !== undefined && SHELLS.has(cmd[1]) && scriptOf(cmd.slice(2)).stdin;
  if (!isShell(cmd[0]) && !isInterpreter(cmd[0]) && prog !== 'source' && prog !== '.') return false;
  if (prog === 'source' || prog === '.') return cmd[1] === '/dev/stdin' || cmd[1] === '-';
  const s = scriptOf(cmd.slice(1));
  return s.stdin || s.script === '/dev/stdin';
}

/** Fetches from the network, or decodes hidden text (base64 -d, xxd -r, openssl enc -d). */
function producesCode(words: string[]): string | null {
  const cmd = unwrap(words, { runs: [], programs: new Set(), fetchPipe: null, reverseShell: null, ldPreload: null });
  if (cmd.length === 0) return null;
  const prog = baseName(cmd[0]);
  if (FETCHERS.has(prog)) return prog;
  if ((prog === 'base64' || prog === 'base32') && cmd.some((a) => a === '-d' || a === '--decode' || /^-[a-zA-Z]*d/.test(a))) return `${prog} -d`;
  if (prog === 'xxd' && cmd.some((a) => /^-[a-z]*r/.test(a))) return 'xxd -r';
  if (prog === 'openssl' && cmd.includes('-d')) return 'openssl -d';
  if ((prog === 'python' || /^python[0-9.]*$/.test(prog)) && cmd.some((a) => /urllib|requests\.get|urlopen/.test(a))) return prog;
  return null;
}

function elementProduces(el: Element): string | null {
  if ('simple' in el) return producesCode(el.simple.words);
  for (const p of el.group) for (const e of p) {
    const r = elementProduces(e);
    if (r) return r;
  }
  return null;
}

const REVERSE_SHELL: Array<[RegExp, string]> = [
  [/\/dev\/(?:tcp|udp)\/[^\s/]+\/\d+/, 'a shell connected to /dev/tcp'],
  [/\b(?:nc|ncat|netcat)\b[^|;&]*\s-[a-zA-Z]*[ec]\s/, 'nc -e (a shell served over the network)'],
  [/\bsocat\b[^|;&]*\b(?:exec|system):/i, 'socat exec: (a shell served over the network)'],
  [/\b(?:python[0-9.]*|perl|ruby|php[0-9.]*)\b[^|;&]*\s-[a-zA-Z]*[cer]\s[\s\S]*\b(?:socket|fsockopen|TCPSocket|IO::Socket|pty\.spawn)\b/, 'an interpreter opening a socket (-c/-e code)'],
  [/\bmkfifo\b[\s\S]*\|\s*(?:\S*\/)?(?:nc|ncat|netcat)\b/, 'a fifo piped through nc'],
];

function walkPipelines(list: Pipeline[], w: Walk, opts: AnalyzeOptions, depth: number, cwd: { dir: string | null }): void {
  for (const pipe of list) {
    // Fetched or decoded text that a later element of the same pipeline runs as code (one pass).
    if (!w.fetchPipe) {
      let src: string | null = null;
      for (const el of pipe) {
        if (src && 'simple' in el && readsCodeFromStdin(el.simple.words, w)) {
          w.fetchPipe = `${src} … | ${baseName(unwrap(el.simple.words, { ...w, runs: [], programs: new Set() })[0])}`;
          break;
        }
        src ??= elementProduces(el);
      }
    }
    for (const el of pipe) {
      if ('group' in el) walkPipelines(el.group, w, opts, depth, cwd);
      else walkSimple(el.simple.words, w, opts, depth, cwd);
    }
  }
}

function addRun(w: Walk, word: string, as: 'program' | 'script', opts: AnalyzeOptions, cwd: { dir: string | null }): void {
  let p = expandHome(word, opts.home);
  if (/^\.{1,2}\//.test(p)) p = joinPath(cwd.dir ?? (opts.home ? opts.home : '~'), p);
  if (!w.runs.some((r) => r.path === p && r.as === as)) w.runs.push({ path: p, as });
}

function walkSimple(words: string[], w: Walk, opts: AnalyzeOptions, depth: number, cwd: { dir: string | null }): void {
  const cmd = unwrap(words, w);
  if (cmd.length === 0) return;
  const prog = cmd[0];
  const name = baseName(prog);
  if (name === 'cd') {
    const dir = cmd[1];
    if (dir && pathLike(dir)) cwd.dir = expandHome(dir, opts.home);
    else if (!dir) cwd.dir = opts.home ?? '~';
    return;
  }
  if (name === 'export' || name === 'declare' || name === 'typeset' || name === 'local') {
    for (const a of cmd.slice(1)) {
      const m = ASSIGNMENT.exec(a);
      if (m && m[1] === 'LD_PRELOAD' && m[2]) w.ldPreload ??= m[2];
    }
    return;
  }
  if (name === 'eval' && depth < MAX_DEPTH) {
    analyzeInto(cmd.slice(1).join(' '), w, opts, depth + 1, cwd);
    return;
  }
  if (pathLike(prog)) addRun(w, prog, 'program', opts, cwd);
  else if (prog !== '.' && prog !== 'source' && !prog.startsWith('$')) w.programs.add(prog);
  const shell = isShell(prog);
  if (name === 'source' || name === '.') {
    if (cmd[1] && pathLike(cmd[1])) addRun(w, cmd[1], 'script', opts, cwd);
    return;
  }
  let args = cmd.slice(1);
  if (name === 'busybox' && args[0]) {
    if (!SHELLS.has(args[0])) {
      w.programs.add(args[0]);
      return;
    }
    args = args.slice(1);
  }
  if (shell || isInterpreter(prog)) {
    const s = scriptOf(args);
    if (s.inline !== null && (shell || name === 'busybox') && depth < MAX_DEPTH) analyzeInto(s.inline, w, opts, depth + 1, cwd);
    if (s.script && pathLike(s.script)) addRun(w, s.script, 'script', opts, cwd);
  }
}

function analyzeInto(command: string, w: Walk, opts: AnalyzeOptions, depth: number, cwd: { dir: string | null } = { dir: null }): void {
  const subs: string[] = [];
  const tokens = lex(command, subs);
  walkPipelines(pipelines(tokens), w, opts, depth, cwd);
  if (!w.reverseShell) for (const [re, what] of REVERSE_SHELL) if (re.test(command)) {
    w.reverseShell = what;
    break;
  }
  for (const sub of subs.slice(0, MAX_SUBS)) {
    if (depth >= MAX_DEPTH) break;
    // `sh -c "$(curl …)"`, `eval "$(wget -O- …)"`, `bash <(curl …)`: the fetched text is run.
    if (!w.fetchPipe) {
      const fetched = pipelines(lex(sub)).flat().map(elementProduces).find((x) => x);
      const runner = tokens.find((t): t is Extract<Token, { t: 'word' }> => t.t === 'word' && (isShell(t.v) || t.v === 'eval' || isInterpreter(t.v)));
      if (fetched && runner) w.fetchPipe = `${baseName(runner.v)} … $(${fetched} …)`;
    }
    analyzeInto(sub, w, opts, depth + 1, { dir: cwd.dir });
  }
}

/** What a command line runs: programs and scripts by path, fetch-and-pipe, reverse shells, LD_PRELOAD. */
export function analyzeCommand(command: string, opts: AnalyzeOptions = {}): CommandAnalysis {
  const w: Walk = { runs: [], programs: new Set(), fetchPipe: null, reverseShell: null, ldPreload: null };
  analyzeInto(command, w, opts, 0);
  return { runs: w.runs, programs: [...w.programs], fetchPipe: w.fetchPipe, reverseShell: w.reverseShell, ldPreload: w.ldPreload };
}

/** Nothing of note: no file run by path, no fetch, no reverse shell, no LD_PRELOAD. */
export function isPlain(a: CommandAnalysis): boolean {
  return a.runs.length === 0 && !a.fetchPipe && !a.reverseShell && !a.ldPreload;
}

/** One simple command of a line: its words past assignments and wrappers, and its redirections. */
export interface SimpleCommand {
  /** The program and its arguments (quotes removed), past `sudo`, `nohup`, `env X=1`, …; empty for a bare redirection. */
  words: string[];
  /** Redirections in order: the operator (`>`, `>>`, `>|`, `&>`, …) and its target word. */
  redirects: Array<{ op: string; target: string }>;
}

/**
 * Every simple command a line runs, in order, with its redirections: those of the line itself,
 * of `sh -c '…'`, `eval …` and of `$(…)`/backticks (bounded as analyzeCommand is). For rules that
 * judge what a command does (truncate a log, stop a service), not only what it runs.
 */
export function simpleCommands(command: string, depth = 0): SimpleCommand[] {
  const subs: string[] = [];
  const tokens = lex(command, subs);
  const out: SimpleCommand[] = [];
  let cur: SimpleCommand = { words: [], redirects: [] };
  const flush = () => {
    if (cur.words.length || cur.redirects.length) {
      const w: Walk = { runs: [], programs: new Set(), fetchPipe: null, reverseShell: null, ldPreload: null };
      const words = unwrap(cur.words, w);
      if (words.length || cur.redirects.length) out.push({ words, redirects: cur.redirects });
      if (depth < MAX_DEPTH && words.length > 0) {
        const name = baseName(words[0]);
        if (name === 'eval') out.push(...simpleCommands(words.slice(1).join(' '), depth + 1));
        else if (isShell(words[0]) || name === 'busybox') {
          const args = name === 'busybox' && words[1] && SHELLS.has(words[1]) ? words.slice(2) : words.slice(1);
          const s = scriptOf(args);
          if (s.inline !== null) out.push(...simpleCommands(s.inline, depth + 1));
        }
      }
    }
    cur = { words: [], redirects: [] };
  };
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i];
    if (tok.t === 'word') {
      cur.words.push(tok.v);
      continue;
    }
    if (REDIRECTIONS.has(tok.v)) {
      const next = tokens[i + 1];
      if (next?.t === 'word') {
        cur.redirects.push({ op: tok.v, target: next.v });
        i++;
      }
      continue;
    }
    flush();
  }
  flush();
  if (depth < MAX_DEPTH) for (const sub of subs.slice(0, MAX_SUBS)) out.push(...simpleCommands(sub, depth + 1));
  return out;
}
