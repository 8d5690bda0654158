import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyBlockIp,
  blockCommands,
  canonicalAddress,
  planBlockIp,
  responderFromEnv,
  unblockIp,
  type BlockIpOptions,
  type BlockIpRecord,
} from '../../src/actions/block-ip.js';
import { READ_ONLY_SINK } from '../../src/actions/common.js';
import type { Exec } from '../../src/host/context.js';
import { runCommand, type CommandResult, type CommandSpec } from '../../src/host/exec.js';
import { tmpDir } from '../helpers/bundle.js';
import { isRoot } from '../helpers/cli.js';
import { actionContext } from './helpers.js';

type Answer = { stdout?: string; stderr?: string; exitCode?: number } | 'missing';

/** Answers only the commands a test expects; any other is recorded and fails the test. */
function scriptedExec(answers: Record<string, Answer>, calls: string[], unexpected: string[]): Exec {
  return async (spec: CommandSpec): Promise<CommandResult> => {
    const key = spec.argv.join(' ');
    calls.push(key);
    const a = answers[key];
    if (a === undefined) unexpected.push(key);
    const missing = a === 'missing';
    const answer = typeof a === 'object' ? a : {};
    return {
      name: spec.name,
      argv: spec.argv,
      startedAt: new Date(0).toISOString(),
      durationMs: 1,
      exitCode: missing ? null : a === undefined ? 127 : (answer.exitCode ?? 0),
      signal: null,
      timedOut: false,
      truncated: false,
      notInstalled: missing,
      error: missing ? `${spec.argv[0]}: not installed` : a === undefined ? 'unexpected command' : null,
      stdout: Buffer.from(answer.stdout ?? ''),
      stderr: answer.stderr ?? '',
    };
  };
}

/** A fake root with an sshd (for ldd) and, optionally, a hosts.deny. */
function fakeRoot(hostsDeny?: string): string {
  const root = tmpDir('irt-bip-');
  mkdirSync(path.join(root, 'usr/sbin'), { recursive: true });
  mkdirSync(path.join(root, 'etc'));
  writeFileSync(path.join(root, 'usr/sbin/sshd'), 'ELF');
  if (hostsDeny !== undefined) writeFileSync(path.join(root, 'etc/hosts.deny'), hostsDeny);
  return root;
}

const LIBWRAP = { stdout: '\tlibwrap.so.0 => /lib/x86_64-linux-gnu/libwrap.so.0 (0x00007f0000000000)\n\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6\n' };
const NO_TABLE = { exitCode: 1, stderr: 'Error: No such file or directory\nlist table inet ir_triage\n' };
const OPTS: BlockIpOptions = { responderAddress: '198.51.100.9', ownAddresses: ['10.0.0.5', 'fe80::1'] };

async function planWith(target: string, answers: Record<string, Answer>, options: BlockIpOptions = OPTS, root = fakeRoot(), isRootUser = true) {
  const calls: string[] = [];
  const unexpected: string[] = [];
  const { ctx } = await actionContext({ host: { root, mode: 'live', procDir: null, isRoot: isRootUser, exec: scriptedExec(answers, calls, unexpected) } });
  const plan = await planBlockIp({ ...ctx, sink: READ_ONLY_SINK }, target, options);
  return { plan, calls, unexpected, root };
}

describe('block-ip: the plan (pure, scripted commands)', () => {
  it('with nft: its own table, a chain at priority -10, one drop rule echoed with its handle; and hosts.deny where sshd uses libwrap', async () => {
    const root = fakeRoot('# hosts.deny\n');
    const { plan, calls, unexpected } = await planWith('203.0.113.7', {
      'nft --version': { stdout: 'nftables v1.0.6 (Lester Gooch #5)\n' },
      'nft -a list table inet ir_triage': NO_TABLE,
      [`ldd ${root}/usr/sbin/sshd`]: LIBWRAP,
    }, OPTS, root);
    expect(unexpected).toEqual([]);
    expect(calls).toEqual(['nft --version', 'nft -a list table inet ir_triage', `ldd ${root}/usr/sbin/sshd`]);
    expect(plan.refused).toBeNull();
    expect(plan.changes.map((c) => c.detail)).toEqual([
      'nft add table inet ir_triage',
      "nft add chain inet ir_triage input '{ type filter hook input priority -10; policy accept; }'",
      'nft -e -a add rule inet ir_triage input ip saddr 203.0.113.7 drop',
      "echo 'sshd: 203.0.113.7' >> /etc/hosts.deny",
    ]);
    expect(plan.data).toMatchObject({ address: '203.0.113.7', family: 4, backend: 'nft', tableExisted: false, libwrap: ['/usr/sbin/sshd'], hostsDeny: { file: '/etc/hosts.deny', line: 'sshd: 203.0.113.7' } });
    expect(plan.data.undo).toEqual([['nft', 'delete', 'rule', 'inet', 'ir_triage', 'input', 'handle', '<handle>']]);
    expect(plan.warnings[0]).toMatch(/^Lock-out risk: "It's very easy to block yourself from accessing your own server" \(seed 003\)/);
    expect(plan.warnings[1]).toBe('Your own address (SSH_CONNECTION) is 198.51.100.9: it is not blocked.');
  });

  it('IPv6 with nft: an ip6 rule, and the bracketed hosts.deny form', async () => {
    const root = fakeRoot();
    const { plan } = await planWith('2001:DB8:0::7', {
      'nft --version': { stdout: 'nftables v1.0.6\n' },
      'nft -a list table inet ir_triage': NO_TABLE,
      [`ldd ${root}/usr/sbin/sshd`]: LIBWRAP,
    }, OPTS, root);
    expect(plan.changes.map((c) => c.detail).slice(2)).toEqual([
      'nft -e -a add rule inet ir_triage input ip6 saddr 2001:db8::7 drop',
      "echo 'sshd: [2001:db8::7]' >> /etc/hosts.deny",
    ]);
  });

  it('without nft: iptables -I INPUT 1 (ip6tables for IPv6), undone by -D; no hosts.deny when sshd has no libwrap', async () => {
    const root = fakeRoot();
    const { plan, unexpected } = await planWith('203.0.113.7', {
      'nft --version': 'missing',
      'iptables --version': { stdout: 'iptables v1.8.9 (nf_tables)\n' },
      'iptables -C INPUT -s 203.0.113.7 -j DROP': { exitCode: 1, stderr: 'iptables: Bad rule (does a matching rule exist in that chain?).\n' },
      [`ldd ${root}/usr/sbin/sshd`]: { stdout: '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6\n' },
    }, OPTS, root);
    expect(unexpected).toEqual([]);
    expect(plan.changes.map((c) => c.detail)).toEqual(['iptables -I INPUT 1 -s 203.0.113.7 -j DROP']);
    expect(plan.data.undo).toEqual([['iptables', '-D', 'INPUT', '-s', '203.0.113.7', '-j', 'DROP']]);
    expect(plan.data.hostsDeny).toBeNull();
    expect(plan.warnings.join('\n')).toMatch(/sshd is not linked with libwrap here .*: \/etc\/hosts.deny would do nothing, so it is left alone/);
    expect(blockCommands('iptables', '2001:db8::7', 6)).toEqual({
      commands: [['ip6tables', '-I', 'INPUT', '1', '-s', '2001:db8::7', '-j', 'DROP']],
      undo: [['ip6tables', '-D', 'INPUT', '-s', '2001:db8::7', '-j', 'DROP']],
    });
  });

  it('refuses the responder, loopback, the box itself, and what is not one address, without running anything', async () => {
    const cases: Array<[string, RegExp, BlockIpOptions?]> = [
      ['198.51.100.9', /is your own address \(SSH_CONNECTION\): blocking it locks you out$/],
      ['::ffff:198.51.100.9', /^198\.51\.100\.9 is your own address/],
      ['127.0.0.5', /is a loopback address$/],
      ['::1', /is the loopback address$/],
      ['0.0.0.0', /unspecified/],
      ['224.0.0.1', /multicast/],
      ['10.0.0.5', /is one of this machine's own addresses$/],
      ['FE80::1', /is one of this machine's own addresses$/],
      ['10.0.0.0/8', /is not an IP address/],
      ['evil.example', /is not an IP address/],
      ['203.0.113.7; rm -rf /', /is not an IP address/],
    ];
    for (const [target, why, options] of cases) {
      const { plan, calls } = await planWith(target, {}, options ?? OPTS);
      expect(plan.refused, target).toMatch(why);
      expect(plan.changes, target).toEqual([]);
      expect(calls, target).toEqual([]);
    }
  });

  it('refuses an address already blocked, and lists the commands but refuses when not root', async () => {
    const root = fakeRoot();
    const listing = 'table inet ir_triage { # handle 4\n\tchain input { # handle 1\n\t\ttype filter hook input priority filter - 10; policy accept;\n\t\tip saddr 203.0.113.7 drop # handle 2\n\t}\n}\n';
    const { plan } = await planWith('203.0.113.7', { 'nft --version': { stdout: 'nftables v1.0.6\n' }, 'nft -a list table inet ir_triage': { stdout: listing } }, OPTS, root);
    expect(plan.refused).toBe('203.0.113.7 is already blocked (nft handle 2)');

    const asUser = await planWith('203.0.113.8', {
      'nft --version': { stdout: 'nftables v1.0.6\n' },
      'nft -a list table inet ir_triage': { stdout: listing },
      [`ldd ${root}/usr/sbin/sshd`]: LIBWRAP,
    }, OPTS, root, false);
    expect(asUser.plan.refused).toBe('changing the firewall needs root');
    expect(asUser.plan.changes.map((c) => c.detail)).toContain('nft -e -a add rule inet ir_triage input ip saddr 203.0.113.8 drop');
    expect(asUser.plan.data.tableExisted).toBe(true);
  });

  it('reads the responder address from SSH_CONNECTION, and canonicalises addresses', () => {
    expect(responderFromEnv({ SSH_CONNECTION: '198.51.100.9 50022 10.0.0.5 22' })).toBe('198.51.100.9');
    expect(responderFromEnv({ SSH_CONNECTION: '2001:DB8::9 50022 2001:db8::5 22' })).toBe('2001:db8::9');
    expect(responderFromEnv({})).toBeNull();
    expect(canonicalAddress('::ffff:1.2.3.4')).toBe('1.2.3.4');
    expect(canonicalAddress('[2001:db8:0:0::1]')).toBe('2001:db8::1');
    expect(canonicalAddress('1.2.3.4/32')).toBeNull();
  });
});

/** Real nft and iptables, inside a network namespace of our own: this machine's firewall is never touched. */
describe('block-ip: real apply and undo inside a network namespace (root only)', () => {
  const ns = `irt-test-${process.pid}`;
  let skip: string | null = null;
  let hostRuleset = '';

  beforeAll(() => {
    if (!isRoot) skip = 'needs root to create a network namespace';
    else if (spawnSync('ip', ['-V']).error) skip = 'the ip command is not installed';
    else {
      const r = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
      if (r.status !== 0) skip = `cannot create a network namespace: ${r.stderr.trim()}`;
    }
    const host = spawnSync('nft', ['list', 'ruleset'], { encoding: 'utf8' });
    hostRuleset = host.error ? '' : host.stdout;
  });

  afterAll(() => {
    if (!skip) spawnSync('ip', ['netns', 'del', ns]);
    // This machine's own ruleset is exactly as it was.
    const host = spawnSync('nft', ['list', 'ruleset'], { encoding: 'utf8' });
    if (!host.error) expect(host.stdout).toBe(hostRuleset);
  });

  /** Every command runs inside the namespace; ldd answers that sshd uses libwrap. */
  function nsExec(noNft = false): Exec {
    return (spec, signal) => {
      if (spec.argv[0] === 'ldd') return scriptedExec({ [spec.argv.join(' ')]: LIBWRAP }, [], [])(spec, signal);
      if (noNft && spec.argv[0] === 'nft') return scriptedExec({ [spec.argv.join(' ')]: 'missing' }, [], [])(spec, signal);
      return runCommand({ ...spec, argv: ['ip', 'netns', 'exec', ns, ...spec.argv] }, signal);
    };
  }

  const inNs = (...argv: string[]) => spawnSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8' });

  it('nft: the rule is in table inet ir_triage after apply, and the table is gone after undo; hosts.deny gets and loses its line', async (t) => {
    if (skip) return t.skip(skip);
    if (spawnSync('nft', ['--version']).error) return t.skip('nft is not installed');
    const root = fakeRoot('ALL: 192.0.2.1');
    const { ctx, store, events } = await actionContext({ host: { root, mode: 'live', procDir: null, isRoot: true, exec: nsExec() } });
    const plan = await planBlockIp(ctx, '203.0.113.7', OPTS);
    expect(plan.refused).toBeNull();
    const result = await applyBlockIp(ctx, plan);
    expect(result.ok).toBe(true);
    const listed = inNs('nft', 'list', 'table', 'inet', 'ir_triage');
    expect(listed.status).toBe(0);
    expect(listed.stdout).toMatch(/chain input \{\n\s+type filter hook input priority filter - 10; policy accept;\n\s+ip saddr 203\.0\.113\.7 drop\n/);
    expect(readFileSync(path.join(root, 'etc/hosts.deny'), 'utf8')).toBe('ALL: 192.0.2.1\nsshd: 203.0.113.7\n');
    const record = JSON.parse(readFileSync(path.join(store.dir, result.undoRecord!), 'utf8')) as BlockIpRecord;
    expect(record.handle).toEqual(expect.any(Number));
    expect(record.undo).toEqual([['nft', 'delete', 'rule', 'inet', 'ir_triage', 'input', 'handle', String(record.handle)]]);
    expect(record.hostsDeny).toMatchObject({ line: 'sshd: 203.0.113.7', preserved: 'files/block-ip-1/hosts.deny' });
    expect(readFileSync(path.join(store.dir, 'files/block-ip-1/hosts.deny'), 'utf8')).toBe('ALL: 192.0.2.1');

    const undone = await unblockIp(ctx, record);
    expect(undone.ok).toBe(true);
    expect(inNs('nft', 'list', 'table', 'inet', 'ir_triage').status).not.toBe(0);
    expect(readFileSync(path.join(root, 'etc/hosts.deny'), 'utf8')).toBe('ALL: 192.0.2.1\n');
    expect(events.map((e) => e.event)).toEqual(['action-applied', 'action-undone']);
  });

  it('nft: two blocks share the table; undoing one leaves the other; the table goes with the last', async (t) => {
    if (skip) return t.skip(skip);
    if (spawnSync('nft', ['--version']).error) return t.skip('nft is not installed');
    const { ctx, store } = await actionContext({ host: { root: fakeRoot(), mode: 'live', procDir: null, isRoot: true, exec: nsExec() } });
    const a = await applyBlockIp(ctx, await planBlockIp(ctx, '203.0.113.10', OPTS));
    const planB = await planBlockIp(ctx, '2001:db8::10', OPTS);
    expect(planB.data.tableExisted).toBe(true);
    const b = await applyBlockIp(ctx, planB);
    expect((await planBlockIp(ctx, '203.0.113.10', OPTS)).refused).toMatch(/^203\.0\.113\.10 is already blocked \(nft handle \d+\)$/);
    const rec = (r: typeof a) => JSON.parse(readFileSync(path.join(store.dir, r.undoRecord!), 'utf8')) as BlockIpRecord;
    expect((await unblockIp(ctx, rec(a))).ok).toBe(true);
    const mid = inNs('nft', 'list', 'table', 'inet', 'ir_triage').stdout;
    expect(mid).toContain('ip6 saddr 2001:db8::10 drop');
    expect(mid).not.toContain('203.0.113.10');
    expect((await unblockIp(ctx, rec(b))).ok).toBe(true);
    expect(inNs('nft', 'list', 'table', 'inet', 'ir_triage').status).not.toBe(0);
  });

  it('iptables (when nft is absent): the DROP rule is first in INPUT after apply and gone after undo', async (t) => {
    if (skip) return t.skip(skip);
    if (spawnSync('iptables', ['--version']).error) return t.skip('iptables is not installed');
    const { ctx, store } = await actionContext({ host: { root: fakeRoot(), mode: 'live', procDir: null, isRoot: true, exec: nsExec(true) } });
    const plan = await planBlockIp(ctx, '203.0.113.8', OPTS);
    expect(plan.data.backend).toBe('iptables');
    const result = await applyBlockIp(ctx, plan);
    expect(result.ok).toBe(true);
    expect(inNs('iptables', '-S', 'INPUT').stdout.split('\n')[1]).toBe('-A INPUT -s 203.0.113.8/32 -j DROP');
    const undone = await unblockIp(ctx, JSON.parse(readFileSync(path.join(store.dir, result.undoRecord!), 'utf8')) as BlockIpRecord);
    expect(undone.ok).toBe(true);
    expect(inNs('iptables', '-S', 'INPUT').stdout).not.toContain('203.0.113.8');
  });
});
