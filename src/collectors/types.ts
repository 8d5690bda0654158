import type { HostContext } from '../host/context.js';
import type { DraftFinding } from '../model/finding.js';
import type { Facts } from '../model/facts.js';
import type { EvidenceSink } from '../model/sink.js';
import type { SourceStatus } from '../model/source.js';

export interface CollectOptions {
  /** Ports given with --ssh-port (the collector adds 22 and sshd_config's). */
  sshPorts: number[];
  /** Cap for each preserved file. */
  maxFileBytes: number;
  /** Cap for each command's stdout. */
  maxCommandBytes: number;
  /** Timeout for each external command. */
  commandTimeoutMs: number;
  /** The playbook's own tool lists (Loki formats), beside the shipped ones; keys: known-bad key lists (playbooks/tools/keys.txt format). */
  toolLists: { names: string[]; hashes: string[]; keys?: string[] };
  /** --since: ISO 8601 start of the incident window (src/model/window.ts); absent: derived from the auth log or a default span. */
  since?: string;
}

export interface CollectContext {
  host: HostContext;
  sink: EvidenceSink;
  /** Facts of the collectors that ran before (see `after`). */
  facts: Facts;
  options: CollectOptions;
}

export interface CollectorResult {
  facts?: Partial<Facts>;
  sources: SourceStatus[];
}

/** One evidence source: declared metadata, and a collect function that never throws for a missing source. */
export interface Collector {
  /** Registry key, folder name, and the name playbooks use. */
  id: string;
  title: string;
  /** One line for `ir-triage playbooks` and the docs. */
  description: string;
  /** Needs the running system (/proc, the box's tools): skipped with --root. */
  liveOnly: boolean;
  /** Without root it still runs, but sees less (the run is marked partial). */
  needsRoot: boolean;
  /** Files it writes into the bundle. */
  artifacts: string[];
  /** Collectors whose facts it reads; they run first. */
  after?: string[];
  collect(ctx: CollectContext): Promise<CollectorResult>;
  /**
   * Runs after each step's rules with that step's findings: more evidence about what was
   * flagged (preserved executables, the lsof step). Returns evidence paths to add, by pid.
   */
  followUp?(ctx: CollectContext, findings: DraftFinding[]): Promise<FollowUpResult>;
  /** Closes what the collector still has open, once the run is over. */
  finish?(ctx: CollectContext): Promise<SourceStatus[]>;
}

export interface FollowUpResult {
  sources: SourceStatus[];
  /** Bundle paths to add to the evidence of findings about each pid. */
  evidenceByPid: Map<number, string[]>;
}
