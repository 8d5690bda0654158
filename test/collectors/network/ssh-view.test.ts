import { describe, expect, it } from 'vitest';
import { buildSshView, compareAddresses, ownerFromProcess, sessionUser } from '../../../src/collectors/network/ssh-view.js';
import type { ConnectionRecord } from '../../../src/model/network.js';
import type { ProcessRecord } from '../../../src/model/processes.js';
import { cleanSockets, conn, fanout, listener } from '../../helpers/connections.js';
import { cleanBaseline, proc } from '../../helpers/records.js';

function view(sockets: ConnectionRecord[], opts: { processes?: ProcessRecord[]; ports?: number[]; canSeeOwners?: (uid: number) => boolean } = {}) {
  const processes = opts.processes ?? cleanBaseline();
  return buildSshView({
    connections: sockets,
    owners: new Map(processes.map((p) => [p.pid, ownerFromProcess(p)])),
    ports: opts.ports ?? [22],
    users: new Map([
      [0, 'root'],
      [33, 'www-data'],
    ]),
    canSeeOwners: opts.canSeeOwners,
  });
}

describe('sessionUser', () => {
  it.each([
    ['sshd: alice@pts/0', 'alice'],
    ['sshd: alice@notty', 'alice'],
    ['sshd-session: alice@pts/3', 'alice'],
    ['sshd: alice [priv]', 'alice'],
    ['sshd-session: alice [priv]', 'alice'],
    ['sshd: alice [net]', 'alice'],
    ['sshd-auth: bob [net]', 'bob'],
    ['sshd: root [preauth]', 'root'],
    ['sshd: unknown [priv]', null],
    ['sshd: [accepted]', null],
    ['sshd: [net]', null],
    ['sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups', null],
    ['/usr/sbin/sshd -D', null],
    ['-bash', null],
    ['', null],
  ])('%j → %j', (title, user) => {
    expect(sessionUser(title)).toBe(user);
  });
});

describe('buildSshView', () => {
  it('groups inbound sessions by remote address, with states, sshd pids and users', () => {
    const processes = [
      ...cleanBaseline(),
      proc({ pid: 610, ppid: 500, comm: 'sshd', argv: ['sshd: root [priv]'], exe: '/usr/sbin/sshd' }),
      proc({ pid: 611, ppid: 610, comm: 'sshd', argv: ['sshd: root [net]'], exe: '/usr/sbin/sshd', uid: 74, user: 'sshd' }),
      proc({ pid: 620, ppid: 500, comm: 'sshd', argv: ['sshd: [accepted]'], exe: '/usr/sbin/sshd' }),
    ];
    const v = view(
      [
        ...cleanSockets(),
        conn({ remoteAddress: '198.51.100.7', remotePort: 40001, inode: 801, pids: [610, 611] }),
        conn({ remoteAddress: '198.51.100.7', remotePort: 40002, inode: 802, pids: [620], state: 'SYN_RECV' }),
        conn({ remoteAddress: '198.51.100.7', remotePort: 40003, inode: 0, state: 'TIME_WAIT' }),
        conn({ remoteAddress: '198.51.100.7', remotePort: 40004, inode: 803, pids: [] }),
        conn({ family: 6, localAddress: '2001:db8::1', remoteAddress: '2001:db8::99', remotePort: 40005, inode: 804, pids: [620] }),
      ],
      { processes },
    );
    expect(v.inbound.map((g) => [g.remoteAddress, g.connections])).toEqual([
      ['198.51.100.7', 3],
      // Ties: IPv4 in numeric order, then IPv6.
      ['203.0.113.9', 1],
      ['2001:db8::99', 1],
    ]);
    const g = v.inbound[0];
    expect(g).toMatchObject({ timeWait: 1, states: { ESTABLISHED: 2, SYN_RECV: 1 }, localPorts: [22], sshdPids: [610, 611, 620], users: ['root'] });
    expect(g.sessions.map((s) => [s.remotePort, s.user, s.pids])).toEqual([
      [40001, 'root', [610, 611]],
      [40002, null, [620]],
      [40004, null, []],
    ]);
    expect(v.inbound[1]).toMatchObject({ sshdPids: [600, 601], users: ['alice'] });
    // The HTTP client on port 80 is not an ssh session.
    expect(v.inbound.some((x) => x.remoteAddress === '192.0.2.44')).toBe(false);
  });

  it('groups outbound connections by owning process, counting distinct hosts of ESTABLISHED and SYN_SENT', () => {
    const scanner = proc({ pid: 4242, comm: 'pscan2', argv: ['./pscan2', '22'], exe: '/tmp/.. /pscan2', uid: 33, user: 'www-data', cwd: '/tmp/.. ' });
    const sockets = [
      ...cleanSockets(),
      ...fanout(4242, 12),
      // The same host twice, and a closing socket that does not count as a host.
      conn({ localPort: 41000, remoteAddress: '198.51.100.1', remotePort: 22, pids: [4242], inode: 71000, uid: 33 }),
      conn({ localPort: 41001, remoteAddress: '198.51.100.200', remotePort: 22, state: 'FIN_WAIT1', pids: [4242], inode: 71001, uid: 33 }),
      // Sockets whose owner is not visible: grouped by uid.
      conn({ localPort: 41002, remoteAddress: '198.51.100.201', remotePort: 22, state: 'SYN_SENT', pids: [], inode: 71002, uid: 33 }),
      conn({ localPort: 41003, remoteAddress: '198.51.100.202', remotePort: 22, state: 'TIME_WAIT', pids: [], inode: 0, uid: 0 }),
    ];
    const v = view(sockets, { processes: [...cleanBaseline(), scanner] });
    expect(v.outbound.map((g) => [g.owner?.pid ?? null, g.uid, g.hosts.length, g.connections])).toEqual([
      [4242, 33, 12, 14],
      [602, 1000, 1, 1],
      // On a tie, processes come before the uid groups.
      [null, 33, 1, 1],
    ]);
    const g = v.outbound[0];
    expect(g).toMatchObject({ user: 'www-data', synSent: 6, established: 7, states: { SYN_SENT: 6, ESTABLISHED: 7, FIN_WAIT1: 1 }, remotePorts: [22] });
    expect(g.owner).toMatchObject({ comm: 'pscan2', exe: '/tmp/.. /pscan2', title: './pscan2' });
    expect(g.hosts).not.toContain('198.51.100.200');
    expect(v.outbound[2]).toMatchObject({ owner: null, user: 'www-data', synSent: 1 });
    expect(v.outboundTimeWait).toEqual({ connections: 2, hosts: ['192.0.2.11', '198.51.100.202'] });
  });

  it('counts a socket held by two processes (after fork) for each of them', () => {
    const sockets = fanout(900, 3, { pids: [900, 901] });
    const processes = [proc({ pid: 900, comm: 'scan' }), proc({ pid: 901, comm: 'scan', ppid: 900 })];
    expect(view(sockets, { processes }).outbound.map((g) => [g.owner!.pid, g.hosts.length])).toEqual([
      [900, 3],
      [901, 3],
    ]);
  });

  it('uses every declared ssh port, and only those', () => {
    const sockets = [...fanout(4242, 3, {}, 2222), ...fanout(4243, 2, { localPort: 50000 }, 8022)];
    const v = view(sockets, { ports: [22, 2222] });
    expect(v.ports).toEqual([22, 2222]);
    expect(v.outbound.map((g) => [g.owner!.pid, g.remotePorts])).toEqual([[4242, [2222]]]);
  });

  it('lists listeners on ssh ports with their owners, and whether owners could be seen', () => {
    const sockets = [
      ...cleanSockets(),
      listener(2222, { localAddress: '127.0.0.1', inode: 900, pids: [], uid: 33 }),
      listener(2222, { localAddress: '127.0.0.2', inode: 901, pids: [], uid: 0 }),
      listener(8080, { inode: 902, pids: [702] }),
    ];
    const v = view(sockets, { ports: [22, 2222], canSeeOwners: (uid) => uid === 33 });
    expect(v.listeners.map((l) => [l.localAddress, l.localPort, l.owners.map((o) => o.pid), l.ownersVisible])).toEqual([
      ['0.0.0.0', 22, [1, 500], true],
      ['::', 22, [1, 500], true],
      ['127.0.0.1', 2222, [], true],
      ['127.0.0.2', 2222, [], false],
    ]);
    expect(v.listeners[2]).toMatchObject({ uid: 33, user: 'www-data' });
    expect(v.listeners[0].owners[1]).toMatchObject({ pid: 500, exe: '/usr/sbin/sshd' });
  });

  it('treats a 22 → 22 socket as inbound only when something listens on the local port', () => {
    const both = conn({ localPort: 22, remoteAddress: '192.0.2.5', remotePort: 22, inode: 950, pids: [777] });
    expect(view([both]).inbound).toEqual([]);
    expect(view([both]).outbound).toHaveLength(1);
    const withListener = view([listener(22, { inode: 951, pids: [500] }), both]);
    expect(withListener.inbound.map((g) => g.remoteAddress)).toEqual(['192.0.2.5']);
    expect(withListener.outbound).toEqual([]);
  });

  it('is empty on a box with no ssh traffic', () => {
    expect(view([listener(80, { pids: [702] })])).toEqual({ ports: [22], inbound: [], outbound: [], outboundTimeWait: { connections: 0, hosts: [] }, listeners: [] });
  });
});

describe('compareAddresses', () => {
  it('orders IPv4 numerically, before IPv6', () => {
    expect(['10.0.0.10', '2001:db8::1', '10.0.0.2', '::1', '9.255.0.1'].sort(compareAddresses)).toEqual(['9.255.0.1', '10.0.0.2', '10.0.0.10', '::1', '2001:db8::1']);
  });
});
