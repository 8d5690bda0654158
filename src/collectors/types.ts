import type { HostContext } from '../host/context.js';
import type { DraftFinding } from '../model/finding.js';
import type { FactKey, Facts, KnownFacts } from '../model/facts.js';
import type { Progress } from '../model/progress.js';
import type { EvidenceSink } from '../model/sink.js';
import type { SourceStatus } from '../model/source.js';

export interface CollectOptions {
  /** Ports given with --ssh-port (the collector adds 22 and sshd_config's). */
  sshPorts: number[];
  /** Cap for each preserved file. */
  maxFileBytes: number;
  /** --max-log-bytes: cap for each auth log copied (absent: 1 GiB); a longer log keeps its end. */
  maxLogBytes?: number;
  /** Cap for each command's stdout. */
  maxCommandBytes: number;
  /** Timeout for each external command. */
  commandTimeoutMs: number;
  /** The playbook's own tool lists (Loki formats), beside the shipped ones; keys: known-bad key lists (playbooks/tools/keys.txt format). */
  toolLists: { names: string[]; hashes: string[]; keys?: string[] };
  /** --since: ISO 8601 start of the incident window (src/model/window.ts); absent: derived from the auth log or a default span. */
  since?: string;
  /** --timeline: `aggregate` (absent: the same) collapses failed and pre-auth attempts per address and day, `minute` per address, user and minute; `full` keeps one record per event. */
  timeline?: 'aggregate' | 'day' | 'full';
  /** The YARA rule files of --yara and the playbook's `yara:`, read by the case (src/playbooks/yara-rules.ts); absent when none was given. */
  yaraRules?: YaraRuleSource[];
}

/** One of the responder's YARA rule files: its text, or why it could not be read (a path that could not be listed, a file that could not be read). */
export type YaraRuleSource = { file: string; source: string } | { file: string; error: string };

/**
 * What a collector sees. `collect` gets the facts it declared in `reads` (each may still be absent:
 * its collector may have found nothing or been skipped offline); follow-ups and `finish`, which
 * run after the steps, see every fact gathered so far.
 */
export interface CollectContext<R extends FactKey = FactKey> {
  host: HostContext;
  sink: EvidenceSink;
  facts: Readonly<Partial<Pick<Facts, R>>>;
  options: CollectOptions;
  /** Where long reads (a big log, the journal) report how far they are; absent: nobody watches. */
  progress?: Progress;
}

export interface CollectorResult<P extends FactKey = FactKey> {
  /** Only the facts the collector declared in `provides`; the engine merges accumulated ones. */
  facts?: Partial<Pick<Facts, P>>;
  sources: SourceStatus[];
}

/** One evidence source: declared metadata, and a collect function that never throws for a missing source. */
export interface Collector<P extends FactKey = FactKey, R extends FactKey = FactKey> {
  /** Registry key, folder name, and the name playbooks use. */
  id: string;
  title: string;
  /** One line for `ir-triage playbooks` and the docs. */
  description: string;
  /** Needs the running system (/proc, the box's tools): skipped with --root. */
  liveOnly: boolean;
  /** Without root it still runs, but sees less (the run is marked partial). */
  needsRoot: boolean;
  /**
   * What it reads changes first on a live box (processes, sockets): it runs at the start of the
   * run, before every other collector but the background ones, whatever step names it.
   */
  volatile?: boolean;
  /**
   * It mostly waits (the box's own commands, files read one after another, a walk on its own
   * thread): started as soon as what it reads is there (at the start of the run when it reads
   * nothing) and left to run beside the others; those who read its facts wait for it. What it
   * reads must be whole once its collectors end: not a fact a follow-up adds to later (openFiles).
   */
  background?: boolean;
  /** Files it writes into the bundle. */
  artifacts: string[];
  /** Facts it adds (see src/model/facts.ts). */
  provides: readonly P[];
  /** Facts it reads: the collectors that provide them run first (and the engine derives `window`). */
  reads: readonly R[];
  collect(ctx: CollectContext<R>): Promise<CollectorResult<P>>;
  /**
   * Runs after each step's rules with that step's findings: more evidence about what was
   * flagged (preserved executables, the lsof step). Returns evidence paths to add, by pid.
   */
  followUp?(ctx: CollectContext, findings: DraftFinding[]): Promise<FollowUpResult>;
  /** Closes what the collector still has open, once the run is over. */
  finish?(ctx: CollectContext): Promise<SourceStatus[]>;
}

export interface FollowUpResult {
  /** Facts the follow-up adds (only keys its collector provides; the engine merges accumulated ones). */
  facts?: KnownFacts;
  sources: SourceStatus[];
  /** Bundle paths to add to the evidence of findings about each pid. */
  evidenceByPid: Map<number, string[]>;
}

/** Declares a collector: `provides` and `reads` are checked against the facts contract, and `collect` sees only what it reads. */
export function defineCollector<const P extends FactKey, const R extends FactKey = never>(collector: Collector<P, R>): Collector<P, R> {
  return collector;
}
