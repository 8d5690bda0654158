import type { HostContext } from '../host/context.js';
import type { KnownFacts } from '../model/facts.js';
import type { DraftFinding } from '../model/finding.js';
import type { EvidenceSink } from '../model/sink.js';
import type { UndoRecordBase } from './common.js';

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

/** One thing an action step offers the responder: the value handed to plan, and how it reads (attacker text: sanitised where shown). */
export interface ActionTarget {
  value: string;
  name: string;
  description?: string;
}

/** A plan bound to the action that made it: apply runs exactly this plan, with its own types. */
export interface PlannedAction {
  readonly plan: ActionPlan;
  apply(ctx: ActionContext): Promise<ActionResult>;
}

/**
 * A containment action as a unit, the way collectors and rules are: what it is, what it offers
 * from what the run collected and flagged, its read-only plan, its apply, and its undo. `T` is the
 * data the plan hands to apply; `D` is its undo (or null).
 */
export interface ActionSpec<T, D extends Undo | null> {
  id: string;
  title: string;
  /** Why and what: one line, for `playbooks` and the docs. */
  description: string;
  /** What the guided run says when the run flagged nothing to act on. */
  nothingFound: string;
  /** Said after "Apply these N change(s)?" when no has a meaning of its own. */
  declineNote?: string;
  /** The targets an action step offers, drawn from what the run collected and flagged. */
  targets(facts: KnownFacts, findings: DraftFinding[]): ActionTarget[];
  /** Read-only: exactly what will change, or why it must not. */
  plan(ctx: ActionContext, target: string): Promise<ActionPlan<T>>;
  /** Re-checks and makes the change the plan shows; writes the undo record. */
  apply(ctx: ActionContext, plan: ActionPlan<T>): Promise<ActionResult>;
  /** How `ir-triage restore` undoes it from its record, or null. */
  undo: D;
}

/** What the runner and the commands see of every action: the same for all, no cast at dispatch. */
export interface Action {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly nothingFound: string;
  readonly declineNote?: string;
  targets(facts: KnownFacts, findings: DraftFinding[]): ActionTarget[];
  /** plan, bound to its apply. */
  prepare(ctx: ActionContext, target: string): Promise<PlannedAction>;
  readonly undo: Undo | null;
}

export type TypedAction<T, D extends Undo | null> = ActionSpec<T, D> & Action;

/** Declares an action: the plan data type flows from plan to apply, and dispatch needs no cast. */
export function defineAction<T, D extends Undo | null>(spec: ActionSpec<T, D>): TypedAction<T, D> {
  return {
    ...spec,
    async prepare(ctx, target) {
      const plan = await spec.plan(ctx, target);
      return { plan, apply: (at) => spec.apply(at, plan) };
    },
  };
}

/** Options of an undo. */
export interface UndoOptions {
  /** Undo although the target changed since (quarantine, disable), or lies in a protected folder. */
  force: boolean;
  /** The file as an earlier undo of the same batch leaves it (see UndoSpec.file). */
  assume?: Buffer;
}

/** An undo plan bound to its apply. */
export interface PlannedUndo extends PlannedAction {
  /** The content the undo leaves its file with, for the next undo of the same file to plan against; null when none. */
  readonly leaves: Buffer | null;
}

/** An undo record that passed its action's check, bound to that action's undo. */
export interface LoadedUndoRecord {
  /** The action the record undoes. */
  readonly action: string;
  readonly record: UndoRecordBase;
  /** What it changes back: a folder, a file. */
  readonly where: string;
  /** The file on this machine that successive undos of one batch change in turn, or null. */
  readonly file: string | null;
  plan(ctx: ActionContext, options: UndoOptions): Promise<PlannedUndo>;
}

/** What restore sees of every undo. */
export interface Undo {
  readonly action: string;
  /** In one restore, lower ranks are undone first (a disable before a quarantine). */
  readonly rank: number;
  /** Checks data read from a record (throws, saying why, when this undo does not accept it) and binds it. */
  load(data: unknown): LoadedUndoRecord;
}

/** The undo half of an action, in its own file: `R` is the record apply wrote, `U` the data the undo plan hands to its apply. */
export interface UndoSpec<R extends UndoRecordBase, U> {
  action: string;
  rank: number;
  check(data: unknown): R;
  where(record: R): string;
  file?(record: R): string;
  plan(ctx: ActionContext, record: R, options: UndoOptions): Promise<ActionPlan<U>>;
  leaves?(plan: ActionPlan<U>): Buffer | null;
  apply(ctx: ActionContext, plan: ActionPlan<U>, options: UndoOptions): Promise<ActionResult>;
}

export type TypedUndo<R extends UndoRecordBase, U> = UndoSpec<R, U> & Undo;

/** Declares an undo: the record and plan types flow from check to plan to apply. */
export function defineUndo<R extends UndoRecordBase, U>(spec: UndoSpec<R, U>): TypedUndo<R, U> {
  return {
    ...spec,
    load(data) {
      const record = spec.check(data);
      return {
        action: spec.action,
        record,
        where: spec.where(record),
        file: spec.file ? spec.file(record) : null,
        async plan(ctx, options) {
          const plan = await spec.plan(ctx, record, options);
          return { plan, leaves: spec.leaves ? spec.leaves(plan) : null, apply: (at) => spec.apply(at, plan, options) };
        },
      };
    },
  };
}
