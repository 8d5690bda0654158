import { accountsCollector } from './accounts/accounts.js';
import { authLogCollector } from './auth/auth-log.js';
import { boxLoginsCollector } from './box-tools/box-logins.js';
import { boxNetworkCollector } from './box-tools/box-network.js';
import { boxProcessesCollector } from './box-tools/box-processes.js';
import { cronCollector } from './cron/cron.js';
import { fileSweepCollector } from './file-sweep/file-sweep.js';
import { hidingCollector } from './hiding/hiding.js';
import { hostCollector } from './host/host.js';
import { integrityCollector } from './integrity/integrity.js';
import { kernelModulesCollector } from './kernel-modules/kernel-modules.js';
import { loginsCollector } from './logins/logins.js';
import { connectionsCollector } from './network/connections.js';
import { packetSocketsCollector } from './packet-sockets/packet-sockets.js';
import { processesCollector } from './processes/processes.js';
import { shellHistoryCollector } from './shell-history/shell-history.js';
import { sshKeysCollector } from './ssh-keys/ssh-keys.js';
import { sshdConfigCollector } from './sshd-config/sshd-config.js';
import { sshdLibrariesCollector } from './sshd-libraries/sshd-libraries.js';
import { startupFilesCollector } from './startup-files/startup-files.js';
import { systemdUnitsCollector } from './systemd-units/systemd-units.js';
import type { Collector } from './types.js';
import { yaraCollector } from './yara/yara.js';

/** Every collector, sorted by id. Playbooks name them; a conformance test walks this list. */
export const COLLECTORS: readonly Collector[] = [
  accountsCollector,
  authLogCollector,
  boxLoginsCollector,
  boxNetworkCollector,
  boxProcessesCollector,
  connectionsCollector,
  cronCollector,
  fileSweepCollector,
  hidingCollector,
  hostCollector,
  integrityCollector,
  kernelModulesCollector,
  loginsCollector,
  packetSocketsCollector,
  processesCollector,
  shellHistoryCollector,
  sshKeysCollector,
  sshdConfigCollector,
  sshdLibrariesCollector,
  startupFilesCollector,
  systemdUnitsCollector,
  yaraCollector,
];

export function findCollector(id: string): Collector | undefined {
  return COLLECTORS.find((c) => c.id === id);
}
