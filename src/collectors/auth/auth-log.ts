import { once } from 'node:events';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { CommandResult } from '../../host/exec.js';
import { describeFsError, type FileHandle } from '../../host/rooted-fs.js';
import { errorCode } from '../../host/errors.js';
import { metered, NO_PROGRESS, type ProgressTask } from '../../model/progress.js';
import type { CopyCut, CopyResult, EvidenceSink, TimelineEvent } from '../../model/sink.js';
import { sourceError, sourceOk, sourceSkipped, sourceWarning, type SourceStatus } from '../../model/source.js';
import { defineCollector, type CollectContext, type CollectorResult } from '../types.js';
import { AttemptAggregator, attemptMessage, isAttempt, type AttemptRecord, type MinuteRecord } from './aggregate.js';
import { AuthAnalysis, type AuthSourceStats } from './analysis.js';
import { DayRows, dayRowMessage, dayRowUser, type DayRow } from './day-rows.js';
import type { AuthLogEvent } from './events.js';
import { makeYearResolver } from './parse-syslog.js';
import { readLineBlocks, sortLogFiles } from './read-lines.js';
import { boxTimeZone, type ZoneChoice } from './timezone.js';

/** Default paths, as seen inside the root. */
export const AUTH_LOG_PATHS = {
  logDir: '/var/log',
  /** Debian/Ubuntu rsyslog, RHEL/Fedora rsyslog; every rotation (auth.log.1, auth.log.2.gz, secure-20240101). */
  patterns: ['auth.log*', 'secure*'],
  /** The persistent journal, and the volatile one of a live box without it. */
  journalDirs: ['/var/log/journal', '/run/log/journal'],
} as const;

/** Where the raw log files are preserved in the bundle. */
export const LOG_COPY_DIR = 'files/logs';
/**
 * Cap on each auth log's copy (--max-log-bytes): 1 GiB. A month of brute force on an exposed box
 * is hundreds of megabytes of log and compresses about tenfold in the bundle, so the whole log
 * usually fits; past the cap the copy keeps the log's end (its newest lines, where a compromise
 * after the brute force is), from the start of a line, and the cut is recorded. --max-file-bytes
 * (64 MiB, for every other copy) would keep only the oldest part of such a log.
 */
export const DEFAULT_MAX_LOG_BYTES = 2 ** 30;

/**
 * Cap on journalctl's output (held in memory): past it the newest records are kept (journalctl
 * runs to its end, the oldest output is dropped as it comes), and the cut is recorded in the
 * manifest's `copiesCut`.
 */
export const JOURNAL_MAX_BYTES = 256 * 1024 * 1024;

/** `_COMM` matches for journalctl, joined with `+` (OR): the sshd processes of every OpenSSH generation, sudo, su. */
export const JOURNAL_MATCHES = ['_COMM=sshd', '+', '_COMM=sshd-session', '+', '_COMM=sshd-auth', '+', '_COMM=sudo', '+', '_COMM=su'];

const COMMAND_NAME = 'journalctl-auth-json';
export const EVENTS_FILE = 'artifacts/auth-events.jsonl';
/**
 * Cap on artifacts/auth-events.jsonl (an event is about three times its log line as JSON). Past
 * it only the kinds that say who got in and what they did are written (ALWAYS_WRITTEN), up to
 * twice the cap; the tally, the logins and the rules still see every event.
 */
export const EVENTS_MAX_BYTES = 256 * 1024 * 1024;
const ALWAYS_WRITTEN: ReadonlySet<AuthLogEvent['kind']> = new Set(['accepted', 'session-opened', 'session-closed', 'sudo', 'su']);
const FLUSH_BYTES = 1 << 20;

/** The bundle path of a log's copy: files/logs/var/log/auth.log.1, names made safe. */
export function logCopyPath(file: string): string {
  const parts = file.split('/').filter((p) => p !== '' && p !== '.' && p !== '..');
  return [LOG_COPY_DIR, ...parts.map((p) => p.replace(/[^A-Za-z0-9._+-]/g, '_'))].join('/');
}

/** Compression other than gzip (which is read): the file is copied but its lines are not. */
export function unreadableCompression(file: string): string | null {
  const m = /\.(xz|bz2|zst|lz4|lzma|Z)$/.exec(file);
  return m ? m[1] : null;
}

export function authSourceId(file: string): string {
  return file === 'journal' ? 'auth-log.journal' : `auth-log.${path.posix.basename(file)}`;
}

/**
 * Where the copy of a log longer than `cap` starts so that it keeps the log's end: the first line
 * that starts at or after byte size - cap, with its line number (the newlines before it are
 * counted on the way). When no line starts there (one line longer than the cap), the copy starts
 * mid-line at size - cap.
 */
export async function tailStart(handle: FileHandle, size: number, cap: number): Promise<{ fromByte: number; fromLine: number; atLineStart: boolean }> {
  const want = size - cap;
  const buf = Buffer.allocUnsafe(1 << 20);
  let pos = 0;
  let newlines = 0;
  while (pos < size) {
    const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, size - pos), pos);
    if (bytesRead === 0) break;
    const chunk = buf.subarray(0, bytesRead);
    for (let i = 0; ;) {
      const nl = chunk.indexOf(0x0a, i);
      if (nl < 0) break;
      // A newline at want - 1 or later ends the part dropped: the next line is the copy's first.
      if (pos + nl >= want - 1) {
        if (pos + nl + 1 >= size) return { fromByte: want, fromLine: newlines + 1, atLineStart: false };
        return { fromByte: pos + nl + 1, fromLine: newlines + 2, atLineStart: true };
      }
      newlines++;
      i = nl + 1;
    }
    pos += bytesRead;
  }
  return { fromByte: want, fromLine: newlines + 1, atLineStart: false };
}

/** The source detail's words for a cut copy. */
export function cutText(c: Omit<CopyCut, 'path' | 'source'>): string {
  const where = c.kept === 'tail'
    ? `its last ${c.keptBytes} of ${c.size} bytes, from line ${c.fromLine}${c.atLineStart ? '' : ' (mid-line: no whole line fit)'}`
    : `its first ${c.keptBytes} of ${c.size} bytes (compressed: a gzip stream is read from its start)`;
  return `${where}; ${c.droppedBytes} bytes left out by the ${c.cap}-byte cap, ${c.option}; the whole file was read`;
}

/** Lines of a buffer (journalctl's output), without copying it, a few thousand at a time. */
export async function* bufferLines(buf: Buffer, batchLines = 4096, task?: ProgressTask): AsyncIterable<string[]> {
  let start = 0;
  let counted = 0;
  let batch: string[] = [];
  while (start < buf.length) {
    let nl = buf.indexOf(0x0a, start);
    if (nl < 0) nl = buf.length;
    batch.push(buf.toString('utf8', start, nl));
    start = nl + 1;
    if (batch.length >= batchLines) {
      task?.add(Math.min(start, buf.length) - counted);
      counted = Math.min(start, buf.length);
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

function statsDetail(s: AuthSourceStats): string {
  const unknown = Object.entries(s.notUnderstoodByProgram);
  const top = unknown.slice(0, 5).map(([p, n]) => `${p} ${n}`).join(', ');
  const span = s.firstTime ? `, ${s.firstTime} to ${s.lastTime}` : '';
  const ignored = s.ignored ? `; ${s.ignored} ignored (known, not about a login)` : '';
  return `${s.lines} lines, ${s.events} auth events${span}${ignored}${unknown.length ? `; not understood: ${top}${unknown.length > 5 ? ', …' : ''}` : ''}${s.interrupted ? '; interrupted' : ''}`;
}

/**
 * A source of which no line was understood (a format not read, or a log replaced by something
 * else): the warning its manifest entry carries. Null when something was understood, or when every
 * line was known and ignored (an auth.log of cron sessions only is an ordinary quiet box).
 */
export function nothingUnderstood(s: AuthSourceStats): string | null {
  if (s.lines === 0 || s.events > 0 || s.notUnderstood === 0) return null;
  const by = Object.entries(s.notUnderstoodByProgram).slice(0, 3).map(([p, n]) => `${p} ${n}`).join(', ');
  return `none of its ${s.lines} lines was understood (${s.notUnderstood} not understood: ${by}; ${s.ignored} ignored): not a log in a format this tool reads, or not a log; read the copy by hand`;
}

/** The manifest entry of a source that was read: a warning when nothing in it was understood. */
function readSource(id: string, path: string, stats: AuthSourceStats, detail: string): SourceStatus {
  const warning = nothingUnderstood(stats);
  return warning ? sourceWarning(id, warning, path, detail) : sourceOk(id, path, detail);
}

/**
 * artifacts/auth-events.jsonl, written in large chunks through the sink's hashing copy (one write
 * per megabyte, not per event), under EVENTS_MAX_BYTES.
 */
class EventsArtifact {
  private readonly pass = new PassThrough();
  private readonly done: Promise<CopyResult>;
  private parts: string[] = [];
  private partBytes = 0;
  bytes = 0;
  written = 0;
  /** Events not written because of the cap. */
  dropped = 0;

  constructor(sink: EvidenceSink, private readonly maxBytes: number) {
    this.done = sink.copyIn(EVENTS_FILE, this.pass, maxBytes * 2);
    // A failed copy rejects `done`; the writes below then stop waiting for drain.
    this.done.catch(() => {});
  }

  /** One event or attempt record; a promise only when a full chunk must drain (no await per event). */
  write(e: AuthLogEvent | MinuteRecord): void | Promise<void> {
    const line = JSON.stringify(e) + '\n';
    const size = line.length;
    const limit = e.kind !== 'attempts-minute' && ALWAYS_WRITTEN.has(e.kind) ? this.maxBytes * 2 : this.maxBytes;
    if (this.bytes + size > limit) {
      this.dropped++;
      return;
    }
    this.parts.push(line);
    this.partBytes += size;
    this.bytes += size;
    this.written++;
    if (this.partBytes >= FLUSH_BYTES) return this.flush();
  }

  async close(): Promise<CopyResult> {
    await this.flush();
    this.pass.end();
    return this.done;
  }

  private async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const chunk = Buffer.from(this.parts.join(''), 'utf8');
    this.bytes += chunk.length - this.partBytes;
    this.parts = [];
    this.partBytes = 0;
    if (!this.pass.write(chunk)) await Promise.race([once(this.pass, 'drain'), this.done]);
  }
}

/** How each kind of auth event is named in the timeline's timestamp_desc column. */
const TIMELINE_DESC: Record<AuthLogEvent['kind'], string> = {
  failed: 'Auth: failed login',
  accepted: 'Auth: accepted login',
  'invalid-user': 'Auth: invalid user',
  'max-attempts': 'Auth: too many failures',
  'preauth-disconnect': 'Auth: disconnect before login',
  'pam-failure': 'Auth: PAM failure',
  'session-opened': 'Auth: session opened',
  'session-closed': 'Auth: session closed',
  sudo: 'Auth: sudo',
  su: 'Auth: su',
  'no-identification': 'Auth: no ssh identification',
  'root-refused': 'Auth: root login refused after its key was accepted',
  'kex-failed': 'Auth: key exchange failed',
  'auth-timeout': 'Auth: timeout before authentication',
  other: 'Auth: other',
};

/** Appended to timestamp_desc when the line's stamp has no year (RFC 3164): the year was inferred. */
export const YEAR_GUESSED_SUFFIX = ' (year guessed)';
const TIMELINE_DESC_YEAR_GUESSED = Object.fromEntries(
  Object.entries(TIMELINE_DESC).map(([k, v]) => [k, `${v}${YEAR_GUESSED_SUFFIX}`]),
) as Record<AuthLogEvent['kind'], string>;

/**
 * One timeline row per auth event with a time, as the events stream past: every failure of a
 * brute force, not a summary. The case store spills them to sorted runs on disk, so a log of
 * millions of events keeps memory flat.
 */
class AuthTimeline {
  private batch: TimelineEvent[] = [];
  readonly counts = { rows: 0, aggregateRows: 0, aggregatedEvents: 0 };

  constructor(private readonly ctx: CollectContext) {}

  take(e: AuthLogEvent): void {
    if (e.time === '') return;
    const ip = e.ip ?? e.rhost ?? null;
    const where = `[${e.source}${e.lineNo !== null ? `:${e.lineNo}` : ''}]`;
    let message: string;
    if (e.kind === 'accepted') {
      message = `ssh login accepted: ${e.user ?? '?'} from ${ip ?? '?'} port ${e.port ?? '?'} (${e.method ?? '?'}${e.key ? ` ${e.key}` : ''})`;
    } else if (e.kind === 'sudo' || e.kind === 'su') {
      const failed = e.reason ? ` FAILED (${e.reason})` : '';
      message = e.kind === 'sudo' ? `sudo${failed}: ${e.user ?? '?'} as ${e.targetUser ?? 'root'}: ${e.command ?? ''}` : `su${failed}: ${e.user ?? '?'} to ${e.targetUser ?? '?'}`;
    } else {
      // sshd[4242]: Failed password for root from 203.0.113.7 port 50022 ssh2 — the line itself, without its syslog prefix.
      const note = e.repeated ? ' (from a "message repeated" line)' : e.kind === 'pam-failure' && e.covered ? ' (the same attempt as the Failed line)' : '';
      message = `${e.program}${e.pid !== null ? `[${e.pid}]` : ''}: ${e.message}${note}`;
    }
    this.counts.rows++;
    this.push({
      datetime: e.time,
      message: `${message.slice(0, 500)} ${where}`,
      timestamp_desc: (e.yearGuessed ? TIMELINE_DESC_YEAR_GUESSED : TIMELINE_DESC)[e.kind] ?? 'Auth: other',
      source: 'auth-log',
      user: e.user,
      ip,
      pid: e.pid,
      path: e.source,
    });
  }

  /** An aggregate row of `--timeline aggregate`: the attempts of one address and day. */
  takeDay(r: DayRow): void {
    this.counts.rows++;
    this.counts.aggregateRows++;
    this.counts.aggregatedEvents += r.count;
    this.push({
      datetime: r.time,
      message: dayRowMessage(r).slice(0, 700),
      timestamp_desc: 'Auth: failed and pre-auth attempts (per address, day)',
      source: 'auth-log',
      user: dayRowUser(r),
      ip: r.ip,
      // A day of connections: their pids are in the lines the message names.
      pid: null,
      path: r.source,
      count: r.count,
      lastDatetime: r.lastTime,
    });
  }

  /** An aggregate row of `--timeline aggregate` (the default): the attempts of one address, user and minute. */
  takeAttempts(r: AttemptRecord): void {
    this.counts.rows++;
    this.counts.aggregateRows++;
    this.counts.aggregatedEvents += r.count;
    this.push({
      datetime: r.time,
      message: attemptMessage(r).slice(0, 600),
      timestamp_desc: 'Auth: failed and pre-auth attempts (per address, user, minute)',
      source: 'auth-log',
      user: r.user,
      ip: r.ip,
      pid: r.pids.length === 1 ? r.pids[0] : null,
      path: r.source,
      count: r.count,
      lastDatetime: r.lastTime,
    });
  }

  flush(): void {
    if (this.batch.length) this.ctx.sink.timeline(this.batch);
    this.batch = [];
  }

  private push(e: TimelineEvent): void {
    this.batch.push(e);
    if (this.batch.length >= 1000) this.flush();
  }
}

interface FileNote {
  file: string;
  mtime: string | null;
  copy: string | null;
  copyTruncated: boolean;
  /** The copy holds part of the file: which part (also in manifest.json `copiesCut`). */
  copyCut?: Omit<CopyCut, 'path' | 'source'>;
  compressed: string | null;
  /** The copy was withheld: the file holds a private key or password hashes. */
  secret?: boolean;
}

class AuthLogRun {
  readonly sources: SourceStatus[] = [];
  readonly files: FileNote[] = [];
  readonly evidence: string[] = [];

  constructor(
    readonly ctx: CollectContext,
    readonly analysis: AuthAnalysis,
    readonly zone: ZoneChoice,
  ) {}

  /**
   * Preserves the file as it is on disk (compressed or not), within --max-log-bytes. A longer
   * plain log keeps its end, from the start of a line; a longer compressed rotation keeps its
   * start (a gzip stream is read from its beginning only). The parser reads the whole file either way.
   */
  async copy(file: string, note: FileNote): Promise<void> {
    const rel = logCopyPath(file);
    const cap = this.ctx.options.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES;
    try {
      const handle = await this.ctx.host.fs.open(file);
      const size = (await handle.stat()).size;
      if (size > cap && note.compressed === null) {
        const tail = await tailStart(handle, size, cap).catch(async (err: unknown) => {
          await handle.close();
          throw err;
        });
        // Up to the size measured: lines written while the copy runs are read, not copied.
        const stream = handle.createReadStream({ start: tail.fromByte, end: size - 1, highWaterMark: 1 << 20 });
        const r = await this.ctx.sink.copyIn(rel, this.metered(stream, `copying ${file}`, size - tail.fromByte), cap);
        note.copyCut = { size, kept: 'tail', ...tail, keptBytes: r.size, droppedBytes: tail.fromByte, cap, option: '--max-log-bytes' };
      } else {
        const stream = handle.createReadStream({ highWaterMark: 1 << 20 });
        const r = await this.ctx.sink.copyIn(rel, this.metered(stream, `copying ${file}`, size), cap);
        if (r.truncated) note.copyCut = { size, kept: 'head', fromByte: 0, fromLine: 1, atLineStart: true, keptBytes: r.size, droppedBytes: Math.max(0, size - r.size), cap, option: '--max-log-bytes' };
      }
      note.copy = rel;
      note.copyTruncated = note.copyCut !== undefined;
      if (note.copyCut) this.ctx.sink.noteCut({ path: rel, source: file, ...note.copyCut });
      this.evidence.push(rel);
    } catch (err) {
      if (errorCode(err) === 'EWITHHELD') note.secret = true;
      this.sources.push(sourceError(`${authSourceId(file)}.copy`, `could not copy ${file} into ${rel}: ${(err as Error).message}`, file));
    }
  }

  /** The file's bytes as they are read, counted on the run's progress (a terminal line when someone watches). */
  private metered(stream: Readable, label: string, total: number): Readable {
    const progress = this.ctx.progress ?? NO_PROGRESS;
    return progress === NO_PROGRESS ? stream : Readable.from(metered(stream, progress.start(label, total)), { objectMode: false });
  }

  async readFile(file: string): Promise<void> {
    const id = authSourceId(file);
    if (this.ctx.host.signal.aborted) {
      this.sources.push(sourceSkipped(id, 'interrupted before it was read', file));
      return;
    }
    let st;
    try {
      st = await this.ctx.host.fs.stat(file);
    } catch (err) {
      this.sources.push(sourceError(id, describeFsError(err, file), file));
      return;
    }
    if (!st.isFile()) {
      // auth.log linked to /dev/null keeps nothing: an old way to stop logins being logged.
      this.sources.push(sourceError(id, `${file} is not a regular file (${st.isCharacterDevice() ? 'a device, such as /dev/null' : st.isDirectory() ? 'a folder' : 'not a file'}): nothing in it was read`, file));
      return;
    }
    try {
      // Unreadable (not root): one error for the file, not one for the copy and one for the read.
      await (await this.ctx.host.fs.open(file)).close();
    } catch (err) {
      this.sources.push(sourceError(id, describeFsError(err, file), file));
      return;
    }
    const note: FileNote = { file, mtime: st.mtime.toISOString(), copy: null, copyTruncated: false, compressed: /\.gz$/.test(file) ? 'gzip' : unreadableCompression(file) };
    this.files.push(note);
    await this.copy(file, note);
    if (note.secret) {
      // It holds a key or password hashes (a log replaced by a link to /etc/shadow): its lines are not parsed, so none is quoted.
      this.sources.push(sourceError(id, `${file}: holds a secret: not read, not copied`, file));
      return;
    }
    const copied = note.copy ? `; copied to ${note.copy}${note.copyCut ? ` (${cutText(note.copyCut)})` : ''}` : '';
    const other = unreadableCompression(file);
    if (other) {
      this.sources.push(sourceSkipped(id, `compressed with ${other}, which is not read${copied}`, file));
      return;
    }
    let stats: AuthSourceStats;
    try {
      const handle = await this.ctx.host.fs.open(file);
      const stream = handle.createReadStream({ highWaterMark: 1 << 20 });
      const source = this.metered(stream, `reading ${file}`, st.size);
      try {
        stats = await this.analysis.readSyslogBlocks(readLineBlocks(source), {
          source: file,
          yearResolver: makeYearResolver(st.mtime),
          utcOffset: this.zone.offset,
          signal: this.ctx.host.signal,
        });
      } finally {
        source.destroy();
        stream.destroy();
      }
    } catch (err) {
      const read = this.analysis.sources.find((s) => s.source === file);
      const code = errorCode(err);
      const why = code !== 'EUNKNOWN' && /^E[A-Z]+$/.test(code) ? describeFsError(err, file) : `${file}: ${(err as Error).message}`;
      this.sources.push(sourceError(id, `${why}${read ? ` (after ${read.lines} lines, which were kept)` : ''}${copied}`, file));
      return;
    }
    this.sources.push(readSource(id, file, stats, `${statsDetail(stats)}${copied}`));
  }

  /**
   * The journalctl command line for the journal, when the box keeps no auth log files (Debian 12
   * installs no rsyslog); null when there is no journal either.
   */
  async journalArgv(): Promise<string[] | null> {
    const fs = this.ctx.host.fs;
    if (this.ctx.host.mode === 'live') {
      const present = await Promise.all(AUTH_LOG_PATHS.journalDirs.map((d) => fs.exists(d)));
      if (!present.some(Boolean)) return null;
      return ['journalctl', '-o', 'json', '--no-pager', '--all', ...JOURNAL_MATCHES];
    }
    // Offline, journalctl (the examiner's) reads the image's journal files, named one by one:
    // only regular files inside the root, so a planted link cannot make it read ours.
    const files = await this.imageJournalFiles();
    if (files.length === 0) return null;
    return ['journalctl', ...files.flatMap((f) => ['--file', f]), '-o', 'json', '--no-pager', '--all', ...JOURNAL_MATCHES];
  }

  async readJournal(argv: string[]): Promise<void> {
    const id = authSourceId('journal');
    if (this.ctx.host.signal.aborted) {
      this.sources.push(sourceSkipped(id, 'interrupted before it was read'));
      return;
    }
    const exporting = (this.ctx.progress ?? NO_PROGRESS).start('exporting the journal (journalctl)', null);
    const result: CommandResult = await this.ctx.host.exec(
      { name: COMMAND_NAME, argv, timeoutMs: this.ctx.options.commandTimeoutMs * 4, maxBytes: JOURNAL_MAX_BYTES, keep: 'tail', onStdout: (n) => exporting.add(n) },
      this.ctx.host.signal,
    ).finally(() => exporting.done());
    try {
      await this.ctx.sink.writeCommand(result);
      this.evidence.push(`commands/${COMMAND_NAME}.txt`);
      const cut = result.tailCut;
      if (cut) {
        this.ctx.sink.noteCut({
          path: `commands/${COMMAND_NAME}.txt`, source: argv.join(' '), size: cut.size, kept: 'tail', fromByte: cut.fromByte, fromLine: cut.fromLine,
          atLineStart: cut.atLineStart, keptBytes: result.stdout.length, droppedBytes: cut.fromByte, cap: JOURNAL_MAX_BYTES, option: 'the journal export cap (fixed)',
        });
      }
    } catch (err) {
      this.sources.push(sourceError(`${id}.copy`, `could not keep the journalctl output: ${(err as Error).message}`));
    }
    if (result.notInstalled) {
      this.sources.push(sourceSkipped(id, 'journalctl is not installed'));
      return;
    }
    const reading = (this.ctx.progress ?? NO_PROGRESS).start('reading the journal', result.stdout.length);
    const stats = await this.analysis.readJournal(bufferLines(result.stdout, 4096, reading), { source: 'journal', signal: this.ctx.host.signal }).finally(() => reading.done());
    const problems: string[] = [];
    if (result.error) problems.push(result.error);
    else if (result.exitCode !== 0) problems.push(`journalctl exited with ${result.exitCode}${result.stderr ? `: ${result.stderr.trim().split('\n')[0]}` : ''}`);
    if (result.tailCut) problems.push(`output of ${result.tailCut.size} bytes cut to its newest ${result.stdout.length} (the ${JOURNAL_MAX_BYTES}-byte cap): records before line ${result.tailCut.fromLine} were neither kept nor read`);
    else if (result.truncated) problems.push(`output cut at ${JOURNAL_MAX_BYTES} bytes: newer records may be missing`);
    const detail = `${statsDetail(stats)}; raw output in commands/${COMMAND_NAME}.txt`;
    this.sources.push(problems.length ? sourceError(id, `${problems.join('; ')} (${detail})`) : readSource(id, `commands/${COMMAND_NAME}.txt`, stats, detail));
  }

  private async imageJournalFiles(): Promise<string[]> {
    const fs = this.ctx.host.fs;
    const out: string[] = [];
    const dir = AUTH_LOG_PATHS.journalDirs[0];
    let machines: string[];
    try {
      machines = await fs.readdir(dir);
    } catch {
      return [];
    }
    for (const m of machines.sort()) {
      const sub = path.posix.join(dir, m);
      let names: string[];
      let real: string;
      try {
        if (!(await fs.lstat(sub)).isDirectory()) continue;
        names = await fs.readdir(sub);
        // Links on the way (an image's /var/log/journal -> /srv/journal) resolved inside the root.
        real = await fs.resolve(sub);
      } catch {
        continue;
      }
      for (const n of names.sort()) {
        if (!/\.journal~?$/.test(n)) continue;
        try {
          if ((await fs.lstat(path.posix.join(sub, n))).isFile()) out.push(path.join(real, n));
        } catch {
          // Gone or unreadable: journalctl would not read it either.
        }
      }
    }
    return out;
  }
}

/** The collector, with its events cap as a parameter (tests make it small). */
export function makeAuthLogCollector({ eventsMaxBytes = EVENTS_MAX_BYTES }: { eventsMaxBytes?: number } = {}) {
  return defineCollector({
    id: 'auth-log',
    title: 'SSH, sudo and su events from the auth log or the journal',
    description: "sshd, sudo and su lines of /var/log/auth.log* and /var/log/secure* (rotated and .gz too), or of the journal when there are none: every event, per-address tallies, accepted logins with the failures before them; the raw logs preserved.",
    liveOnly: false,
    needsRoot: true,
    provides: ['authEvents', 'authTally', 'authLogins', 'authRootLogins', 'authEvidence'],
    reads: [],
    artifacts: ['artifacts/auth-events.jsonl', 'artifacts/auth-tally.json', 'artifacts/auth-log-stats.json', `${LOG_COPY_DIR}/`, `commands/${COMMAND_NAME}.txt`],
    async collect(ctx) {
      const fs = ctx.host.fs;
      const zone = await boxTimeZone(fs, ctx.host.mode === 'live');
      const found: string[] = [];
      const listErrors: SourceStatus[] = [];
      for (const pattern of AUTH_LOG_PATHS.patterns) {
        try {
          found.push(...(await fs.list(AUTH_LOG_PATHS.logDir, pattern)));
        } catch (err) {
          listErrors.push(sourceError('auth-log.list', describeFsError(err, AUTH_LOG_PATHS.logDir), AUTH_LOG_PATHS.logDir));
        }
      }
      const files = sortLogFiles([...new Set(found)]);

      const timeline = new AuthTimeline(ctx);
      const mode = ctx.options.timeline ?? 'aggregate';
      // aggregate and day: attempts are collapsed per address, user and minute; day then folds those per address and day for the timeline.
      const attempts = mode !== 'full' ? new AttemptAggregator() : null;
      const days = mode === 'day' ? new DayRows() : null;
      let events: EventsArtifact | null = null;
      // The rows go to the timeline; auth-events.jsonl keeps the totals per minute (not the same rows twice).
      const writeAttempts = async (closed: AttemptRecord[], minutes: MinuteRecord[], end = false): Promise<void> => {
        for (const r of closed) {
          if (days) for (const d of days.add(r)) timeline.takeDay(d);
          else timeline.takeAttempts(r);
        }
        if (days && end) for (const d of days.end()) timeline.takeDay(d);
        for (const m of minutes) {
          const pending = events!.write(m);
          if (pending) await pending;
        }
      };
      const analysis = new AuthAnalysis((e) => {
        if (attempts) {
          if (isAttempt(e, attempts)) {
            const closed = attempts.add(e);
            return closed.length ? writeAttempts(closed, attempts.closedMinutes()) : undefined;
          }
          if (e.kind === 'accepted') attempts.forget(e);
        }
        timeline.take(e);
        return events!.write(e);
      });
      const run = new AuthLogRun(ctx, analysis, zone);
      run.sources.push(...listErrors);
      const journalArgv = files.length === 0 ? await run.journalArgv() : null;
      if (files.length === 0 && journalArgv === null) {
        run.sources.push(sourceSkipped('auth-log', `no ${AUTH_LOG_PATHS.patterns.map((p) => `${AUTH_LOG_PATHS.logDir}/${p}`).join(' or ')} and no systemd journal`));
        return { sources: run.sources };
      }
      events = new EventsArtifact(ctx.sink, eventsMaxBytes);
      try {
        for (const file of files) await run.readFile(file);
        if (journalArgv) await run.readJournal(journalArgv);
        if (attempts) await writeAttempts(attempts.end(), attempts.closedMinutes(Infinity), true);
      } finally {
        await events.close();
      }

      const facts = analysis.facts();
      timeline.flush();
      // One address a line: thousands of rows, without the indentation that made half the file.
      await ctx.sink.writeFile('artifacts/auth-tally.json', `[\n${(facts.authTally ?? []).map((r) => JSON.stringify(r)).join(',\n')}\n]\n`);
      const stats = {
        timezone: { zone: zone.zone, from: zone.from, known: zone.known, appliesTo: 'stamps without a zone (RFC 3164, and RFC 3339 without an offset)' },
        files: run.files,
        sources: analysis.sources,
        /** Over every source: lines not understood (say so) apart from lines known and ignored. */
        lines: {
          total: analysis.sources.reduce((n, s) => n + s.lines, 0),
          notUnderstood: analysis.sources.reduce((n, s) => n + s.notUnderstood, 0),
          ignored: analysis.sources.reduce((n, s) => n + s.ignored, 0),
          sourcesNothingUnderstood: analysis.sources.filter((s) => nothingUnderstood(s) !== null).map((s) => s.source),
        },
        tally: { addresses: analysis.tally.size, failuresWithoutAddress: analysis.tally.failuresWithoutAddress },
        logins: { accepted: analysis.logins.accepted, kept: facts.authLogins?.length ?? 0, dropped: analysis.logins.loginsDropped, usersNotTracked: analysis.logins.usersDropped },
        timeline: { mode, ...timeline.counts },
        events: {
          file: EVENTS_FILE, mode, written: events.written, bytes: events.bytes, notWritten: events.dropped, capBytes: eventsMaxBytes,
          ...(attempts ? { attemptEvents: attempts.events, attemptRows: days ? days.rows : attempts.records, minuteRecords: attempts.minuteRecords } : {}),
        },
      };
      await ctx.sink.writeFile('artifacts/auth-log-stats.json', JSON.stringify(stats, null, 2) + '\n');

      const rows = facts.authTally ?? [];
      const failures = rows.reduce((n, r) => n + r.failures, 0);
      const notes = [
        `${events.written} events${events.dropped ? ` written, ${events.dropped} more not (the ${eventsMaxBytes}-byte cap of ${EVENTS_FILE}: only logins, sessions, sudo and su past it)` : ''}`,
        ...(attempts ? [`${attempts.events} failed and pre-auth attempt events as ${days ? `${days.rows} timeline rows per address and day` : `${attempts.records} timeline rows per address, user and minute`} and ${attempts.minuteRecords} per-minute totals in ${EVENTS_FILE} (--timeline ${mode})`] : []),
        `${rows.length} addresses, ${failures} failed logins`,
        `${analysis.logins.accepted} accepted logins`,
        `time zone ${zone.zone} (${zone.from})`,
      ];
      if (analysis.logins.loginsDropped) notes.push(`${analysis.logins.loginsDropped} accepted logins without failures before them not kept for the rules beyond the first 10000 (the tally counts them all)`);
      run.sources.push(sourceOk('auth-log', 'artifacts/auth-events.jsonl', notes.join('; ')));
      return {
        facts: { ...facts, authEvidence: ['artifacts/auth-tally.json', 'artifacts/auth-events.jsonl', ...run.evidence] },
        sources: run.sources,
      };
    },
  });
}

export const authLogCollector = makeAuthLogCollector();
