import type { ConnectionRecord, SocketOwner, SshInboundGroup, SshListener, SshOutboundGroup, SshView } from '../../model/network.js';
import type { ProcessRecord } from '../../model/processes.js';

/**
 * The port-22 view: the seed's `netstat -tanp | grep :22 | awk '{print $5}' | sort | uniq -c`,
 * done from /proc and tied to processes. Pure: the collector hands in the sockets, the owners and
 * the ports.
 *
 * - inbound: a TCP socket whose local port is an ssh port (and which is not a listener), grouped
 *   by remote address; when both ends are on ssh ports it is inbound only if something listens on
 *   that local port.
 * - outbound: a TCP socket whose remote port is an ssh port, grouped by owning process, or by uid
 *   when no visible process owns it. TIME_WAIT sockets have neither owner nor uid: they are counted
 *   apart, as targets recently hit.
 * - listeners: LISTEN sockets on an ssh port, with their owners.
 */

export interface SshViewInput {
  connections: ConnectionRecord[];
  /** The processes that hold sockets, by pid. */
  owners: Map<number, SocketOwner>;
  ports: number[];
  /** uid → user name, for sockets without a visible owner. */
  users?: Map<number, string>;
  /** Whether the owners of a socket with this uid could have been seen (root sees them all). */
  canSeeOwners?: (uid: number) => boolean;
}

export function ownerFromProcess(p: ProcessRecord): SocketOwner {
  return { pid: p.pid, comm: p.comm, exe: p.exe, title: p.argv[0] ?? '', uid: p.uid, user: p.user, cwd: p.cwd };
}

/**
 * The user of an sshd session from its process title, or null when the title names none:
 *   `sshd: alice@pts/0`, `sshd-session: alice@notty`   → alice (logged in)
 *   `sshd: alice [priv]`, `sshd-session: alice [net]`  → alice (the monitor / the pre-auth child)
 *   `sshd: unknown [priv]`, `sshd: [accepted]`, `sshd: /usr/sbin/sshd -D [listener] …` → null
 */
export function sessionUser(title: string): string | null {
  const m = /^sshd(?:-session|-auth)?:\s+(.*)$/.exec(title.trim());
  if (!m) return null;
  const rest = m[1];
  if (rest.startsWith('/') || rest.startsWith('[')) return null;
  const tty = /^([^\s@[\]]+)@\S+$/.exec(rest);
  if (tty) return tty[1];
  const tagged = /^(\S+) \[(?:priv|net|preauth|accepted)\]$/.exec(rest);
  if (tagged && tagged[1] !== 'unknown') return tagged[1];
  return null;
}

function unknownOwner(pid: number): SocketOwner {
  return { pid, comm: '', exe: null, title: '', uid: null, user: null, cwd: null };
}

function bump(states: Record<string, number>, state: string): void {
  states[state] = (states[state] ?? 0) + 1;
}

function addDistinct<T>(list: T[], value: T): void {
  if (!list.includes(value)) list.push(value);
}

const byNumber = (a: number, b: number) => a - b;

const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** IPv4 addresses in numeric order (10.0.0.2 before 10.0.0.10), then the rest as text. */
export function compareAddresses(a: string, b: string): number {
  const a4 = IPV4.test(a);
  const b4 = IPV4.test(b);
  if (a4 && b4) {
    const pa = a.split('.').map(Number);
    const pb = b.split('.').map(Number);
    for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
    return 0;
  }
  if (a4 !== b4) return a4 ? -1 : 1;
  return a.localeCompare(b);
}

export function buildSshView(input: SshViewInput): SshView {
  const ports = [...new Set(input.ports)].sort(byNumber);
  const portSet = new Set(ports);
  const canSee = input.canSeeOwners ?? (() => true);
  const owner = (pid: number) => input.owners.get(pid) ?? unknownOwner(pid);
  const tcp = input.connections.filter((c) => c.protocol === 'tcp');

  // Ports something listens on, per namespace: decides which end of a 22 ↔ 22 socket is ours.
  const listening = new Set(tcp.filter((c) => c.state === 'LISTEN').map((c) => `${c.netns}:${c.localPort}`));

  const listeners: SshListener[] = [];
  const inbound = new Map<string, SshInboundGroup>();
  const outbound = new Map<string, SshOutboundGroup & { hostSet: Set<string> }>();
  const timeWaitHosts = new Set<string>();
  let timeWaitCount = 0;

  for (const c of tcp) {
    if (c.state === 'LISTEN') {
      if (!portSet.has(c.localPort)) continue;
      listeners.push({
        family: c.family,
        localAddress: c.localAddress,
        localPort: c.localPort,
        uid: c.uid,
        user: input.users?.get(c.uid) ?? null,
        inode: c.inode,
        netns: c.netns,
        owners: c.pids.map(owner),
        ownersVisible: c.pids.length > 0 || canSee(c.uid),
      });
      continue;
    }
    const localSsh = portSet.has(c.localPort);
    const remoteSsh = portSet.has(c.remotePort);
    const isInbound = localSsh && (!remoteSsh || listening.has(`${c.netns}:${c.localPort}`));
    if (isInbound) {
      // "tcp 0 0 10.0.0.1:22 203.0.113.9:51234 ESTABLISHED 812/sshd: alice [priv]"
      let g = inbound.get(c.remoteAddress);
      if (!g) {
        g = { remoteAddress: c.remoteAddress, connections: 0, timeWait: 0, states: {}, localPorts: [], sshdPids: [], users: [], sessions: [], netns: [] };
        inbound.set(c.remoteAddress, g);
      }
      addDistinct(g.netns, c.netns);
      if (c.state === 'TIME_WAIT') {
        g.timeWait++;
        continue;
      }
      g.connections++;
      bump(g.states, c.state);
      addDistinct(g.localPorts, c.localPort);
      let user: string | null = null;
      for (const pid of c.pids) {
        addDistinct(g.sshdPids, pid);
        user ??= sessionUser(owner(pid).title);
      }
      if (user) addDistinct(g.users, user);
      g.sessions.push({ localPort: c.localPort, remotePort: c.remotePort, state: c.state, pids: c.pids, user });
      continue;
    }
    if (!remoteSsh) continue;
    // "tcp 0 1 10.0.0.1:40112 198.51.100.7:22 SYN_SENT 4242/pscan2"
    if (c.state === 'TIME_WAIT') {
      timeWaitCount++;
      timeWaitHosts.add(c.remoteAddress);
      continue;
    }
    const keys = c.pids.length > 0 ? c.pids.map((pid) => `pid:${pid}`) : [`uid:${c.uid}`];
    for (const key of keys) {
      let g = outbound.get(key);
      if (!g) {
        const o = key.startsWith('pid:') ? owner(Number(key.slice(4))) : null;
        const uid = o ? o.uid : c.uid;
        g = {
          owner: o,
          uid,
          user: o?.user ?? (uid === null ? null : (input.users?.get(uid) ?? null)),
          connections: 0,
          hosts: [],
          states: {},
          synSent: 0,
          established: 0,
          remotePorts: [],
          netns: [],
          hostSet: new Set(),
        };
        outbound.set(key, g);
      }
      g.connections++;
      bump(g.states, c.state);
      addDistinct(g.remotePorts, c.remotePort);
      addDistinct(g.netns, c.netns);
      if (c.state === 'SYN_SENT') g.synSent++;
      if (c.state === 'ESTABLISHED') g.established++;
      if (c.state === 'SYN_SENT' || c.state === 'ESTABLISHED') g.hostSet.add(c.remoteAddress);
    }
  }

  const inboundList = [...inbound.values()]
    .map((g) => ({ ...g, localPorts: g.localPorts.sort(byNumber), sshdPids: g.sshdPids.sort(byNumber), users: g.users.sort() }))
    .sort((a, b) => b.connections - a.connections || compareAddresses(a.remoteAddress, b.remoteAddress));
  const outboundList: SshOutboundGroup[] = [...outbound.values()]
    .map(({ hostSet, ...g }) => ({ ...g, hosts: [...hostSet].sort(compareAddresses), remotePorts: g.remotePorts.sort(byNumber) }))
    .sort(
      (a, b) =>
        b.hosts.length - a.hosts.length ||
        b.connections - a.connections ||
        (a.owner?.pid ?? Infinity) - (b.owner?.pid ?? Infinity) ||
        (a.uid ?? -1) - (b.uid ?? -1),
    );
  listeners.sort((a, b) => a.localPort - b.localPort || a.family - b.family || compareAddresses(a.localAddress, b.localAddress) || a.inode - b.inode);
  return {
    ports,
    inbound: inboundList,
    outbound: outboundList,
    outboundTimeWait: { connections: timeWaitCount, hosts: [...timeWaitHosts].sort(compareAddresses) },
    listeners,
  };
}
