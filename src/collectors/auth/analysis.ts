/**
 * One pass over auth logs and journal exports, shared by the auth-log collector and
 * `ir-triage analyze`: lines → AuthLogParser → events, each handed to a callback (the collector
 * writes them to artifacts/auth-events.jsonl) and folded into bounded aggregates (the per-address
 * tally, accepted logins with the failures before them). No event is kept in memory.
 */
import { isAscii } from 'node:buffer';
import type { KnownFacts } from '../../model/facts.js';
import { AcceptedLogins, type AcceptedLoginsOptions } from './accepted.js';
import { AuthLogParser, type AuthLogEvent, type AuthLogStats } from './events.js';
import { parseJournalJsonLine } from './journal.js';
import { BlockReader, partEnd, type ScannedBlock } from './scan-lines.js';
import { ScanPool, scanThreadsDefault } from './scan-pool.js';
import { ownModuleUrl } from '../../assets.js';
import type { UtcOffset, YearResolver } from './parse-syslog.js';
import { AuthTally, type AuthTallyOptions } from './tally.js';

/** The parser's counts as JSON holds them: its per-program maps as plain objects, most first. */
type CountsAsJson<T> = { [K in keyof T]: T[K] extends Map<string, number> ? Record<string, number> : T[K] };

/** What one source held: the parser's counts (AuthLogStats, all but hostFiltered), its events per kind and its time span. */
export interface AuthSourceStats extends Omit<CountsAsJson<AuthLogStats>, 'hostFiltered' | 'fast'> {
  /** File (as seen inside the root, or as given) or "journal". */
  source: string;
  format: 'syslog' | 'journal-json';
  /** Events per kind. */
  kinds: Record<string, number>;
  firstTime: string | null;
  lastTime: string | null;
  /** Stopped early (Ctrl-C). */
  interrupted: boolean;
}

export interface ReadSourceOptions {
  source: string;
  /** For RFC 3164 stamps: one per file, from its mtime (or --year). */
  yearResolver?: YearResolver;
  /** Zone of zone-less stamps. */
  utcOffset?: UtcOffset;
  signal?: AbortSignal;
  /**
   * Blocks (readSyslogBlocks): read the common line shapes on the fast path (fast-path.ts); default
   * on, off when the environment sets IR_TRIAGE_AUTH_FAST_PATH=off (the same results, slower: for
   * checking one against the other).
   */
  fastPath?: boolean;
  /**
   * readSyslogBlocks, with the fast path on: threads that read blocks while this one applies the
   * blocks before them (scan-pool.ts). Default scanThreadsDefault() (IR_TRIAGE_AUTH_WORKERS),
   * started past the first SCAN_THREADS_AFTER_BYTES unless set explicitly.
   */
  scanThreads?: { threads: number; explicit: boolean };
  /** The scanning thread's module (tests: the built one). */
  scanWorkerUrl?: URL;
}

/** A file this long is read on one thread (starting a thread costs more than it saves). */
const SCAN_THREADS_AFTER_BYTES = 4 << 20;

/** The fast path is on unless IR_TRIAGE_AUTH_FAST_PATH=off. */
export function fastPathDefault(): boolean {
  return process.env.IR_TRIAGE_AUTH_FAST_PATH !== 'off';
}

const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });

export type EventSink = (e: AuthLogEvent) => void | Promise<void>;

export class AuthAnalysis {
  readonly tally: AuthTally;
  readonly logins: AcceptedLogins;
  readonly sources: AuthSourceStats[] = [];
  /** The parser of the last syslog source read (its counts: how many lines took the fast path). */
  lastParser: AuthLogParser | null = null;
  /** Blocks of syslog files a scanning thread read (the others were read on this thread). */
  threadBlocks = 0;

  constructor(
    private readonly onEvent: EventSink | null = null,
    opts: { tally?: AuthTallyOptions; logins?: AcceptedLoginsOptions } = {},
  ) {
    this.tally = new AuthTally(opts.tally);
    this.logins = new AcceptedLogins(opts.logins);
  }

  /** A syslog file's lines (auth.log, secure, their rotations), in order, in batches (readLineBatches). */
  async readSyslog(lines: AsyncIterable<string[]>, opts: ReadSourceOptions): Promise<AuthSourceStats> {
    const parser = new AuthLogParser({ source: opts.source, yearResolver: opts.yearResolver, utcOffset: opts.utcOffset, reuseEvents: this.onEvent === null });
    return this.read(lines, parser, 'syslog', opts, (line, n) => parser.push(line, n));
  }

  /**
   * A syslog file as blocks of whole lines (readLineBlocks): the same lines and results as
   * readSyslog, the plain ASCII lines read on the fast path without a string per line decoded.
   */
  async readSyslogBlocks(blocks: AsyncIterable<Buffer>, opts: ReadSourceOptions): Promise<AuthSourceStats> {
    const parser = new AuthLogParser({ source: opts.source, yearResolver: opts.yearResolver, utcOffset: opts.utcOffset, reuseEvents: this.onEvent === null });
    const fast = opts.fastPath ?? fastPathDefault();
    this.lastParser = parser;
    const stats = this.newStats(opts.source, 'syslog');
    let n = 0;
    const takeAll = async (events: AuthLogEvent[]): Promise<void> => {
      for (const e of events) {
        const pending = this.take(e, stats);
        if (pending) await pending;
      }
    };
    /** A block read here, line by line, a part at a time (PART_BYTES). */
    const readHere = async (whole: Buffer): Promise<void> => {
      for (let from = 0; from < whole.length;) {
        const to = partEnd(whole, from);
        await readPart(whole.subarray(from, to));
        from = to;
      }
    };
    const readPart = async (block: Buffer): Promise<void> => {
      const ascii = isAscii(block);
      const s = ascii ? block.toString('latin1') : '';
      const size = block.length;
      let a = 0;
      while (a < size) {
        const nl = ascii ? s.indexOf('\n', a) : block.indexOf(0x0a, a);
        const end = nl < 0 ? size : nl;
        const b = end > a && block[end - 1] === 0x0d ? end - 1 : end;
        n++;
        let events: AuthLogEvent[] | null = null;
        if (fast) {
          if (ascii) events = parser.pushFast(s, a, b, n);
          else {
            const sub = block.subarray(a, b);
            if (isAscii(sub)) events = parser.pushFast(sub.toString('latin1'), 0, b - a, n);
          }
        }
        if (events === null) events = parser.push(ascii ? s.slice(a, b) : utf8.decode(block.subarray(a, b)), n);
        await takeAll(events);
        a = end + 1;
      }
    };
    /** A block a scanning thread read: its lines applied in order. */
    const reader = new BlockReader();
    const replay = async (r: ScannedBlock): Promise<void> => {
      this.threadBlocks++;
      for (let k = 0; k < r.lines; k++) {
        n++;
        reader.read(r, k);
        const events = reader.scanned !== null ? parser.pushScanned(reader.scanned, n) : parser.push(reader.text!, n);
        // The thread checked that the stamp reads (a zone does not change that).
        if (events === null) throw new Error(`${opts.source}:${n}: a scanned line without a time`);
        await takeAll(events);
      }
    };
    // Scanning threads (fast path only): from the first block when asked for, else once the file
    // is past a few blocks (a small file is not worth starting a thread for).
    const want = fast ? { ...(opts.scanThreads ?? scanThreadsDefault()) } : { threads: 0, explicit: true };
    const startAfter = want.explicit ? 0 : SCAN_THREADS_AFTER_BYTES;
    let pool: ScanPool | null = null;
    let seen = 0;
    const inflight: { block: Buffer; result: Promise<ScannedBlock | null> }[] = [];
    const next = async (): Promise<void> => {
      const { block, result } = inflight.shift()!;
      const r = await result;
      if (r === null) await readHere(block);
      else await replay(r);
    };
    try {
      for await (const block of blocks) {
        if (pool === null && want.threads > 0 && seen >= startAfter) {
          // No module to start in the single-file builds: one thread, the same results.
          const url = opts.scanWorkerUrl ?? ownModuleUrl('collectors/auth/scan-worker.js');
          try {
            if (url === null) want.threads = 0;
            else pool = new ScanPool(want.threads, url);
          } catch {
            want.threads = 0;
          }
        }
        seen += block.length;
        if (pool !== null) {
          inflight.push({ block, result: pool.scan(block) });
          // Bounded: two blocks ahead per thread.
          while (inflight.length > 2 * pool.size) await next();
        } else {
          await readHere(block);
        }
        if (opts.signal?.aborted) {
          stats.interrupted = true;
          break;
        }
      }
      if (!stats.interrupted) while (inflight.length > 0) await next();
    } finally {
      pool?.close();
      await this.close(parser, stats, () => []);
    }
    return stats;
  }

  /**
   * journalctl's structured output, in batches: `-o json` (one object a line), `-o json-seq` (each
   * object after an RS byte), `-o json-pretty` (an object over many lines, `{` to `}`), and
   * `-o export` (KEY=VALUE lines, a blank line between records; binary fields are skipped).
   */
  async readJournal(lines: AsyncIterable<string[]>, opts: ReadSourceOptions): Promise<AuthSourceStats> {
    const parser = new AuthLogParser({ source: opts.source, reuseEvents: this.onEvent === null });
    let pretty: string[] | null = null;
    let prettyStart = 0;
    let exported: Record<string, string> | null = null;
    let exportStart = 0;
    const flushExport = (): AuthLogEvent[] => {
      if (!exported) return [];
      const rec = exported;
      exported = null;
      return parser.pushRecord(parseJournalJsonLine(JSON.stringify(rec)), exportStart);
    };
    return this.read(lines, parser, 'journal-json', opts, (raw, n) => {
      const line = raw.charCodeAt(0) === 0x1e ? raw.slice(1) : raw;
      if (pretty) {
        pretty.push(line);
        if (line !== '}') return [];
        const text = pretty.join('\n');
        pretty = null;
        return parser.pushRecord(parseJournalJsonLine(text), prettyStart);
      }
      if (line === '{') {
        pretty = [line];
        prettyStart = n;
        return [];
      }
      if (line.trim() === '') return flushExport();
      if (line.startsWith('{')) return parser.pushRecord(parseJournalJsonLine(line), n);
      const eq = line.indexOf('=');
      if (eq > 0 && /^[A-Z0-9_]+$/.test(line.slice(0, eq))) {
        if (!exported) {
          exported = {};
          exportStart = n;
        }
        exported[line.slice(0, eq)] = line.slice(eq + 1);
        return [];
      }
      // A binary field's name alone on its line (its length and bytes follow): not read.
      if (exported && /^[A-Z0-9_]+$/.test(line)) return [];
      return parser.pushRecord(null, n);
    }, flushExport);
  }

  /** The aggregates the auth rules read. */
  facts(): Pick<KnownFacts, 'authTally' | 'authLogins' | 'authRootLogins'> {
    return { authTally: this.tally.toRows(), authLogins: this.logins.logins(), authRootLogins: this.logins.rootLogins() };
  }

  private async read(
    batches: AsyncIterable<string[]>,
    parser: AuthLogParser,
    format: AuthSourceStats['format'],
    opts: ReadSourceOptions,
    push: (line: string, lineNo: number) => AuthLogEvent[],
    atEnd: () => AuthLogEvent[] = () => [],
  ): Promise<AuthSourceStats> {
    const stats = this.newStats(opts.source, format);
    let n = 0;
    try {
      for await (const batch of batches) {
        for (const line of batch) {
          n++;
          for (const e of push(line, n)) {
            const pending = this.take(e, stats);
            if (pending) await pending;
          }
        }
        // Ctrl-C is heard between batches (a chunk of the file each).
        if (opts.signal?.aborted) {
          stats.interrupted = true;
          break;
        }
      }
    } finally {
      await this.close(parser, stats, atEnd);
    }
    return stats;
  }

  private newStats(source: string, format: AuthSourceStats['format']): AuthSourceStats {
    const stats: AuthSourceStats = {
      source, format, lines: 0, events: 0, unparsed: 0, prefiltered: 0, repeatLines: 0, repeatTruncated: 0,
      unknownByProgram: {}, notUnderstood: 0, notUnderstoodByProgram: {}, ignored: 0, kinds: {},
      firstTime: null, lastTime: null, interrupted: false,
    };
    this.sources.push(stats);
    return stats;
  }

  /** Even when reading failed half-way, what was read counts: the held-back PAM lines too. */
  private async close(parser: AuthLogParser, stats: AuthSourceStats, atEnd: () => AuthLogEvent[]): Promise<void> {
    for (const e of atEnd()) await this.take(e, stats);
    for (const e of parser.end()) await this.take(e, stats);
    {
      const p = parser.stats;
      stats.lines = p.lines;
      stats.unparsed = p.unparsed;
      stats.prefiltered = p.prefiltered;
      stats.repeatLines = p.repeatLines;
      stats.repeatTruncated = p.repeatTruncated;
      stats.unknownByProgram = Object.fromEntries([...p.unknownByProgram].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
      stats.notUnderstood = p.notUnderstood;
      stats.notUnderstoodByProgram = Object.fromEntries([...p.notUnderstoodByProgram].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
      stats.ignored = p.ignored;
    }
  }

  /** Folds one event in; a promise only when the callback returned one (no await on the hot path otherwise). */
  private take(e: AuthLogEvent, stats: AuthSourceStats): void | Promise<void> {
    stats.events++;
    stats.kinds[e.kind] = (stats.kinds[e.kind] ?? 0) + 1;
    // Events of one second share their time string: most change neither end.
    if (e.time !== '' && e.time !== stats.lastTime) {
      if (stats.firstTime === null || e.time < stats.firstTime) stats.firstTime = e.time;
      if (stats.lastTime === null || e.time > stats.lastTime) stats.lastTime = e.time;
    }
    this.tally.add(e);
    this.logins.add(e);
    return this.onEvent ? this.onEvent(e) : undefined;
  }
}
