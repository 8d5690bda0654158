import { blockIpAction } from './block-ip.js';
import { disableAction } from './disable.js';
import { freezeAction } from './freeze.js';
import { killAction } from './kill.js';
import { quarantineAction } from './quarantine.js';
import type { Action, Undo } from './types.js';

/**
 * Every containment action, sorted by id: what a playbook step may name, what the guided run
 * offers and dispatches, and what `ir-triage restore` undoes. An action changes the system, so it
 * is never part of `collect`.
 */
export const ACTIONS: readonly Action[] = [blockIpAction, disableAction, freezeAction, killAction, quarantineAction];

/** What "Act now" offers after a step, in this order: stop the process, then its folder, then the address. */
export const ACT_NOW: readonly string[] = ['freeze', 'quarantine', 'block-ip'];

export function findAction(id: string): Action | undefined {
  return ACTIONS.find((a) => a.id === id);
}

/** The undos `ir-triage restore` runs, sorted by action id. */
export function undos(): Undo[] {
  return ACTIONS.flatMap((a) => (a.undo ? [a.undo] : []));
}
