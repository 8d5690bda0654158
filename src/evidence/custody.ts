import { closeSync } from 'node:fs';
import { sha256Hex, ZERO_HASH } from './hash.js';
import { appendToOwnFileSync, createNewFileSync } from './new-files.js';
import { parseBoundedJson, type JsonLimits } from './bounded-json.js';
import { CustodyLineSchema } from './bundle-schemas.js';
import { DEFAULT_LIMITS } from './limits.js';
import { bytesLimitText } from './safe-open.js';

/**
 * Who an event is by. One convention for every case (collect, the guided run, quarantine,
 * restore): the tool for what it does on its own (opening and closing the case, collecting,
 * findings, interruptions, encrypting), the examiner for what a person decided (answers, actions
 * planned, applied and undone). Bundles written before this convention may name the examiner
 * bare (`alice`) or the tool for a run without --examiner; verify takes any string.
 */
export const TOOL_ACTOR = 'ir-triage';

/** `examiner:NAME` (from --examiner), or `examiner` when no name was given. */
export function examinerActor(examiner: string | null | undefined): string {
  return examiner ? `examiner:${examiner}` : 'examiner';
}

/** One line of custody.jsonl. `prev` is the sha256 of the previous line's bytes (without newline). */
export interface CustodyEvent {
  seq: number;
  time: string;
  actor: string;
  event: string;
  prev: string;
  [key: string]: unknown;
}

/**
 * The hash-chained custody log. Appended synchronously, line by line, so that an interruption
 * leaves every event that happened on disk and the chain intact.
 */
export class CustodyLog {
  private seq = 0;
  private prev = ZERO_HASH;

  constructor(
    private readonly file: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  append(actor: string, event: string, details: Record<string, unknown> = {}): CustodyEvent {
    const entry: CustodyEvent = {
      seq: ++this.seq,
      time: this.now().toISOString(),
      actor,
      event,
      prev: this.prev,
      ...details,
    };
    // Details never override the chain fields.
    entry.seq = this.seq;
    entry.prev = this.prev;
    const line = JSON.stringify(entry);
    // Created new by the first event (never an existing file or a link), appended to after.
    if (this.seq === 1) closeSync(createNewFileSync(this.file, 0o600));
    appendToOwnFileSync(this.file, line + '\n');
    this.prev = sha256Hex(line);
    return entry;
  }
}

export interface ChainProblem {
  line: number;
  message: string;
}

/** Checks a custody log: every line JSON of the custody schema, seq counting from 1, each prev the hash of the line before. */
export function verifyCustodyChain(text: string, limits: JsonLimits = DEFAULT_LIMITS): ChainProblem[] {
  const problems: ChainProblem[] = [];
  if (text.length > limits.maxJsonBytes) return [{ line: 0, message: `custody.jsonl: larger than ${bytesLimitText(limits.maxJsonBytes)}` }];
  if (text.length > 0 && !text.endsWith('\n')) problems.push({ line: 0, message: 'custody.jsonl does not end with a newline (cut short?)' });
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) problems.push({ line: 0, message: 'custody.jsonl is empty' });
  let prev = ZERO_HASH;
  lines.forEach((line, i) => {
    const n = i + 1;
    // A log with thousands of bad lines is named by its first few.
    if (problems.length >= 20) return;
    const parsed = parseBoundedJson(`custody.jsonl line ${n}`, line, CustodyLineSchema, limits);
    if (!parsed.ok) {
      for (const p of parsed.problems) problems.push({ line: n, message: p.replace(/ is not valid JSON$/, ' is not JSON') });
      prev = sha256Hex(line);
      return;
    }
    const entry = parsed.value;
    if (entry.seq !== n) problems.push({ line: n, message: `custody.jsonl line ${n} has seq ${entry.seq}, expected ${n} (a line removed or reordered)` });
    if (entry.prev !== prev) problems.push({ line: n, message: `custody.jsonl line ${n}: chain broken (prev does not match the hash of line ${n - 1})` });
    prev = sha256Hex(line);
  });
  return problems;
}
