import type { ActionPlan, ActionResult } from '../actions/types.js';

/** What the guided run needs from the containment actions: a plan, then the apply of that very plan. */
export interface Containment {
  plan(action: string, target: string): Promise<ActionPlan>;
  apply(action: string, plan: ActionPlan): Promise<ActionResult>;
}
