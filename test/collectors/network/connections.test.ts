import { missingNeeds, runRule } from '../../../src/rules/types.js';
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { connectionsCollector } from '../../../src/collectors/network/connections.js';
import type { CollectContext } from '../../../src/collectors/types.js';
import { CaseStore } from '../../../src/evidence/store.js';
import type { Exec } from '../../../src/host/context.js';
import { createHostContext } from '../../../src/host/context.js';
import type { CommandResult } from '../../../src/host/exec.js';
import type { ProcessRecord } from '../../../src/model/processes.js';
import { RULES } from '../../../src/rules/index.js';
import { tmpDir } from '../../helpers/bundle.js';
import { replayExec, writeFakeProc } from '../../helpers/fake-proc.js';
import { cleanBaseline, proc } from '../../helpers/records.js';

/*
 * The connections collector on a fake /proc: the socket tables in the kernel's format
 * (fixtures/fake-proc/net/*, a container's under 4000/net/*), the box's `ss -tanp` as box-network
 * left it, and a replay exec that answers only the re-check `ss -tan` and fails on anything else.
 *
 * What the tables hold: sshd on 22 (v4 and v6, also held by PID 1), a fake sshd from /dev/shm on
 * 2222, alice's session, 11 connections from 198.51.100.50, a scanner (pid 4242) with 12
 * connections to 22, an ssh client (pid 4500) the processes collector did not see, and three
 * sockets ss-tanp does not show: one hidden (still missing on the re-check), one that ss shows on
 * the re-check, one that changes state in between. A TIME_WAIT socket is never compared.
 */

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/fake-proc');
const HOST_NS = 4026531840;
const CONTAINER_NS = 4026532500;
const LE = os.endianness() === 'LE';

function processes(): ProcessRecord[] {
  const base = cleanBaseline().map((p) => {
    if (p.pid === 1) return { ...p, socketInodes: [1001, 1002] };
    if (p.pid === 500) return { ...p, socketInodes: [1001, 1002] };
    if (p.pid === 600 || p.pid === 601) return { ...p, socketInodes: [1004] };
    if (p.pid === 702) return { ...p, socketInodes: [1005], uid: 33, user: 'www-data' };
    return p;
  });
  return [
    ...base,
    proc({ pid: 620, ppid: 500, comm: 'sshd', argv: ['sshd: [net]'], exe: '/usr/sbin/sshd', socketInodes: Array.from({ length: 11 }, (_, i) => 1100 + i) }),
    proc({ pid: 800, comm: 'sshd', argv: ['sshd: root@notty'], exe: '/dev/shm/.x/sshd', cwd: '/dev/shm/.x', socketInodes: [1003] }),
    proc({ pid: 4242, comm: 'pscan2', argv: ['./pscan2', '22'], exe: '/tmp/.. /pscan2', uid: 33, user: 'www-data', cwd: '/tmp/.. ', socketInodes: [...Array.from({ length: 12 }, (_, i) => 1200 + i), 3000] }),
    // The container: its first pid exits before its tables are read; the next one is used.
    proc({ pid: 3999, comm: 'short', netns: CONTAINER_NS }),
    proc({ pid: 4000, comm: 'containerd-shim', netns: CONTAINER_NS }),
    proc({ pid: 4001, comm: 'sshd', argv: ['sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups'], exe: '/usr/sbin/sshd', netns: CONTAINER_NS, socketInodes: [5001, 5002] }),
  ];
}

function commandResult(name: string, argv: string[], stdout: string): CommandResult {
  return { name, argv, startedAt: new Date(0).toISOString(), durationMs: 1, exitCode: 0, signal: null, timedOut: false, truncated: false, notInstalled: false, error: null, stdout: Buffer.from(stdout), stderr: '' };
}

async function setup(opts: { ssTanp?: boolean; noTcp6?: boolean } = {}) {
  const root = tmpDir('irt-net-root-');
  mkdirSync(path.join(root, 'etc/ssh/sshd_config.d'), { recursive: true });
  writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\nsystemd-resolve:x:102:102::/run/systemd:/usr/sbin/nologin\nalice:x:1000:1000::/home/alice:/bin/bash\n');
  writeFileSync(path.join(root, 'etc/ssh/sshd_config'), 'Include /etc/ssh/sshd_config.d/*.conf\nPort 22\nPort 2222\n');
  writeFileSync(path.join(root, 'etc/ssh/sshd_config.d/50-listen.conf'), 'ListenAddress 0.0.0.0:2200\n');
  const procDir = path.join(root, 'proc');
  // Only pid 4500 (an ssh client started after the processes were read) needs real fd links.
  writeFakeProc(procDir, [{ pid: 4500, comm: 'ssh', argv: ['ssh', 'backup@192.0.2.10'], exe: '/usr/bin/ssh', uid: 1000, cwd: '/home/alice', fds: ['/dev/pts/1', 'socket:[2000]'] }, { pid: 4000, comm: 'containerd-shim' }]);
  cpSync(path.join(FIXTURES, 'net'), path.join(procDir, 'net'), { recursive: true });
  cpSync(path.join(FIXTURES, '4000/net'), path.join(procDir, '4000/net'), { recursive: true });
  if (opts.noTcp6) rmSync(path.join(procDir, 'net/tcp6'));
  mkdirSync(path.join(procDir, 'self/ns'), { recursive: true });
  symlinkSync(`net:[${HOST_NS}]`, path.join(procDir, 'self/ns/net'));

  const unexpected: string[] = [];
  const replay = replayExec({ 'ss -tan': readFileSync(path.join(FIXTURES, 'ss-tan-recheck.txt'), 'utf8') }, unexpected);
  const calls: string[] = [];
  const exec: Exec = async (spec, signal) => {
    calls.push(spec.argv.join(' '));
    // While ss runs again, the connect to 192.0.2.88:443 completes: a state change, not a hidden socket.
    const tcp = path.join(procDir, 'net/tcp');
    const text = readFileSync(tcp, 'utf8');
    writeFileSync(tcp, text.replace(/(0100000A:A028 580200C0:01BB) 02/, '$1 01'));
    return replay(spec, signal);
  };
  const host = createHostContext({ root, mode: 'live', procDir, isRoot: true, exec, boxPs: async () => [] });
  const store = await CaseStore.create(tmpDir('irt-net-out-'), 'T');
  const ctx: CollectContext = {
    host,
    sink: store,
    facts: {
      processes: processes(),
      selfPids: [],
      boxNetworkTools: opts.ssTanp === false ? {} : { 'ss-tanp': commandResult('ss-tanp', ['ss', '-tanp'], readFileSync(path.join(FIXTURES, 'ss-tanp.txt'), 'utf8')) },
    },
    options: { sshPorts: [8022], maxFileBytes: 1 << 20, maxCommandBytes: 1 << 20, commandTimeoutMs: 1000, toolLists: { names: [], hashes: [] } },
  };
  return { ctx, store, unexpected, calls };
}

const artifact = (store: CaseStore, rel: string) => readFileSync(path.join(store.dir, rel), 'utf8');

describe.runIf(LE)('connections collector on a fake /proc', () => {
  it('reads every socket of every namespace and ties it to its processes', async () => {
    const { ctx, store, unexpected } = await setup();
    const result = await connectionsCollector.collect(ctx);
    const records = result.facts!.connections!;
    expect(records).toHaveLength(31 + 2 + 1 + 2);
    const byInode = new Map(records.map((r) => [r.inode, r]));
    expect(byInode.get(1001)).toMatchObject({ localAddress: '0.0.0.0', localPort: 22, state: 'LISTEN', pids: [1, 500], netns: HOST_NS });
    expect(byInode.get(1002)).toMatchObject({ family: 6, localAddress: '::', pids: [1, 500] });
    expect(byInode.get(1005)).toMatchObject({ family: 6, localAddress: '10.0.0.1', remoteAddress: '192.0.2.4', pids: [702], uid: 33 });
    expect(byInode.get(4000)).toMatchObject({ protocol: 'udp', localAddress: '127.0.0.53', localPort: 53, pids: [], uid: 102 });
    // The container's tables, read through /proc/4000/net (pid 3999 had exited).
    expect(byInode.get(5002)).toMatchObject({ localAddress: '172.17.0.2', remoteAddress: '172.17.0.1', pids: [4001], netns: CONTAINER_NS });
    // Found on the second look through /proc/PID/fd.
    expect(byInode.get(2000)!.pids).toEqual([4500]);
    expect(records.filter((r) => r.state === 'TIME_WAIT').map((r) => r.pids)).toEqual([[]]);

    expect(result.facts!.sshPorts).toEqual([22, 2200, 2222, 8022]);
    const jsonl = artifact(store, 'artifacts/connections.jsonl').trim().split('\n').map((l) => JSON.parse(l));
    expect(jsonl).toEqual(records);
    expect(JSON.parse(artifact(store, 'artifacts/sshd-config-ports.json'))).toMatchObject({ ports: [22, 2200, 2222], files: ['/etc/ssh/sshd_config', '/etc/ssh/sshd_config.d/50-listen.conf'] });
    const main = result.sources.find((s) => s.id === 'connections')!;
    expect(main).toMatchObject({ status: 'ok', detail: '36 sockets (35 TCP, 1 UDP) in 2 network namespace(s); 3 without a visible owner (1 found on a second look); ssh ports 22, 2200, 2222, 8022' });
    expect(result.sources.filter((s) => s.status !== 'ok')).toEqual([]);
    expect(unexpected).toEqual([]);
  });

  it('builds the port-22 view', async () => {
    const { ctx, store } = await setup();
    const view = (await connectionsCollector.collect(ctx)).facts!.sshView!;
    expect(view.inbound.map((g) => [g.remoteAddress, g.connections, g.sshdPids, g.users])).toEqual([
      ['198.51.100.50', 11, [620], []],
      ['172.17.0.1', 1, [4001], []],
      ['192.0.2.77', 1, [], []],
      ['203.0.113.9', 1, [600, 601], ['alice']],
    ]);
    expect(view.inbound[3].timeWait).toBe(1);
    expect(view.outbound.map((g) => [g.owner?.pid, g.owner?.comm, g.user, g.hosts.length, g.synSent])).toEqual([
      [4242, 'pscan2', 'www-data', 13, 7],
      [4500, 'ssh', 'alice', 1, 0],
    ]);
    expect(view.outbound[1].owner).toMatchObject({ exe: '/usr/bin/ssh', title: 'ssh', cwd: '/home/alice', uid: 1000 });
    expect(view.listeners.map((l) => [l.localAddress, l.localPort, l.owners.map((o) => o.pid), l.netns])).toEqual([
      ['0.0.0.0', 22, [1, 500], HOST_NS],
      ['0.0.0.0', 22, [4001], CONTAINER_NS],
      ['::', 22, [1, 500], HOST_NS],
      ['0.0.0.0', 2222, [800], HOST_NS],
    ]);
    expect(JSON.parse(artifact(store, 'artifacts/ssh-view.json'))).toEqual(view);
  });

  it("reports a socket hidden from the box's ss only when it is still hidden on the re-check", async () => {
    const { ctx, store, unexpected, calls } = await setup();
    const result = await connectionsCollector.collect(ctx);
    expect(calls).toEqual(['ss -tan']);
    expect(unexpected).toEqual([]);
    expect(result.facts!.hiddenSockets!.map((h) => [h.key, h.socket.state, h.owners.map((o) => o.pid)])).toEqual([['tcp 10.0.0.1:40999 198.51.100.99:22', 'SYN_SENT', [4242]]]);
    const view = JSON.parse(artifact(store, 'artifacts/socket-crossview.json'));
    expect(view).toMatchObject({ views: ['ss -tanp (box-network)', 'ss -tan (re-check)'], rechecked: true, onlyInSs: [], procSockets: 32, ssRows: 29 });
    expect(view.transient).toEqual(['tcp 10.0.0.1:22 192.0.2.77:50001', 'tcp 10.0.0.1:41000 192.0.2.88:443']);
    expect(store.has('commands/ss-tan-recheck.txt')).toBe(true);
    expect(result.sources.find((s) => s.id === 'connections.crossview')).toMatchObject({ status: 'ok', detail: '32 TCP sockets against 29 ss rows: 1 hidden from ss, 0 only in ss, 2 transient' });
  });

  it('feeds the network rules: each planted behaviour is flagged once', async () => {
    const { ctx } = await setup();
    Object.assign(ctx.facts, (await connectionsCollector.collect(ctx)).facts);
    const found = RULES.filter((r) => r.id.startsWith('network.') && missingNeeds(r, ctx.facts).length === 0).flatMap((r) => runRule(r, ctx.facts, r.thresholds));
    expect(found.map((f) => [f.rule, f.severity, f.subject.pid ?? f.subject.ip])).toEqual([
      ['network.hidden-socket', 'high', 4242],
      ['network.rogue-ssh-listener', 'critical', 800],
      ['network.ssh-inbound-flood', 'medium', '198.51.100.50'],
      ['network.ssh-outbound-fanout', 'high', 4242],
    ]);
  });

  it('skips the cross-view, and runs no command, without the box ss output', async () => {
    const { ctx, calls } = await setup({ ssTanp: false });
    const result = await connectionsCollector.collect(ctx);
    expect(calls).toEqual([]);
    expect(result.facts!.hiddenSockets).toEqual([]);
    expect(result.sources.find((s) => s.id === 'connections.crossview')).toMatchObject({ status: 'skipped' });
  });

  it('says a kernel without IPv6 has no tcp6 table, without failing the run', async () => {
    const { ctx } = await setup({ noTcp6: true });
    const result = await connectionsCollector.collect(ctx);
    expect(result.sources.find((s) => s.id === 'connections.net.tcp6')).toMatchObject({ status: 'skipped', reason: 'no IPv6 in this kernel' });
    expect(result.facts!.connections!.some((r) => r.family === 6 && r.netns === HOST_NS)).toBe(false);
  });

  it('is skipped without /proc', async () => {
    const { ctx } = await setup();
    const result = await connectionsCollector.collect({ ...ctx, host: { ...ctx.host, proc: null } });
    expect(result.sources).toEqual([{ id: 'connections', status: 'skipped', reason: 'no /proc to read' }]);
  });
});
