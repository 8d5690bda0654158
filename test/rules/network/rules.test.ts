import { runRule } from '../../../src/rules/types.js';
import { describe, expect, it } from 'vitest';
import type { HiddenSocket } from '../../../src/model/network.js';
import { RULES } from '../../../src/rules/index.js';
import { hiddenSocket } from '../../../src/rules/network/hidden-socket.js';
import { rogueSshListener } from '../../../src/rules/network/rogue-ssh-listener.js';
import { sshInboundFlood } from '../../../src/rules/network/ssh-inbound-flood.js';
import { sshOutboundFanout } from '../../../src/rules/network/ssh-outbound-fanout.js';
import { cleanSockets, conn, fanout, listener, networkFacts } from '../../helpers/connections.js';
import { cleanBaseline, proc } from '../../helpers/records.js';

const networkRules = RULES.filter((r) => r.id.startsWith('network.'));
const scanner = proc({ pid: 4242, comm: 'pscan2', argv: ['./pscan2', '22'], exe: '/tmp/.. /pscan2', uid: 33, user: 'www-data', cwd: '/tmp/.. ' });

describe('network rules on a clean baseline', () => {
  it('are the rules of SPEC.md', () => {
    expect(networkRules.map((r) => r.id)).toEqual(['network.hidden-socket', 'network.raw-packet-socket', 'network.rogue-ssh-listener', 'network.ssh-inbound-flood', 'network.ssh-outbound-fanout']);
  });

  it.each(networkRules.map((r) => [r.id, r]))('%s stays silent', (_id, rule) => {
    expect(runRule(rule, networkFacts(), rule.thresholds)).toEqual([]);
  });

  it('stay silent just below their thresholds', () => {
    const sockets = [
      ...cleanSockets(),
      ...fanout(4242, 9),
      ...Array.from({ length: 9 }, (_, i) => conn({ remoteAddress: '198.51.100.50', remotePort: 30000 + i, inode: 80000 + i, pids: [500] })),
    ];
    const facts = networkFacts({ sockets, processes: [...cleanBaseline(), scanner] });
    expect(runRule(sshOutboundFanout, facts, sshOutboundFanout.thresholds)).toEqual([]);
    expect(runRule(sshInboundFlood, facts, sshInboundFlood.thresholds)).toEqual([]);
  });
});

describe('network.ssh-outbound-fanout', () => {
  it('flags a process connecting to 10 or more hosts on ssh ports, with what to do', () => {
    const facts = networkFacts({ sockets: [...cleanSockets(), ...fanout(4242, 12)], processes: [...cleanBaseline(), scanner] });
    const [f, ...rest] = runRule(sshOutboundFanout, facts, { hosts: 10 });
    expect(rest).toEqual([]);
    expect(f).toMatchObject({
      rule: 'network.ssh-outbound-fanout',
      severity: 'high',
      title: 'Outbound SSH fan-out: pscan2 (pid 4242) connects to 12 hosts on port 22',
      subject: { pid: 4242, path: '/tmp/.. /pscan2', user: 'www-data', ip: null, hosts: 12, synSent: 6 },
    });
    expect(f.detail).toMatch(/12 connections to ssh port 22 on 12 distinct hosts \(6 ESTABLISHED, 6 SYN_SENT\): 198\.51\.100\.1, 198\.51\.100\.2, 198\.51\.100\.3, 198\.51\.100\.4, 198\.51\.100\.5 and 7 more\. The 6 SYN_SENT are connection attempts still unanswered/);
    expect(f.detail).toMatch(/Freeze the process/);
    expect(f.detail).toMatch(/--uid-owner 33 -j REJECT/);
    expect(f.detail).toMatch(/abuse desk/);
    expect(f.mitre).toContain('T1046');
    expect(f.evidence).toContain('artifacts/ssh-view.json');
  });

  it('counts distinct hosts, not connections, and honours the playbook threshold', () => {
    const sameHost = Array.from({ length: 30 }, (_, i) => conn({ localPort: 40000 + i, remoteAddress: '198.51.100.1', remotePort: 22, inode: 60000 + i, pids: [4242] }));
    const facts = networkFacts({ sockets: [...cleanSockets(), ...sameHost, ...fanout(4242, 4, { inode: 65000 })], processes: [...cleanBaseline(), scanner] });
    expect(runRule(sshOutboundFanout, facts, { hosts: 10 })).toEqual([]);
    expect(runRule(sshOutboundFanout, facts, { hosts: 4 }).map((f) => f.subject.hosts)).toEqual([4]);
  });

  it('falls back to the uid when no visible process holds the sockets', () => {
    const facts = networkFacts({ sockets: [...cleanSockets(), ...fanout(4242, 15, { pids: [] })] });
    const [f] = runRule(sshOutboundFanout, facts, { hosts: 10 });
    expect(f.subject).toMatchObject({ pid: null, user: 'www-data', uid: 33, hosts: 15 });
    expect(f.title).toBe('Outbound SSH fan-out: uid 33 (www-data), no visible process connects to 15 hosts on port 22');
  });

  it('never reports ir-triage itself', () => {
    const facts = networkFacts({ sockets: fanout(4242, 12), processes: [scanner], more: { selfPids: [4242] } });
    expect(runRule(sshOutboundFanout, facts, { hosts: 10 })).toEqual([]);
  });
});

describe('network.ssh-inbound-flood', () => {
  const flood = (n: number, pid = 620) =>
    Array.from({ length: n }, (_, i) => conn({ remoteAddress: '198.51.100.50', remotePort: 30000 + i, inode: 80000 + i, pids: [pid], state: i % 3 ? 'ESTABLISHED' : 'SYN_RECV' }));
  const preauth = proc({ pid: 620, ppid: 500, comm: 'sshd', argv: ['sshd: [net]'], exe: '/usr/sbin/sshd' });

  it('is medium at the threshold, with the address as subject', () => {
    const facts = networkFacts({ sockets: [...cleanSockets(), ...flood(10)], processes: [...cleanBaseline(), preauth] });
    const [f, ...rest] = runRule(sshInboundFlood, facts, { connections: 10 });
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ rule: 'network.ssh-inbound-flood', severity: 'medium', title: '10 concurrent ssh connections from 198.51.100.50 to port 22', subject: { ip: '198.51.100.50', pid: null, connections: 10, sshdPids: [620] } });
    expect(f.detail).toMatch(/No session from it is logged in yet/);
    expect(f.detail).toMatch(/auth\.bruteforce/);
  });

  it('is high at five times the threshold, and names the users sessions logged in as', () => {
    const session = proc({ pid: 630, ppid: 500, comm: 'sshd', argv: ['sshd: root@notty'], exe: '/usr/sbin/sshd' });
    const sockets = [...cleanSockets(), ...flood(49), conn({ remoteAddress: '198.51.100.50', remotePort: 39999, inode: 89999, pids: [630] })];
    const [f] = runRule(sshInboundFlood, networkFacts({ sockets, processes: [...cleanBaseline(), preauth, session] }), { connections: 10 });
    expect(f.severity).toBe('high');
    expect(f.subject).toMatchObject({ connections: 50, users: ['root'], user: 'root' });
    expect(f.detail).toMatch(/name 1 user: root/);
  });

  it('does not count TIME_WAIT (closed) connections', () => {
    const closed = Array.from({ length: 20 }, (_, i) => conn({ remoteAddress: '198.51.100.50', remotePort: 30000 + i, inode: 0, state: 'TIME_WAIT' }));
    expect(runRule(sshInboundFlood, networkFacts({ sockets: [...cleanSockets(), ...closed] }), { connections: 10 })).toEqual([]);
  });
});

describe('network.rogue-ssh-listener', () => {
  it('accepts the system sshd and PID 1 (socket activation)', () => {
    const facts = networkFacts({ sockets: [listener(22, { inode: 1, pids: [1] }), listener(22, { family: 6, localAddress: '::', inode: 2, pids: [500] })] });
    expect(runRule(rogueSshListener, facts, {})).toEqual([]);
  });

  it('is critical for a listener owned by a process in a hidden or writable folder', () => {
    const backdoor = proc({ pid: 4300, comm: 'sshd', argv: ['/dev/shm/.x/sshd', '-p', '2222'], exe: '/dev/shm/.x/sshd', cwd: '/dev/shm/.x' });
    const sockets = [...cleanSockets(), listener(2222, { inode: 700, pids: [4300] }), listener(2222, { family: 6, localAddress: '::', inode: 701, pids: [4300] })];
    const found = runRule(rogueSshListener, networkFacts({ sockets, processes: [...cleanBaseline(), backdoor], ports: [22, 2222] }), {});
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      rule: 'network.rogue-ssh-listener',
      severity: 'critical',
      title: 'Not the system sshd listening on ssh port 2222: sshd (pid 4300) runs /dev/shm/.x/sshd',
      subject: { pid: 4300, path: '/dev/shm/.x/sshd', ports: [2222], addresses: ['0.0.0.0:2222', '[::]:2222'] },
    });
    expect(found[0].detail).toMatch(/lies in|runs from \/dev\/shm/);
  });

  it('is high for another program from a system folder, and for a listener nobody visible holds', () => {
    const dropbear = proc({ pid: 4400, comm: 'dropbear', argv: ['/usr/sbin/dropbear'], exe: '/usr/sbin/dropbear' });
    const sockets = [...cleanSockets(), listener(22, { localAddress: '10.0.0.1', inode: 800, pids: [4400] }), listener(22, { localAddress: '10.0.0.2', inode: 801, pids: [], uid: 33 })];
    const found = runRule(rogueSshListener, networkFacts({ sockets, processes: [...cleanBaseline(), dropbear] }), {});
    expect(found.map((f) => [f.severity, f.subject.pid, f.subject.uid])).toEqual([
      ['high', null, 33],
      ['high', 4400, 0],
    ]);
    expect(found[0].title).toBe('Listener on ssh port 22 (10.0.0.2:22) held by no visible process, uid 33 (www-data)');
  });

  it('without root, says only that a non-root listener could not be attributed', () => {
    const sockets = [listener(22, { inode: 900, pids: [], uid: 0 }), listener(22, { localAddress: '10.0.0.3', inode: 901, pids: [], uid: 1000 })];
    const found = runRule(rogueSshListener, networkFacts({ sockets, canSeeOwners: () => false }), {});
    expect(found.map((f) => [f.severity, f.subject.uid])).toEqual([['low', 1000]]);
  });
});

describe('network.hidden-socket', () => {
  it('flags each socket hidden from ss, with its owner', () => {
    const socket = conn({ localPort: 40112, remoteAddress: '198.51.100.7', remotePort: 22, state: 'SYN_SENT', inode: 300, pids: [4242], uid: 33 });
    const hiddenSockets: HiddenSocket[] = [
      {
        key: 'tcp 10.0.0.1:40112 198.51.100.7:22',
        socket,
        owners: [{ pid: 4242, comm: 'pscan2', exe: '/tmp/.. /pscan2', title: './pscan2', uid: 33, user: 'www-data', cwd: '/tmp/.. ' }],
      },
      { key: 'tcp 0.0.0.0:31337 0.0.0.0:0', socket: listener(31337, { inode: 301 }), owners: [] },
    ];
    const found = runRule(hiddenSocket, networkFacts({ more: { hiddenSockets } }), {});
    expect(found.map((f) => [f.severity, f.title])).toEqual([
      ['high', 'Socket hidden from ss: tcp 10.0.0.1:40112 → 198.51.100.7:22 SYN_SENT, pscan2 (pid 4242)'],
      ['high', 'Socket hidden from ss: tcp 0.0.0.0:31337 LISTEN, uid 0'],
    ]);
    expect(found[0].subject).toMatchObject({ pid: 4242, path: '/tmp/.. /pscan2', user: 'www-data', ip: '198.51.100.7', socket: 'tcp 10.0.0.1:40112 198.51.100.7:22' });
    expect(found[1].subject).toMatchObject({ pid: null, ip: null });
    expect(found[0].detail).toMatch(/ld\.so\.preload/);
    expect(found[0].evidence).toContain('artifacts/socket-crossview.json');
  });
});
