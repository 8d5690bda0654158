import { findAction } from '../actions/index.js';
import type { ActionContext, ActionPlan, PlannedAction } from '../actions/types.js';
import type { CaseRun } from '../case/case-run.js';
import type { Containment } from './containment.js';

/** The registry's actions bound to a context: apply runs only a plan this containment made, with the action that made it. */
export function containmentOf(ctx: ActionContext): Containment {
  const planned = new WeakMap<ActionPlan, { action: string; bound: PlannedAction }>();
  return {
    async plan(action, target) {
      const unit = findAction(action);
      if (!unit) throw new Error(`unknown action ${action}`);
      const bound = await unit.prepare(ctx, target);
      planned.set(bound.plan, { action, bound });
      return bound.plan;
    },
    async apply(action, plan) {
      const made = planned.get(plan);
      if (!made || made.action !== action) throw new Error(`no ${action} plan of this run to apply`);
      return made.bound.apply(ctx);
    },
  };
}

/** The containment actions, bound to one case: copies and undo records go into its bundle. */
export function containmentFor(run: CaseRun, options: { maxFileBytes: number; force?: boolean }): Containment {
  return containmentOf({
    host: run.host,
    sink: run.store,
    custody: (event, details) => run.custody(event, details, run.examinerActor),
    facts: run.engine.facts,
    maxFileBytes: options.maxFileBytes,
    force: options.force ?? false,
  });
}
