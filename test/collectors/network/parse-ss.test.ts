import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseProcNet } from '../../../src/collectors/network/parse-proc-net.js';
import {
  normalizeAddress,
  parseSs,
  parseSsDetailed,
  recordKey,
  socketKey,
  ssRowKey,
  ssStateToProc,
} from '../../../src/collectors/network/parse-ss.js';

/** `ss -tuanp` captured on this box at the same moment as the /proc lines in parse-proc-net.test.ts. */
const RECORDED_TUANP = `Netid State      Recv-Q Send-Q      Local Address:Port        Peer Address:Port Process                            
udp   ESTAB      0      0               127.0.0.1:49154          127.0.0.1:49711 users:(("python3",pid=5443,fd=28))
udp   UNCONN     0      0               127.0.0.1:49711            0.0.0.0:*     users:(("python3",pid=5443,fd=26))
udp   UNCONN     0      0                   [::1]:34722               [::]:*     users:(("python3",pid=5443,fd=27))
tcp   LISTEN     0      16              127.0.0.1:46791            0.0.0.0:*     users:(("python3",pid=5443,fd=3)) 
tcp   FIN-WAIT-1 0      1               127.0.0.1:46791          127.0.0.1:43368 users:(("python3",pid=5443,fd=25))
tcp   ESTAB      0      0               127.0.0.2:49191          127.0.0.1:44597 users:(("python3",pid=5443,fd=14))
tcp   SYN-RECV   0      0               127.0.0.1:37015          127.0.0.1:32972                                   
tcp   SYN-SENT   0      1               127.0.0.1:48792          127.0.0.1:22    users:(("python3",pid=5443,fd=29))
tcp   LAST-ACK   1      1               127.0.0.1:46791          127.0.0.1:43358 users:(("python3",pid=5443,fd=21))
tcp   CLOSE-WAIT 1      0               127.0.0.1:46791          127.0.0.1:43344 users:(("python3",pid=5443,fd=17))
tcp   TIME-WAIT  0      0               127.0.0.1:43338          127.0.0.1:46791                                   
tcp   FIN-WAIT-2 0      0               127.0.0.1:43344          127.0.0.1:46791 users:(("python3",pid=5443,fd=16))
tcp   LISTEN     0      8                       *:44597                  *:*     users:(("python3",pid=5443,fd=5)) 
tcp   LISTEN     0      8                    [::]:45229               [::]:*     users:(("python3",pid=5443,fd=6)) 
tcp   LISTEN     0      16                  [::1]:43107               [::]:*     users:(("python3",pid=5443,fd=4)) 
tcp   ESTAB      0      0      [::ffff:127.0.0.1]:44597 [::ffff:127.0.0.2]:49191 users:(("python3",pid=5443,fd=15))
tcp   SYN-SENT   0      1                   [::1]:40586              [::1]:22    users:(("python3",pid=5443,fd=30))
tcp   TIME-WAIT  0      0                   [::1]:60468              [::1]:43107                                   
`;

describe('parseSs on recorded and crafted output', () => {
  it('parses recorded ss -tuanp output with a Netid column', () => {
    const { rows, badLines } = parseSsDetailed(RECORDED_TUANP);
    expect(badLines).toEqual([]);
    expect(rows).toHaveLength(18);
    expect(rows[0]).toEqual({
      netid: 'udp',
      state: 'ESTAB',
      recvQ: 0,
      sendQ: 0,
      local: { address: '127.0.0.1', port: 49154 },
      peer: { address: '127.0.0.1', port: 49711 },
      processes: [{ comm: 'python3', pid: 5443, fd: 28 }],
    });
    expect(rows[2]).toMatchObject({ state: 'UNCONN', local: { address: '::1', port: 34722 }, peer: { address: '::', port: 0 } });
    expect(rows[6]).toMatchObject({ state: 'SYN-RECV', processes: [] });
    expect(rows[8]).toMatchObject({ state: 'LAST-ACK', recvQ: 1, sendQ: 1 });
    expect(rows[12]).toMatchObject({ state: 'LISTEN', local: { address: '*', port: 44597 }, peer: { address: '*', port: 0 } });
    expect(rows[15]).toMatchObject({
      netid: 'tcp',
      state: 'ESTAB',
      local: { address: '::ffff:127.0.0.1', port: 44597 },
      peer: { address: '::ffff:127.0.0.2', port: 49191 },
      processes: [{ comm: 'python3', pid: 5443, fd: 15 }],
    });
    expect(rows.map((r) => ssStateToProc(r.state))).toEqual([
      'ESTABLISHED', 'CLOSE', 'CLOSE', 'LISTEN', 'FIN_WAIT1', 'ESTABLISHED', 'SYN_RECV', 'SYN_SENT', 'LAST_ACK',
      'CLOSE_WAIT', 'TIME_WAIT', 'FIN_WAIT2', 'LISTEN', 'LISTEN', 'LISTEN', 'ESTABLISHED', 'SYN_SENT', 'TIME_WAIT',
    ]);
  });

  it('keys recorded ss rows and recorded /proc lines of the same sockets equally', () => {
    const rows = parseSs(RECORDED_TUANP);
    // /proc lines of the same capture (see parse-proc-net.test.ts).
    const v4 = parseProcNet(
      [
        '   3: 0200007F:C027 0100007F:AE35 01 00000000:00000000 00:00000000 00000000     0        0 12662 2 0 20 0 0 10 -1',
        '   0: 0100007F:B6C7 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12652 1 0 100 0 0 10 0',
      ].join('\n'),
      'tcp',
      4,
      { littleEndian: true },
    );
    const v6 = parseProcNet(
      [
        '   0: 00000000000000000000000000000000:AE35 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12654 1 0 100 0 0 10 0',
        '   3: 0000000000000000FFFF00000100007F:AE35 0000000000000000FFFF00000200007F:C027 01 00000000:00000000 00:00000000 00000000     0        0 12663 1 0 20 0 0 10 -1',
        '   2: 00000000000000000000000001000000:A863 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12653 1 0 100 0 0 10 0',
      ].join('\n'),
      'tcp',
      6,
      { littleEndian: true },
    );
    const udp = parseProcNet(
      '14055: 0100007F:C22F 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 12725 2 0 0',
      'udp',
      4,
      { littleEndian: true },
    );
    const byKey = new Map(rows.map((r) => [ssRowKey(r), r]));
    for (const rec of [...v4, ...v6, ...udp]) {
      const row = byKey.get(recordKey(rec));
      expect(row, recordKey(rec)).toBeDefined();
      expect(ssStateToProc(row!.state)).toBe(rec.state);
    }
    expect(recordKey(v6[0])).toBe('tcp [::]:44597 [::]:0');
    expect(recordKey(v6[1])).toBe('tcp 127.0.0.1:44597 127.0.0.2:49191');
    // The IPv4 wildcard and the IPv6 wildcard are different sockets and key differently.
    expect(recordKey(v4[1])).toBe('tcp 127.0.0.1:46791 0.0.0.0:0');
    expect(ssRowKey(rows[13])).toBe('tcp [::]:45229 [::]:0');
  });

  it('parses ss -tan output without Netid and without process column, and -H output', () => {
    const text = [
      'State  Recv-Q Send-Q Local Address:Port Peer Address:PortProcess',
      'LISTEN 0      128          0.0.0.0:22        0.0.0.0:*          ',
      'ESTAB  0      36         127.0.0.1:22      127.0.0.2:51234      ',
      'LISTEN 0      128             [::]:22           [::]:*          ',
    ].join('\n');
    const rows = parseSs(text);
    expect(rows.map((r) => [r.netid, r.state, r.local.address, r.local.port, r.peer.address, r.peer.port, r.sendQ])).toEqual([
      [null, 'LISTEN', '0.0.0.0', 22, '0.0.0.0', 0, 128],
      [null, 'ESTAB', '127.0.0.1', 22, '127.0.0.2', 51234, 36],
      [null, 'LISTEN', '::', 22, '::', 0, 128],
    ]);
    expect(parseSs(text.split('\n').slice(1).join('\n'))).toEqual(rows);
    expect(() => ssRowKey(rows[0])).toThrow(/protocol/);
    expect(ssRowKey(rows[0], 'tcp')).toBe('tcp 0.0.0.0:22 0.0.0.0:0');
  });

  it('reads several owners and names with spaces, commas, quotes and parentheses', () => {
    const text = [
      'LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:(("sshd",pid=1234,fd=3),("sshd",pid=99,fd=3),("systemd",pid=1,fd=52))',
      'ESTAB 0 0 [::ffff:127.0.0.1]:22 [::ffff:127.0.0.2]:40000 users:(("my (evil), app",pid=4242,fd=7))',
      'ESTAB 0 0 127.0.0.1:22 127.0.0.2:40001 users:(("a"b",pid=5,fd=6),("x(",pid=7,fd=8))',
      'ESTAB 0 0 127.0.0.1:22 127.0.0.2:40002 users:(("),(",pid=9,fd=10))',
      'ESTAB 0 0 127.0.0.1:22 127.0.0.2:40003 users:(("kworker/0:1 x",pid=11,fd=12,proc_ctx=unconfined)) timer:(keepalive,119min,0) uid:0 ino:4321 sk:1',
      'UNCONN 0 0 127.0.0.53%lo:53 0.0.0.0:* users:(("systemd-resolve",pid=400,fd=13))',
      'LISTEN 0 5 [::1]%lo:631 [::]:*',
      'ESTAB 0 0 127.0.0.1:22 127.0.0.2:40004users:(("glued",pid=13,fd=14))',
    ].join('\n');
    const { rows, badLines } = parseSsDetailed(text);
    expect(badLines).toEqual([]);
    expect(rows.map((r) => r.processes)).toEqual([
      [
        { comm: 'sshd', pid: 1234, fd: 3 },
        { comm: 'sshd', pid: 99, fd: 3 },
        { comm: 'systemd', pid: 1, fd: 52 },
      ],
      [{ comm: 'my (evil), app', pid: 4242, fd: 7 }],
      [
        { comm: 'a"b', pid: 5, fd: 6 },
        { comm: 'x(', pid: 7, fd: 8 },
      ],
      [{ comm: '),(', pid: 9, fd: 10 }],
      [{ comm: 'kworker/0:1 x', pid: 11, fd: 12 }],
      [{ comm: 'systemd-resolve', pid: 400, fd: 13 }],
      [],
      [{ comm: 'glued', pid: 13, fd: 14 }],
    ]);
    expect(rows[5].local).toEqual({ address: '127.0.0.53', port: 53, iface: 'lo' });
    expect(rows[6].local).toEqual({ address: '::1', port: 631, iface: 'lo' });
    expect(rows[7].peer).toEqual({ address: '127.0.0.2', port: 40004 });
    expect(ssRowKey(rows[1], 'tcp')).toBe('tcp 127.0.0.1:22 127.0.0.2:40000');
    expect(ssRowKey(rows[6], 'tcp')).toBe('tcp [::1]:631 [::]:0');
  });

  it('reports lines it cannot read', () => {
    const text = [
      'LISTEN 0 128 0.0.0.0:ssh 0.0.0.0:*', // service name: ss without -n
      'LISTEN 0 128',
      'LISTEN x 128 0.0.0.0:22 0.0.0.0:*',
      'ESTAB 0 0 127.0.0.1:22 127.0.0.2:1 users:(("broken",pid=1))',
      'ESTAB 0 0 [::1:22 [::1]:1',
      'ESTAB 0 0 127.0.0.1:70000 127.0.0.1:1',
      'ESTAB 0 0 127.0.0.1:22 127.0.0.2:2',
    ].join('\n');
    const { rows, badLines } = parseSsDetailed(text);
    expect(rows).toHaveLength(1);
    expect(rows[0].peer.port).toBe(2);
    expect(badLines.map((b) => b.lineNo)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('maps every ss state name', () => {
    const pairs: Array<[string, string]> = [
      ['ESTAB', 'ESTABLISHED'], ['SYN-SENT', 'SYN_SENT'], ['SYN-RECV', 'SYN_RECV'], ['FIN-WAIT-1', 'FIN_WAIT1'],
      ['FIN-WAIT-2', 'FIN_WAIT2'], ['TIME-WAIT', 'TIME_WAIT'], ['UNCONN', 'CLOSE'], ['CLOSE-WAIT', 'CLOSE_WAIT'],
      ['LAST-ACK', 'LAST_ACK'], ['LISTEN', 'LISTEN'], ['CLOSING', 'CLOSING'], ['estab', 'ESTABLISHED'],
      ['UNKNOWN', 'UNKNOWN_UNKNOWN'], ['BOGUS', 'UNKNOWN_BOGUS'], ['NEW_SYN_RECV', 'NEW_SYN_RECV'],
    ];
    for (const [ss, ours] of pairs) expect(ssStateToProc(ss), ss).toBe(ours);
  });

  it('normalises addresses so both views key equally', () => {
    expect(normalizeAddress('*')).toBe('::');
    expect(normalizeAddress('[::]')).toBe('::');
    expect(normalizeAddress('0:0:0:0:0:0:0:0')).toBe('::');
    expect(normalizeAddress('0.0.0.0')).toBe('0.0.0.0');
    expect(normalizeAddress('[::ffff:127.0.0.1]')).toBe('127.0.0.1');
    expect(normalizeAddress('::FFFF:7F00:2')).toBe('127.0.0.2');
    expect(normalizeAddress('0000:0000:0000:0000:0000:0000:0000:0001')).toBe('::1');
    expect(normalizeAddress('::1%lo')).toBe('::1');
    expect(normalizeAddress('127.000.000.001')).toBe('127.0.0.1');
    expect(normalizeAddress('LocalHost')).toBe('localhost');
    expect(socketKey('TCP', { address: '[::ffff:127.0.0.1]', port: 22 }, { address: '*', port: 0 })).toBe('tcp 127.0.0.1:22 [::]:0');
    expect(socketKey('udp', { address: '::1', port: 53 }, { address: '[::]', port: 0 })).toBe(
      socketKey('udp', { address: '0::1', port: 53 }, { address: '*', port: 0 }),
    );
    expect(socketKey('tcp', { address: '0.0.0.0', port: 22 }, { address: '0.0.0.0', port: 0 })).not.toBe(
      socketKey('tcp', { address: '::', port: 22 }, { address: '::', port: 0 }),
    );
  });
});

/*
 * Real ss -tanp: a listener and an accepted connection owned by this test process, the accepted
 * socket also inherited by a child whose name holds spaces, commas, a quote and parentheses.
 */
describe('parseSs on real ss -tanp output', () => {
  let server: net.Server;
  let client: net.Socket;
  let accepted: net.Socket;
  let child: ChildProcess;
  // ss prints the name from /proc/PID/stat up to the first ")" (iproute2 reads it with "%[^)]").
  const TITLE = 'ir t,"q(x)y';

  beforeAll(async () => {
    server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const acceptedP = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    client = net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' });
    await new Promise<void>((resolve, reject) => {
      client.once('connect', resolve);
      client.once('error', reject);
    });
    accepted = await acceptedP;
    child = spawn(
      process.execPath,
      ['-e', `process.title = ${JSON.stringify(TITLE)}; process.stdout.write('ready\\n'); setInterval(() => {}, 1e6);`],
      { stdio: ['ignore', 'pipe', 'inherit', accepted] },
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout!.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`child exited ${code}`)));
    });
  });

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await gone;
    }
    client?.destroy();
    accepted?.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  /** fd → socket inode of one process, from /proc/PID/fd. */
  function socketFds(pid: number): Map<number, number> {
    const out = new Map<number, number>();
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) out.set(Number(m[1]), Number(fd));
      } catch {
        // fd closed meanwhile
      }
    }
    return out;
  }

  it('finds both owners of the shared socket with their pid, fd and name', () => {
    const port = (server.address() as net.AddressInfo).port;
    const records = parseProcNet(readFileSync('/proc/net/tcp', 'utf8'), 'tcp', 4);
    const out = execFileSync('ss', ['-tanp'], { encoding: 'utf8' });
    const { rows, badLines } = parseSsDetailed(out);
    expect(badLines).toEqual([]);
    expect(out.split('\n')[0]).toMatch(/^State\s+Recv-Q/);

    const listenRec = records.find((r) => r.localPort === port && r.state === 'LISTEN');
    const acceptedRec = records.find((r) => r.localPort === port && r.remotePort === client.localPort);
    expect(listenRec).toBeDefined();
    expect(acceptedRec).toMatchObject({ localAddress: '127.0.0.1', remoteAddress: '127.0.0.2', state: 'ESTABLISHED' });

    const byKey = new Map(rows.map((r) => [ssRowKey(r, 'tcp'), r]));
    const listenRow = byKey.get(recordKey(listenRec!))!;
    const acceptedRow = byKey.get(recordKey(acceptedRec!))!;
    expect(listenRow.state).toBe('LISTEN');
    expect(acceptedRow.state).toBe('ESTAB');

    const myFds = socketFds(process.pid);
    const childFds = socketFds(child.pid!);
    const myComm = readFileSync('/proc/self/comm', 'utf8').replace(/\n$/, '');
    const ssName = (comm: string): string => comm.split(')')[0];

    expect(listenRow.processes).toEqual([{ comm: ssName(myComm), pid: process.pid, fd: myFds.get(listenRec!.inode) }]);
    expect(childFds.get(acceptedRec!.inode)).toBe(3);
    const owners = [...acceptedRow.processes].sort((a, b) => a.pid - b.pid);
    const expected = [
      { comm: ssName(myComm), pid: process.pid, fd: myFds.get(acceptedRec!.inode)! },
      { comm: 'ir t,"q(x', pid: child.pid!, fd: 3 },
    ].sort((a, b) => a.pid - b.pid);
    expect(owners).toEqual(expected);
    expect(readFileSync(`/proc/${child.pid}/comm`, 'utf8')).toBe(`${TITLE}\n`);
  });
});
