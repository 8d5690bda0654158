import { applyBlockIp, planBlockIp, responderFromEnv } from '../actions/block-ip.js';
import { applyDisable, planDisable } from '../actions/disable.js';
import { applyFreeze, planFreeze } from '../actions/freeze.js';
import { applyKill, planKill } from '../actions/kill.js';
import { applyQuarantine, planQuarantine } from '../actions/quarantine.js';
import type { ActionContext, ActionPlan, ActionResult } from '../actions/types.js';
import type { CaseRun } from '../case/case-run.js';
import type { Containment } from './containment.js';

/** The containment actions, bound to one case: copies and undo records go into its bundle. */
export function containmentFor(run: CaseRun, options: { maxFileBytes: number; force?: boolean }): Containment {
  const ctx: ActionContext = {
    host: run.host,
    sink: run.store,
    custody: (event, details) => run.custody(event, details, run.examinerActor),
    facts: run.engine.facts,
    maxFileBytes: options.maxFileBytes,
    force: options.force ?? false,
  };
  return {
    async plan(action, target): Promise<ActionPlan> {
      switch (action) {
        case 'freeze':
          return planFreeze(ctx, Number(target));
        case 'kill':
          return planKill(ctx, Number(target));
        case 'quarantine':
          return planQuarantine(ctx, target);
        case 'block-ip':
          return planBlockIp(ctx, target, { responderAddress: responderFromEnv() });
        case 'disable':
          return planDisable(ctx, target);
        default:
          throw new Error(`unknown action ${action}`);
      }
    },
    async apply(action, plan): Promise<ActionResult> {
      switch (action) {
        case 'freeze':
          return applyFreeze(ctx, plan as Parameters<typeof applyFreeze>[1]);
        case 'kill':
          return applyKill(ctx, plan as Parameters<typeof applyKill>[1]);
        case 'quarantine':
          return applyQuarantine(ctx, plan as Parameters<typeof applyQuarantine>[1]);
        case 'block-ip':
          return applyBlockIp(ctx, plan as Parameters<typeof applyBlockIp>[1]);
        case 'disable':
          return applyDisable(ctx, plan as Parameters<typeof applyDisable>[1]);
        default:
          throw new Error(`unknown action ${action}`);
      }
    },
  };
}
