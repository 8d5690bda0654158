/**
 * History files as data: bash (with `#<epoch>` lines when HISTTIMEFORMAT was set), zsh (extended
 * `: <start>:<elapsed>;<command>` lines, metafied bytes, backslash-continued lines), fish
 * (`- cmd:` / `when:`), ash/sh, Python, MySQL and psql (readline or libedit's `_HiStOrY_V2_`),
 * less (.lesshst) and vim (.viminfo marks and command lines). Pure: bytes in, entries out; never
 * throws, bounded in entries and in line length.
 */
import type { HistoryEntryKind, HistoryFormat } from '../../model/activity.js';

export interface ParsedEntry {
  /** 1-based line of the entry's first line. */
  line: number;
  kind: HistoryEntryKind;
  text: string;
  /** Unix seconds from the file's own stamp; null when none. */
  time: number | null;
  durationSeconds?: number;
}

export interface ParsedHistory {
  entries: ParsedEntry[];
  /** Entries past maxEntries, counted and dropped. */
  leftOut: number;
}

/** An entry longer than this is cut: a crafted line must not fill the records. */
export const MAX_ENTRY_CHARS = 16 * 1024;
/** Entries kept per file by default. */
export const MAX_ENTRIES = 200_000;

/** Stamps outside 1990–2100 are not times (a command such as `#1` or junk). */
const MIN_STAMP = 631152000;
const MAX_STAMP = 4102444800;

function stamp(s: string): number | null {
  if (!/^\d{9,10}$/.test(s)) return null;
  const n = Number(s);
  return n >= MIN_STAMP && n < MAX_STAMP ? n : null;
}

function cut(text: string): string {
  return text.length > MAX_ENTRY_CHARS ? text.slice(0, MAX_ENTRY_CHARS) : text;
}

/** Lines with a trailing CR dropped. */
function lines(text: string): string[] {
  const out = text.split('\n');
  if (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

class Sink {
  entries: ParsedEntry[] = [];
  leftOut = 0;
  constructor(private readonly max: number) {}
  add(e: ParsedEntry): void {
    if (e.text.trim() === '') return;
    if (this.entries.length >= this.max) this.leftOut++;
    else this.entries.push({ ...e, text: cut(e.text) });
  }
  done(): ParsedHistory {
    return { entries: this.entries, leftOut: this.leftOut };
  }
}

/**
 * bash: one command a line; a line `#<epoch>` (HISTTIMEFORMAT set) stamps the lines that follow
 * it up to the next stamp. Bash itself reads the lines between two stamps as one multi-line entry
 * (lithist), so they are kept as one entry, numbered by their first line.
 */
export function parseBash(text: string, max = MAX_ENTRIES): ParsedHistory {
  const sink = new Sink(max);
  let time: number | null = null;
  let pending: { line: number; parts: string[] } | null = null;
  const flush = () => {
    if (pending) sink.add({ line: pending.line, kind: 'command', text: pending.parts.join('\n'), time });
    pending = null;
  };
  lines(text).forEach((l, i) => {
    const m = /^#(\d+)\s*$/.exec(l);
    const t = m ? stamp(m[1]) : null;
    if (t !== null) {
      flush();
      time = t;
      return;
    }
    if (time === null) {
      sink.add({ line: i + 1, kind: 'command', text: l, time: null });
      return;
    }
    if (pending) pending.parts.push(l);
    else pending = { line: i + 1, parts: [l] };
  });
  flush();
  return sink.done();
}

/** zsh stores bytes 0x83–0xA2 (and NUL) as 0x83 followed by the byte xor 32 ("metafied"). */
export function unmetafy(data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(data.length);
  let n = 0;
  for (let i = 0; i < data.length; i++) {
    if (data[i] === 0x83 && i + 1 < data.length) out[n++] = data[++i] ^ 32;
    else out[n++] = data[i];
  }
  return out.subarray(0, n);
}

/**
 * zsh: `: <start>:<elapsed>;<command>` with EXTENDED_HISTORY, else the bare command; a line ending
 * in a backslash goes on in the next line (zsh writes multi-line commands so).
 */
export function parseZsh(data: Uint8Array, max = MAX_ENTRIES): ParsedHistory {
  const sink = new Sink(max);
  const all = lines(unmetafy(data).toString('utf8'));
  for (let i = 0; i < all.length; i++) {
    const first = i + 1;
    const parts = [all[i]];
    while (parts[parts.length - 1].endsWith('\\') && i + 1 < all.length && parts.length < 10_000) {
      parts[parts.length - 1] = parts[parts.length - 1].slice(0, -1);
      parts.push(all[++i]);
    }
    const entry = parts.join('\n');
    const m = /^: *(\d+):(\d+);([\s\S]*)$/.exec(entry);
    const t = m ? stamp(m[1]) : null;
    if (m && t !== null) sink.add({ line: first, kind: 'command', text: m[3], time: t, durationSeconds: Number(m[2]) });
    else sink.add({ line: first, kind: 'command', text: entry, time: null });
  }
  return sink.done();
}

/** fish's escapes in `- cmd:` values: `\n` a newline, `\\` a backslash. */
function unescapeFish(s: string): string {
  return s.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === '\\' ? '\\' : `\\${c}`));
}

/** fish: `- cmd: <command>` then `  when: <epoch>` (and `  paths:` lists, ignored). */
export function parseFish(text: string, max = MAX_ENTRIES): ParsedHistory {
  const sink = new Sink(max);
  let cur: ParsedEntry | null = null;
  const flush = () => {
    if (cur) sink.add(cur);
    cur = null;
  };
  lines(text).forEach((l, i) => {
    const cmd = /^- cmd: ?(.*)$/.exec(l);
    if (cmd) {
      flush();
      cur = { line: i + 1, kind: 'command', text: unescapeFish(cmd[1]), time: null };
      return;
    }
    const when = /^\s+when: *(\d+)\s*$/.exec(l);
    if (when && cur) cur.time = stamp(when[1]);
  });
  flush();
  return sink.done();
}

/** libedit's history files start with this line and escape spaces and other bytes as `\040`. */
const LIBEDIT = '_HiStOrY_V2_';

function unescapeLibedit(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** One entry a line (ash, sh, python, mysql, psql); libedit's header and escapes understood. */
export function parsePlain(text: string, kind: HistoryEntryKind, max = MAX_ENTRIES): ParsedHistory {
  const sink = new Sink(max);
  const all = lines(text);
  const libedit = all[0] === LIBEDIT;
  all.forEach((l, i) => {
    if (libedit && i === 0) return;
    const t = libedit ? unescapeLibedit(l) : l;
    // ksh's binary history starts with the magic bytes 0x81 0x01: they are not part of a command.
    sink.add({ line: i + 1, kind: shellEscape(kind, t) ? 'command' : kind, text: shellEscape(kind, t) ?? t.replace(/^\u0081\u0001/, ''), time: null });
  });
  return sink.done();
}

/** mysql's and psql's `\! command` runs a shell command: returned without the prefix. */
function shellEscape(kind: HistoryEntryKind, text: string): string | null {
  if (kind !== 'sql') return null;
  const m = /^\s*(?:\\!|system)\s+(.+)$/.exec(text);
  return m ? m[1] : null;
}

/**
 * less: `.less-history-file:` then sections `.search` and `.shell`; each entry is a line starting
 * with `"`. Shell entries are commands run from less (`!cmd`).
 */
export function parseLess(text: string, max = MAX_ENTRIES): ParsedHistory {
  const sink = new Sink(max);
  let section = '';
  lines(text).forEach((l, i) => {
    if (l.startsWith('.')) {
      section = l;
      return;
    }
    if (!l.startsWith('"')) return;
    if (section === '.search') sink.add({ line: i + 1, kind: 'search', text: l.slice(1), time: null });
    else if (section === '.shell') sink.add({ line: i + 1, kind: 'command', text: l.slice(1), time: null });
  });
  return sink.done();
}

/** viminfo's quoted path in a `|4,…` or `|2,…` line: `"…"` with `\"` and `\\`. */
function vimQuoted(s: string): string | null {
  const m = /^"((?:[^"\\]|\\.)*)"/.exec(s);
  return m ? m[1].replace(/\\(.)/g, '$1') : null;
}

/**
 * vim: the `# File marks:` section (`'0  12  0  /etc/shadow`, stamped by the `|4,<mark>,…,<epoch>,"path"`
 * line after it), the jump list (`-'`), the files with marks (`> /path`) and the command-line
 * history (`:cmd`, stamped by `|2,0,<epoch>,…`). `:!cmd` runs a shell command.
 */
export function parseViminfo(text: string, max = MAX_ENTRIES): ParsedHistory {
  const sink = new Sink(max);
  let section = '';
  let last: ParsedEntry | null = null;
  const flush = () => {
    if (last) sink.add(last);
    last = null;
  };
  lines(text).forEach((l, i) => {
    if (l.startsWith('# ')) {
      flush();
      section = l.toLowerCase();
      return;
    }
    const bar = /^\|([24]),([^,]*),(?:([^,]*),(?:[^,]*),)?(\d+),(.*)$/.exec(l);
    if (bar && last) {
      // |4,<mark>,<lnum>,<col>,<epoch>,"path" after a mark; |2,0,<epoch>,,"cmd" after a command line.
      const t = bar[1] === '4' ? stamp(bar[4]) : stamp(/^\|2,\d+,(\d+),/.exec(l)?.[1] ?? '');
      if (t !== null) last.time = t;
      return;
    }
    if (l.startsWith('|')) return;
    if (section.startsWith('# file marks') || section.startsWith('# jumplist')) {
      const m = /^(?:'[0-9A-Z]|-')\s+\d+\s+\d+\s+(.+)$/.exec(l);
      if (m) {
        flush();
        last = { line: i + 1, kind: 'file-opened', text: m[1], time: null };
      }
      return;
    }
    if (section.startsWith('# history of marks')) {
      const m = /^> (.+)$/.exec(l);
      if (m) {
        flush();
        last = { line: i + 1, kind: 'file-opened', text: m[1], time: null };
      }
      return;
    }
    if (section.startsWith('# command line history')) {
      const m = /^:(.*)$/.exec(l);
      if (m) {
        flush();
        const bang = /^\s*!(.+)$/.exec(m[1]);
        last = bang ? { line: i + 1, kind: 'command', text: bang[1], time: null } : { line: i + 1, kind: 'vim-command', text: m[1], time: null };
      }
    }
  });
  flush();
  // A file with marks is listed in several sections: each path (and command) once, its latest time kept.
  const seen = new Map<string, ParsedEntry>();
  for (const e of sink.entries) {
    const key = `${e.kind}\0${e.text}`;
    const held = seen.get(key);
    if (!held) seen.set(key, e);
    else if (e.time !== null && (held.time === null || e.time > held.time)) held.time = e.time;
  }
  return { entries: [...seen.values()], leftOut: sink.leftOut };
}

/** Parses a history file of the given format. */
export function parseHistory(format: HistoryFormat, data: Uint8Array, max = MAX_ENTRIES): ParsedHistory {
  const text = () => Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  switch (format) {
    case 'bash':
      return parseBash(text(), max);
    case 'zsh':
      return parseZsh(data, max);
    case 'fish':
      return parseFish(text(), max);
    case 'sh':
      return parsePlain(text(), 'command', max);
    case 'python':
      return parsePlain(text(), 'python', max);
    case 'mysql':
    case 'psql':
      return parsePlain(text(), 'sql', max);
    case 'less':
      return parseLess(text(), max);
    case 'vim':
      return parseViminfo(text(), max);
  }
}

/** The history files of a home, by format. */
export const HISTORY_FILES: ReadonlyArray<{ name: string; format: HistoryFormat }> = [
  { name: '.bash_history', format: 'bash' },
  { name: '.zsh_history', format: 'zsh' },
  { name: '.zhistory', format: 'zsh' },
  { name: '.histfile', format: 'zsh' },
  { name: '.local/share/fish/fish_history', format: 'fish' },
  { name: '.ash_history', format: 'sh' },
  { name: '.sh_history', format: 'sh' },
  { name: '.ksh_history', format: 'sh' },
  { name: '.python_history', format: 'python' },
  { name: '.mysql_history', format: 'mysql' },
  { name: '.psql_history', format: 'psql' },
  { name: '.lesshst', format: 'less' },
  { name: '.viminfo', format: 'vim' },
];

/** Formats whose entries are the account's shell commands (what history tampering is judged on). */
const SHELL_FORMATS: ReadonlySet<HistoryFormat> = new Set(['bash', 'zsh', 'fish', 'sh']);
