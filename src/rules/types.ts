import type { DraftFinding, Severity } from '../model/finding.js';
import type { Facts } from '../model/facts.js';

export type Thresholds = Record<string, number>;

/** A detection rule in Sigma's vocabulary, with a pure detect function over the facts. */
export interface Rule<T extends Thresholds = Thresholds> {
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
  /** Facts it reads; without them the rule does not run. */
  needs: Array<keyof Facts & string>;
  /** Parameters a playbook may set, with the shipped defaults. */
  thresholds: T;
  detect(facts: Facts, thresholds: T): DraftFinding[];
}
