import { deletedExe } from './process/deleted-exe.js';
import { exeInWritableDir } from './process/exe-in-writable-dir.js';
import { hidden } from './process/hidden.js';
import { knownTool } from './process/known-tool.js';
import { masquerade } from './process/masquerade.js';
import { preload } from './process/preload.js';
import type { Rule } from './types.js';

/** Every rule, sorted by id. Playbooks name them; a conformance test walks this list. */
export const RULES: readonly Rule[] = [
  deletedExe,
  exeInWritableDir,
  hidden,
  knownTool,
  masquerade,
  preload,
] as Rule[];

export function findRule(id: string): Rule | undefined {
  return RULES.find((r) => r.id === id);
}
