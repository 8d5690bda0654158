import os from 'node:os';
import type { ConnectionRecord, TcpState } from '../../model/network.js';
import { lookup } from '../../model/lookup.js';

/**
 * Pure parsers for the kernel's socket tables /proc/net/{tcp,tcp6,udp,udp6}
 * (format: kernel Documentation/networking/proc_net_tcp.rst, tcp4_seq_show / tcp6_seq_show).
 *
 * Columns after trimming and splitting on whitespace:
 *   0 sl   1 local ADDR:PORT   2 remote ADDR:PORT   3 st   4 tx:rx queue   5 tr:when
 *   6 retrnsmt   7 uid (decimal)   8 timeout   9 inode (decimal)   10+ ignored
 */

export interface ProcNetOptions {
  /** Byte order of the host that wrote the table; defaults to this host's (os.endianness()). */
  littleEndian?: boolean;
  /** Network namespace inode the table was read from, copied onto every record. */
  netns?: number | null;
}

/** A line that was not a socket row, kept for the investigator rather than thrown away. */
export interface BadLine {
  /** 1-based line number in the text. */
  lineNo: number;
  line: string;
  reason: string;
}

export interface ProcNetResult {
  records: ConnectionRecord[];
  badLines: BadLine[];
}

const TCP_STATES: Record<string, TcpState> = {
  '01': 'ESTABLISHED',
  '02': 'SYN_SENT',
  '03': 'SYN_RECV',
  '04': 'FIN_WAIT1',
  '05': 'FIN_WAIT2',
  '06': 'TIME_WAIT',
  '07': 'CLOSE',
  '08': 'CLOSE_WAIT',
  '09': 'LAST_ACK',
  '0A': 'LISTEN',
  '0B': 'CLOSING',
  '0C': 'NEW_SYN_RECV',
};

/** Name of a `st` code (`0A` → LISTEN); codes we do not know become `UNKNOWN_<code>` (upper case). */
export function stateName(hex: string): TcpState {
  const code = hex.trim().toUpperCase();
  return lookup(TCP_STATES, code) ?? `UNKNOWN_${code}`;
}

export function hostIsLittleEndian(): boolean {
  return os.endianness() === 'LE';
}

const HEX8 = /^[0-9A-Fa-f]{8}$/;
const HEX32 = /^[0-9A-Fa-f]{32}$/;

/** One 8-hex-digit word as the kernel printed it (a host-order u32) → its 4 memory bytes. */
function wordBytes(hex8: string, littleEndian: boolean): number[] {
  const bytes = [0, 2, 4, 6].map((i) => parseInt(hex8.slice(i, i + 2), 16));
  return littleEndian ? bytes.reverse() : bytes;
}

/**
 * Decodes the address half of a /proc/net/tcp* column (without `:PORT`).
 * 8 hex digits → IPv4 dotted quad; 32 hex digits → IPv6 in RFC 5952 form, except that a
 * v4-mapped address (::ffff:a.b.c.d) is returned as plain IPv4 `a.b.c.d`.
 * Throws RangeError on anything else.
 */
export function decodeAddress(hex: string, littleEndian: boolean = hostIsLittleEndian()): string {
  if (HEX8.test(hex)) return formatIPv4(wordBytes(hex, littleEndian));
  if (HEX32.test(hex)) {
    const bytes: number[] = [];
    for (let i = 0; i < 32; i += 8) bytes.push(...wordBytes(hex.slice(i, i + 8), littleEndian));
    return formatIPv6Bytes(bytes, { mappedAsIPv4: true });
  }
  throw new RangeError(`not a /proc/net address: ${JSON.stringify(hex)}`);
}

export function formatIPv4(bytes: ArrayLike<number>): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

/**
 * 16 bytes → RFC 5952 text, the way glibc's inet_ntop (and so `ss`) prints it: lower-case hex,
 * no leading zeros, the longest run (first on a tie) of two or more zero groups as `::`, and the
 * IPv4 tail written dotted for v4-mapped (::ffff:a.b.c.d) and v4-compatible (::a.b.c.d) addresses.
 * With `mappedAsIPv4`, a v4-mapped address is returned as plain `a.b.c.d`.
 */
export function formatIPv6Bytes(bytes: ArrayLike<number>, opts: { mappedAsIPv4?: boolean } = {}): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((bytes[i] << 8) | bytes[i + 1]);
  const firstFiveZero = words.slice(0, 5).every((w) => w === 0);
  if (firstFiveZero && words[5] === 0xffff) {
    const v4 = formatIPv4([bytes[12], bytes[13], bytes[14], bytes[15]]);
    return opts.mappedAsIPv4 ? v4 : `::ffff:${v4}`;
  }
  // Longest run of zero words (length >= 2), first one wins a tie.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestStart = -1;
  // v4-compatible (deprecated) ::a.b.c.d, as inet_ntop writes it; :: and ::1 stay hex.
  if (bestStart === 0 && bestLen === 6) {
    return `::${formatIPv4([bytes[12], bytes[13], bytes[14], bytes[15]])}`;
  }
  const hex = (w: number): string => w.toString(16);
  if (bestStart === -1) return words.map(hex).join(':');
  const head = words.slice(0, bestStart).map(hex).join(':');
  const tail = words.slice(bestStart + bestLen).map(hex).join(':');
  return `${head}::${tail}`;
}

function splitEndpoint(tok: string, addrLen: 8 | 32): { addrHex: string; port: number } | null {
  const colon = tok.indexOf(':');
  if (colon !== addrLen || tok.length !== addrLen + 5) return null;
  const addrHex = tok.slice(0, colon);
  const portHex = tok.slice(colon + 1);
  if (!/^[0-9A-Fa-f]{4}$/.test(portHex)) return null;
  return { addrHex, port: parseInt(portHex, 16) };
}

function decimal(tok: string | undefined): number | null {
  if (tok === undefined || !/^\d+$/.test(tok)) return null;
  const n = Number(tok);
  return Number.isSafeInteger(n) ? n : null;
}

/** Parses one table and reports the lines that are neither the header nor a socket row. */
export function parseProcNetDetailed(
  text: string,
  protocol: 'tcp' | 'udp',
  family: 4 | 6,
  opts: ProcNetOptions = {},
): ProcNetResult {
  const littleEndian = opts.littleEndian ?? hostIsLittleEndian();
  const netns = opts.netns ?? null;
  const addrLen = family === 4 ? 8 : 32;
  const records: ConnectionRecord[] = [];
  const badLines: BadLine[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, idx) => {
    const line = raw.replace(/\r$/, '');
    const tokens = line.trim().split(/\s+/).filter((t) => t !== '');
    if (tokens.length === 0) return;
    if (tokens[0] === 'sl') return; // header
    const bad = (reason: string): void => {
      badLines.push({ lineNo: idx + 1, line, reason });
    };
    if (tokens.length < 10) return bad(`expected at least 10 columns, got ${tokens.length}`);
    if (!/^\d+:$/.test(tokens[0])) return bad('first column is not a slot number ("N:")');
    const local = splitEndpoint(tokens[1], addrLen);
    const remote = splitEndpoint(tokens[2], addrLen);
    if (!local || !remote) return bad(`address is not ${addrLen} hex digits ":" 4 hex digits (IPv${family})`);
    if (!/^[0-9A-Fa-f]{2}$/.test(tokens[3])) return bad('state is not 2 hex digits');
    const uid = decimal(tokens[7]);
    const inode = decimal(tokens[9]);
    if (uid === null) return bad('uid is not a decimal number');
    if (inode === null) return bad('inode is not a decimal number');
    records.push({
      protocol,
      family,
      localAddress: decodeAddress(local.addrHex, littleEndian),
      localPort: local.port,
      remoteAddress: decodeAddress(remote.addrHex, littleEndian),
      remotePort: remote.port,
      state: stateName(tokens[3]),
      uid,
      inode,
      pids: [],
      netns,
    });
  });
  return { records, badLines };
}

/** Parses /proc/net/{tcp,tcp6,udp,udp6}; malformed lines are skipped (see parseProcNetDetailed for them). */
export function parseProcNet(
  text: string,
  protocol: 'tcp' | 'udp',
  family: 4 | 6,
  opts?: ProcNetOptions,
): ConnectionRecord[] {
  return parseProcNetDetailed(text, protocol, family, opts).records;
}
