import type { ConnectionRecord } from '../../model/network.js';
import { normalizeAddress, ssStateToProc, type SsRow } from './parse-ss.js';

/**
 * /proc/net against the box's ss: the unhide idea for sockets. A rootkit that hides a connection
 * from ss (a preloaded library filtering its output, a patched binary) does not reach the kernel's
 * own table. A difference counts only when it is still there a moment later: sockets opened,
 * closed or changed state between the two looks are not findings. TIME_WAIT sockets are over and
 * come and go by the thousand: never compared.
 */

export interface CrossViewSocket {
  key: string;
  state: string;
  uid: number;
  inode: number;
  pids: number[];
}

/** What artifacts/socket-crossview.json holds. */
export interface SocketCrossView {
  /** The ss views compared, in order. */
  views: string[];
  /** TCP sockets of our network namespace compared (TIME_WAIT excluded). */
  procSockets: number;
  /** ss rows compared (TIME-WAIT excluded). */
  ssRows: number;
  /** In /proc, not shown by ss, on both looks: hidden sockets. */
  onlyInProc: CrossViewSocket[];
  /** Shown by ss, not in /proc, on both looks: the ss output is forged. */
  onlyInSs: string[];
  /** Differed on the first look only (socket opened, closed or changed state in between). */
  transient: string[];
  /** A re-check ran (only when the first look differed). */
  rechecked: boolean;
}

/**
 * socketKey (parse-ss.ts) with each address normalised once: a box holds tens of thousands of
 * sockets over a handful of addresses. The unit test checks it equals recordKey and ssRowKey.
 */
export class SocketKeys {
  private readonly addresses = new Map<string, string>();

  private address(a: string): string {
    let k = this.addresses.get(a);
    if (k === undefined) {
      const n = normalizeAddress(a);
      k = n.includes(':') ? `[${n}]` : n;
      this.addresses.set(a, k);
    }
    return k;
  }

  record(r: ConnectionRecord): string {
    return `${r.protocol} ${this.address(r.localAddress)}:${r.localPort} ${this.address(r.remoteAddress)}:${r.remotePort}`;
  }

  /** An `ss -t` row (TCP). */
  row(row: SsRow): string {
    return `tcp ${this.address(row.local.address)}:${row.local.port} ${this.address(row.peer.address)}:${row.peer.port}`;
  }
}

function compared(r: ConnectionRecord): boolean {
  return r.protocol === 'tcp' && r.state !== 'TIME_WAIT';
}

function ssKeys(rows: SsRow[], keys: SocketKeys): Set<string> {
  return new Set(rows.map((r) => keys.row(r)));
}

/** The first look: /proc sockets ss does not show, and ss rows /proc does not hold. */
export function firstLook(
  records: ConnectionRecord[],
  rows: SsRow[],
  keys = new SocketKeys(),
): { onlyInProc: ConnectionRecord[]; onlyInSs: string[]; procSockets: number; ssRows: number } {
  const procTcp = records.filter(compared);
  const ssLive = rows.filter((r) => ssStateToProc(r.state) !== 'TIME_WAIT');
  const shown = ssKeys(ssLive, keys);
  const held = new Set(procTcp.map((r) => keys.record(r)));
  return {
    onlyInProc: procTcp.filter((r) => !shown.has(keys.record(r))),
    onlyInSs: [...shown].filter((k) => !held.has(k)),
    procSockets: procTcp.length,
    ssRows: ssLive.length,
  };
}

/**
 * The re-check: a /proc-only socket is hidden when /proc still holds the same socket (key, inode
 * and state) and ss still does not show it; an ss-only key is forged when ss still shows it and
 * /proc still does not hold it. Everything else is transient.
 */
export function confirm(
  first: { onlyInProc: ConnectionRecord[]; onlyInSs: string[] },
  again: { records: ConnectionRecord[]; rows: SsRow[] },
  keys = new SocketKeys(),
): { onlyInProc: ConnectionRecord[]; onlyInSs: string[]; transient: string[] } {
  const procAgain = new Map<string, ConnectionRecord[]>();
  for (const r of again.records.filter(compared)) {
    const k = keys.record(r);
    const list = procAgain.get(k);
    if (list) list.push(r);
    else procAgain.set(k, [r]);
  }
  const ssAgain = ssKeys(again.rows.filter((r) => ssStateToProc(r.state) !== 'TIME_WAIT'), keys);
  const onlyInProc: ConnectionRecord[] = [];
  const onlyInSs: string[] = [];
  const transient: string[] = [];
  for (const r of first.onlyInProc) {
    const k = keys.record(r);
    const same = (procAgain.get(k) ?? []).some((x) => x.inode === r.inode && x.state === r.state);
    if (same && !ssAgain.has(k)) onlyInProc.push(r);
    else transient.push(k);
  }
  for (const k of first.onlyInSs) {
    if (ssAgain.has(k) && !procAgain.has(k)) onlyInSs.push(k);
    else transient.push(k);
  }
  return { onlyInProc, onlyInSs, transient: [...new Set(transient)].sort() };
}

export function crossViewSocket(r: ConnectionRecord, keys = new SocketKeys()): CrossViewSocket {
  return { key: keys.record(r), state: r.state, uid: r.uid, inode: r.inode, pids: r.pids };
}
