import type { Rule } from './types.js';

/** Every rule, sorted by id. Playbooks name them; a conformance test walks this list. */
export const RULES: readonly Rule[] = [];

export function findRule(id: string): Rule | undefined {
  return RULES.find((r) => r.id === id);
}
