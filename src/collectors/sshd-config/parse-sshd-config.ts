/**
 * sshd_config read the way OpenSSH's servconf.c reads it (sshd_config(5)). Pure: every read goes
 * through the callbacks. Shared by the sshd-config collector (settings in force) and the
 * connections collector (ports, via sshd-config/sshd-ports.ts).
 *
 * - Keywords are case-insensitive; the keyword and its arguments are separated by whitespace
 *   and/or one `=`; arguments may be quoted; `#` at the start of a line or of an argument
 *   starts a comment.
 * - `Include` takes one or more paths or globs, relative ones under /etc/ssh; a glob with no
 *   match, or a missing file, is skipped silently by sshd. A Match inside an included file ends
 *   with that file. Recursion deeper than 16 levels is fatal in sshd ("Too many recursive
 *   configuration includes"), which is also where an include cycle ends; we stop at the cycle.
 * - `Match` starts a block that applies only to the connections it matches; `Match all` returns
 *   to the global section. Files included from inside a Match block belong to that block.
 * - For most keywords the first value obtained wins (`resolveSettings`).
 */

/** The Match block a directive sits in. */
export interface SshdMatchRef {
  /** The criteria as written, joined with spaces. */
  criteria: string;
  file: string;
  line: number;
}

/** One keyword line, as the walk meets it (Include lines are expanded, never visited). */
export interface SshdDirective {
  /** Lower case. */
  keyword: string;
  /** As written. */
  name: string;
  args: string[];
  file: string;
  /** 1-based. */
  line: number;
  /** In force for every connection: the global section, or after `Match all`. */
  active: boolean;
  /** The Match block it belongs to; null in the global section. The Match line itself carries its own block. */
  match: SshdMatchRef | null;
}

export interface SshdWalkOptions {
  /** Directory relative Include paths are resolved against (OpenSSH's SSHDIR). */
  sshDir?: string;
  /** Include depth at which to stop (OpenSSH SERVCONF_MAX_DEPTH). */
  maxDepth?: number;
}

export interface SshdWalkResult {
  /** Files read, in the order sshd reads them. */
  files: string[];
  /** `file:line: message` for what sshd would reject or what could not be read (visitors add theirs in order). */
  errors: string[];
}

const GLOB_CHARS = /[*?[]/;

/** argv_split() with terminate_on_comment: quotes ' and ", backslash escapes, `#` starting an argument ends the line. */
export function splitArgs(s: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
    if (i >= s.length) break;
    if (s[i] === '#') break;
    let arg = '';
    let quote = '';
    for (; i < s.length; i++) {
      const c = s[i];
      if (c === '\\') {
        const n = s[i + 1];
        if (n === "'" || n === '"' || n === '\\' || (quote === '' && n === ' ')) {
          i++;
          arg += n;
        } else {
          arg += c;
        }
      } else if (quote === '' && (c === ' ' || c === '\t')) {
        break;
      } else if (quote === '' && (c === '"' || c === "'")) {
        quote = c;
      } else if (quote !== '' && c === quote) {
        quote = '';
      } else {
        arg += c;
      }
    }
    if (quote !== '') return null;
    out.push(arg);
  }
  return out;
}

/** `*`, `?` and `[…]` of one path component, as glob(3) reads them. */
export function globComponentRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) {
        re += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, close);
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      re += `[${body.replace(/\\/g, '\\\\')}]`;
      i = close;
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * Walks the main file and its Includes in sshd's order and calls `visit` for every keyword
 * line but Include (Match lines included, after the block they open is set). `visit` may push
 * its own `file:line: message` lines to `errors`, which keeps every message in file order.
 */
export function walkSshdConfig(
  readFile: (absPath: string) => string | null,
  listGlob: (pattern: string) => string[],
  mainPath: string,
  opts: SshdWalkOptions,
  visit: (d: SshdDirective, errors: string[]) => void,
): SshdWalkResult {
  const sshDir = (opts.sshDir ?? '/etc/ssh').replace(/\/+$/, '');
  const maxDepth = opts.maxDepth ?? 16;
  const files: string[] = [];
  const errors: string[] = [];
  // sshd's *activep: true in the global section and after `Match all`.
  let active = true;
  let match: SshdMatchRef | null = null;

  const parseFile = (path: string, text: string, depth: number, outer: SshdMatchRef | null, stack: string[]): void => {
    if (!files.includes(path)) files.push(path);
    const lines = text.split('\n');
    for (let n = 0; n < lines.length; n++) {
      const lineNo = n + 1;
      const where = `${path}:${lineNo}`;
      const line = lines[n].replace(/[ \t\r\f\n]+$/, '').replace(/^[ \t\r\f]+/, '');
      if (line === '' || line.startsWith('#')) continue;
      const km = /^([^\s=]+)(?:[ \t]*=[ \t]*|[ \t]+)?(.*)$/.exec(line);
      if (!km) continue;
      const keyword = km[1].toLowerCase();
      const argText = km[2];
      if (argText === '') {
        errors.push(`${where}: no argument after keyword "${km[1]}"`);
        continue;
      }
      const args = splitArgs(argText);
      if (args === null) {
        errors.push(`${where}: unterminated quote`);
        continue;
      }
      if (keyword === 'include') {
        if (args.length === 0) {
          errors.push(`${where}: Include missing filename argument`);
          continue;
        }
        const saved = { active, match };
        for (const arg of args) {
          const pattern = arg.startsWith('/') || arg.startsWith('~') ? arg : `${sshDir}/${arg}`;
          const matches = GLOB_CHARS.test(pattern) ? [...listGlob(pattern)].sort() : [pattern];
          for (const file of matches) {
            if (stack.includes(file)) {
              errors.push(`${where}: Include cycle ${[...stack, file].join(' -> ')} (sshd would fail: too many recursive configuration includes)`);
              continue;
            }
            if (depth + 1 > maxDepth) {
              errors.push(`${where}: Include of ${file} is deeper than ${maxDepth} levels (sshd would fail)`);
              continue;
            }
            const content = readFile(file);
            if (content === null) {
              // A literal path that does not exist is a glob without match: sshd skips it.
              // A glob match we cannot read would be fatal for sshd.
              errors.push(
                GLOB_CHARS.test(pattern)
                  ? `${where}: cannot read included file ${file}`
                  : `${where}: included file ${file} not found or unreadable (sshd skips a missing include)`,
              );
              continue;
            }
            parseFile(file, content, depth + 1, saved.active ? outer : saved.match, [...stack, file]);
            active = saved.active;
            match = saved.match;
          }
        }
        continue;
      }
      if (keyword === 'match') {
        // Only `Match all` is known to match while sshd starts (no connection yet).
        const isAll = args.length === 1 && args[0].toLowerCase() === 'all';
        if (outer) {
          // Included from inside a Match block: everything here belongs to that block.
          active = false;
          match = outer;
        } else {
          active = isAll;
          match = isAll ? null : { criteria: args.join(' '), file: path, line: lineNo };
        }
      }
      visit({ keyword, name: km[1], args, file: path, line: lineNo, active: outer ? false : active, match: outer ?? match }, errors);
    }
  };

  const main = readFile(mainPath);
  if (main === null) errors.push(`${mainPath}: cannot read`);
  else parseFile(mainPath, main, 0, null, [mainPath]);
  return { files, errors };
}
