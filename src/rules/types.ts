import type { DraftFinding, Severity } from '../model/finding.js';
import type { FactKey, FactsWith, KnownFacts } from '../model/facts.js';

export type Thresholds = Record<string, number>;

/** A detection rule in Sigma's vocabulary, with a pure detect function over the facts. */
export interface Rule<N extends FactKey = FactKey, T extends Thresholds = Thresholds> {
  /** `<area>.<name>`, stable: users script against it. */
  id: string;
  title: string;
  description: string;
  /** The usual level; a finding may be raised or lowered with a reason in its detail. */
  level: Severity;
  /** ATT&CK technique ids. */
  mitre: string[];
  references: string[];
  falsePositives: string[];
  /** Facts it reads; without them the rule does not run, with them detect sees them present. */
  needs: readonly N[];
  /** Parameters a playbook may set, with the shipped defaults. */
  thresholds: T;
  detect(facts: FactsWith<N>, thresholds: T): DraftFinding[];
}

/**
 * Declares a rule: the facts named in `needs` are typed as present in `detect`, so a typo in
 * `needs` or a read of an undeclared fact as if present does not compile.
 */
export function defineRule<const N extends FactKey, T extends Thresholds>(rule: Rule<N, T>): Rule<N, T> {
  return rule;
}

/** The facts a rule needs that the run has not got. */
export function missingNeeds(rule: Rule, facts: KnownFacts): FactKey[] {
  return rule.needs.filter((k) => facts[k] === undefined);
}

/**
 * Runs a rule on the facts of a run. The caller checks `missingNeeds` first (the engine skips the
 * rule with a reason); a rule run without its needs is a bug, and throws.
 */
export function runRule<N extends FactKey, T extends Thresholds>(rule: Rule<N, T>, facts: KnownFacts, thresholds: T = rule.thresholds): DraftFinding[] {
  const missing = missingNeeds(rule as unknown as Rule, facts);
  if (missing.length > 0) throw new Error(`rule ${rule.id} run without ${missing.join(', ')}`);
  return rule.detect(facts as FactsWith<N>, thresholds);
}
