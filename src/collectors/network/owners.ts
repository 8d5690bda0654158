import type { ConnectionRecord } from '../../model/network.js';

/**
 * Socket-owner join: /proc/PID/fd/N links → socket inode → pids (what `ss -p`, `lsof -i` do).
 * Pure: the caller reads the links (tolerating ENOENT/ESRCH races) and passes the targets in.
 */

export interface FdLink {
  kind: 'socket' | 'pipe' | 'anon' | 'file' | 'other';
  /** Inode of `socket:[N]`, `pipe:[N]` and of other `type:[N]` links (`net:[4026531840]`). */
  inode?: number;
  /** For files: the path without the " (deleted)" marker. */
  path?: string;
  /** For files: the link said " (deleted)" (the file was unlinked while open). */
  deleted?: boolean;
  /** For anon inodes the class (`eventpoll`, `bpf-map`, `[eventfd]` → `eventfd`); for `other`, the type (`net`, `mnt`). */
  name?: string;
}

const DELETED = ' (deleted)';

/** Classifies the target of a /proc/PID/fd/N link. */
export function parseFdLink(target: string): FdLink {
  let m = /^socket:\[(\d+)\]$/.exec(target);
  if (m) return { kind: 'socket', inode: Number(m[1]) };
  m = /^pipe:\[(\d+)\]$/.exec(target);
  if (m) return { kind: 'pipe', inode: Number(m[1]) };
  m = /^anon_inode:(.*)$/.exec(target);
  if (m) {
    const cls = m[1].replace(/^\[(.*)\]$/, '$1');
    return { kind: 'anon', name: cls };
  }
  if (target.startsWith('/')) {
    if (target.endsWith(DELETED) && target.length > DELETED.length) {
      return { kind: 'file', path: target.slice(0, -DELETED.length), deleted: true };
    }
    return { kind: 'file', path: target, deleted: false };
  }
  // Namespace and other pseudo files: "net:[4026531840]", "mnt:[…]", "user:[…]".
  m = /^([A-Za-z0-9_-]+):\[(\d+)\]$/.exec(target);
  if (m) return { kind: 'other', name: m[1], inode: Number(m[2]) };
  return { kind: 'other' };
}

/** Builds inode → sorted, distinct pids from (pid, fd link target) pairs; non-socket links are ignored. */
export function inodeMapFromFdLinks(links: Iterable<{ pid: number; target: string }>): Map<number, number[]> {
  const sets = new Map<number, Set<number>>();
  for (const { pid, target } of links) {
    const link = parseFdLink(target);
    if (link.kind !== 'socket' || link.inode === undefined) continue;
    let set = sets.get(link.inode);
    if (!set) sets.set(link.inode, (set = new Set()));
    set.add(pid);
  }
  const out = new Map<number, number[]>();
  for (const [inode, set] of sets) out.set(inode, [...set].sort((a, b) => a - b));
  return out;
}

/**
 * Returns copies of the records with `pids` set to the processes holding their inode (merged with any
 * pids already there, sorted, distinct). Inode 0 (TIME_WAIT, request sockets) has no owner; an inode
 * missing from the map keeps `pids` empty — the owner is not visible (race, no root, or hidden).
 */
export function joinOwners(records: ConnectionRecord[], inodeToPids: Map<number, number[]>): ConnectionRecord[] {
  return records.map((r) => {
    const found = r.inode !== 0 ? inodeToPids.get(r.inode) : undefined;
    const pids = [...new Set([...r.pids, ...(found ?? [])])].sort((a, b) => a - b);
    return { ...r, pids };
  });
}
