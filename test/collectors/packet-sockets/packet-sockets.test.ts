import { describe, expect, it } from 'vitest';
import { parseProcNetPacket } from '../../../src/collectors/packet-sockets/parse-packet.js';
import type { PacketSocketRecord } from '../../../src/model/kernel.js';
import { rawPacketSocket } from '../../../src/rules/network/raw-packet-socket.js';
import { runRule } from '../../../src/rules/types.js';

const TABLE = `sk               RefCnt Type Proto  Iface R Rmem   User   Inode
ffff8d1e4c9e2000 3      3    0003   0     1 0      0      12345
ffff8d1e4c9e3000 3      2    0800   2     1 0      0      777
short line
`;

const owner = (pid: number, comm: string, exe: string | null, exeDeleted = false) => ({ pid, comm, exe, exeDeleted, user: 'root' });
const sock = (inode: number, owners: PacketSocketRecord['owners']): PacketSocketRecord => ({ inode, protocol: '0003', type: 3, ifindex: 0, uid: 0, netns: 1, owners });

describe('/proc/net/packet', () => {
  it('parses type, protocol, interface, uid and inode; skips the header and short lines', () => {
    expect(parseProcNetPacket(TABLE)).toEqual([
      { type: 3, protocol: '0003', ifindex: 0, uid: 0, inode: 12345 },
      { type: 2, protocol: '0800', ifindex: 2, uid: 0, inode: 777 },
    ]);
  });
});

describe('network.raw-packet-socket', () => {
  it('leaves packaged capture tools alone and flags the rest, high from a writable, hidden or deleted file', () => {
    const findings = runRule(rawPacketSocket, {
      packetSockets: [
        sock(1, [owner(10, 'tcpdump', '/usr/bin/tcpdump'), owner(11, 'dhclient', '/usr/sbin/dhclient')]),
        sock(2, [owner(20, 'kdmtmpflush', '/dev/shm/.x/kdmtmpflush')]),
        sock(3, [owner(30, 'tcpdump', '/tmp/tcpdump')]),
        sock(4, [owner(40, 'haldrund', '/usr/sbin/haldrund', true)]),
        sock(5, [owner(50, 'mytool', '/usr/local/bin/mytool')]),
        sock(6, [owner(60, 'odd', '/usr/bin/odd')]),
        sock(7, [owner(70, 'ours', '/usr/bin/node')]),
      ],
      selfPids: [70],
    });
    expect(findings.map((f) => [f.subject.pid, f.severity])).toEqual([
      [20, 'high'],
      [30, 'high'],
      [40, 'high'],
      [50, 'medium'],
      [60, 'medium'],
    ]);
    expect(findings[2].title).toContain('deleted from disk');
  });
});
