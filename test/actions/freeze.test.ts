import { readFileSync, readdirSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { applyFreeze, planFreeze, unfreeze, type FreezeRecord } from '../../src/actions/freeze.js';
import { actionContext, childrenOf, killGroup, procState, spawnGroup, waitFor } from './helpers.js';

let tree: ChildProcess | undefined;

afterEach(() => {
  killGroup(tree);
  tree = undefined;
});

/** `sh -c 'sleep 300 & sleep 300 & wait'`: a parent and two children, all sleeping. */
async function startTree(): Promise<{ parent: number; children: number[] }> {
  tree = spawnGroup('sh', ['-c', 'sleep 300 & sleep 300 & wait']);
  const parent = tree.pid!;
  const children = await waitFor('two sleeping children', () => {
    const kids = childrenOf(parent);
    return kids.length === 2 && kids.every((k) => procState(k)?.state === 'S' && readFileSync(`/proc/${k}/comm`, 'utf8').trim() === 'sleep') ? kids : null;
  });
  await waitFor('the parent waiting', () => procState(parent)?.state === 'S');
  return { parent, children };
}

function kernelThread(): number | null {
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const flags = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[6]);
      if (flags & 0x00200000) return Number(name);
    } catch {
      // gone
    }
  }
  return null;
}

describe('freeze (real processes)', () => {
  it('stops the parent and its children (state T), parent first, and unfreeze continues them (state S), children first', async () => {
    const { parent, children } = await startTree();
    const { ctx, store, events } = await actionContext();
    const plan = await planFreeze(ctx, parent);
    expect(plan.refused).toBeNull();
    expect(plan.data.processes.map((p) => p.pid)).toEqual([parent, ...children]);
    expect(plan.data.processes.map((p) => p.depth)).toEqual([0, 1, 1]);
    expect(plan.changes.map((c) => `${c.op} ${c.target}`)).toEqual([parent, ...children].map((p) => `SIGSTOP ${p}`));
    expect(plan.summary).toBe(`pid ${parent} (sh) and 2 descendants`);
    expect(plan.warnings.join('\n')).toMatch(/cron, systemd timers/);
    // Planning is read-only: nothing stopped yet.
    expect([parent, ...children].map((p) => procState(p)!.state)).toEqual(['S', 'S', 'S']);

    const result = await applyFreeze(ctx, plan);
    expect(result.ok).toBe(true);
    expect(result.applied.map((a) => a.target)).toEqual([parent, ...children].map(String));
    await waitFor('all stopped', () => [parent, ...children].every((p) => procState(p)!.state === 'T'));
    expect([parent, ...children].map((p) => procState(p)!.state)).toEqual(['T', 'T', 'T']);
    expect(result.undoRecord).toBe('actions/freeze-1.json');
    const record = JSON.parse(readFileSync(`${store.dir}/actions/freeze-1.json`, 'utf8')) as FreezeRecord;
    expect(record.processes.map((p) => [p.pid, p.stopped, p.outcome])).toEqual([parent, ...children].map((p) => [p, true, 'stopped']));
    expect(record.processes[0].startTicks).toBe(Number(readFileSync(`/proc/${parent}/stat`, 'utf8').split(') ')[1].split(' ')[19]));
    expect(events.map((e) => e.event)).toEqual(['action-applied']);

    const undone = await unfreeze(ctx, record);
    expect(undone.ok).toBe(true);
    // Children first, the parent last.
    expect(undone.applied.map((a) => a.target)).toEqual([...children, parent].map(String));
    await waitFor('all sleeping again', () => [parent, ...children].every((p) => procState(p)!.state === 'S'));
    expect([parent, ...children].map((p) => procState(p)!.state)).toEqual(['S', 'S', 'S']);
    expect(events.map((e) => e.event)).toEqual(['action-applied', 'action-undone']);
    expect(events[1].details).toMatchObject({ action: 'freeze', continued: [...children, parent] });
  });

  it('refuses a pid whose start time is not the one the plan saw (a recycled pid), and stops the rest', async () => {
    const { parent, children } = await startTree();
    const { ctx } = await actionContext();
    const plan = await planFreeze(ctx, parent);
    plan.data.processes[1] = { ...plan.data.processes[1], startTicks: plan.data.processes[1].startTicks - 1 };
    const result = await applyFreeze(ctx, plan);
    expect(result.ok).toBe(false);
    expect(result.applied[1]).toEqual({ target: String(children[0]), ok: false, detail: 'sleep: refused: the pid now belongs to another process (start time changed)' });
    await waitFor('the others stopped', () => procState(parent)!.state === 'T' && procState(children[1])!.state === 'T');
    expect(procState(children[0])!.state).toBe('S');

    // unfreeze re-checks too: a record whose start time is wrong never continues that pid.
    const record = JSON.parse(readFileSync(`${(ctx.sink as unknown as { dir: string }).dir}/${result.undoRecord}`, 'utf8')) as FreezeRecord;
    record.processes[0] = { ...record.processes[0], startTicks: record.processes[0].startTicks + 1 };
    const undone = await unfreeze(ctx, record);
    expect(undone.ok).toBe(false);
    expect(undone.applied.find((a) => a.target === String(parent))).toMatchObject({ ok: false, detail: 'sh: refused: the pid now belongs to another process' });
    expect(procState(parent)!.state).toBe('T');
    await waitFor('the other child continued', () => procState(children[1])!.state === 'S');
  });

  it('never touches pid 1, ir-triage itself, its ancestors, or a kernel thread', async () => {
    const { ctx, events } = await actionContext();
    expect((await planFreeze(ctx, 1)).refused).toMatch(/^pid 1 is pid 1 \(init\)/);
    expect((await planFreeze(ctx, process.pid)).refused).toBe(`pid ${process.pid} is ir-triage itself`);
    expect((await planFreeze(ctx, process.ppid)).refused).toMatch(new RegExp(`^pid ${process.ppid} is an ancestor of ir-triage`));
    expect((await planFreeze(ctx, 4_194_000)).refused).toBe('no process 4194000');
    const kthread = kernelThread();
    if (kthread !== null) expect((await planFreeze(ctx, kthread)).refused).toMatch(/is a kernel thread$/);
    // A refused plan applied is a custody event, and nothing else.
    const r = await applyFreeze(ctx, await planFreeze(ctx, 1));
    expect(r.ok).toBe(false);
    expect(events.map((e) => e.event)).toEqual(['action-refused']);
    expect(procState(1)!.state).not.toBe('T');
  });

  it('refuses without the live /proc (an image, or a fake /proc in a test)', async () => {
    const { ctx } = await actionContext({ host: { procDir: '/tmp', mode: 'live' } });
    expect((await planFreeze(ctx, process.pid)).refused).toMatch(/needs the live \/proc/);
  });
});
