import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type { CommandResult } from '../host/exec.js';
import type { CopyCut, CopyResult, EvidenceSink, JsonlWriter, StoredFile, TimelineEvent } from '../model/sink.js';
import { CustodyLog } from './custody.js';
import { sha256File } from './hash.js';
import { createNewWriteStream, makeFolderTree, makeUserFolders, OutputFolder, writeNewFile } from './new-files.js';
import { CliError } from '../model/errors.js';
import { SecretScanner, secretContent } from '../host/secrets.js';
import { TimelineSpool } from './timeline-sort.js';
import { AGGREGATE_COLUMNS, TIMELINE_COLUMNS, timelineCsvHeader, timelineCsvLine, toTimelineRow } from './timeline.js';
import type { TimelineMode } from '../collectors/auth/aggregate.js';
import { errnoCode, errorReason } from '../host/errors.js';

export const CUSTODY_FILE = 'custody.jsonl';
export const MANIFEST_FILE = 'manifest.json';
export const SUMS_FILE = 'SHA256SUMS';
export const TIMELINE_CSV = 'timeline.csv';
export const TIMELINE_JSONL = 'artifacts/timeline.jsonl';
/** Scratch folder of the timeline's sorted runs, inside the staging folder; never in the bundle. */
export const TIMELINE_SCRATCH = '.timeline-runs';

/** How the timeline is written: `--timeline aggregate|day|full`, and whether artifacts/timeline.jsonl repeats timeline.csv. */
export interface TimelineOptions {
  /** aggregate (per address and day) and minute (per address, user and minute): failed and pre-auth attempts as rows with count and last_datetime columns. */
  mode: TimelineMode;
  /** Also write artifacts/timeline.jsonl, the same rows as JSON lines (`--timeline-jsonl`). */
  jsonl: boolean;
}

/** What writeTimeline wrote, for the manifest. */
export interface TimelineSummary {
  mode: TimelineMode;
  /** The files holding the rows. */
  files: string[];
  /** Rows written. */
  events: number;
  /** Events the rows stand for (the sum of the count column): more than `events` when attempts were aggregated. */
  represented: number;
  /** Events refused because their time was not a time with a zone (a few samples beside). */
  dropped: number;
  droppedSamples: string[];
  /** Sorted runs spilled to disk before the merge (0: it all fitted in memory). */
  runs: number;
  /** Why events stopped being kept (spilling failed: a full disk); they are counted in `dropped`. */
  error?: string;
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

/** The names a case creates in --out: its staging folder, the bundle, sidecars, the undo record's copy. */
export function caseOutputNames(caseId: string): string[] {
  return [caseId, `${caseId}.tar.gz`, `${caseId}.tar.gz.sha256`, `${caseId}.tar.gz.age`, `${caseId}.tar.gz.age.sha256`, `${caseId}.restore.json`];
}

/** A copy the case refused to keep, named in manifest.json `withheld`. */
export interface WithheldFile {
  /** Where it would have gone in the case folder, or the path on the box for a link not followed. */
  path: string;
  reason: string;
}

/** Thrown by writeFile/copyIn for content that must never reach a bundle; the case notes it in `withheld`. */
export class WithheldError extends Error {
  readonly code = 'EWITHHELD';
}

/**
 * Copies of the box's files (files/…, and artifacts that are not our own JSON records) are checked
 * for password hashes and private keys whichever collector or action writes them.
 */
export function isBoxCopy(rel: string): boolean {
  return rel.startsWith('files/') || (rel.startsWith('artifacts/') && !/\.jsonl?$/.test(rel));
}

/**
 * The case folder under --out where evidence is staged, hashed as it is written, before it is
 * sealed into the bundle.
 */
export class CaseStore implements EvidenceSink {
  readonly files = new Map<string, StoredFile>();
  /** Copies refused for their content (see isBoxCopy); listed in the manifest. */
  readonly withheld: WithheldFile[] = [];
  /** Copies that hold only part of their file (which part, what was dropped); listed in the manifest. */
  readonly copiesCut: CopyCut[] = [];
  readonly custody: CustodyLog;
  /** Timeline events, spilled to sorted runs under TIMELINE_SCRATCH as they grow; merged by writeTimeline. */
  readonly timelineSpool: TimelineSpool;

  /** The case folder's name, for messages; files are reached through `folder.io`. */
  readonly dir: string;
  readonly outDir: string;

  private constructor(
    /** --out, held open: the bundle and its sidecar are created in it. */
    readonly out: OutputFolder,
    readonly caseId: string,
    /** The staging folder, created new (0700) and held open. */
    readonly folder: OutputFolder,
    now: () => Date,
  ) {
    this.dir = folder.path;
    this.outDir = out.path;
    this.custody = new CustodyLog(folder.at(CUSTODY_FILE), now);
    this.timelineSpool = new TimelineSpool(folder.at(TIMELINE_SCRATCH));
  }

  /** Creates <out>/<case>/; an unusable --out is one clear line, never a stack trace. */
  static async create(outDir: string, caseId: string, now: () => Date = () => new Date()): Promise<CaseStore> {
    const out = path.resolve(outDir);
    let st;
    try {
      st = await fsp.stat(out);
    } catch {
      try {
        await makeUserFolders(out);
        st = await fsp.stat(out);
      } catch (err) {
        throw new CliError(`cannot create the output folder ${out}: ${errorReason(err)}`);
      }
    }
    if (!st.isDirectory()) throw new CliError(`--out ${out} is not a folder`);
    try {
      await fsp.access(out, fsp.constants.W_OK);
    } catch {
      throw new CliError(`--out ${out} is not writable`);
    }
    let held: OutputFolder;
    try {
      held = OutputFolder.open(out);
    } catch (err) {
      throw new CliError(`cannot open the output folder ${out}: ${errorReason(err)}`);
    }
    // Every name the case may create in --out, checked before anything is collected; each is
    // still created new (O_EXCL) when its time comes, so a name planted later fails then.
    for (const name of caseOutputNames(caseId)) {
      if (held.has(name)) {
        held.close();
        throw new CliError(`${held.show(name)} already exists: choose another --case or --out`);
      }
    }
    try {
      return new CaseStore(held, caseId, held.makeFolder(caseId, 0o700), now);
    } catch (err) {
      held.close();
      const code = errnoCode(err);
      if (code === 'EREPLACED') throw new CliError(`${(err as Error).message}: someone else can write ${out}; choose another --out`);
      throw new CliError(`cannot create the case folder ${held.show(caseId)}: ${code ?? String(err)}`);
    }
  }

  /** Removes the staging folder (through its descriptor) and lets go of --out. */
  removeStaging(): void {
    this.folder.remove();
    this.out.close();
  }

  has(rel: string): boolean {
    return this.files.has(checkRel(rel));
  }

  private target(rel: string): { rel: string; abs: string } {
    const clean = checkRel(rel);
    if (this.files.has(clean)) throw new Error(`evidence file written twice: ${clean}`);
    makeFolderTree(this.folder.io, path.posix.dirname(clean));
    return { rel: clean, abs: this.folder.at(clean) };
  }

  private record(file: StoredFile): StoredFile {
    this.files.set(file.path, file);
    return file;
  }

  /** Notes a refused copy and returns the error its writer gets. */
  private withhold(rel: string, reason: string): WithheldError {
    this.withheld.push({ path: rel, reason: `${reason}: not copied` });
    return new WithheldError(`${rel}: ${reason}: not copied into the case`);
  }

  async writeFile(rel: string, data: string | Uint8Array): Promise<StoredFile> {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const secret = isBoxCopy(checkRel(rel)) ? secretContent(buf) : null;
    if (secret) throw this.withhold(checkRel(rel), secret);
    const t = this.target(rel);
    await writeNewFile(t.abs, buf, 0o600);
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
    const stream = createNewWriteStream(t.abs, 0o600);
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
    const out = createNewWriteStream(t.abs, 0o600);
    const hash = createHash('sha256');
    const scanner = isBoxCopy(t.rel) ? new SecretScanner() : null;
    let secret: string | null = null;
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
        secret = scanner?.push(buf) ?? null;
        if (secret) break;
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
    if (secret) {
      // What was written before the secret showed is removed: the case folder is sealed as it is.
      await fsp.rm(t.abs, { force: true });
      throw this.withhold(t.rel, secret);
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

  noteCut(cut: CopyCut): void {
    const rel = checkRel(cut.path);
    if (!this.files.has(rel)) throw new Error(`a cut noted for a copy not in the case: ${rel}`);
    this.copiesCut.push({ ...cut, path: rel });
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
   * timeline.csv (and artifacts/timeline.jsonl with `jsonl`: the same rows in the same order), by
   * time, merged from the spilled runs; the scratch runs are removed, whatever happens.
   */
  async writeTimeline(host: string | null, opts: TimelineOptions = { mode: 'full', jsonl: true }): Promise<TimelineSummary> {
    const spool = this.timelineSpool;
    const columns = opts.mode === 'full' ? TIMELINE_COLUMNS : AGGREGATE_COLUMNS;
    const csv = this.textWriter(TIMELINE_CSV);
    const jsonl = opts.jsonl ? this.textWriter(TIMELINE_JSONL) : null;
    const runs = spool.runs;
    let represented = 0;
    try {
      await csv.write(timelineCsvHeader(columns));
      for await (const batch of spool.sorted()) {
        const rows = batch.map((e) => toTimelineRow(e, host, columns));
        for (const e of batch) represented += e.count ?? 1;
        await csv.write(rows.map((r) => timelineCsvLine(r, columns)).join(''));
        if (jsonl) await jsonl.write(rows.map((r) => JSON.stringify(r) + '\n').join(''));
      }
    } finally {
      await csv.close();
      await jsonl?.close();
      spool.dispose();
    }
    return {
      mode: opts.mode,
      files: jsonl ? [TIMELINE_CSV, TIMELINE_JSONL] : [TIMELINE_CSV],
      events: spool.count,
      represented,
      dropped: spool.dropped,
      droppedSamples: spool.droppedSamples,
      runs,
      ...(spool.failure ? { error: spool.failure } : {}),
    };
  }

  /** Re-hashes the custody log once it is closed (it is appended line by line, not through writeFile). */
  async sealCustody(): Promise<StoredFile> {
    const { sha256, size } = await sha256File(this.folder.at(CUSTODY_FILE));
    return this.record({ path: CUSTODY_FILE, size, sha256 });
  }
}
