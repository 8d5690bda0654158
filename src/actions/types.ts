import type { HostContext } from '../host/context.js';
import type { KnownFacts } from '../model/facts.js';
import type { EvidenceSink } from '../model/sink.js';

/** What an action needs: the host door, the case to copy into, the custody log, what was collected. */
export interface ActionContext {
  host: HostContext;
  sink: EvidenceSink;
  /** Appends a custody event by the examiner (`examiner:NAME`, or `examiner`: docs/bundle.md). */
  custody: (event: string, details: Record<string, unknown>) => void;
  facts: KnownFacts;
  /** Cap for each file copied into the case. */
  maxFileBytes: number;
  /** Cap for all copies of one action together (quarantine); its default when absent. */
  maxTotalBytes?: number;
  /** How deep quarantine walks (folders at the bound are chmod-ed, not entered); its default when absent. */
  maxDepth?: number;
  /** Allows protected paths (quarantine) — only ever from an explicit --force. */
  force: boolean;
}

/** One change an action will make, shown to the responder before anything happens. */
export interface PlannedChange {
  /** e.g. "SIGSTOP", "chmod", "nft add rule". */
  op: string;
  /** What it applies to: a pid, a path, an address. */
  target: string;
  /** Human-readable before → after, e.g. "0755 → 0200". */
  detail: string;
}

/** The read-only first half of every action: exactly what will change, and why not, if refused. */
export interface ActionPlan<T = unknown> {
  action: string;
  /** The responder's words for the target ("pid 4242 and 2 children", "/tmp/.. "). */
  summary: string;
  changes: PlannedChange[];
  /** Things the responder must know (what chmod does not stop, lock-out risk, …). */
  warnings: string[];
  /** Set when the action must not run (protected path, own address, recycled pid, …). */
  refused: string | null;
  /** What apply needs, re-checked by apply. */
  data: T;
}

export interface ActionResult {
  ok: boolean;
  /** One line for the terminal and the custody log. */
  message: string;
  /** Bundle path of the undo record, when the action can be undone. */
  undoRecord: string | null;
  /** Per-change outcomes, for the report. */
  applied: Array<{ target: string; ok: boolean; detail: string }>;
}
