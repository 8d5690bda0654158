import type { EvidenceSink } from '../model/sink.js';
import { signRecord } from './record-key.js';
import type { ActionContext, ActionPlan, ActionResult } from './types.js';

/** Bumped when an undo record's shape changes; undo refuses records it does not know. */
export const RECORD_VERSION = 1;

/** What every undo record starts with. */
export interface UndoRecordBase {
  action: string;
  version: number;
  /** When apply ran (ISO 8601 UTC). */
  appliedAt: string;
  /** Where the record sits inside the case that holds it (actions/<action>-<n>.json). */
  record: string;
  /** The plan's summary, for the responder reading the record later. */
  summary: string;
  /** HMAC-SHA256 over the record's canonical JSON with this user's record key (record-key.ts); null when no key could be made, with why. */
  mac?: { alg: string; keyId: string; value: string } | null;
  macError?: string;
}

/** The head every undo record starts with, in its order: the action, the record version, when apply ran (the host door's clock), where the record sits, the plan's summary. */
export function recordHead<A extends string>(ctx: { host: { now: () => Date } }, action: A, rel: string, summary: string): { action: A; version: number; appliedAt: string; record: string; summary: string } {
  return { action, version: RECORD_VERSION, appliedAt: ctx.host.now().toISOString(), record: rel, summary };
}

/** actions/<action>-<n>.json with the first n the case does not hold yet. */
export function nextRecordPath(sink: EvidenceSink, action: string): string {
  for (let n = 1; ; n++) {
    const rel = `actions/${action}-${n}.json`;
    if (!sink.has(rel)) return rel;
  }
}

/**
 * Writes an undo record (pretty JSON, one trailing newline), signed with this user's record key so
 * that restore can tell it from a forged one, and returns its path in the case. Without a usable
 * key (a state folder open to others) the record is still written, unsigned, saying why: the
 * action must not fail for it, and restore then asks the responder to vouch for the record.
 */
export async function writeRecord(sink: EvidenceSink, rel: string, record: UndoRecordBase): Promise<string> {
  let signed: UndoRecordBase;
  try {
    signed = signRecord(record);
  } catch (err) {
    signed = { ...record, mac: null, macError: (err as Error).message };
  }
  const stored = await sink.writeFile(rel, JSON.stringify(signed, null, 2) + '\n');
  return stored.path;
}

/** A refused apply: logged to custody with the reason, nothing changed. */
export function refuseApply(ctx: ActionContext, plan: ActionPlan, reason: string): ActionResult {
  ctx.custody('action-refused', { action: plan.action, summary: plan.summary, reason });
  return { ok: false, message: `${plan.action} refused: ${reason}`, undoRecord: null, applied: [] };
}

/** A plan that must not run. */
export function refusedPlan<T>(action: string, summary: string, reason: string, data: T, warnings: string[] = []): ActionPlan<T> {
  return { action, summary, changes: [], warnings, refused: reason, data };
}

/** Permission bits as four octal digits: 0755. */
export function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** argv as one line a responder could paste into a POSIX shell. */
export function shellQuote(argv: string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ');
}

/**
 * A sink for planning: plans are read-only, so any write is a bug. The CLI plans with it before a
 * case exists (and --dry-run never creates one).
 */
export const READ_ONLY_SINK: EvidenceSink = {
  writeFile: () => Promise.reject(new Error('a plan is read-only: it may not write evidence')),
  writeJsonl: () => Promise.reject(new Error('a plan is read-only: it may not write evidence')),
  jsonl: () => {
    throw new Error('a plan is read-only: it may not write evidence');
  },
  copyIn: () => Promise.reject(new Error('a plan is read-only: it may not write evidence')),
  writeCommand: () => Promise.reject(new Error('a plan is read-only: it may not write evidence')),
  noteCut: () => {
    throw new Error('a plan is read-only: it may not write evidence');
  },
  timeline: () => {
    throw new Error('a plan is read-only: it may not write evidence');
  },
  has: () => false,
};

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
