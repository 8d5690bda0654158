import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSs, recordKey, ssRowKey, ssStateToProc } from '../../src/collectors/network/parse-ss.js';
import type { ConnectionRecord, SshView } from '../../src/model/network.js';
import type { Finding } from '../../src/model/finding.js';
import { extract, tmpDir } from '../helpers/bundle.js';
import { runCli } from '../helpers/cli.js';

/*
 * The abuse-desk case on loopback: this worker listens on one port of 12 loopback addresses
 * (127.0.0.2 … 127.0.0.13, each bound explicitly: nothing listens beyond loopback), a separate
 * node process opens 15 connections to them (12 distinct hosts), 10 of them from 127.0.1.1 and 5
 * from 127.0.1.2, and the port is declared with --ssh-port. The real CLI must see the scanner,
 * the inbound grouping must match the kernel's ss, and connections.jsonl must agree with ss -tanp.
 */

const HOSTS = Array.from({ length: 12 }, (_, i) => `127.0.0.${i + 2}`);
const CONNECTIONS = 15;
const SOURCES = (i: number) => (i < 10 ? '127.0.1.1' : '127.0.1.2');

const servers: net.Server[] = [];
const accepted: net.Socket[] = [];
let port = 0;
/** A port that is not declared an ssh port: its sockets get owners from the processes step alone. */
let plainPort = 0;
let scanner: ChildProcess;
let findings: Finding[];
let caseDir: string;
let records: ConnectionRecord[];
let view: SshView;
let ssTanAfter: string;
let ssTanpBefore: string;
let ssTanpAfter: string;
let ssTaneAfter: string;

const SS_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' };
const ss = (args: string[]) => execFileSync('ss', args, { encoding: 'utf8', env: SS_ENV });

function listenOn(host: string, p: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer((sock) => accepted.push(sock));
    s.once('error', reject);
    s.listen({ host, port: p, exclusive: true }, () => resolve(s));
  });
}

/** The same port on every loopback address; another free port when one of them is taken. */
async function listenEverywhere(): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const first = await listenOn(HOSTS[0], 0);
    servers.push(first);
    port = (first.address() as net.AddressInfo).port;
    try {
      for (const h of HOSTS.slice(1)) servers.push(await listenOn(h, port));
      return;
    } catch {
      for (const s of servers.splice(0)) s.close();
    }
  }
  throw new Error('no port free on all twelve loopback addresses');
}

const SCANNER = `
const net = require('node:net');
const [port, hosts, n, plainPort] = [Number(process.argv[1]), process.argv[2].split(','), Number(process.argv[3]), Number(process.argv[4])];
const socks = [];
let open = 0;
const opened = () => {
  if (++open === n + 1) process.stdout.write('ready\\n');
};
for (let i = 0; i < n; i++) {
  socks.push(net.connect({ host: hosts[i % hosts.length], port, localAddress: i < 10 ? '127.0.1.1' : '127.0.1.2' }, opened));
}
socks.push(net.connect({ host: '127.0.0.1', port: plainPort }, opened));
for (const s of socks) s.on('error', (e) => { process.stderr.write(String(e) + '\\n'); process.exit(1); });
setInterval(() => {}, 1000);
`;

beforeAll(async () => {
  await listenEverywhere();
  const plain = await listenOn('127.0.0.1', 0);
  servers.push(plain);
  plainPort = (plain.address() as net.AddressInfo).port;
  scanner = spawn(process.execPath, ['-e', SCANNER, String(port), HOSTS.join(','), String(CONNECTIONS), String(plainPort)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    scanner.once('exit', (code) => reject(new Error(`the scanner exited with ${code}`)));
    createInterface({ input: scanner.stdout! }).once('line', () => resolve());
  });
  for (let i = 0; i < 250 && accepted.length < CONNECTIONS + 1; i++) await new Promise((r) => setTimeout(r, 20));
  expect(accepted).toHaveLength(CONNECTIONS + 1);

  ssTanpBefore = ss(['-tanp']);
  const out = tmpDir('irt-net-e2e-');
  const r = await runCli(['collect', '--out', out, '--case', 'NET', '--json', '--ssh-port', String(port)]);
  ssTanpAfter = ss(['-tanp']);
  ssTanAfter = ss(['-tan']);
  ssTaneAfter = ss(['-tane']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const summary = JSON.parse(r.stdout);
  findings = summary.findings;
  caseDir = extract(summary.bundle);
  records = readFileSync(path.join(caseDir, 'artifacts/connections.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  view = JSON.parse(readFileSync(path.join(caseDir, 'artifacts/ssh-view.json'), 'utf8'));
}, 120_000);

afterAll(() => {
  scanner?.kill('SIGKILL');
  for (const s of accepted) s.destroy();
  for (const s of servers) s.close();
});

describe('collect against a loopback SSH scanner (--ssh-port)', () => {
  it('reports network.ssh-outbound-fanout for the scanner pid with the distinct-host count', () => {
    const fanout = findings.filter((f) => f.rule === 'network.ssh-outbound-fanout');
    expect(fanout.map((f) => f.subject.pid)).toEqual([scanner.pid]);
    expect(fanout[0]).toMatchObject({ severity: 'high', subject: { pid: scanner.pid, path: process.execPath, hosts: HOSTS.length, synSent: 0 } });
    expect(fanout[0].title).toBe(`Outbound SSH fan-out: node (pid ${scanner.pid}) connects to 12 hosts on port ${port}`);
    expect(fanout[0].detail).toContain(`holds ${CONNECTIONS} connections`);
    const group = view.outbound.find((g) => g.owner?.pid === scanner.pid)!;
    expect(group.hosts).toEqual(HOSTS);
    expect(group).toMatchObject({ connections: CONNECTIONS, established: CONNECTIONS, remotePorts: [port] });
  });

  it('groups inbound connections on the port exactly as ss -tan counts them per remote address', () => {
    const fromView = Object.fromEntries(
      view.inbound
        .map((g) => [g.remoteAddress, g.sessions.filter((s) => s.localPort === port).length] as const)
        .filter(([, n]) => n > 0),
    );
    const fromSs: Record<string, number> = {};
    for (const row of parseSs(ssTanAfter)) {
      const state = ssStateToProc(row.state);
      if (row.local.port !== port || state === 'LISTEN' || state === 'TIME_WAIT') continue;
      fromSs[row.peer.address] = (fromSs[row.peer.address] ?? 0) + 1;
    }
    expect(fromView).toEqual(fromSs);
    expect(fromSs).toEqual({ '127.0.1.1': 10, '127.0.1.2': 5 });
    const flood = findings.filter((f) => f.rule === 'network.ssh-inbound-flood');
    expect(flood.map((f) => [f.subject.ip, f.severity, f.subject.connections])).toEqual([['127.0.1.1', 'medium', 10]]);
    const g = view.inbound.find((x) => x.remoteAddress === '127.0.1.1')!;
    expect(g.sshdPids).toEqual([process.pid]);
  });

  it('names this worker as a listener on the declared ssh port that is not sshd', () => {
    const rogue = findings.filter((f) => f.rule === 'network.rogue-ssh-listener' && f.subject.pid === process.pid);
    expect(rogue).toHaveLength(1);
    expect(rogue[0].subject).toMatchObject({ path: process.execPath, ports: [port] });
    expect([...(rogue[0].subject.addresses as string[])].sort()).toEqual(HOSTS.map((h) => `${h}:${port}`).sort());
  });

  it("agrees with the box's ss: nothing hidden, and connections.jsonl holds every lasting socket with the same owners", () => {
    const cross = JSON.parse(readFileSync(path.join(caseDir, 'artifacts/socket-crossview.json'), 'utf8'));
    expect(cross.onlyInProc).toEqual([]);
    expect(findings.filter((f) => f.rule === 'network.hidden-socket')).toEqual([]);

    const ours = Number(/^net:\[(\d+)\]$/.exec(readlinkSync('/proc/self/ns/net'))![1]);
    const proc = new Map<string, number[]>();
    for (const r of records) if (r.protocol === 'tcp' && r.netns === ours && r.state !== 'TIME_WAIT') proc.set(recordKey(r), r.pids);
    const owners = (text: string) => {
      const m = new Map<string, string>();
      for (const row of parseSs(text)) {
        if (ssStateToProc(row.state) === 'TIME_WAIT') continue;
        m.set(ssRowKey(row, 'tcp'), JSON.stringify([...new Set(row.processes.map((p) => p.pid))].sort((a, b) => a - b)));
      }
      return m;
    };
    // Both ends of the connection on the undeclared port, tied to their processes.
    const plain = records.filter((r) => r.state === 'ESTABLISHED' && (r.localPort === plainPort || r.remotePort === plainPort));
    expect(plain.map((r) => [r.localPort === plainPort ? 'server' : 'client', r.pids]).sort()).toEqual([
      ['client', [scanner.pid]],
      ['server', [process.pid]],
    ]);
    const before = owners(ssTanpBefore);
    const after = owners(ssTanpAfter);
    // A socket ss shows before and after the run, held by the same processes, lasted through it.
    const lasting = [...before].filter(([k, pids]) => after.get(k) === pids);
    expect(lasting.length).toBeGreaterThanOrEqual(CONNECTIONS * 2 + HOSTS.length);
    for (const [key, pids] of lasting) {
      expect(proc.has(key), `${key} is in ss before and after the run`).toBe(true);
      expect(JSON.stringify(proc.get(key)), `owners of ${key}`).toBe(pids);
    }
    // Every socket still open after the run is in ss under the same key as in /proc: same inode, same addresses.
    const keyByInode = new Map<number, string>();
    for (const line of ssTaneAfter.split('\n')) {
      const ino = /\bino:(\d+)/.exec(line);
      const [row] = parseSs(line);
      if (ino && row && Number(ino[1]) !== 0) keyByInode.set(Number(ino[1]), ssRowKey(row, 'tcp'));
    }
    let stillOpen = 0;
    for (const r of records) {
      if (r.protocol !== 'tcp' || r.netns !== ours || r.inode === 0 || !keyByInode.has(r.inode)) continue;
      stillOpen++;
      expect(recordKey(r), `inode ${r.inode}`).toBe(keyByInode.get(r.inode));
    }
    expect(stillOpen).toBeGreaterThanOrEqual(CONNECTIONS * 2 + HOSTS.length);
  });
});
