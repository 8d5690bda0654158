/**
 * The playbook engine on its own: fake collectors and rules passed through its registry
 * parameter, so each test says exactly which declarations it runs.
 */
import { describe, expect, it } from 'vitest';
import { READ_ONLY_SINK } from '../../src/actions/common.js';
import { defineCollector, type CollectContext, type Collector } from '../../src/collectors/types.js';
import { createHostContext } from '../../src/host/context.js';
import type { AuthAddressRow } from '../../src/model/auth.js';
import type { KnownFacts } from '../../src/model/facts.js';
import type { PersistenceFile } from '../../src/model/persistence.js';
import type { IncidentWindow } from '../../src/model/window.js';
import { PlaybookEngine } from '../../src/playbooks/engine.js';
import type { Playbook } from '../../src/playbooks/loader.js';
import type { PlaybookStep } from '../../src/playbooks/schema.js';
import { defineRule, type Rule } from '../../src/rules/types.js';

const NOW = new Date('2026-03-01T00:00:00.000Z');

function context(): Omit<CollectContext, 'facts'> {
  return {
    host: createHostContext({ root: '/nonexistent-root', mode: 'live', procDir: null, now: () => NOW }),
    sink: READ_ONLY_SINK,
    options: { sshPorts: [22], maxFileBytes: 1 << 20, maxCommandBytes: 1 << 20, commandTimeoutMs: 1000, toolLists: { names: [], hashes: [] } },
  };
}

function collect(id: string, collectors: string[], rules: string[] = []): PlaybookStep {
  return { id, kind: 'collect', title: id, why: id, collect: collectors, rules };
}

function playbook(steps: PlaybookStep[], thresholds: Record<string, Record<string, number>> = {}): Playbook {
  return { id: 'test', file: 'test.yaml', sha256: '0'.repeat(64), data: { title: 't', description: 'd', thresholds, steps }, thresholds };
}

function engine(steps: PlaybookStep[], collectors: readonly Collector[], rules: readonly Rule[] = [], thresholds = {}): PlaybookEngine {
  return new PlaybookEngine(playbook(steps, thresholds), context(), {}, { collectors, rules: rules as Rule[] });
}

const meta = { title: 't', description: 'd', liveOnly: false, needsRoot: false, artifacts: [], reads: [] as const };

/** A collector that notes when it ran and what it saw of the facts it reads. */
function recorder(log: string[]) {
  return {
    ports: defineCollector({ ...meta, id: 'ports', provides: ['sshPorts'], async collect() {
      log.push('ports');
      return { facts: { sshPorts: [22, 2222] }, sources: [{ id: 'ports', status: 'ok' as const }] };
    } }),
    users: defineCollector({ ...meta, id: 'users', provides: ['accounts'], reads: ['sshPorts'], async collect(ctx) {
      log.push(`users saw ports ${ctx.facts.sshPorts?.join(',')}`);
      return { facts: { accounts: [] }, sources: [{ id: 'users', status: 'ok' as const }] };
    } }),
  };
}

const tally = (address: string, failures: number, firstFailure: string): AuthAddressRow => ({ address, failures, firstFailure, accepted: [] }) as unknown as AuthAddressRow;

describe('PlaybookEngine: collectors ordered from their declarations', () => {
  it('runs the provider of a read first, whatever the order the step names them in, each once', async () => {
    const log: string[] = [];
    const { ports, users } = recorder(log);
    const e = engine([collect('s', ['users', 'ports'])], [ports, users]);
    const out = await e.runStep(e.playbook.data.steps[0]);
    expect(log).toEqual(['ports', 'users saw ports 22,2222']);
    expect(out.sources.map((s) => s.id)).toEqual(['ports', 'users']);
    expect(e.collectorsRun).toEqual(['ports', 'users']);
  });

  it('runs an unnamed provider of a read when the playbook names none', async () => {
    const log: string[] = [];
    const { ports, users } = recorder(log);
    const e = engine([collect('s', ['users'])], [ports, users]);
    await e.runStep(e.playbook.data.steps[0]);
    expect(log).toEqual(['ports', 'users saw ports 22,2222']);
  });

  it('refuses a cycle of reads with the chain named', async () => {
    const a = defineCollector({ ...meta, id: 'a', provides: ['sshPorts'], reads: ['accounts'], async collect() {
      return { sources: [] };
    } });
    const b = defineCollector({ ...meta, id: 'b', provides: ['accounts'], reads: ['sshPorts'], async collect() {
      return { sources: [] };
    } });
    const e = engine([collect('s', ['a', 'b'])], [a, b]);
    await expect(e.runStep(e.playbook.data.steps[0])).rejects.toThrow('collector dependency cycle: a → b → a');
  });
});

describe('PlaybookEngine: what a collector returns', () => {
  it('a crashing collector becomes a source error, and the run goes on', async () => {
    const log: string[] = [];
    const { ports } = recorder(log);
    const crash = defineCollector({ ...meta, id: 'crash', provides: ['host'], async collect(): Promise<never> {
      throw new Error('parser bug on line 3');
    } });
    const e = engine([collect('s', ['crash', 'ports'])], [crash, ports]);
    const out = await e.runStep(e.playbook.data.steps[0]);
    expect(out.sources[0]).toEqual({ id: 'crash', status: 'error', message: 'collector failed: parser bug on line 3' });
    expect(log).toEqual(['ports']);
    expect(e.facts.host).toBeUndefined();
    expect(e.facts.sshPorts).toEqual([22, 2222]);
  });

  it('refuses a fact the collector does not provide (a contract bug), keeping none of its facts', async () => {
    const liar = defineCollector({ ...meta, id: 'liar', provides: ['sshPorts'], async collect() {
      return { facts: { sshPorts: [22], accounts: [] } as KnownFacts, sources: [] };
    } });
    const e = engine([collect('s', ['liar'])], [liar]);
    const out = await e.runStep(e.playbook.data.steps[0]);
    expect(out.sources).toEqual([{ id: 'liar', status: 'error', message: 'collector failed: collector liar returned facts it does not provide: accounts' }]);
    expect(e.facts).toEqual({});
  });

  it('merges accumulated facts: each collector returns its own part, a file read twice kept once', async () => {
    const file = (p: string) => ({ path: p }) as PersistenceFile;
    const cron = defineCollector({ ...meta, id: 'cron', provides: ['persistenceFiles'], async collect() {
      return { facts: { persistenceFiles: [file('/etc/crontab'), file('/etc/environment')] }, sources: [] };
    } });
    const startup = defineCollector({ ...meta, id: 'startup', provides: ['persistenceFiles'], async collect() {
      return { facts: { persistenceFiles: [file('/etc/environment'), file('/etc/rc.local')] }, sources: [] };
    } });
    const e = engine([collect('s', ['cron']), collect('t', ['startup'])], [cron, startup]);
    for (const s of e.playbook.data.steps) await e.runStep(s);
    expect(e.facts.persistenceFiles!.map((f) => f.path)).toEqual(['/etc/crontab', '/etc/environment', '/etc/rc.local']);
  });
});

describe('PlaybookEngine: the incident window, derived once', () => {
  const seen: Array<IncidentWindow | undefined> = [];
  const auth = defineCollector({ ...meta, id: 'auth', provides: ['authTally', 'authLogins'], async collect() {
    return { facts: { authTally: [tally('198.51.100.7', 40, '2026-02-10T08:00:00.000Z')], authLogins: [] }, sources: [{ id: 'auth', status: 'ok' as const }] };
  } });
  const readsWindow = (id: string) =>
    defineCollector({ ...meta, id, provides: id === 'keys' ? ['authorizedKeys'] : ['cronEntries'], reads: ['window'], async collect(ctx) {
      seen.push(ctx.facts.window);
      return { sources: [{ id, status: 'ok' as const }] };
    } });

  for (const order of [['keys', 'auth', 'cron'], ['auth', 'keys', 'cron'], ['cron', 'keys', 'auth']]) {
    it(`right after the auth log, from it, whatever the step order (${order.join(', ')})`, async () => {
      seen.length = 0;
      const e = engine(order.map((c) => collect(c, [c])), [auth, readsWindow('keys'), readsWindow('cron')]);
      const ids: string[] = [];
      for (const s of e.playbook.data.steps) ids.push(...(await e.runStep(s)).sources.map((x) => x.id));
      expect(ids.filter((x) => x !== 'keys' && x !== 'cron')).toEqual(['auth', 'incident-window']);
      expect(ids.indexOf('incident-window')).toBe(ids.indexOf('auth') + 1);
      expect(seen).toHaveLength(2);
      expect(seen[0]).toBe(seen[1]);
      expect(seen[0]).toMatchObject({ source: 'auth', start: '2026-02-10T08:00:00.000Z', end: NOW.toISOString() });
      expect(e.facts.window).toBe(seen[0]);
      expect(e.sources.filter((s) => s.id === 'incident-window')).toHaveLength(1);
    });
  }

  it('a background collector that reads the window starts once it is derived, before the step that names it, and sees it', async () => {
    seen.length = 0;
    const order: string[] = [];
    const sweep = defineCollector({ ...meta, id: 'sweep', background: true, provides: ['changedFiles'], reads: ['window'], async collect(ctx) {
      order.push('sweep');
      seen.push(ctx.facts.window);
      return { sources: [{ id: 'sweep', status: 'ok' as const }] };
    } });
    const e = new PlaybookEngine(
      playbook([collect('a', ['auth']), collect('b', ['cron']), collect('c', ['sweep'])]),
      context(),
      { onCollector: (c) => order.push(`collected ${c.id}`) },
      { collectors: [auth, readsWindow('cron'), sweep], rules: [] },
    );
    await e.runStep(e.playbook.data.steps[0]);
    await e.runStep(e.playbook.data.steps[1]);
    expect(order.indexOf('sweep')).toBeGreaterThan(order.indexOf('collected auth'));
    expect(order.indexOf('sweep')).toBeLessThan(order.indexOf('collected cron'));
    expect(seen[0]).toMatchObject({ source: 'auth' });
    const last = await e.runStep(e.playbook.data.steps[2]);
    expect(last.sources.map((x) => x.id)).toEqual(['sweep']);
  });

  it('with no auth log in the playbook, the default span, once, when first read', async () => {
    seen.length = 0;
    const e = engine([collect('a', ['keys']), collect('b', ['cron'])], [readsWindow('keys'), readsWindow('cron')]);
    for (const s of e.playbook.data.steps) await e.runStep(s);
    expect(seen[0]).toMatchObject({ source: 'default' });
    expect(seen[1]).toBe(seen[0]);
  });
});

describe('PlaybookEngine: rules', () => {
  const found = defineRule({
    id: 'test.ports',
    title: 't',
    description: 'd',
    level: 'medium',
    mitre: [],
    references: [],
    falsePositives: [],
    needs: ['sshPorts'],
    thresholds: { most: 1 },
    detect: (facts, t) => (facts.sshPorts.length > t.most ? [{ rule: 'test.ports', severity: 'medium', title: `${facts.sshPorts.length} ports`, detail: '', mitre: [], evidence: [], subject: {} } as never] : []),
  });
  const needsAccounts = defineRule({ ...found, id: 'test.accounts', needs: ['accounts', 'sshPorts'], detect: () => [] });

  it('skips a rule whose needs are absent, with the reason, and runs the others with the playbook thresholds', async () => {
    const { ports } = recorder([]);
    const e = engine([collect('s', ['ports'], ['test.accounts', 'test.ports'])], [ports], [found, needsAccounts]);
    const out = await e.runStep(e.playbook.data.steps[0]);
    expect(out.rulesSkipped).toEqual([{ rule: 'test.accounts', reason: 'no accounts collected' }]);
    expect(out.findings.map((f) => f.title)).toEqual(['2 ports']);

    const strict = engine([collect('s', ['ports'], ['test.ports'])], [ports], [found], { 'test.ports': { most: 5 } });
    expect((await strict.runStep(strict.playbook.data.steps[0])).findings).toEqual([]);
  });

  it('a detect step runs rules on what earlier steps collected', async () => {
    const { ports } = recorder([]);
    const detect: PlaybookStep = { id: 'd', kind: 'detect', title: 'd', why: 'd', rules: ['test.ports'] };
    const e = engine([collect('s', ['ports']), detect], [ports], [found]);
    await e.runStep(e.playbook.data.steps[0]);
    const out = await e.runStep(detect);
    expect(out.collectors).toEqual([]);
    expect(out.findings).toHaveLength(1);
  });
});

describe('PlaybookEngine: the volatile snapshot first, the box\'s commands beside the readers', () => {
  /** A box command that ends when `release` is called; a /proc reader that reads its facts; a slow log reader. */
  function scene(log: string[]) {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const collectors = [
      defineCollector({ ...meta, id: 'logs', provides: ['authTally'], async collect() {
        log.push('logs');
        return { facts: { authTally: [] }, sources: [{ id: 'logs', status: 'ok' as const }] };
      } }),
      defineCollector({ ...meta, id: 'box-ss', background: true, provides: ['boxNetworkTools'], async collect() {
        log.push('box-ss started');
        await released;
        log.push('box-ss ended');
        return { facts: { boxNetworkTools: {} }, sources: [{ id: 'box-ss', status: 'ok' as const }] };
      } }),
      defineCollector({ ...meta, id: 'procs', volatile: true, provides: ['processes'], async collect() {
        log.push('procs');
        release();
        return { facts: { processes: [] }, sources: [{ id: 'procs', status: 'ok' as const }] };
      } }),
      defineCollector({ ...meta, id: 'sockets', volatile: true, provides: ['connections'], reads: ['processes', 'boxNetworkTools'], async collect(ctx) {
        log.push(`sockets saw ${ctx.facts.processes ? 'processes' : 'no processes'} and ${ctx.facts.boxNetworkTools ? 'ss' : 'no ss'}`);
        return { facts: { connections: [] }, sources: [{ id: 'sockets', status: 'ok' as const }] };
      } }),
    ];
    return { collectors, release: () => release() };
  }

  it('starts the box commands, reads processes and sockets before the first step\'s collectors, and shows each source with its step', async () => {
    const log: string[] = [];
    const snapshots: string[][] = [];
    const e = new PlaybookEngine(
      playbook([collect('sessions', ['logs']), collect('network', ['box-ss', 'sockets']), collect('processes', ['procs'])]),
      context(),
      { onSnapshot: (ids) => snapshots.push(ids), onCollector: (c) => log.push(`collected ${c.id}`) },
      { collectors: scene(log).collectors, rules: [] },
    );
    const outs = [];
    for (const s of e.playbook.data.steps) outs.push(await e.runStep(s));
    // The box command started first and was still running while /proc was read.
    expect(log.slice(0, 2)).toEqual(['box-ss started', 'procs']);
    expect(log.indexOf('sockets saw processes and ss')).toBeGreaterThan(log.indexOf('box-ss ended'));
    expect(log.indexOf('logs')).toBeGreaterThan(log.indexOf('collected sockets'));
    expect(snapshots).toEqual([['sockets', 'procs']]);
    expect(outs.map((o) => o.sources.map((s) => s.id))).toEqual([['logs', 'incident-window'], ['box-ss', 'sockets'], ['procs']]);
    expect(e.sources.map((s) => s.id).sort()).toEqual(['box-ss', 'incident-window', 'logs', 'procs', 'sockets']);
  });

  it('records no snapshot offline (--root): there is no live box', async () => {
    const log: string[] = [];
    const { collectors, release } = scene(log);
    release();
    const snapshots: string[][] = [];
    const ctx = { ...context(), host: createHostContext({ root: '/nonexistent-root', mode: 'offline', procDir: null, now: () => NOW }) };
    const e = new PlaybookEngine(playbook([collect('network', ['box-ss', 'sockets'])]), ctx, { onSnapshot: (ids) => snapshots.push(ids) }, { collectors, rules: [] });
    await e.runStep(e.playbook.data.steps[0]);
    expect(snapshots).toEqual([]);
    // The collectors themselves ran (these fakes are not live-only); only the snapshot is not claimed.
    expect(log).toContain('sockets saw processes and ss');
  });

  it('starts a background collector that reads only the snapshot right after it, and one that reads a later fact once that fact is there, each shown with its own step', async () => {
    const log: string[] = [];
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const collectors = [
      ...scene(log).collectors,
      defineCollector({ ...meta, id: 'hashes', background: true, provides: ['integrity'], reads: ['processes'], async collect(ctx) {
        log.push(`hashes started, saw ${ctx.facts.processes ? 'processes' : 'no processes'}`);
        await released;
        log.push('hashes ended');
        return { facts: { integrity: [] }, sources: [{ id: 'hashes', status: 'ok' as const }] };
      } }),
      defineCollector({ ...meta, id: 'late', background: true, provides: ['accounts'], reads: ['authTally'], async collect() {
        log.push('late');
        return { facts: { accounts: [] }, sources: [{ id: 'late', status: 'ok' as const }] };
      } }),
    ];
    const e = new PlaybookEngine(
      playbook([collect('sessions', ['logs']), collect('tools', ['hashes', 'late']), collect('processes', ['procs'])]),
      context(),
      { onCollector: (c) => log.push(`collected ${c.id}`) },
      { collectors, rules: [] },
    );
    const first = e.runStep(e.playbook.data.steps[0]);
    await first;
    // Started after the processes were read, before the first step's collector; still running.
    expect(log.indexOf('hashes started, saw processes')).toBeGreaterThan(log.indexOf('collected procs'));
    expect(log.indexOf('hashes started, saw processes')).toBeLessThan(log.indexOf('logs'));
    expect(log).not.toContain('hashes ended');
    // The one that reads the auth tally started once the first step's collector had given it.
    expect(log.indexOf('late')).toBeGreaterThan(log.indexOf('collected logs'));
    const second = e.runStep(e.playbook.data.steps[1]);
    release();
    const out = await second;
    expect(log.indexOf('hashes ended')).toBeGreaterThan(log.indexOf('late'));
    expect(out.sources.map((s) => s.id)).toEqual(['hashes', 'late']);
  });

  it('a step naming only a background collector whose read another collector gives: the step waits for it, its facts there for the rules', async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const procs = defineCollector({ ...meta, id: 'procs', provides: ['processes'], async collect() {
      return { facts: { processes: [] }, sources: [{ id: 'procs', status: 'ok' as const }] };
    } });
    const hashes = defineCollector({ ...meta, id: 'hashes', background: true, provides: ['integrity'], reads: ['processes'], async collect() {
      await released;
      return { facts: { integrity: [] }, sources: [{ id: 'hashes', status: 'ok' as const }] };
    } });
    const e = engine([collect('tools', ['hashes'])], [procs, hashes]);
    let done = false;
    const step = e.runStep(e.playbook.data.steps[0]).then((o) => ((done = true), o));
    await new Promise((r) => setTimeout(r, 30));
    expect(done).toBe(false);
    release();
    const out = await step;
    expect(e.facts.integrity).toEqual([]);
    expect(out.sources.map((s) => s.id)).toEqual(['procs', 'hashes']);
  });

  it('waits for a box command no step ran before it closes (a run cut short)', async () => {
    const log: string[] = [];
    const { collectors, release } = scene(log);
    const e = new PlaybookEngine(playbook([collect('sessions', ['logs']), collect('network', ['box-ss'])]), context(), {}, { collectors, rules: [] });
    await e.runStep(e.playbook.data.steps[0]);
    // Nothing volatile is named, so nothing has released the command yet.
    expect(log).toEqual(['box-ss started', 'logs']);
    let closed = false;
    const finished = e.finish().then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 30));
    expect(closed).toBe(false);
    release();
    await finished;
    expect(log.at(-1)).toBe('box-ss ended');
    expect(e.sources.map((s) => s.id)).toContain('box-ss');
  });
});
