/**
 * The TCP ports sshd is configured to listen on, read from sshd_config the way OpenSSH's
 * servconf.c reads it (sshd_config(5)). Pure: every read goes through the callbacks. The walk
 * itself (keywords, quoting, Include, Match) is shared with the sshd-config collector
 * (../sshd-config/parse-sshd-config.ts); this file adds what Port and ListenAddress mean.
 *
 * - `Port N` may appear several times. With no Port line sshd uses 22 (`defaulted`).
 * - `ListenAddress host`, `host:port`, `host/port`, `[v6]:port`, bare IPv6 (no port), optional
 *   `rdomain X`. An address without a port listens on every Port (or 22).
 * - `Match`: Port and ListenAddress are global-only keywords; sshd refuses to start when one
 *   appears inside a Match block, so they are reported as errors and not collected. `Match all`
 *   returns to the global section. Files included from inside a Match block never match.
 */
import { walkSshdConfig } from './parse-sshd-config.js';

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
  const portLines: number[] = [];
  const listenAddresses: ListenAddress[] = [];
  const { files, errors } = walkSshdConfig(readFile, listGlob, mainPath, opts, (d, errors) => {
    const where = `${d.file}:${d.line}`;
    const args = d.args;
    switch (d.keyword) {
      case 'port': {
        if (!d.active) {
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
        if (!d.active) {
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
        listenAddresses.push({ host: parsed.host, port: parsed.port, file: d.file, line: d.line });
        break;
      }
      default:
        break;
    }
  });

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
