import { missingNeeds, runRule } from '../../../src/rules/types.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { processesCollector } from '../../../src/collectors/processes/processes.js';
import type { CollectContext } from '../../../src/collectors/types.js';
import { CaseStore } from '../../../src/evidence/store.js';
import { createHostContext } from '../../../src/host/context.js';
import type { DraftFinding } from '../../../src/model/finding.js';
import { RULES } from '../../../src/rules/index.js';
import { tmpDir } from '../../helpers/bundle.js';
import { replayExec, writeFakeProc, type FakeProcess } from '../../helpers/fake-proc.js';

const KTHREAD = 0x00200040;

const PROCESSES: FakeProcess[] = [
  { pid: 1, ppid: 0, comm: 'systemd', argv: ['/sbin/init'], exe: '/usr/lib/systemd/systemd' },
  { pid: 2, ppid: 0, comm: 'kthreadd', flags: KTHREAD, exe: null, argv: [] },
  { pid: 40, ppid: 2, comm: 'kswapd0', flags: KTHREAD, exe: null, argv: [] },
  // A real sshd, and a session whose title was rewritten.
  { pid: 500, comm: 'sshd', argv: ['sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups'], exe: '/usr/sbin/sshd', fds: ['socket:[9001]', '/dev/null'] },
  // comm holding ") " and parentheses.
  { pid: 600, comm: 'evil) x (y', argv: ['./evil) x (y'], exe: '/opt/tools/evil) x (y', uid: 1000 },
  // A miner calling itself [kswapd0], with an executable.
  { pid: 700, comm: 'kswapd0', argv: ['[kswapd0]'], exe: '/home/deploy/.configrc/a/kswapd0', uid: 1000 },
  // A fake sshd from a hidden /dev/shm folder, deleted after start.
  { pid: 800, comm: 'sshd', argv: ['sshd: root@notty'], exe: '/dev/shm/.x/sshd (deleted)', uid: 33, cwd: '/dev/shm/.x', maps: ['/dev/shm/.x/sshd (deleted)', '/usr/lib/x86_64-linux-gnu/libc.so.6'], fds: ['socket:[9100]', 'socket:[9101]', 'pipe:[77]'] },
  // Fileless: runs from a memfd.
  { pid: 900, comm: '3', argv: ['3'], exe: '/memfd:payload (deleted)', uid: 33 },
  // LD_PRELOAD, and a secret that must never be kept.
  { pid: 950, comm: 'sleep', argv: ['sleep', '60'], exe: '/usr/bin/sleep', environ: ['LD_PRELOAD=/tmp/.l/libhide.so', 'AWS_SECRET_ACCESS_KEY=hunter2'] },
  // Listed in /proc, but gone by the time its files are read.
  { pid: 990, comm: 'short', vanished: true },
];

async function setup(opts: { psPids?: number[] } = {}) {
  const root = tmpDir('irt-fakeroot-');
  mkdirSync(path.join(root, 'etc'));
  writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\ndeploy:x:1000:1000::/home/deploy:/bin/bash\n');
  const procDir = path.join(root, 'proc');
  writeFakeProc(procDir, PROCESSES);
  const unexpected: string[] = [];
  const lsof = (pid: number) => `COMMAND PID USER FD TYPE DEVICE SIZE/OFF NODE NAME\nx ${pid} root cwd DIR 0,1 0 1 /\n`;
  const host = createHostContext({
    root,
    mode: 'live',
    procDir,
    isRoot: true,
    exec: replayExec(Object.fromEntries([600, 700, 800, 900, 950].map((p) => [`lsof -nP -w -p ${p}`, lsof(p)])), unexpected),
    boxPs: async () => (opts.psPids ?? PROCESSES.map((p) => p.pid)).map((pid) => ({ pid, name: 'x' })),
  });
  const store = await CaseStore.create(tmpDir('irt-out-'), 'T');
  const ctx: CollectContext = {
    host,
    sink: store,
    facts: {},
    options: { sshPorts: [], maxFileBytes: 1 << 20, maxCommandBytes: 1 << 20, commandTimeoutMs: 1000, toolLists: { names: [], hashes: [] } },
  };
  return { ctx, store, unexpected };
}

function runRules(ctx: CollectContext): DraftFinding[] {
  // As the engine does: the rules whose needs this collector alone provides.
  return RULES.filter((r) => r.id.startsWith('process.') && missingNeeds(r, ctx.facts).length === 0).flatMap((r) => runRule(r, ctx.facts, r.thresholds));
}

describe('processes collector on a fake /proc', () => {
  it('reads every process the kernel lists, exactly', async () => {
    const { ctx } = await setup();
    const result = await processesCollector.collect(ctx);
    const records = result.facts!.processes!;
    expect(records.map((r) => r.pid)).toEqual([1, 2, 40, 500, 600, 700, 800, 900, 950]);
    const byPid = new Map(records.map((r) => [r.pid, r]));
    expect(byPid.get(600)).toMatchObject({ comm: 'evil) x (y', user: 'deploy', uid: 1000, exe: '/opt/tools/evil) x (y' });
    expect(byPid.get(2)).toMatchObject({ kernelThread: true, exe: null, argv: [] });
    expect(byPid.get(800)).toMatchObject({ exe: '/dev/shm/.x/sshd', exeDeleted: true, user: 'www-data', socketInodes: [9100, 9101], pipes: 1, cwd: '/dev/shm/.x' });
    expect(byPid.get(800)!.mappedFiles).toEqual(['/dev/shm/.x/sshd (deleted)', '/usr/lib/x86_64-linux-gnu/libc.so.6']);
    expect(byPid.get(950)).toMatchObject({ ldPreload: '/tmp/.l/libhide.so', ldLibraryPath: null });
    expect(JSON.stringify(records)).not.toContain('hunter2');
    expect(byPid.get(1)!.startTime).toBe(new Date((1_767_225_600 + 10) * 1000).toISOString());
    const processesSource = result.sources.find((s) => s.id === 'processes')!;
    expect(processesSource).toMatchObject({ status: 'ok', detail: '9 processes, 1 ended during the read' });
  });

  it('feeds the rules: each planted process is flagged, the real ones are not', async () => {
    const { ctx, unexpected } = await setup();
    Object.assign(ctx.facts, (await processesCollector.collect(ctx)).facts);
    const found = runRules(ctx);
    const by = (pid: number) => found.filter((f) => f.subject.pid === pid).map((f) => `${f.rule}:${f.severity}`).sort();
    expect(by(700)).toEqual(['process.exe-in-writable-dir:medium', 'process.known-tool:high', 'process.masquerade:critical']);
    expect(by(800)).toEqual(['process.deleted-exe:high', 'process.exe-in-writable-dir:high', 'process.masquerade:critical']);
    expect(by(900)).toEqual(['process.deleted-exe:high']);
    expect(by(950)).toEqual(['process.preload:high']);
    for (const quiet of [1, 2, 40, 500, 600]) expect(by(quiet)).toEqual([]);

    // The lsof step for what was flagged: raw lsof, open files, folders, parent chain.
    const follow = await processesCollector.followUp!(ctx, found);
    expect([...follow.evidenceByPid.keys()].sort()).toEqual([700, 800, 900, 950]);
    expect(follow.evidenceByPid.get(800)).toEqual(['artifacts/open-files.jsonl', 'commands/lsof-p-800.txt']);
    // A fake /proc cannot hand over a deleted binary: that is recorded, not hidden.
    expect(follow.sources.find((s) => s.id === 'lsof-step.800.exe')).toMatchObject({ status: 'error' });
    expect(unexpected).toEqual([]);
  });

  it('reports a pid hidden from ps only when it is still hidden on the re-check', async () => {
    const { ctx } = await setup({ psPids: [1, 2, 40, 500, 600, 800, 900, 950, 31337] });
    const facts = (await processesCollector.collect(ctx)).facts!;
    expect(facts.processCrossView).toMatchObject({ onlyInProc: [700], onlyInPs: [31337] });
    Object.assign(ctx.facts, facts);
    const hidden = runRules(ctx).filter((f) => f.rule === 'process.hidden');
    expect(hidden.map((f) => [f.subject.pid, f.severity])).toEqual([
      [700, 'critical'],
      [31337, 'high'],
    ]);
  });
});
