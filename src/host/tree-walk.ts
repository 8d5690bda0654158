/**
 * The listing and lstat of a tree walk (the file sweep), on a worker thread so that both cores
 * count: the worker lists folders and lstats every entry (never following a link, never entering
 * another filesystem, a place walked on its own or a folder deeper than the cap), drops what is
 * plainly outside the window, and hands the rest to the main thread in batches, in walk order.
 * The main thread judges them and applies every cap as if it had walked itself (see TreeWalk).
 *
 * The worker runs `makeWalker` from its source text (eval), so it works from dist/, from the
 * one-file bundle and from the single executable alike; makeWalker therefore uses nothing but its
 * arguments and the language. When no worker can be started, the same walker runs in the thread.
 */
import * as nodeFs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { RootedFs } from './rooted-fs.js';

/** One place to walk: its folder on the examiner's machine (below the root) and how to filter. */
export interface WalkPlace {
  host: string;
  inside: string;
  /** The place's filesystem: folders on another are not entered. */
  dev: number;
  /** all: any of mtime, ctime, birth time counts; ctime: only the change time; setuid: only set-id files are wanted. */
  kind: 'all' | 'ctime' | 'setuid';
  /** Folders not entered (places walked on their own). */
  skip: string[];
}

export interface WalkPlan {
  places: WalkPlace[];
  maxDepth: number;
  /** Entries whose latest counted time is before this (ms) are plainly outside the window. */
  maybeFromMs: number;
  /** Entries with a counted time at or after this (ms) are surely inside it. */
  surelyFromMs: number;
}

/** The walk's events, in walk order (codes in `ops`, their strings in `strings` and numbers in `nums`, each in order). */
export const OP = {
  /** A place begins: the next place of the plan. */
  PLACE: 1,
  /** The entries that follow are in this folder: strings host, inside. */
  FOLDER: 2,
  /** A folder could not be listed (not vanished). */
  UNREADABLE: 3,
  /** The next entry is a folder on another filesystem: string inside. */
  OTHER_FS: 4,
  /** The next entry is a folder deeper than the cap: string inside. */
  TOO_DEEP: 5,
  /** One entry gone before its lstat. */
  GONE: 6,
  /** ops[i+1] entries plainly outside the window. */
  OUTSIDE: 7,
  /** ops[i+1] entries surely in the window, met once the records were full. */
  LATE: 8,
  /** One entry to judge: string name; nums mode, uid, gid, size, ino, atimeMs, mtimeMs, ctimeMs, birthtimeMs. */
  ENTRY: 9,
} as const;

export const ENTRY_NUMS = 9;

export interface WalkBatch {
  ops: number[];
  strings: string[];
  nums: Float64Array;
  /** The walk is over: no batch follows. */
  end: boolean;
}

interface Walker {
  next(recordsFull: boolean): WalkBatch;
}

/**
 * The walker: each `next` walks on until about `batch` entries are met and returns their events.
 * Self-contained (it is also run from its source text in the worker): only its arguments are used.
 */
function makeWalker(fs: typeof nodeFs, plan: WalkPlan, op: typeof OP, batch: number): Walker {
  let placeIndex = -1;
  let stack: Array<{ host: string; inside: string; depth: number }> = [];
  let skip = new Set<string>();
  let place: WalkPlace | null = null;
  let folder: { host: string; inside: string; depth: number; names: string[]; at: number } | null = null;
  let ended = false;
  return {
    next(recordsFull) {
      const ops: number[] = [];
      const strings: string[] = [];
      const nums: number[] = [];
      let met = 0;
      let run = 0;
      let runOp = 0;
      const endRun = () => {
        if (run > 0) ops.push(runOp, run);
        run = 0;
      };
      while (met < batch && !ended) {
        if (folder === null || folder.at >= folder.names.length) {
          folder = null;
          const dir = stack.pop();
          if (dir === undefined) {
            placeIndex++;
            if (placeIndex >= plan.places.length) {
              ended = true;
              break;
            }
            place = plan.places[placeIndex]!;
            skip = new Set(place.skip);
            stack = [{ host: place.host, inside: place.inside, depth: 0 }];
            endRun();
            ops.push(op.PLACE);
            continue;
          }
          let names: string[];
          try {
            names = fs.readdirSync(dir.host);
          } catch (err) {
            endRun();
            if ((err as { code?: string }).code !== 'ENOENT') ops.push(op.UNREADABLE);
            continue;
          }
          endRun();
          ops.push(op.FOLDER);
          strings.push(dir.host, dir.inside);
          folder = { ...dir, names, at: 0 };
          continue;
        }
        const p = place!;
        const name = folder.names[folder.at++]!;
        met++;
        const host = folder.host.endsWith('/') ? folder.host + name : `${folder.host}/${name}`;
        let st: nodeFs.Stats | undefined;
        try {
          st = fs.lstatSync(host, { throwIfNoEntry: false });
        } catch {
          st = undefined;
        }
        if (st === undefined) {
          endRun();
          ops.push(op.GONE);
          continue;
        }
        if (st.isDirectory()) {
          const inside = folder.inside.endsWith('/') ? folder.inside + name : `${folder.inside}/${name}`;
          if (st.dev !== p.dev) {
            endRun();
            ops.push(op.OTHER_FS);
            strings.push(inside);
          } else if (skip.has(host)) {
            // walked as a place of its own
          } else if (folder.depth + 1 >= plan.maxDepth) {
            endRun();
            ops.push(op.TOO_DEEP);
            strings.push(inside);
          } else stack.push({ host, inside, depth: folder.depth + 1 });
        }
        const setId = st.isFile() && (st.mode & 0o6000) !== 0;
        if (!setId) {
          let next: number = op.OUTSIDE;
          if (p.kind !== 'setuid') {
            const latest = p.kind === 'all' ? Math.max(st.mtimeMs, st.ctimeMs, st.birthtimeMs > 0 ? st.birthtimeMs : -Infinity) : st.ctimeMs;
            next = latest < plan.maybeFromMs ? op.OUTSIDE : recordsFull && latest >= plan.surelyFromMs ? op.LATE : op.ENTRY;
          }
          if (next !== op.ENTRY) {
            if (runOp !== next) endRun();
            runOp = next;
            run++;
            continue;
          }
        }
        endRun();
        ops.push(op.ENTRY);
        strings.push(name);
        nums.push(st.mode, st.uid, st.gid, st.size, st.ino, st.atimeMs, st.mtimeMs, st.ctimeMs, st.birthtimeMs);
      }
      endRun();
      return { ops, strings, nums: Float64Array.from(nums), end: ended };
    },
  };
}

/** Entries a batch holds (about): big enough that a message is rare, small enough that little is walked past a cap. */
export const BATCH_ENTRIES = 2048;
/** Batches the worker may have sent and the main thread not yet taken. */
const AHEAD = 4;
/** The worker's heap: a small young generation keeps the garbage of its lstats small (the old one is left as large as the main thread's: a folder of millions of names is listed whole, as before). */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 4 };
/** Slots of the shared control array. */
const SENT = 0;
const RECORDS_FULL = 1;
const STOP = 2;

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const makeWalker = (${makeWalker.toString()});
const ctl = new Int32Array(workerData.control);
const walker = makeWalker(require('node:fs'), workerData.plan, workerData.op, workerData.batch);
for (;;) {
  for (let sent = Atomics.load(ctl, ${SENT}); sent >= ${AHEAD} && Atomics.load(ctl, ${STOP}) === 0; sent = Atomics.load(ctl, ${SENT})) Atomics.wait(ctl, ${SENT}, sent, 1000);
  if (Atomics.load(ctl, ${STOP}) !== 0) break;
  const b = walker.next(Atomics.load(ctl, ${RECORDS_FULL}) === 1);
  Atomics.add(ctl, ${SENT}, 1);
  parentPort.postMessage(b, [b.nums.buffer]);
  if (b.end) break;
}
`;

/**
 * A walk of the plan's places, read batch by batch in walk order. `batch()` gives the next one
 * (the last has `end`); tell it when the records are full (entries surely in the window
 * are then only counted); `close()` stops the worker (after a cap bit, or at the end).
 */
export class TreeWalk {
  private worker: Worker | null = null;
  private walker: Walker | null = null;
  private readonly control = new Int32Array(new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT));
  private readonly queue: WalkBatch[] = [];
  private waiting: { resolve: (b: WalkBatch) => void; reject: (e: Error) => void } | null = null;
  private failed: Error | null = null;
  private received = false;

  /** `inThread`: walk in this thread (as when no worker can start). */
  constructor(
    fs: RootedFs,
    private readonly plan: WalkPlan,
    { inThread = false } = {},
  ) {
    for (const p of plan.places) fs.checkWalkStart(p.host);
    if (inThread) {
      this.walkHere();
      return;
    }
    try {
      this.worker = new Worker(WORKER_SOURCE, { eval: true, resourceLimits: WORKER_LIMITS, workerData: { plan, op: OP, batch: BATCH_ENTRIES, control: this.control.buffer } });
      this.worker.on('message', (b: WalkBatch) => this.arrive(b));
      this.worker.on('error', (err) => this.fail(err));
      this.worker.on('exit', () => this.fail(new Error('the walk ended early')));
    } catch {
      this.walkHere();
    }
  }

  /** On a worker thread (false: in this thread, as when no worker could start). */
  get threaded(): boolean {
    return this.worker !== null;
  }

  set recordsFull(full: boolean) {
    Atomics.store(this.control, RECORDS_FULL, full ? 1 : 0);
  }

  async batch(): Promise<WalkBatch> {
    if (this.walker) return this.walker.next(Atomics.load(this.control, RECORDS_FULL) === 1);
    const b = this.queue.shift() ?? (this.failed ? Promise.reject(this.failed) : new Promise<WalkBatch>((resolve, reject) => (this.waiting = { resolve, reject })));
    const got = await b;
    if (this.worker) {
      Atomics.sub(this.control, SENT, 1);
      Atomics.notify(this.control, SENT);
    }
    return got;
  }

  /** The walk from the start in this thread. */
  private walkHere(): void {
    this.worker = null;
    this.walker = makeWalker(nodeFs, this.plan, OP, BATCH_ENTRIES);
  }

  private arrive(b: WalkBatch): void {
    this.received = true;
    if (b.end) this.failed = new Error('read past the end of the walk');
    if (this.waiting) {
      this.waiting.resolve(b);
      this.waiting = null;
    } else this.queue.push(b);
  }

  private fail(err: Error): void {
    if (!this.received && this.worker && Atomics.load(this.control, STOP) === 0) {
      // The worker could not run (a runtime without worker threads): the same walk, here.
      const worker = this.worker;
      this.walkHere();
      void worker.terminate().catch(() => undefined);
      if (this.waiting) {
        this.waiting.resolve(this.walker!.next(Atomics.load(this.control, RECORDS_FULL) === 1));
        this.waiting = null;
      }
      return;
    }
    this.failed ??= err;
    this.waiting?.reject(err);
    this.waiting = null;
  }

  async close(): Promise<void> {
    Atomics.store(this.control, STOP, 1);
    Atomics.notify(this.control, SENT);
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }
}
