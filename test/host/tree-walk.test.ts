/**
 * The tree walk of the file sweep: the worker thread and the in-thread fallback give the same
 * events in the same order; links are never followed, a place walked on its own and folders past
 * the depth cap are not entered, a start outside the root is refused, and a walk stopped early
 * ends its worker.
 */
import { chmodSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RootedFs } from '../../src/host/rooted-fs.js';
import { BATCH_ENTRIES, OP, TreeWalk, type WalkBatch, type WalkPlan } from '../../src/host/tree-walk.js';
import { tmpDir } from '../helpers/bundle.js';

function tree(): string {
  const root = tmpDir('irt-tree-walk-');
  const put = (rel: string, mode = 0o644) => {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), rel);
    chmodSync(path.join(root, rel), mode);
  };
  for (let i = 0; i < 3000; i++) put(`tmp/many/f${i}`);
  put('tmp/a/b/c/d/e/deep');
  put('tmp/own/place');
  put('tmp/.x/suid', 0o4755);
  put('etc/passwd');
  symlinkSync('/etc', path.join(root, 'tmp/etc-link'));
  return root;
}

async function all(walk: TreeWalk): Promise<WalkBatch[]> {
  const out: WalkBatch[] = [];
  for (;;) {
    const b = await walk.batch();
    out.push(b);
    if (b.end) break;
  }
  await walk.close();
  return out;
}

function plan(root: string, maybeFromMs: number): WalkPlan {
  const dev = statSync(root).dev;
  return {
    places: [
      { host: path.join(root, 'tmp'), inside: '/tmp', dev, kind: 'all', skip: [path.join(root, 'tmp/own')] },
      { host: path.join(root, 'etc'), inside: '/etc', dev, kind: 'setuid', skip: [] },
    ],
    maxDepth: 4,
    maybeFromMs,
    surelyFromMs: maybeFromMs + 2,
  };
}

/** The events of all batches, one code per event (a run of n entries as n codes). */
function flat(batches: WalkBatch[]): { ops: number[]; strings: string[]; nums: number[] } {
  const ops: number[] = [];
  for (const b of batches) {
    for (let i = 0; i < b.ops.length; i++) {
      const op = b.ops[i]!;
      if (op === OP.OUTSIDE || op === OP.LATE) ops.push(...Array<number>(b.ops[++i]!).fill(op));
      else ops.push(op);
    }
  }
  return { ops, strings: batches.flatMap((b) => b.strings), nums: batches.flatMap((b) => [...b.nums]) };
}

describe('tree walk', () => {
  it('the worker and the in-thread walker give the same events', async () => {
    const root = tree();
    const fs = new RootedFs(root);
    // A first walk: listing a folder can set its access time once (relatime); both walks after it see the same times.
    await all(new TreeWalk(fs, plan(root, 0), { inThread: true }));
    for (const from of [0, Date.now() + 86_400_000]) {
      const threaded = new TreeWalk(fs, plan(root, from));
      expect(threaded.threaded).toBe(true);
      const inThread = new TreeWalk(fs, plan(root, from), { inThread: true });
      expect(inThread.threaded).toBe(false);
      const a = flat(await all(threaded));
      expect(a.ops.filter((o) => o === OP.PLACE)).toHaveLength(2);
      // Every entry met is one event: the 3 000 files, the folders, the set-id file, the link, passwd.
      expect(a.ops.filter((o) => o === OP.ENTRY || o === OP.OUTSIDE || o === OP.GONE).length).toBeGreaterThan(3000);
      expect(JSON.stringify(flat(await all(inThread)))).toBe(JSON.stringify(a));
    }
  });

  it('never follows a link, skips a place of its own and folders past the cap; set-id files pass in any window', async () => {
    const root = tree();
    const { strings, ops } = flat(await all(new TreeWalk(new RootedFs(root), plan(root, Date.now() + 86_400_000))));
    // In a window in the future only the set-id file is an entry to judge.
    expect(ops.filter((o) => o === OP.ENTRY)).toHaveLength(1);
    expect(strings).toContain('suid');
    expect(strings).toContain('/tmp/a/b/c/d'); // the too-deep folder
    expect(strings.filter((s) => s.includes('/tmp/own'))).toEqual([]);
    expect(strings.filter((s) => s.startsWith(path.join(root, 'tmp/etc-link')))).toEqual([]);
  });

  it('a batch that ends in a run of any length is not the end of the walk', async () => {
    const root = tmpDir('irt-tree-walk-');
    // /tmp holds one folder: its own entry, then BATCH_ENTRIES - 12 files outside the window, a set-id file, and 10 more: the first batch ends with a run of 10.
    const many = path.join(root, 'tmp/run');
    mkdirSync(many, { recursive: true });
    const files = BATCH_ENTRIES + 500;
    for (let i = 0; i < files; i++) writeFileSync(path.join(many, `f${String(i).padStart(5, '0')}`), 'x');
    chmodSync(path.join(many, `f${String(BATCH_ENTRIES - 12).padStart(5, '0')}`), 0o4755);
    const dev = statSync(root).dev;
    for (const inThread of [false, true]) {
      const walk = new TreeWalk(new RootedFs(root), { places: [{ host: path.join(root, 'tmp'), inside: '/tmp', dev, kind: 'all', skip: [] }], maxDepth: 8, maybeFromMs: Date.now() + 86_400_000, surelyFromMs: Date.now() + 86_400_002 }, { inThread });
      const batches = await all(walk);
      expect(batches[0]!.ops.slice(-2)).toEqual([OP.OUTSIDE, 10]);
      const { ops } = flat(batches);
      expect(ops.filter((o) => o === OP.OUTSIDE || o === OP.ENTRY)).toHaveLength(files + 1);
      expect(batches.at(-1)!.end).toBe(true);
    }
  });

  it('a worker that dies in the middle of the walk is an error of the next batch, never a hang', async () => {
    // More batches than the worker may run ahead (4) past the one taken: it cannot have finished.
    const root = tmpDir('irt-tree-walk-');
    mkdirSync(path.join(root, 'tmp/big'), { recursive: true });
    for (let i = 0; i < 7 * BATCH_ENTRIES; i++) writeFileSync(path.join(root, 'tmp/big', `f${i}`), '');
    const walk = new TreeWalk(new RootedFs(root), { ...plan(root, 0), places: [{ ...plan(root, 0).places[0]!, skip: [] }] });
    await walk.batch();
    await (walk as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await expect((async () => {
      for (;;) if ((await walk.batch()).end) return 'ended';
    })()).rejects.toThrow(/ended early|past the end/);
    await walk.close();
  });

  it('refuses a start outside the root; a walk closed early ends its worker', async () => {
    const root = tree();
    const fs = new RootedFs(path.join(root, 'tmp'));
    expect(() => new TreeWalk(fs, plan(root, 0))).toThrow(/EESCAPE/);
    const walk = new TreeWalk(new RootedFs(root), plan(root, 0));
    await walk.batch();
    await walk.close();
  });
});
