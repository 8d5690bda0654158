import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyKill, planKill, type KillRecord } from '../../src/actions/kill.js';
import type { EvidenceSink } from '../../src/model/sink.js';
import { tmpDir } from '../helpers/bundle.js';
import { proc as procRecord } from '../helpers/records.js';
import { actionContext, childrenOf, killGroup, procState, spawnGroup, waitFor } from './helpers.js';

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const SLEEP = realpathSync('/bin/sleep');
let started: ChildProcess[] = [];

afterEach(() => {
  for (const c of started) killGroup(c);
  started = [];
});

function exeOf(pid: number): string | null {
  try {
    return realpathSync(`/proc/${pid}/exe`);
  } catch {
    return null;
  }
}

function startTicks(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[19]);
}

/**
 * The seed's respawner: a shell loop that starts the scanner again whenever it dies. The copy is
 * called pscan2.test, not pscan2: the known-tool test elsewhere checks that no running process on
 * this machine is a pscan2, and test files run side by side.
 */
async function startRespawner(): Promise<{ loop: number; scanner: number; exe: string; kit: string }> {
  const kit = path.join(tmpDir('irt-kill-'), 'x');
  mkdirSync(kit);
  const exe = path.join(kit, 'pscan2.test');
  copyFileSync(SLEEP, exe);
  const child = spawnGroup('sh', ['-c', `while true; do ${exe} 300 & wait; done`]);
  started.push(child);
  const loop = child.pid!;
  const scanner = await waitFor('pscan2 running', () => childrenOf(loop).find((p) => exeOf(p) === exe && procState(p)?.state === 'S'));
  return { loop, scanner, exe, kit };
}

describe('kill (real processes)', () => {
  it('preserves the executable, kills, sees the scanner come back, and names the shell loop (and the crontab) that started it', async () => {
    const { loop, scanner, exe, kit } = await startRespawner();
    // Files through a fake root (crontabs, passwd); processes from the real /proc.
    const root = tmpDir('irt-kill-root-');
    mkdirSync(path.join(root, 'etc/cron.d'), { recursive: true });
    writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
    writeFileSync(path.join(root, 'etc/crontab'), `# ${exe} in a comment is not a hit\n`);
    writeFileSync(path.join(root, 'etc/cron.d/.update'), `SHELL=/bin/sh\n* * * * * root cd ${kit} && ./pscan2.test 300\n`);
    const { ctx, store, events } = await actionContext({ host: { root, mode: 'live', procDir: '/proc' } });

    const plan = await planKill(ctx, scanner);
    expect(plan.refused).toBeNull();
    expect(plan.changes.map((c) => c.op)).toEqual(['preserve', 'SIGSTOP', 'SIGKILL']);
    expect(plan.changes[0]).toEqual({ op: 'preserve', target: `/proc/${scanner}/exe`, detail: `${exe} → files/ with sha256` });

    const result = await applyKill(ctx, plan, { watchMs: 8000 });
    expect(result.applied).toEqual([{ target: String(scanner), ok: true, detail: 'pscan2.test: killed' }]);
    expect(result.ok).toBe(true);
    expect(procState(scanner) === null || startTicks(scanner) !== plan.data.processes[0].startTicks).toBe(true);

    // It came back, and the report says who started it.
    expect(result.respawns).toHaveLength(1);
    const back = result.respawns[0];
    expect(back.pid).not.toBe(scanner);
    expect(back).toMatchObject({ exe, comm: 'pscan2.test', match: 'exe', argv: [exe, '300'] });
    expect(back.parents[0]).toMatchObject({ pid: loop, comm: 'sh' });
    expect(back.startedBy).toMatch(new RegExp(`^a shell of root \\(pid ${loop}\\); a crontab names it: /etc/cron.d/.update line 2$`));
    expect(back.cron).toEqual([{ file: '/etc/cron.d/.update', line: 2, text: `* * * * * root cd ${kit} && ./pscan2.test 300` }]);
    expect(result.message).toMatch(new RegExp(`it came back: pid ${back.pid} \\(pscan2\\.test\\) started by a shell of root \\(pid ${loop}\\)`));

    // Preserved before the kill, with its hash; the record and the custody event say it all.
    const record = JSON.parse(readFileSync(path.join(store.dir, result.record!), 'utf8')) as KillRecord;
    expect(record.preserved).toEqual([{ exe, deleted: false, pid: scanner, path: `files/${scanner}-pscan2.test`, sha256: sha256(exe), size: readFileSync(exe).length, truncated: false }]);
    expect(sha256(path.join(store.dir, `files/${scanner}-pscan2.test`))).toBe(sha256(exe));
    expect(record.respawns[0].pid).toBe(back.pid);
    expect(result.undoRecord).toBeNull();
    expect(events.map((e) => e.event)).toEqual(['action-applied']);
    expect(events[0].details).toMatchObject({ action: 'kill', killed: [{ pid: scanner }], respawns: [{ pid: back.pid, match: 'exe' }] });
  });

  it('kills a whole tree, parent first, preserving each distinct executable once, and reports nothing coming back', async () => {
    const child = spawnGroup('sh', ['-c', 'sleep 300 & sleep 300 & wait']);
    started.push(child);
    const parent = child.pid!;
    const kids = await waitFor('two children', () => {
      const k = childrenOf(parent);
      return k.length === 2 && k.every((p) => exeOf(p) === SLEEP) ? k : null;
    });
    const { ctx } = await actionContext();
    const plan = await planKill(ctx, parent);
    expect(plan.data.exes.map((e) => e.exe)).toEqual([exeOf(parent), SLEEP]);
    expect(plan.changes.filter((c) => c.op === 'SIGKILL').map((c) => Number(c.target))).toEqual([parent, ...kids]);
    const result = await applyKill(ctx, plan, { watchMs: 600 });
    expect(result.ok).toBe(true);
    expect(result.respawns).toEqual([]);
    expect(result.message).toMatch(/nothing came back within 1 s$/);
    await waitFor('all gone', () => [parent, ...kids].every((p) => procState(p) === null || procState(p)!.state === 'Z'));
  });

  it('refuses, killing nothing, when the executable cannot be preserved', async () => {
    const { loop, scanner } = await startRespawner();
    const { ctx, store, events } = await actionContext();
    const failing = Object.create(store) as EvidenceSink;
    failing.copyIn = () => Promise.reject(Object.assign(new Error('no space'), { code: 'ENOSPC' }));
    const plan = await planKill({ ...ctx, sink: failing }, scanner);
    const result = await applyKill({ ...ctx, sink: failing }, plan, { watchMs: 0 });
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/^kill refused: the executable .*pscan2\.test could not be preserved \(could not copy \/proc\/\d+\/exe: ENOSPC\): nothing was killed$/);
    expect(procState(scanner)!.state).toBe('S');
    expect(procState(loop)!.state).toBe('S');
    expect(events.map((e) => e.event)).toEqual(['action-refused']);
  });

  it('uses a copy already in the case (the lsof step), and refuses a recycled pid', async () => {
    const { scanner } = await startRespawner();
    const { ctx, store } = await actionContext();
    ctx.facts.processes = [procRecord({ pid: scanner, startTicks: startTicks(scanner), exePreserved: 'files/1-pscan2', exeSha256: 'ab'.repeat(32) })];
    const plan = await planKill(ctx, scanner);
    expect(plan.changes.map((c) => c.op)).toEqual(['SIGSTOP', 'SIGKILL']);
    expect(plan.data.exes[0].preserved).toEqual({ path: 'files/1-pscan2', sha256: 'ab'.repeat(32) });
    plan.data.processes[0] = { ...plan.data.processes[0], startTicks: plan.data.processes[0].startTicks + 7 };
    const result = await applyKill(ctx, plan, { watchMs: 0 });
    expect(result.ok).toBe(false);
    expect(result.applied).toEqual([{ target: String(scanner), ok: false, detail: 'pscan2.test: refused: the pid now belongs to another process (start time changed)' }]);
    expect(procState(scanner)!.state).toBe('S');
    expect([...store.files.keys()].filter((f) => f.startsWith('files/'))).toEqual([]);
  });

  it('never plans to kill pid 1 or ir-triage itself', async () => {
    const { ctx } = await actionContext();
    expect((await planKill(ctx, 1)).refused).toMatch(/^pid 1 is pid 1 \(init\)/);
    expect((await planKill(ctx, process.pid)).refused).toBe(`pid ${process.pid} is ir-triage itself`);
  });
});
