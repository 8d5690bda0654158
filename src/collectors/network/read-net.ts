import type { ProcFs } from '../../host/proc.js';
import type { ConnectionRecord } from '../../model/network.js';
import { parseProcNetDetailed } from './parse-proc-net.js';
import { errorCode } from '../../host/errors.js';

/** The kernel's socket tables, per network namespace: file name, protocol, family. */
export const NET_TABLES = [
  { file: 'tcp', protocol: 'tcp', family: 4 },
  { file: 'tcp6', protocol: 'tcp', family: 6 },
  { file: 'udp', protocol: 'udp', family: 4 },
  { file: 'udp6', protocol: 'udp', family: 6 },
] as const;

export type NetTable = (typeof NET_TABLES)[number];

/** 1.7 million sockets at ~150 bytes a line: past that the cut is recorded. */
export const MAX_TABLE_BYTES = 256 * 1024 * 1024;

export interface TableRead {
  /** Path under /proc: `net/tcp` (our namespace) or `PID/net/tcp`. */
  rel: string;
  records: ConnectionRecord[];
  badLines: number;
  truncated: boolean;
  /** errno code when the table could not be read; ENOENT for tcp6/udp6 means no IPv6. */
  error: string | null;
  message: string | null;
}

/** Reads and parses one table; a failure is data, never an exception. */
export async function readNetTable(proc: ProcFs, base: string, table: NetTable, netns: number | null): Promise<TableRead> {
  const rel = `${base}/${table.file}`;
  try {
    const { data, truncated } = await proc.readFile(rel, MAX_TABLE_BYTES);
    let text = data.toString('latin1');
    // A cut table ends in a partial line: drop it rather than report it as malformed.
    if (truncated) text = text.slice(0, text.lastIndexOf('\n') + 1);
    const parsed = parseProcNetDetailed(text, table.protocol, table.family, { netns });
    return { rel, records: parsed.records, badLines: parsed.badLines.length, truncated, error: null, message: null };
  } catch (err) {
    return { rel, records: [], badLines: 0, truncated: false, error: errorCode(err), message: (err as Error).message };
  }
}

/** `net:[4026531840]` → 4026531840. */
export function parseNetnsLink(target: string): number | null {
  const m = /^net:\[(\d+)\]$/.exec(target.trim());
  return m ? Number(m[1]) : null;
}
