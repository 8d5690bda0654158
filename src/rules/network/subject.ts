import type { FindingSubject } from '../../model/finding.js';
import type { SocketOwner } from '../../model/network.js';

/** What the network rules share about the process behind a socket. */

export function ownerSubject(o: SocketOwner): FindingSubject {
  return { pid: o.pid, path: o.exe, user: o.user, ip: null, comm: o.comm, cwd: o.cwd, uid: o.uid };
}

/** `pscan2 (pid 4242)`, as titles name a process. */
export function ownerLabel(o: SocketOwner): string {
  return `${o.comm || '?'} (pid ${o.pid})`;
}

/** `/tmp/x/pscan2, user www-data`: the executable and the user, for details. */
export function ownerDetail(o: SocketOwner): string {
  return `${o.exe ?? `${o.comm || '?'}, executable unreadable`}, user ${o.user ?? o.uid ?? '?'}`;
}

/** `10.0.0.1:22`, `[2001:db8::1]:22`. */
export function endpoint(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** `3 ESTABLISHED, 7 SYN_SENT`. */
export function stateList(states: Record<string, number>): string {
  return Object.entries(states)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
}

/** The first few items and how many more: long lists stay readable. */
export function sample(items: string[], max = 5): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
