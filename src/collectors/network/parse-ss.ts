import type { ConnectionRecord, TcpState } from '../../model/network.js';
import { formatIPv4, formatIPv6Bytes, type BadLine } from './parse-proc-net.js';
import { lookup } from '../../model/lookup.js';

/**
 * Parser for `ss -tan`, `ss -tanp`, `ss -uanp`, `ss -tuanp` (with or without -H), iproute2 ss.
 * Needs numeric output (-n): a row whose port is a service name is reported as a bad line.
 *
 * Row layout: [Netid] State Recv-Q Send-Q Local:Port Peer:Port [Process…]
 * Addresses: `127.0.0.1`, `[::1]`, `[::ffff:127.0.0.1]`, `*` (IPv6 any, dual-stack), `0.0.0.0`,
 * `[::]` (IPv6 any, v6only), optionally followed by `%ifname` when the socket is bound to a device.
 * Port `*` means 0.
 */

export interface SsEndpoint {
  /** As ss printed it, brackets removed (`::1`, `::ffff:127.0.0.1`, `*`, `0.0.0.0`). */
  address: string;
  /** 0 when ss printed `*`. */
  port: number;
  /** Device from `addr%ifname:port`. */
  iface?: string;
}

export interface SsProcess {
  /** Name as ss printed it inside the quotes (ss cuts a comm at its first ")"). */
  comm: string;
  pid: number;
  fd: number;
}

export interface SsRow {
  /** `tcp`, `udp`, … when ss printed a Netid column (several protocols asked for), else null. */
  netid: string | null;
  /** The state as ss names it: ESTAB, LISTEN, UNCONN, TIME-WAIT, … */
  state: string;
  recvQ: number;
  sendQ: number;
  local: SsEndpoint;
  peer: SsEndpoint;
  /** From `users:((…),(…))`; empty without -p or when no visible process holds the socket. */
  processes: SsProcess[];
}

export interface SsResult {
  rows: SsRow[];
  badLines: BadLine[];
}

const SS_TO_PROC: Record<string, TcpState> = {
  ESTAB: 'ESTABLISHED',
  'SYN-SENT': 'SYN_SENT',
  'SYN-RECV': 'SYN_RECV',
  'FIN-WAIT-1': 'FIN_WAIT1',
  'FIN-WAIT-2': 'FIN_WAIT2',
  'TIME-WAIT': 'TIME_WAIT',
  UNCONN: 'CLOSE',
  'CLOSE-WAIT': 'CLOSE_WAIT',
  'LAST-ACK': 'LAST_ACK',
  LISTEN: 'LISTEN',
  CLOSING: 'CLOSING',
};

const PROC_NAMES = new Set<string>([
  'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE',
  'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING', 'NEW_SYN_RECV',
]);

/** ss state name → our TcpState (ESTAB → ESTABLISHED, UNCONN → CLOSE, FIN-WAIT-1 → FIN_WAIT1 …); others → `UNKNOWN_<name>`. */
export function ssStateToProc(name: string): TcpState {
  const n = name.trim().toUpperCase();
  const mapped = lookup(SS_TO_PROC, n);
  if (mapped) return mapped;
  if (PROC_NAMES.has(n)) return n as TcpState;
  return `UNKNOWN_${n}`;
}

function parseEndpoint(tok: string): SsEndpoint | null {
  const colon = tok.lastIndexOf(':');
  if (colon <= 0) return null;
  const portText = tok.slice(colon + 1);
  let port: number;
  if (portText === '*') port = 0;
  else if (/^\d{1,5}$/.test(portText) && Number(portText) <= 65535) port = Number(portText);
  else return null;
  let addr = tok.slice(0, colon);
  let iface: string | undefined;
  if (addr.startsWith('[')) {
    const close = addr.indexOf(']');
    if (close < 0) return null;
    const rest = addr.slice(close + 1);
    if (rest !== '' && !rest.startsWith('%')) return null;
    if (rest.startsWith('%')) iface = rest.slice(1);
    addr = addr.slice(1, close);
  } else {
    const pct = addr.lastIndexOf('%');
    if (pct > 0) {
      iface = addr.slice(pct + 1);
      addr = addr.slice(0, pct);
    }
  }
  if (addr === '') return null;
  return iface !== undefined ? { address: addr, port, iface } : { address: addr, port };
}

/** `("comm",pid=N,fd=N[,key=value…])` at `pos`; the name is the shortest text that lets the rest match. */
const PROC_ENTRY = /\("([\s\S]*?)",pid=(\d+),fd=(\d+)(?:,[A-Za-z_]+=[^,)]*)*\)/y;

function parseProcesses(rest: string): SsProcess[] | null {
  const at = rest.indexOf('users:(');
  if (at < 0) return [];
  const out: SsProcess[] = [];
  let pos = at + 'users:('.length;
  for (;;) {
    PROC_ENTRY.lastIndex = pos;
    const m = PROC_ENTRY.exec(rest);
    if (!m) return null;
    out.push({ comm: m[1], pid: Number(m[2]), fd: Number(m[3]) });
    pos = PROC_ENTRY.lastIndex;
    if (rest[pos] === ',') {
      pos++;
      continue;
    }
    if (rest[pos] === ')') return out;
    return null;
  }
}

const INT = /^\d+$/;

/** Parses ss output; the header line and blank lines are skipped, unparsable lines reported. */
export function parseSsDetailed(text: string): SsResult {
  const rows: SsRow[] = [];
  const badLines: BadLine[] = [];
  text.split('\n').forEach((raw, idx) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    // Split the first six tokens, keeping the offset where the process column starts.
    const tokens: string[] = [];
    const re = /\S+/g;
    let m: RegExpExecArray | null;
    let end = 0;
    while (tokens.length < 6 && (m = re.exec(line)) !== null) {
      tokens.push(m[0]);
      end = re.lastIndex;
    }
    if (tokens[0] === 'State' || tokens[0] === 'Netid') return; // header
    const bad = (reason: string): void => {
      badLines.push({ lineNo: idx + 1, line, reason });
    };
    let netid: string | null = null;
    let t = tokens;
    let rest: string;
    if (tokens.length >= 5 && INT.test(tokens[1]) && INT.test(tokens[2])) {
      // No Netid column: the sixth token (if any) already belongs to the process column.
      t = tokens.slice(0, 5);
      const fifthEnd = nthTokenEnd(line, 5);
      rest = line.slice(fifthEnd);
    } else if (tokens.length >= 6 && INT.test(tokens[2]) && INT.test(tokens[3])) {
      netid = tokens[0];
      t = tokens.slice(1, 6);
      rest = line.slice(end);
    } else {
      return bad('not [Netid] State Recv-Q Send-Q Local:Port Peer:Port');
    }
    let peerTok = t[4];
    const glued = peerTok.indexOf('users:(');
    if (glued > 0) {
      // A process column printed without a gap after the peer port.
      rest = line.slice(line.indexOf(peerTok) + glued);
      peerTok = peerTok.slice(0, glued);
    }
    const local = parseEndpoint(t[3]);
    const peer = parseEndpoint(peerTok);
    if (!local || !peer) return bad('address is not ADDR:PORT with a numeric port (run ss with -n)');
    const processes = parseProcesses(rest);
    if (processes === null) return bad('unparsable users:(…) column');
    rows.push({
      netid,
      state: t[0],
      recvQ: Number(t[1]),
      sendQ: Number(t[2]),
      local,
      peer,
      processes,
    });
  });
  return { rows, badLines };
}

function nthTokenEnd(line: string, n: number): number {
  const re = /\S+/g;
  let end = 0;
  for (let i = 0; i < n; i++) {
    const m = re.exec(line);
    if (!m) return line.length;
    end = re.lastIndex;
  }
  return end;
}

/** Parses ss output into rows; see parseSsDetailed for the lines it could not read. */
export function parseSs(text: string): SsRow[] {
  return parseSsDetailed(text).rows;
}

/** IPv6 text (with optional embedded dotted IPv4 tail) → 16 bytes, or null. */
export function parseIPv6(text: string): number[] | null {
  let s = text;
  const words: number[] = [];
  let tail: number[] = [];
  const v4 = /(?:^|:)(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(s);
  if (v4) {
    const b = parseIPv4(v4[1]);
    if (!b) return null;
    tail = [(b[0] << 8) | b[1], (b[2] << 8) | b[3]];
    s = s.slice(0, s.length - v4[1].length);
    if (s.endsWith(':') && !s.endsWith('::')) s = s.slice(0, -1);
  }
  const parts = s.split('::');
  if (parts.length > 2) return null;
  const side = (p: string): number[] | null => {
    if (p === '') return [];
    const out: number[] = [];
    for (const w of p.split(':')) {
      if (!/^[0-9A-Fa-f]{1,4}$/.test(w)) return null;
      out.push(parseInt(w, 16));
    }
    return out;
  };
  const head = side(parts[0]);
  const back = parts.length === 2 ? side(parts[1]) : [];
  if (!head || !back) return null;
  const given = head.length + back.length + tail.length;
  if (parts.length === 2) {
    if (given > 7) return null;
    words.push(...head, ...new Array<number>(8 - given).fill(0), ...back, ...tail);
  } else {
    if (given !== 8) return null;
    words.push(...head, ...tail);
  }
  const bytes: number[] = [];
  for (const w of words) bytes.push(w >> 8, w & 0xff);
  return bytes;
}

function parseIPv4(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const bytes = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  return bytes.every((b) => b >= 0 && b <= 255) ? bytes : null;
}

/**
 * One spelling per address, so /proc and ss agree: brackets and `%ifname` dropped, `*` and `::`
 * (IPv6 any) → `::`, v4-mapped → plain IPv4, IPv6 in RFC 5952 form, IPv4 without leading zeros.
 * `0.0.0.0` (IPv4 any) stays distinct from `::`: sshd listens on both, and they are two sockets.
 */
export function normalizeAddress(address: string): string {
  let a = address.trim();
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  const pct = a.indexOf('%');
  if (pct > 0) a = a.slice(0, pct);
  if (a === '*') return '::';
  if (a.includes(':')) {
    const bytes = parseIPv6(a);
    return bytes ? formatIPv6Bytes(bytes, { mappedAsIPv4: true }) : a.toLowerCase();
  }
  const v4 = parseIPv4(a);
  return v4 ? formatIPv4(v4) : a.toLowerCase();
}

function keyAddr(address: string): string {
  const n = normalizeAddress(address);
  return n.includes(':') ? `[${n}]` : n;
}

/** `tcp 127.0.0.1:22 127.0.0.1:50000` / `tcp [::1]:22 [::]:0`: equal for the same socket seen by /proc and ss. */
export function socketKey(
  proto: string,
  local: { address: string; port: number },
  peer: { address: string; port: number },
): string {
  return `${proto.toLowerCase()} ${keyAddr(local.address)}:${local.port} ${keyAddr(peer.address)}:${peer.port}`;
}

/** socketKey of a /proc record. */
export function recordKey(r: ConnectionRecord): string {
  return socketKey(r.protocol, { address: r.localAddress, port: r.localPort }, { address: r.remoteAddress, port: r.remotePort });
}

/** socketKey of an ss row; the protocol is the row's Netid, else `proto` (what was asked for: -t → tcp). */
export function ssRowKey(row: SsRow, proto?: 'tcp' | 'udp'): string {
  const p = row.netid ?? proto;
  if (!p) throw new Error('ssRowKey: the row has no Netid column; pass the protocol');
  return socketKey(p, row.local, row.peer);
}
