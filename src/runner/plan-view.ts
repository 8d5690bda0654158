import type { ActionPlan } from '../actions/types.js';
import { renderTable } from '../report/table.js';
import { sanitizeForTerminal as safe } from '../report/text.js';

/**
 * How a plan is shown before anything changes. `step`: inside the guided run, the changes as a
 * table under the summary. `command`: for `ir-triage quarantine` and `restore`, one aligned line
 * per change after the action's name, the warnings under a heading. Every field is sanitised:
 * summaries, targets and details carry file names and process names, which are the attacker's.
 */
export type PlanLayout = 'step' | 'command';

/** How many changes each layout lists before "… and N more". */
const SHOWN: Record<PlanLayout, number> = { step: 30, command: 40 };

/** The plan as the responder reads it, ending with a newline. */
export function renderPlan(plan: ActionPlan, layout: PlanLayout): string {
  const shown = plan.changes.slice(0, SHOWN[layout]);
  const more = plan.changes.length - shown.length;
  const lines: string[] = [];
  if (layout === 'step') {
    lines.push('', safe(plan.summary));
    if (shown.length) lines.push(`${renderTable(['change', 'target', 'detail'], shown.map((c) => [c.op, c.target, c.detail]))}${more > 0 ? `\n  … and ${more} more` : ''}`);
    for (const w of plan.warnings) lines.push(`  ! ${safe(w)}`);
    if (plan.refused) lines.push(`  Refused: ${safe(plan.refused)}`);
    return lines.join('\n') + '\n';
  }
  lines.push(`${plan.action}: ${safe(plan.summary)}`);
  if (plan.refused) lines.push(`  REFUSED: ${safe(plan.refused)}`);
  const width = Math.max(0, ...shown.map((c) => c.op.length));
  for (const c of shown) lines.push(`  ${c.op.padEnd(width)}  ${safe(c.target)}  ${safe(c.detail)}`);
  if (more > 0) lines.push(`  …and ${more} more change(s), all listed in the undo record`);
  if (plan.warnings.length > 0) {
    lines.push('What this does not stop, and what to know:');
    for (const w of plan.warnings) lines.push(`  - ${safe(w)}`);
  }
  return lines.join('\n') + '\n';
}
