import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inodeMapFromFdLinks, joinOwners } from '../../../src/collectors/network/owners.js';
import { parseProcNetDetailed } from '../../../src/collectors/network/parse-proc-net.js';
import {
  parseSsDetailed,
  recordKey,
  socketKey,
  ssRowKey,
  ssStateToProc,
  type SsRow,
} from '../../../src/collectors/network/parse-ss.js';
import type { ConnectionRecord, TcpState } from '../../../src/model/network.js';

/*
 * Real sockets on loopback, read back from /proc/net/{tcp,tcp6,udp,udp6} with our parser and from
 * the real `ss` at the same moment: every socket the test opened must appear in both, with the
 * same addresses, ports and state. Only 127.0.0.0/8 and ::1 are used in this network namespace;
 * the `::` wildcard listener and the dropped packets live in a private namespace that holds only
 * its own loopback device (root only).
 */

type Proto = 'tcp' | 'udp';

interface Expected {
  label: string;
  proto: Proto;
  family: 4 | 6;
  state: TcpState;
  local: [string, number];
  remote: [string, number];
  /** Addresses as ss prints them (brackets removed), when they differ from ours. */
  ssLocal?: string;
  ssPeer?: string;
  /** TIME_WAIT and request sockets have no inode. */
  noInode?: boolean;
}

interface Snapshot {
  records: ConnectionRecord[];
  badLines: number;
  /** ss outputs: name → rows. */
  ss: Record<string, { proto: Proto; rows: SsRow[]; badLines: number; header: string }>;
}

/** Reads the four tables of a namespace (through `procDir`/net) and then runs ss there. */
function snapshot(procDir: string, ssPrefix: string[], netns: number): Snapshot {
  const records: ConnectionRecord[] = [];
  let badLines = 0;
  for (const [file, proto, family] of [
    ['tcp', 'tcp', 4],
    ['tcp6', 'tcp', 6],
    ['udp', 'udp', 4],
    ['udp6', 'udp', 6],
  ] as const) {
    const r = parseProcNetDetailed(readFileSync(`${procDir}/net/${file}`, 'utf8'), proto, family, { netns });
    records.push(...r.records);
    badLines += r.badLines.length;
  }
  const ss: Snapshot['ss'] = {};
  for (const [name, proto, args] of [
    ['ss -tan', 'tcp', ['-tan']],
    ['ss -tan -H', 'tcp', ['-tan', '-H']],
    ['ss -uan', 'udp', ['-uan']],
  ] as const) {
    const argv = [...ssPrefix, 'ss', ...args];
    const out = execFileSync(argv[0], argv.slice(1), { encoding: 'utf8' });
    const parsed = parseSsDetailed(out);
    ss[name] = { proto, rows: parsed.rows, badLines: parsed.badLines.length, header: out.split('\n')[0] };
  }
  return { records, badLines, ss };
}

function assertSeen(snap: Snapshot, expected: Expected[]): void {
  expect(snap.badLines).toBe(0);
  expect(snap.ss['ss -tan'].header).toMatch(/^State\s+Recv-Q\s+Send-Q\s+Local Address:Port/);
  expect(snap.ss['ss -tan -H'].header).not.toMatch(/^State/);
  for (const s of Object.values(snap.ss)) expect(s.badLines).toBe(0);
  for (const e of expected) {
    const key = socketKey(e.proto, { address: e.local[0], port: e.local[1] }, { address: e.remote[0], port: e.remote[1] });
    const inProc = snap.records.filter((r) => r.protocol === e.proto && recordKey(r) === key);
    expect(inProc, `${e.label}: /proc rows for ${key}`).toHaveLength(1);
    const r = inProc[0];
    expect(
      [r.family, r.localAddress, r.localPort, r.remoteAddress, r.remotePort, r.state],
      `${e.label}: /proc`,
    ).toEqual([e.family, e.local[0], e.local[1], e.remote[0], e.remote[1], e.state]);
    expect(r.inode === 0, `${e.label}: inode ${r.inode}`).toBe(e.noInode === true);
    expect(r.uid).toBe(process.getuid!());
    for (const [name, s] of Object.entries(snap.ss)) {
      if (s.proto !== e.proto) continue;
      const rows = s.rows.filter((row) => ssRowKey(row, s.proto) === key);
      expect(rows, `${e.label}: ${name} rows for ${key}`).toHaveLength(1);
      const row = rows[0];
      expect(
        [ssStateToProc(row.state), row.local.address, row.local.port, row.peer.address, row.peer.port],
        `${e.label}: ${name}`,
      ).toEqual([e.state, e.ssLocal ?? e.local[0], e.local[1], e.ssPeer ?? e.remote[0], e.remote[1]]);
    }
  }
}

/** Polls until `ok` holds (the kernel moves states asynchronously); the caller asserts afterwards. */
async function settle(ok: () => boolean, attempts = 250): Promise<void> {
  for (let i = 0; i < attempts && !ok(); i++) await new Promise((r) => setTimeout(r, 20));
}

function statesPresent(procDir: string, expected: Expected[]): boolean {
  const snap = [
    ...parseProcNetDetailed(readFileSync(`${procDir}/net/tcp`, 'utf8'), 'tcp', 4).records,
    ...parseProcNetDetailed(readFileSync(`${procDir}/net/tcp6`, 'utf8'), 'tcp', 6).records,
  ];
  return expected
    .filter((e) => e.proto === 'tcp')
    .every((e) => snap.some((r) => r.localPort === e.local[1] && r.remotePort === e.remote[1] && r.state === e.state));
}

function listen(opts: net.ListenOptions, serverOpts: net.ServerOpts = {}): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer(serverOpts);
    s.once('error', reject);
    s.listen(opts, () => resolve(s));
  });
}

const portOf = (s: net.Server): number => (s.address() as net.AddressInfo).port;

interface Pair {
  client: net.Socket;
  server: net.Socket;
}

function connectPair(server: net.Server, opts: net.NetConnectOpts): Promise<Pair> {
  return new Promise((resolve, reject) => {
    let client: net.Socket | undefined;
    let accepted: net.Socket | undefined;
    const done = (): void => {
      if (client && accepted) resolve({ client, server: accepted });
    };
    server.once('connection', (s) => {
      accepted = s;
      done();
    });
    const c = net.connect(opts, () => {
      client = c;
      done();
    });
    c.once('error', reject);
  });
}

describe('live loopback sockets: /proc/net parser against ss', () => {
  const servers: net.Server[] = [];
  const sockets: net.Socket[] = [];
  const udps: dgram.Socket[] = [];
  const expected: Expected[] = [];
  let refusedPort = 0;
  let refusedCode = '';

  beforeAll(async () => {
    const track = (p: Pair): Pair => {
      sockets.push(p.client, p.server);
      p.client.on('error', () => {});
      p.server.on('error', () => {});
      return p;
    };
    const l4 = await listen({ host: '127.0.0.1', port: 0 });
    const l6 = await listen({ host: '::1', port: 0 });
    // An IPv6 socket bound to the v4-mapped loopback address: accepts IPv4 peers, listed in tcp6.
    const lm = await listen({ host: '::ffff:127.0.0.1', port: 0 });
    const lh = await listen({ host: '127.0.0.1', port: 0 }, { allowHalfOpen: true });
    servers.push(l4, l6, lm, lh);
    expect(lm.address()).toMatchObject({ address: '::ffff:127.0.0.1', family: 'IPv6' });

    const e4 = track(await connectPair(l4, { host: '127.0.0.1', port: portOf(l4) }));
    const e6 = track(await connectPair(l6, { host: '::1', port: portOf(l6) }));
    const em = track(await connectPair(lm, { host: '127.0.0.1', port: portOf(lm), localAddress: '127.0.0.2' }));

    // TIME_WAIT: the client closes first (active close), the server follows.
    const tw = track(await connectPair(l4, { host: '127.0.0.1', port: portOf(l4) }));
    const tw6 = track(await connectPair(l6, { host: '::1', port: portOf(l6) }));
    const twPort = tw.client.localPort!;
    const tw6Port = tw6.client.localPort!;
    for (const p of [tw, tw6]) {
      p.server.resume();
      p.client.resume();
      const closed = new Promise((r) => p.client.once('close', r));
      p.client.end();
      await closed;
    }

    // Half close: the client sends FIN, the server (allowHalfOpen) keeps its side open.
    const h = track(await connectPair(lh, { host: '127.0.0.1', port: portOf(lh) }));
    h.server.resume();
    const ended = new Promise((r) => h.server.once('end', r));
    h.client.end();
    await ended;

    // Refused: a port on 127.0.0.3 that was just freed.
    const probe = await listen({ host: '127.0.0.3', port: 0 });
    refusedPort = portOf(probe);
    await new Promise((r) => probe.close(r));
    refusedCode = await new Promise<string>((resolve) => {
      const c = net.connect({ host: '127.0.0.3', port: refusedPort });
      c.once('connect', () => {
        c.destroy();
        resolve('connected');
      });
      c.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    });

    // UDP: unconnected on both families, and one connected socket.
    const bind = (type: 'udp4' | 'udp6', addr: string): Promise<dgram.Socket> =>
      new Promise((resolve) => {
        const s = dgram.createSocket(type);
        udps.push(s);
        s.bind(0, addr, () => resolve(s));
      });
    const u4 = await bind('udp4', '127.0.0.1');
    const u6 = await bind('udp6', '::1');
    const uc = await bind('udp4', '127.0.0.1');
    await new Promise<void>((resolve) => uc.connect(u4.address().port, '127.0.0.1', () => resolve()));

    const p = (s: net.Socket): number => s.localPort!;
    expected.push(
      { label: 'listen 127.0.0.1', proto: 'tcp', family: 4, state: 'LISTEN', local: ['127.0.0.1', portOf(l4)], remote: ['0.0.0.0', 0] },
      { label: 'listen ::1', proto: 'tcp', family: 6, state: 'LISTEN', local: ['::1', portOf(l6)], remote: ['::', 0] },
      {
        label: 'listen ::ffff:127.0.0.1',
        proto: 'tcp',
        family: 6,
        state: 'LISTEN',
        local: ['127.0.0.1', portOf(lm)],
        remote: ['::', 0],
        ssLocal: '::ffff:127.0.0.1',
        ssPeer: '*', // an all-zero IPv6 address on a socket that is not v6only
      },
      { label: 'listen half-open', proto: 'tcp', family: 4, state: 'LISTEN', local: ['127.0.0.1', portOf(lh)], remote: ['0.0.0.0', 0] },
      { label: 'v4 client', proto: 'tcp', family: 4, state: 'ESTABLISHED', local: ['127.0.0.1', p(e4.client)], remote: ['127.0.0.1', portOf(l4)] },
      { label: 'v4 accepted', proto: 'tcp', family: 4, state: 'ESTABLISHED', local: ['127.0.0.1', portOf(l4)], remote: ['127.0.0.1', p(e4.client)] },
      { label: 'v6 client', proto: 'tcp', family: 6, state: 'ESTABLISHED', local: ['::1', p(e6.client)], remote: ['::1', portOf(l6)] },
      { label: 'v6 accepted', proto: 'tcp', family: 6, state: 'ESTABLISHED', local: ['::1', portOf(l6)], remote: ['::1', p(e6.client)] },
      { label: 'client from 127.0.0.2', proto: 'tcp', family: 4, state: 'ESTABLISHED', local: ['127.0.0.2', p(em.client)], remote: ['127.0.0.1', portOf(lm)] },
      {
        label: 'v4-mapped accepted',
        proto: 'tcp',
        family: 6,
        state: 'ESTABLISHED',
        local: ['127.0.0.1', portOf(lm)],
        remote: ['127.0.0.2', p(em.client)],
        ssLocal: '::ffff:127.0.0.1',
        ssPeer: '::ffff:127.0.0.2',
      },
      { label: 'TIME_WAIT v4', proto: 'tcp', family: 4, state: 'TIME_WAIT', local: ['127.0.0.1', twPort], remote: ['127.0.0.1', portOf(l4)], noInode: true },
      { label: 'TIME_WAIT v6', proto: 'tcp', family: 6, state: 'TIME_WAIT', local: ['::1', tw6Port], remote: ['::1', portOf(l6)], noInode: true },
      { label: 'half-closed client', proto: 'tcp', family: 4, state: 'FIN_WAIT2', local: ['127.0.0.1', p(h.client)], remote: ['127.0.0.1', portOf(lh)] },
      { label: 'half-closed server', proto: 'tcp', family: 4, state: 'CLOSE_WAIT', local: ['127.0.0.1', portOf(lh)], remote: ['127.0.0.1', p(h.client)] },
      { label: 'udp4', proto: 'udp', family: 4, state: 'CLOSE', local: ['127.0.0.1', u4.address().port], remote: ['0.0.0.0', 0] },
      { label: 'udp6', proto: 'udp', family: 6, state: 'CLOSE', local: ['::1', u6.address().port], remote: ['::', 0] },
      { label: 'udp4 connected', proto: 'udp', family: 4, state: 'ESTABLISHED', local: ['127.0.0.1', uc.address().port], remote: ['127.0.0.1', u4.address().port] },
    );
    await settle(() => statesPresent('/proc/self', expected));
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    for (const u of udps) u.close();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  it('sees every socket the test opened in /proc and in ss -tan, ss -tan -H, ss -uan alike', () => {
    const netns = statSync('/proc/self/ns/net').ino;
    const snap = snapshot('/proc/self', [], netns);
    assertSeen(snap, expected);
    expect(snap.records.every((r) => r.netns === netns)).toBe(true);
  });

  it('leaves no socket behind for a refused connect, in either view', () => {
    expect(refusedCode).toBe('ECONNREFUSED');
    const snap = snapshot('/proc/self', [], 0);
    const hit = (addr: string, port: number): boolean => addr === '127.0.0.3' && port === refusedPort;
    expect(snap.records.filter((r) => hit(r.remoteAddress, r.remotePort) || hit(r.localAddress, r.localPort))).toEqual([]);
    for (const s of Object.values(snap.ss)) {
      expect(s.rows.filter((r) => hit(r.peer.address, r.peer.port) || hit(r.local.address, r.local.port))).toEqual([]);
    }
  });

  it('joins this process as owner of every socket it holds, and none to TIME_WAIT', () => {
    const links = readdirSync('/proc/self/fd').flatMap((fd) => {
      try {
        return [{ pid: process.pid, target: readlinkSync(`/proc/self/fd/${fd}`) }];
      } catch {
        return [];
      }
    });
    const joined = joinOwners(snapshot('/proc/self', [], 0).records, inodeMapFromFdLinks(links));
    for (const e of expected) {
      const key = socketKey(e.proto, { address: e.local[0], port: e.local[1] }, { address: e.remote[0], port: e.remote[1] });
      const r = joined.find((x) => x.protocol === e.proto && recordKey(x) === key);
      expect(r?.pids, e.label).toEqual(e.noInode ? [] : [process.pid]);
    }
  });
});

/*
 * A private network namespace (only `lo`, nothing else reachable) for what the shared one must
 * not or cannot show: a dual-stack `::` listener accepting from 127.0.0.2, and, with every packet
 * on lo dropped by a tbf qdisc whose burst is 1 byte, SYN_SENT, FIN_WAIT1 and LAST_ACK.
 * Node cannot enter a namespace, so a child node runs there under `ip netns exec`.
 */
const CHILD = String.raw`
const net = require('net');
const send = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const listen = (opts, sopts) => new Promise((res, rej) => { const s = net.createServer(sopts || {}); s.once('error', rej); s.listen(opts, () => res(s)); });
const pair = (server, opts) => new Promise((res, rej) => {
  let a, c; const done = () => { if (a && c) res({ a, c }); };
  server.once('connection', (s) => { a = s; s.on('error', () => {}); done(); });
  const cl = net.connect(opts, () => { c = cl; done(); }); cl.on('error', () => {}); cl.once('error', rej);
});
(async () => {
  const dual = await listen({ host: '::', port: 0, ipv6Only: false });
  const dualPort = dual.address().port;
  const m = await pair(dual, { host: '127.0.0.1', port: dualPort, localAddress: '127.0.0.2' });
  const l4 = await listen({ host: '127.0.0.1', port: 0 });
  const l4Port = l4.address().port;
  const A = await pair(l4, { host: '127.0.0.1', port: l4Port });
  const l6 = await listen({ host: '::1', port: 0 }, { allowHalfOpen: true });
  const l6Port = l6.address().port;
  const B = await pair(l6, { host: '::1', port: l6Port, allowHalfOpen: true });
  B.a.resume();
  const ended = new Promise((r) => B.a.once('end', r));
  B.c.end();
  await ended;
  send({ phase: 1, pid: process.pid, dualPort, mPort: m.c.localPort, l4Port, aPort: A.c.localPort, l6Port, bPort: B.c.localPort });
  process.stdin.once('data', async () => {
    A.c.end();
    // B's server side has seen the client's FIN; ending it closes the fd: an orphan in LAST_ACK.
    const bClosed = new Promise((r) => B.a.once('close', r));
    B.a.end();
    await bClosed;
    // A connecting socket has no localPort in node yet: pick free ports first (nothing else runs here).
    const free = async (host) => { const s = await listen({ host, port: 0 }); const p = s.address().port; await new Promise((r) => s.close(r)); return p; };
    const cPort = await free('127.0.0.1');
    const c6Port = await free('::1');
    const C = net.connect({ host: '127.0.0.1', port: l4Port, localAddress: '127.0.0.1', localPort: cPort }); C.on('error', () => {});
    const C6 = net.connect({ host: '::1', port: l6Port, localAddress: '::1', localPort: c6Port }); C6.on('error', () => {});
    send({ phase: 2, cPort, c6Port });
  });
})().catch((e) => { send({ error: String((e && e.stack) || e) }); process.exit(1); });
`;

// Two phases of one process told in order (the states, then the same sockets with lo dropping
// every packet): its tests keep their order even when the suite is shuffled.
describe('live sockets in a private network namespace (root)', { shuffle: false }, () => {
  const ns = `irt-test-${process.pid}`;
  let ready = false;
  let skipReason = '';
  let child: ChildProcess | undefined;
  let messages: AsyncIterator<string> | undefined;
  let nsCreated = false;
  let phase1: { pid: number; dualPort: number; mPort: number; l4Port: number; aPort: number; l6Port: number; bPort: number };

  const next = async (): Promise<Record<string, unknown>> => {
    const r = await messages!.next();
    if (r.done) throw new Error('namespace child ended early');
    const msg = JSON.parse(r.value) as Record<string, unknown>;
    if (msg.error) throw new Error(`namespace child: ${String(msg.error)}`);
    return msg;
  };

  beforeAll(async () => {
    if (process.getuid?.() !== 0) {
      skipReason = 'needs root for ip netns';
      return;
    }
    try {
      execFileSync('ip', ['netns', 'add', ns], { stdio: 'pipe' });
      nsCreated = true;
      execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up'], { stdio: 'pipe' });
    } catch (err) {
      skipReason = `ip netns unavailable: ${(err as Error).message}`;
      return;
    }
    child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', CHILD], { stdio: ['pipe', 'pipe', 'inherit'] });
    messages = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    phase1 = (await next()) as unknown as typeof phase1;
    ready = true;
  });

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child!.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    }
    if (nsCreated) execFileSync('ip', ['netns', 'del', ns], { stdio: 'pipe' });
  });

  const nsInode = (): number => statSync(`/proc/${phase1.pid}/ns/net`).ino;
  const ssPrefix = (): string[] => ['ip', 'netns', 'exec', ns];

  it('holds only a loopback device, so the :: listener is reachable from nowhere else', (ctx) => {
    if (!ready) ctx.skip(skipReason);
    const links = execFileSync('ip', ['-n', ns, '-o', 'link', 'show'], { encoding: 'utf8' }).trim().split('\n');
    expect(links).toHaveLength(1);
    expect(links[0]).toMatch(/^1: lo: /);
    expect(nsInode()).not.toBe(statSync('/proc/self/ns/net').ino);
  });

  it('sees a dual-stack :: listener, its v4-mapped peer from 127.0.0.2, FIN_WAIT2 and CLOSE_WAIT', async (ctx) => {
    if (!ready) ctx.skip(skipReason);
    const { dualPort, mPort, l4Port, aPort, l6Port, bPort } = phase1;
    const expected: Expected[] = [
      { label: 'listen ::', proto: 'tcp', family: 6, state: 'LISTEN', local: ['::', dualPort], remote: ['::', 0], ssLocal: '*', ssPeer: '*' },
      { label: 'client from 127.0.0.2', proto: 'tcp', family: 4, state: 'ESTABLISHED', local: ['127.0.0.2', mPort], remote: ['127.0.0.1', dualPort] },
      {
        label: 'accepted on ::',
        proto: 'tcp',
        family: 6,
        state: 'ESTABLISHED',
        local: ['127.0.0.1', dualPort],
        remote: ['127.0.0.2', mPort],
        ssLocal: '::ffff:127.0.0.1',
        ssPeer: '::ffff:127.0.0.2',
      },
      { label: 'A client', proto: 'tcp', family: 4, state: 'ESTABLISHED', local: ['127.0.0.1', aPort], remote: ['127.0.0.1', l4Port] },
      { label: 'B client', proto: 'tcp', family: 6, state: 'FIN_WAIT2', local: ['::1', bPort], remote: ['::1', l6Port] },
      { label: 'B server', proto: 'tcp', family: 6, state: 'CLOSE_WAIT', local: ['::1', l6Port], remote: ['::1', bPort] },
    ];
    const procDir = `/proc/${phase1.pid}`;
    await settle(() => statesPresent(procDir, expected));
    const snap = snapshot(procDir, ssPrefix(), nsInode());
    assertSeen(snap, expected);
    expect(snap.records.every((r) => r.netns === nsInode())).toBe(true);
  });

  it('sees SYN_SENT, FIN_WAIT1 and LAST_ACK while lo drops every packet', async (ctx) => {
    if (!ready) ctx.skip(skipReason);
    try {
      execFileSync('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'tbf', 'rate', '1kbit', 'burst', '1', 'latency', '1ms'], {
        stdio: 'pipe',
      });
    } catch (err) {
      ctx.skip(`tc tbf unavailable: ${(err as Error).message}`);
    }
    child!.stdin!.write('go\n');
    const { cPort, c6Port } = (await next()) as { cPort: number; c6Port: number };
    const { l4Port, aPort, l6Port, bPort } = phase1;
    const expected: Expected[] = [
      { label: 'SYN_SENT v4', proto: 'tcp', family: 4, state: 'SYN_SENT', local: ['127.0.0.1', cPort], remote: ['127.0.0.1', l4Port] },
      { label: 'SYN_SENT v6', proto: 'tcp', family: 6, state: 'SYN_SENT', local: ['::1', c6Port], remote: ['::1', l6Port] },
      { label: 'A client FIN unanswered', proto: 'tcp', family: 4, state: 'FIN_WAIT1', local: ['127.0.0.1', aPort], remote: ['127.0.0.1', l4Port] },
      { label: 'A server never got the FIN', proto: 'tcp', family: 4, state: 'ESTABLISHED', local: ['127.0.0.1', l4Port], remote: ['127.0.0.1', aPort] },
      // node closed the fd after both sides ended: the kernel keeps an orphan, inode 0.
      { label: 'B server FIN unanswered', proto: 'tcp', family: 6, state: 'LAST_ACK', local: ['::1', l6Port], remote: ['::1', bPort], noInode: true },
      { label: 'B client never got the FIN', proto: 'tcp', family: 6, state: 'FIN_WAIT2', local: ['::1', bPort], remote: ['::1', l6Port] },
    ];
    const procDir = `/proc/${phase1.pid}`;
    await settle(() => statesPresent(procDir, expected));
    assertSeen(snapshot(procDir, ssPrefix(), nsInode()), expected);
  });
});
