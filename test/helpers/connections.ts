import { buildSshView, ownerFromProcess } from '../../src/collectors/network/ssh-view.js';
import type { KnownFacts } from '../../src/model/facts.js';
import type { ConnectionRecord } from '../../src/model/network.js';
import type { ProcessRecord } from '../../src/model/processes.js';
import { cleanBaseline } from './records.js';

export const HOST_NETNS = 4026531840;

/** A plausible TCP socket record; tests override what they are about. */
export function conn(over: Partial<ConnectionRecord> = {}): ConnectionRecord {
  return {
    protocol: 'tcp',
    family: 4,
    localAddress: '10.0.0.1',
    localPort: 22,
    remoteAddress: '203.0.113.9',
    remotePort: 50000,
    state: 'ESTABLISHED',
    uid: 0,
    inode: 9000,
    pids: [],
    netns: HOST_NETNS,
    ...over,
  };
}

/** A listener on `port` of `address`. */
export function listener(port: number, over: Partial<ConnectionRecord> = {}): ConnectionRecord {
  return conn({ localAddress: '0.0.0.0', localPort: port, remoteAddress: '0.0.0.0', remotePort: 0, state: 'LISTEN', ...over });
}

/** `n` outbound connections from one process to distinct hosts 198.51.100.1… on `port`. */
export function fanout(pid: number, n: number, over: Partial<ConnectionRecord> = {}, port = 22): ConnectionRecord[] {
  return Array.from({ length: n }, (_, i) =>
    conn({ localPort: 40000 + i, remoteAddress: `198.51.100.${i + 1}`, remotePort: port, state: i % 2 ? 'ESTABLISHED' : 'SYN_SENT', pids: [pid], inode: 70000 + i, uid: 33, ...over }),
  );
}

/**
 * The sockets of a clean box: sshd listening on 0.0.0.0:22 and [::]:22 (also held by PID 1 for
 * socket activation), alice's session from 203.0.113.9, nginx on 80 with a client, an admin's
 * outbound ssh to one host, a DNS socket.
 */
export function cleanSockets(): ConnectionRecord[] {
  return [
    listener(22, { inode: 100, pids: [1, 500] }),
    listener(22, { family: 6, localAddress: '::', remoteAddress: '::', inode: 101, pids: [1, 500] }),
    conn({ inode: 200, pids: [600, 601], remotePort: 51000 }),
    listener(80, { inode: 300, pids: [702] }),
    conn({ localPort: 80, remoteAddress: '192.0.2.44', remotePort: 61000, inode: 301, pids: [702] }),
    conn({ localPort: 45000, remoteAddress: '192.0.2.10', remotePort: 22, inode: 400, pids: [602], uid: 1000 }),
    conn({ localPort: 45001, remoteAddress: '192.0.2.11', remotePort: 22, state: 'TIME_WAIT', inode: 0, pids: [] }),
    conn({ protocol: 'udp', localAddress: '127.0.0.53', localPort: 53, remoteAddress: '0.0.0.0', remotePort: 0, state: 'CLOSE', inode: 500, pids: [701] }),
  ];
}

/** Facts as the connections collector leaves them, built with the real view builder. */
export function networkFacts(opts: { sockets?: ConnectionRecord[]; processes?: ProcessRecord[]; ports?: number[]; canSeeOwners?: (uid: number) => boolean; more?: Partial<KnownFacts> } = {}): KnownFacts {
  const processes = opts.processes ?? cleanBaseline();
  const sockets = opts.sockets ?? cleanSockets();
  const ports = opts.ports ?? [22];
  const users = new Map<number, string>([
    [0, 'root'],
    [33, 'www-data'],
    [1000, 'alice'],
  ]);
  const sshView = buildSshView({
    connections: sockets,
    owners: new Map(processes.map((p) => [p.pid, ownerFromProcess(p)])),
    ports,
    users,
    canSeeOwners: opts.canSeeOwners,
  });
  return { processes, connections: sockets, sshPorts: ports, sshView, hiddenSockets: [], packetSockets: [], selfPids: [], ...opts.more };
}
