import { describe, expect, it } from 'vitest';
import { parseSs, recordKey, ssRowKey } from '../../../src/collectors/network/parse-ss.js';
import { confirm, firstLook, SocketKeys } from '../../../src/collectors/network/socket-crossview.js';
import { conn, listener } from '../../helpers/connections.js';

const SS_HEADER = 'State     Recv-Q Send-Q  Local Address:Port   Peer Address:Port Process\n';

const sockets = [
  listener(22, { inode: 100 }),
  listener(22, { family: 6, localAddress: '::', remoteAddress: '::', inode: 101 }),
  conn({ localAddress: '10.0.0.1', localPort: 22, remoteAddress: '203.0.113.9', remotePort: 51000, inode: 200 }),
  // The hidden one: a scanner's connection.
  conn({ localAddress: '10.0.0.1', localPort: 40112, remoteAddress: '198.51.100.7', remotePort: 22, state: 'SYN_SENT', inode: 300 }),
  // A v4-mapped socket: ss prints [::ffff:10.0.0.1].
  conn({ family: 6, localAddress: '10.0.0.1', localPort: 8080, remoteAddress: '192.0.2.4', remotePort: 6000, inode: 400 }),
  conn({ localAddress: '10.0.0.1', localPort: 22, remoteAddress: '203.0.113.9', remotePort: 51001, state: 'TIME_WAIT', inode: 0 }),
  conn({ protocol: 'udp', localAddress: '0.0.0.0', localPort: 68, remoteAddress: '0.0.0.0', remotePort: 0, state: 'CLOSE', inode: 500 }),
];

const ssShown = parseSs(
  SS_HEADER +
    'LISTEN    0      128         0.0.0.0:22          0.0.0.0:*\n' +
    'LISTEN    0      128            [::]:22             [::]:*\n' +
    'ESTAB     0      0          10.0.0.1:22      203.0.113.9:51000\n' +
    'ESTAB     0      0   [::ffff:10.0.0.1]:8080 [::ffff:192.0.2.4]:6000\n' +
    'ESTAB     0      0          10.0.0.1:5555       192.0.2.99:443\n',
);

describe('socket cross-view', () => {
  it('finds /proc TCP sockets that ss does not show, leaving TIME_WAIT and UDP aside', () => {
    const first = firstLook(sockets, ssShown);
    expect(first.onlyInProc.map((r) => r.inode)).toEqual([300]);
    expect(first.onlyInSs).toEqual(['tcp 10.0.0.1:5555 192.0.2.99:443']);
    expect(first.procSockets).toBe(5);
    expect(first.ssRows).toBe(5);
  });

  it('keeps a difference only when it is still there on the re-check', () => {
    const first = firstLook(sockets, ssShown);
    // Same /proc, same ss: the scanner socket stays hidden, the ss-only row stays forged.
    expect(confirm(first, { records: sockets, rows: ssShown })).toEqual({
      onlyInProc: [sockets[3]],
      onlyInSs: ['tcp 10.0.0.1:5555 192.0.2.99:443'],
      transient: [],
    });
  });

  it('drops sockets that closed, changed state, were replaced, or that ss shows on the re-check', () => {
    const first = firstLook(sockets, ssShown);
    const closed = sockets.filter((r) => r.inode !== 300);
    expect(confirm(first, { records: closed, rows: ssShown }).onlyInProc).toEqual([]);
    const established = sockets.map((r) => (r.inode === 300 ? { ...r, state: 'ESTABLISHED' as const } : r));
    expect(confirm(first, { records: established, rows: ssShown }).onlyInProc).toEqual([]);
    const reused = sockets.map((r) => (r.inode === 300 ? { ...r, inode: 301 } : r));
    expect(confirm(first, { records: reused, rows: ssShown }).onlyInProc).toEqual([]);
    const shownNow = parseSs(SS_HEADER + 'SYN-SENT  0      1          10.0.0.1:40112   198.51.100.7:22\n');
    const r = confirm(first, { records: sockets, rows: shownNow });
    expect(r.onlyInProc).toEqual([]);
    // The ss-only row is gone from ss on the re-check: it was a socket that closed.
    expect(r.onlyInSs).toEqual([]);
    expect(r.transient).toEqual(['tcp 10.0.0.1:40112 198.51.100.7:22', 'tcp 10.0.0.1:5555 192.0.2.99:443']);
  });

  it('finds nothing when both views agree', () => {
    const agreeing = sockets.filter((r) => r.inode !== 300);
    const rows = ssShown.filter((r) => r.local.port !== 5555);
    expect(firstLook(agreeing, rows)).toMatchObject({ onlyInProc: [], onlyInSs: [] });
  });
});

describe('SocketKeys', () => {
  it('spells every key exactly as recordKey and ssRowKey do', () => {
    const keys = new SocketKeys();
    for (const r of sockets) expect(keys.record(r)).toBe(recordKey(r));
    for (const row of ssShown) expect(keys.row(row)).toBe(ssRowKey(row, 'tcp'));
    const odd = parseSs(SS_HEADER + 'ESTAB 0 0 [fe80::1%eth0]:22 [2001:DB8:0:0::7]:5000\nLISTEN 0 128 *:22 *:*\n');
    expect(odd).toHaveLength(2);
    for (const row of odd) expect(keys.row(row)).toBe(ssRowKey(row, 'tcp'));
  });
});
