import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { RECORD_VERSION, type UndoRecordBase } from '../../src/actions/common.js';
import { defineAction, defineUndo, type ActionPlan } from '../../src/actions/types.js';
import { containmentOf } from '../../src/runner/actions-adapter.js';
import { actionContext, killGroup, procState, spawnGroup, waitFor } from '../actions/helpers.js';

let child: ChildProcess | undefined;

afterEach(() => {
  killGroup(child);
  child = undefined;
});

async function sleeper(): Promise<number> {
  child = spawnGroup('sleep', ['300']);
  const pid = child.pid!;
  await waitFor('sleep sleeping', () => procState(pid)?.state === 'S');
  return pid;
}

describe('dispatch through the registry (a real process)', () => {
  it('plans the action a step names and applies exactly that plan', async () => {
    const pid = await sleeper();
    const { ctx, events } = await actionContext();
    const containment = containmentOf(ctx);
    const plan = await containment.plan('freeze', String(pid));
    expect(plan.action).toBe('freeze');
    expect(plan.refused).toBeNull();
    expect(plan.changes.map((c) => `${c.op} ${c.target}`)).toEqual([`SIGSTOP ${pid}`]);
    expect(procState(pid)!.state).toBe('S');
    const result = await containment.apply('freeze', plan);
    expect(result.ok).toBe(true);
    expect(result.undoRecord).toBe('actions/freeze-1.json');
    await waitFor('stopped', () => procState(pid)!.state === 'T');
    expect(events.map((e) => e.event)).toEqual(['action-applied']);
  });

  it('applies nothing it did not plan: a look-alike plan, another action\'s plan, an unknown action', async () => {
    const pid = await sleeper();
    const { ctx, events } = await actionContext();
    const containment = containmentOf(ctx);
    const plan = await containment.plan('freeze', String(pid));
    // The same fields in another object: not a plan this containment made.
    await expect(containment.apply('freeze', { ...plan })).rejects.toThrow('no freeze plan of this run to apply');
    // A freeze plan handed in as a kill.
    await expect(containment.apply('kill', plan)).rejects.toThrow('no kill plan of this run to apply');
    // A plan made by another containment (another case).
    const other = containmentOf((await actionContext()).ctx);
    await expect(other.apply('freeze', plan)).rejects.toThrow('no freeze plan of this run to apply');
    await expect(containment.plan('unfreeze', String(pid))).rejects.toThrow('unknown action unfreeze');
    expect(procState(pid)!.state).toBe('S');
    expect(events).toEqual([]);
  });

  it('a refused plan goes to the action\'s own apply, which refuses it again and says so in custody', async () => {
    const { ctx, events } = await actionContext();
    const containment = containmentOf(ctx);
    const plan = await containment.plan('block-ip', '127.0.0.1');
    expect(plan.refused).toMatch(/loopback|own|local/i);
    const result = await containment.apply('block-ip', plan);
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/^block-ip refused: /);
    expect(events.map((e) => e.event)).toEqual(['action-refused']);
  });
});

interface CountData {
  n: number;
}

describe('defineAction and defineUndo bind each plan to its own apply', () => {
  it('prepare hands apply the very plan it made, typed, with the context apply is given', async () => {
    const seen: Array<{ plan: ActionPlan<CountData>; ctx: unknown }> = [];
    const unit = defineAction({
      id: 'count',
      title: 'Count',
      description: 'Counts.',
      nothingFound: 'Nothing to count: no number was found.',
      targets: () => [],
      plan: async (_ctx, target) => ({ action: 'count', summary: target, changes: [], warnings: [], refused: null, data: { n: Number(target) } }),
      apply: async (ctx, plan) => {
        seen.push({ plan, ctx });
        return { ok: true, message: `counted ${plan.data.n + 1}`, undoRecord: null, applied: [] };
      },
      undo: null,
    });
    const { ctx: planCtx } = await actionContext();
    const { ctx: applyCtx } = await actionContext();
    const bound = await unit.prepare(planCtx, '41');
    expect((await bound.apply(applyCtx)).message).toBe('counted 42');
    expect(seen[0].plan).toBe(bound.plan);
    expect(seen[0].ctx).toBe(applyCtx);
  });

  interface NoteRecord extends UndoRecordBase {
    file: string;
    text: string;
  }

  const noteUndo = defineUndo<NoteRecord, { back: Buffer }>({
    action: 'note',
    rank: 0,
    check: (data) => {
      const r = data as Partial<NoteRecord> | null;
      if (r?.action !== 'note' || typeof r.file !== 'string' || typeof r.text !== 'string') throw new Error('not a note record');
      return r as NoteRecord;
    },
    where: (r) => r.file,
    file: (r) => r.file,
    plan: async (_ctx, r, options) => ({ action: 'restore', summary: r.file, changes: [], warnings: [], refused: null, data: { back: Buffer.concat([options.assume ?? Buffer.alloc(0), Buffer.from(r.text)]) } }),
    leaves: (plan) => plan.data.back,
    apply: async (_ctx, plan, options) => ({ ok: true, message: `${plan.data.back.toString()}${options.force ? ' (forced)' : ''}`, undoRecord: null, applied: [] }),
  });

  const record = (text: string): NoteRecord => ({ action: 'note', version: RECORD_VERSION, appliedAt: '2024-01-01T00:00:00.000Z', record: 'actions/note-1.json', summary: 's', file: '/etc/x', text });

  it('load checks the record and binds it; plan chains on what the undo before leaves; apply keeps the plan\'s options', async () => {
    const { ctx } = await actionContext();
    expect(() => noteUndo.load({ action: 'other' })).toThrow('not a note record');
    const first = noteUndo.load(record('a'));
    expect([first.action, first.where, first.file, first.record.appliedAt]).toEqual(['note', '/etc/x', '/etc/x', '2024-01-01T00:00:00.000Z']);
    const p1 = await first.plan(ctx, { force: false });
    expect(p1.leaves?.toString()).toBe('a');
    const p2 = await noteUndo.load(record('b')).plan(ctx, { force: true, assume: p1.leaves! });
    expect(p2.leaves?.toString()).toBe('ab');
    expect((await p2.apply(ctx)).message).toBe('ab (forced)');
  });
});
