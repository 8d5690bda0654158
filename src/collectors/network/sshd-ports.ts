/**
 * The TCP ports sshd is configured to listen on, read from sshd_config the way OpenSSH's
 * servconf.c reads it (sshd_config(5)). Pure: every read goes through the callbacks.
 *
 * - Keywords are case-insensitive; the keyword and its arguments are separated by whitespace
 *   and/or one `=`; arguments may be quoted; `#` at the start of a line or of an argument
 *   starts a comment.
 * - `Port N` may appear several times. With no Port line sshd uses 22 (`defaulted`).
 * - `ListenAddress host`, `host:port`, `host/port`, `[v6]:port`, bare IPv6 (no port), optional
 *   `rdomain X`. An address without a port listens on every Port (or 22).
 * - `Include` takes one or more paths or globs, relative ones under /etc/ssh; a glob with no
 *   match, or a missing file, is skipped silently by sshd. A Match inside an included file ends
 *   with that file. Recursion deeper than 16 levels is fatal in sshd ("Too many recursive
 *   configuration includes"), which is also where an include cycle ends; we stop at the cycle.
 * - `Match`: Port and ListenAddress are global-only keywords; sshd refuses to start when one
 *   appears inside a Match block, so they are reported as errors and not collected. `Match all`
 *   returns to the global section. Files included from inside a Match block never match.
 */

export interface ListenAddress {
  /** Host or address without brackets. */
  host: string;
  /** Explicit port, or null: then sshd listens there on every Port. */
  port: number | null;
  file: string;
  line: number;
}

export interface SshdPortsResult {
  /** Every port the configuration names (Port lines and ListenAddress ports), distinct, ascending. */
  ports: number[];
  /** No Port line was found: sshd uses 22 for every ListenAddress without a port. */
  defaulted: boolean;
  /** The ports sshd would actually listen on, by its rules (Port list or 22, per ListenAddress). */
  effectivePorts: number[];
  listenAddresses: ListenAddress[];
  /** Files read, in the order sshd reads them. */
  files: string[];
  /** `file:line: message` for what sshd would reject or what could not be read. */
  errors: string[];
}

export interface SshdPortsOptions {
  /** Directory relative Include paths are resolved against (OpenSSH's SSHDIR). */
  sshDir?: string;
  /** Include depth at which to stop (OpenSSH SERVCONF_MAX_DEPTH). */
  maxDepth?: number;
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

/** a2port(): 1..65535, or the `ssh` service name; null for anything sshd would reject (or we cannot resolve). */
function toPort(arg: string): number | null {
  if (/^\d+$/.test(arg)) {
    const n = Number(arg);
    return n >= 1 && n <= 65535 ? n : null;
  }
  return arg.toLowerCase() === 'ssh' ? 22 : null;
}

/** Parses a ListenAddress argument as servconf.c does (bare IPv6 check, then hpdelim). */
export function parseListenAddress(arg: string): { host: string; port: number | null } | { error: string } {
  const firstColon = arg.indexOf(':');
  if (!arg.includes('[') && firstColon >= 0 && arg.indexOf(':', firstColon + 1) >= 0) {
    return { host: arg, port: null };
  }
  let host: string;
  let portText: string | null;
  if (arg.startsWith('[')) {
    const close = arg.indexOf(']');
    if (close < 0) return { error: `bad address:port usage "${arg}"` };
    host = arg.slice(1, close);
    const after = arg.slice(close + 1);
    if (after === '') portText = null;
    else if (after[0] === ':' || after[0] === '/') portText = after.slice(1);
    else return { error: `bad address:port usage "${arg}"` };
  } else {
    const m = /[:/]/.exec(arg);
    if (!m) {
      host = arg;
      portText = null;
    } else {
      host = arg.slice(0, m.index);
      portText = arg.slice(m.index + 1);
    }
  }
  if (host === '') return { error: `bad address:port usage "${arg}"` };
  if (portText === null) return { host, port: null };
  const port = toPort(portText);
  if (port === null) return { error: `bad port number "${portText}" in ListenAddress "${arg}"` };
  return { host, port };
}

export function sshdPorts(
  readFile: (absPath: string) => string | null,
  listGlob: (pattern: string) => string[],
  mainPath = '/etc/ssh/sshd_config',
  opts: SshdPortsOptions = {},
): SshdPortsResult {
  const sshDir = (opts.sshDir ?? '/etc/ssh').replace(/\/+$/, '');
  const maxDepth = opts.maxDepth ?? 16;
  const portLines: number[] = [];
  const listenAddresses: ListenAddress[] = [];
  const files: string[] = [];
  const errors: string[] = [];
  // sshd's *activep: true in the global section and after `Match all`.
  let active = true;

  const parseFile = (path: string, text: string, depth: number, neverMatch: boolean, stack: string[]): void => {
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
      switch (keyword) {
        case 'match': {
          // Only `Match all` is known to match while sshd starts (no connection yet).
          const isAll = args.length === 1 && args[0].toLowerCase() === 'all';
          active = !neverMatch && isAll;
          break;
        }
        case 'include': {
          if (args.length === 0) {
            errors.push(`${where}: Include missing filename argument`);
            break;
          }
          const saved = active;
          for (const arg of args) {
            const pattern = arg.startsWith('/') || arg.startsWith('~') ? arg : `${sshDir}/${arg}`;
            let matches: string[];
            if (GLOB_CHARS.test(pattern)) {
              matches = [...listGlob(pattern)].sort();
            } else {
              matches = [pattern];
            }
            for (const file of matches) {
              if (stack.includes(file)) {
                errors.push(
                  `${where}: Include cycle ${[...stack, file].join(' -> ')} (sshd would fail: too many recursive configuration includes)`,
                );
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
              parseFile(file, content, depth + 1, neverMatch || !saved, [...stack, file]);
              active = saved;
            }
          }
          break;
        }
        case 'port': {
          if (!active) {
            errors.push(`${where}: Port is not allowed within a Match block (sshd would refuse to start); ignored`);
            break;
          }
          if (args.length === 0) {
            errors.push(`${where}: missing port number`);
            break;
          }
          const port = toPort(args[0]);
          if (port === null) {
            errors.push(`${where}: bad port number "${args[0]}"`);
            break;
          }
          if (args.length > 1) errors.push(`${where}: garbage at end of line after Port ${args[0]}`);
          portLines.push(port);
          break;
        }
        case 'listenaddress': {
          if (!active) {
            errors.push(`${where}: ListenAddress is not allowed within a Match block (sshd would refuse to start); ignored`);
            break;
          }
          if (args.length === 0) {
            errors.push(`${where}: missing address`);
            break;
          }
          const parsed = parseListenAddress(args[0]);
          if ('error' in parsed) {
            errors.push(`${where}: ${parsed.error}`);
            break;
          }
          listenAddresses.push({ host: parsed.host, port: parsed.port, file: path, line: lineNo });
          break;
        }
        default:
          break;
      }
    }
  };

  const main = readFile(mainPath);
  if (main === null) {
    errors.push(`${mainPath}: cannot read`);
  } else {
    parseFile(mainPath, main, 0, false, [mainPath]);
  }

  const uniqSorted = (xs: number[]): number[] => [...new Set(xs)].sort((a, b) => a - b);
  const defaulted = portLines.length === 0;
  const portList = defaulted ? [22] : portLines;
  const effective: number[] = [];
  if (listenAddresses.length === 0) effective.push(...portList);
  for (const la of listenAddresses) {
    if (la.port === null) effective.push(...portList);
    else effective.push(la.port);
  }
  return {
    ports: uniqSorted([...portLines, ...listenAddresses.flatMap((la) => (la.port === null ? [] : [la.port]))]),
    defaulted,
    effectivePorts: uniqSorted(effective),
    listenAddresses,
    files,
    errors,
  };
}
