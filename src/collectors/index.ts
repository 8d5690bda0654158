import { authLogCollector } from './auth/auth-log.js';
import { boxLoginsCollector } from './box-tools/box-logins.js';
import { boxNetworkCollector } from './box-tools/box-network.js';
import { boxProcessesCollector } from './box-tools/box-processes.js';
import { hostCollector } from './host/host.js';
import { loginsCollector } from './logins/logins.js';
import { connectionsCollector } from './network/connections.js';
import { processesCollector } from './processes/processes.js';
import type { Collector } from './types.js';

/** Every collector, sorted by id. Playbooks name them; a conformance test walks this list. */
export const COLLECTORS: readonly Collector[] = [
  authLogCollector,
  boxLoginsCollector,
  boxNetworkCollector,
  boxProcessesCollector,
  connectionsCollector,
  hostCollector,
  loginsCollector,
  processesCollector,
];

export function findCollector(id: string): Collector | undefined {
  return COLLECTORS.find((c) => c.id === id);
}
