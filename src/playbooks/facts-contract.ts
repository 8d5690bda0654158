import type { FactKey, Facts, KnownFacts } from '../model/facts.js';
import type { PersistenceFile } from '../model/persistence.js';
import { incidentWindow } from '../model/window.js';

/**
 * Facts that several collectors (or several follow-ups of one) add to. Each returns only its own
 * part; the engine merges it into what the run already holds, so no collector reads or rewrites
 * another's list.
 */
export const ACCUMULATED: { readonly [K in FactKey]?: (held: Facts[K], more: Facts[K]) => Facts[K] } = {
  // cron, systemd-units and startup-files each add the files they read; a file read twice is kept once.
  persistenceFiles: (held: PersistenceFile[], more: PersistenceFile[]) => {
    const seen = new Set(held.map((f) => f.path));
    return [...held, ...more.filter((f) => !seen.has(f.path))];
  },
  // The lsof step runs after every step that flags a process: each run adds the new ones.
  openFiles: (held, more) => [...held, ...more],
};

/** What a derived fact is computed from, besides the facts it uses. */
export interface DeriveInput {
  facts: KnownFacts;
  /** --since, ISO 8601. */
  since?: string;
  now: Date;
}

/** A fact the engine computes from other facts, once per run, rather than a collector. */
export interface DerivedFact<K extends FactKey> {
  /** The facts it is computed from, when the run collects them. */
  from: readonly FactKey[];
  derive(input: DeriveInput): Facts[K];
  /** One line for the source table: where the value comes from. */
  describe(value: Facts[K]): string;
}

/**
 * The engine derives these right after the collectors of their inputs that the playbook names have
 * run (or, when it names none, the first time a collector reads them or a rule needs them), so
 * every collector and rule of a run sees the same value whatever the order of the steps.
 */
export const DERIVED: { readonly [K in FactKey]?: DerivedFact<K> } = {
  window: {
    from: ['authTally', 'authLogins'],
    derive: ({ facts, since, now }) => incidentWindow({ since, now, authTally: facts.authTally, authLogins: facts.authLogins }),
    describe: (w) => w.reason,
  },
};

/** Merges what a collector returned into the run's facts: accumulated keys are added to, others set. */
export function mergeFacts(held: KnownFacts, more: KnownFacts): void {
  for (const key of Object.keys(more) as FactKey[]) {
    const value = more[key];
    if (value === undefined) continue;
    const merge = ACCUMULATED[key] as ((a: unknown, b: unknown) => unknown) | undefined;
    const prior = held[key];
    (held as Record<FactKey, unknown>)[key] = merge && prior !== undefined ? merge(prior, value) : value;
  }
}
