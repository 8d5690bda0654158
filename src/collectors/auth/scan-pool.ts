/**
 * Scanning threads for the auth-log reader (scan-worker.ts): blocks handed out in turn, each
 * block's result a promise, null when no thread could read it (none started, one failed): the
 * caller then reads that block itself. So a build where the thread's file is not there (the
 * single-file builds, the tests run from the sources) reads on one thread, with the same results.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ScannedBlock } from './scan-lines.js';

interface Waiting {
  resolve: (r: ScannedBlock | null) => void;
}

class ScanThread {
  private readonly waiting = new Map<number, Waiting>();
  private next = 0;
  broken = false;
  private readonly worker: Worker;

  constructor(url: URL) {
    // A scanning thread holds one block and its result at a time: a small heap keeps the peak
    // down (past it the thread ends, and its blocks are read on the calling thread instead).
    this.worker = new Worker(url, { resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 } });
    // Not unref'd: the reading thread may be waiting on nothing but this thread's answer (the
    // file read to its end); close() ends it.
    this.worker.on('message', (m: { id: number; lines: number; nums: Float64Array; strs: string[] }) => {
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      w?.resolve({ lines: m.lines, nums: m.nums, strs: m.strs });
    });
    const fail = () => {
      this.broken = true;
      for (const w of this.waiting.values()) w.resolve(null);
      this.waiting.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', fail);
  }

  scan(block: Buffer): Promise<ScannedBlock | null> {
    if (this.broken) return Promise.resolve(null);
    const id = this.next++;
    return new Promise((resolve) => {
      this.waiting.set(id, { resolve });
      // A copy crosses (the caller keeps its block, to read it itself should the thread fail).
      this.worker.postMessage({ id, block });
    });
  }

  close(): void {
    this.worker.removeAllListeners('exit');
    void this.worker.terminate();
  }
}

export class ScanPool {
  private readonly threads: ScanThread[];
  private turn = 0;

  constructor(n: number, url: URL) {
    this.threads = Array.from({ length: n }, () => new ScanThread(url));
  }

  get size(): number {
    return this.threads.length;
  }

  scan(block: Buffer): Promise<ScannedBlock | null> {
    const t = this.threads[this.turn];
    this.turn = (this.turn + 1) % this.threads.length;
    return t.scan(block);
  }

  close(): void {
    for (const t of this.threads) t.close();
  }
}

/**
 * Scanning threads to start: IR_TRIAGE_AUTH_WORKERS when set (0: none); else, when the machine has
 * a core to spare (the 1-minute load average at most the cores less one), one fewer than the
 * cores (the reading thread works too), at most 3; else none. On a busy machine a scanning thread
 * waits for its turn on a core, and the reading thread for it: measured slower than one thread
 * (docs/performance.md), and the handing over costs CPU of its own.
 */
export function scanThreadsDefault(): { threads: number; explicit: boolean } {
  const env = process.env.IR_TRIAGE_AUTH_WORKERS;
  if (env !== undefined && env !== '' && /^\d+$/.test(env)) return { threads: Math.min(Number(env), 8), explicit: true };
  const cores = os.availableParallelism();
  if (cores < 2 || os.loadavg()[0] > cores - 1) return { threads: 0, explicit: false };
  return { threads: Math.min(3, cores - 1), explicit: false };
}
