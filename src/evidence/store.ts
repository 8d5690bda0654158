import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type { CommandResult } from '../host/exec.js';
import type { CopyResult, EvidenceSink, JsonlWriter, StoredFile, TimelineEvent } from '../model/sink.js';
import { CustodyLog } from './custody.js';
import { sha256File } from './hash.js';
import { CliError } from '../model/errors.js';
import { TimelineSpool } from '../report/timeline-sort.js';
import { timelineCsvHeader, timelineCsvLine, toTimelineRow } from '../report/timeline.js';

export const CUSTODY_FILE = 'custody.jsonl';
export const MANIFEST_FILE = 'manifest.json';
export const SUMS_FILE = 'SHA256SUMS';
export const TIMELINE_CSV = 'timeline.csv';
export const TIMELINE_JSONL = 'artifacts/timeline.jsonl';
/** Scratch folder of the timeline's sorted runs, inside the staging folder; never in the bundle. */
export const TIMELINE_SCRATCH = '.timeline-runs';

/** What writeTimeline wrote, for the manifest. */
export interface TimelineSummary {
  events: number;
  /** Events refused because their time was not a time with a zone (a few samples beside). */
  dropped: number;
  droppedSamples: string[];
  /** Sorted runs spilled to disk before the merge (0: it all fitted in memory). */
  runs: number;
  /** Why events stopped being kept (spilling failed: a full disk); they are counted in `dropped`. */
  error?: string;
}

/**
 * mkdir -p, one level at a time: Node's recursive mkdir can spin forever on a pseudo
 * filesystem such as /proc, and an --out there must fail, not hang.
 */
async function makeFolders(dir: string, depth = 0): Promise<void> {
  try {
    await fsp.mkdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (code !== 'ENOENT' || depth > 64 || path.dirname(dir) === dir) throw err;
    await makeFolders(path.dirname(dir), depth + 1);
    await fsp.mkdir(dir);
  }
}

/** Waits for a write stream to drain, or fails with its error; leaves no listener behind. */
function drained(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      stream.off('drain', done);
      stream.off('error', done);
      if (err) reject(err);
      else resolve();
    };
    stream.on('drain', done);
    stream.on('error', done);
  });
}

/** Only plain relative paths inside the case folder. */
function checkRel(rel: string): string {
  const norm = path.posix.normalize(rel.replaceAll('\\', '/'));
  if (norm.startsWith('/') || norm.startsWith('..') || norm === '.' || norm.includes('\0')) {
    throw new Error(`refusing evidence path outside the case: ${JSON.stringify(rel)}`);
  }
  return norm;
}

/**
 * The case folder under --out where evidence is staged, hashed as it is written, before it is
 * sealed into the bundle.
 */
export class CaseStore implements EvidenceSink {
  readonly files = new Map<string, StoredFile>();
  readonly custody: CustodyLog;
  /** Timeline events, spilled to sorted runs under TIMELINE_SCRATCH as they grow; merged by writeTimeline. */
  readonly timelineSpool: TimelineSpool;

  private constructor(
    readonly outDir: string,
    readonly caseId: string,
    readonly dir: string,
    now: () => Date,
  ) {
    this.custody = new CustodyLog(path.join(dir, CUSTODY_FILE), now);
    this.timelineSpool = new TimelineSpool(path.join(dir, TIMELINE_SCRATCH));
  }

  /** Creates <out>/<case>/; an unusable --out is one clear line, never a stack trace. */
  static async create(outDir: string, caseId: string, now: () => Date = () => new Date()): Promise<CaseStore> {
    const out = path.resolve(outDir);
    let st;
    try {
      st = await fsp.stat(out);
    } catch {
      try {
        await makeFolders(out);
        st = await fsp.stat(out);
      } catch (err) {
        throw new CliError(`cannot create the output folder ${out}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      }
    }
    if (!st.isDirectory()) throw new CliError(`--out ${out} is not a folder`);
    try {
      await fsp.access(out, fsp.constants.W_OK);
    } catch {
      throw new CliError(`--out ${out} is not writable`);
    }
    const dir = path.join(out, caseId);
    for (const taken of [dir, `${dir}.tar.gz`]) {
      try {
        await fsp.lstat(taken);
        throw new CliError(`${taken} already exists: choose another --case or --out`);
      } catch (err) {
        if (err instanceof CliError) throw err;
      }
    }
    try {
      await fsp.mkdir(dir, { mode: 0o700 });
    } catch (err) {
      throw new CliError(`cannot create the case folder ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    return new CaseStore(out, caseId, dir, now);
  }

  has(rel: string): boolean {
    return this.files.has(checkRel(rel));
  }

  private target(rel: string): { rel: string; abs: string } {
    const clean = checkRel(rel);
    if (this.files.has(clean)) throw new Error(`evidence file written twice: ${clean}`);
    const abs = path.join(this.dir, clean);
    mkdirSync(path.dirname(abs), { recursive: true });
    return { rel: clean, abs };
  }

  private record(file: StoredFile): StoredFile {
    this.files.set(file.path, file);
    return file;
  }

  async writeFile(rel: string, data: string | Uint8Array): Promise<StoredFile> {
    const t = this.target(rel);
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    await fsp.writeFile(t.abs, buf, { flag: 'wx', mode: 0o600 });
    return this.record({ path: t.rel, size: buf.length, sha256: createHash('sha256').update(buf).digest('hex') });
  }

  async writeJsonl(rel: string, records: Iterable<unknown>): Promise<StoredFile> {
    const w = this.jsonl(rel);
    for (const r of records) await w.write(r);
    return w.close();
  }

  jsonl(rel: string): JsonlWriter {
    const w = this.textWriter(rel);
    let count = 0;
    return {
      get count() {
        return count;
      },
      async write(record: unknown) {
        await w.write(JSON.stringify(record) + '\n');
        count++;
      },
      close: () => w.close(),
    };
  }

  /** A text file written in pieces, hashed as it goes. */
  private textWriter(rel: string): { write(text: string): Promise<void>; close(): Promise<StoredFile> } {
    const t = this.target(rel);
    const stream = createWriteStream(t.abs, { flags: 'wx', mode: 0o600 });
    const hash = createHash('sha256');
    let size = 0;
    let failure: Error | null = null;
    stream.on('error', (err) => {
      failure = err;
    });
    const store = this;
    return {
      async write(text: string) {
        if (failure) throw failure;
        const buf = Buffer.from(text, 'utf8');
        hash.update(buf);
        size += buf.length;
        if (!stream.write(buf)) await drained(stream);
      },
      async close() {
        stream.end();
        await Promise.race([once(stream, 'finish'), once(stream, 'error')]);
        if (failure) throw failure;
        return store.record({ path: t.rel, size, sha256: hash.digest('hex') });
      },
    };
  }

  async copyIn(rel: string, source: Readable, maxBytes: number): Promise<CopyResult> {
    const t = this.target(rel);
    const out = createWriteStream(t.abs, { flags: 'wx', mode: 0o600 });
    const hash = createHash('sha256');
    let size = 0;
    let truncated = false;
    let failure: unknown = null;
    try {
      for await (const chunk of source) {
        let buf = chunk as Buffer;
        if (size + buf.length > maxBytes) {
          buf = buf.subarray(0, maxBytes - size);
          truncated = true;
        }
        hash.update(buf);
        size += buf.length;
        if (!out.write(buf)) await drained(out);
        if (truncated) break;
      }
    } catch (err) {
      failure = err;
    } finally {
      source.destroy();
      out.end();
      // A stream that failed (ENOSPC) may have closed already: waiting for 'close' then would never end.
      const ended = await finished(out).then(
        () => null,
        (err: unknown) => err,
      );
      failure ??= ended;
    }
    if (failure) {
      // No half copy stays in the case: it is not in SHA256SUMS, and the space is given back.
      await fsp.rm(t.abs, { force: true });
      throw failure;
    }
    const stored = this.record({ path: t.rel, size, sha256: hash.digest('hex') });
    return { ...stored, truncated };
  }

  async writeCommand(result: CommandResult): Promise<StoredFile[]> {
    const txt = await this.writeFile(`commands/${result.name}.txt`, result.stdout);
    const meta = {
      name: result.name,
      argv: result.argv,
      startedAt: result.startedAt,
      durationMs: result.durationMs,
      exitCode: result.exitCode,
      signal: result.signal,
      timedOut: result.timedOut,
      truncated: result.truncated,
      notInstalled: result.notInstalled,
      error: result.error,
      stdoutBytes: result.stdout.length,
      stdoutSha256: txt.sha256,
      stderr: result.stderr,
    };
    const json = await this.writeFile(`commands/${result.name}.json`, JSON.stringify(meta, null, 2) + '\n');
    return [txt, json];
  }

  timeline(events: TimelineEvent[]): void {
    this.timelineSpool.add(events);
  }

  /**
   * The timeline events not yet written out, in arrival order. Only while nothing has spilled to
   * disk (a small case): a caller that needs every event reads artifacts/timeline.jsonl.
   */
  get timelineEvents(): TimelineEvent[] {
    if (this.timelineSpool.runs > 0) throw new Error('the timeline has spilled to disk: read artifacts/timeline.jsonl instead');
    return this.timelineSpool.buffered();
  }

  /**
   * timeline.csv and artifacts/timeline.jsonl, the same rows in the same order (by time), merged
   * from the spilled runs; the scratch runs are removed, whatever happens.
   */
  async writeTimeline(host: string | null): Promise<TimelineSummary> {
    const spool = this.timelineSpool;
    const csv = this.textWriter(TIMELINE_CSV);
    const jsonl = this.textWriter(TIMELINE_JSONL);
    const runs = spool.runs;
    try {
      await csv.write(timelineCsvHeader());
      for await (const batch of spool.sorted()) {
        const rows = batch.map((e) => toTimelineRow(e, host));
        await csv.write(rows.map(timelineCsvLine).join(''));
        await jsonl.write(rows.map((r) => JSON.stringify(r) + '\n').join(''));
      }
    } finally {
      await csv.close();
      await jsonl.close();
      spool.dispose();
    }
    return { events: spool.count, dropped: spool.dropped, droppedSamples: spool.droppedSamples, runs, ...(spool.failure ? { error: spool.failure } : {}) };
  }

  /** Re-hashes the custody log once it is closed (it is appended line by line, not through writeFile). */
  async sealCustody(): Promise<StoredFile> {
    const { sha256, size } = await sha256File(path.join(this.dir, CUSTODY_FILE));
    return this.record({ path: CUSTODY_FILE, size, sha256 });
  }
}
