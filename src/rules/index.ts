import { accountChange } from './activity/account-change.js';
import { defenceOff } from './activity/defence-off.js';
import { downloadExecute } from './activity/download-execute.js';
import { historyTampering } from './activity/history-tampering.js';
import { logWipe } from './activity/log-wipe.js';
import { emptyPassword } from './account/empty-password.js';
import { newAccount } from './account/new.js';
import { uid0 } from './account/uid0.js';
import { bruteforce } from './auth/bruteforce.js';
import { enumeration } from './auth/enumeration.js';
import { loginAfterFailures } from './auth/login-after-failures.js';
import { probe } from './auth/probe.js';
import { rootLoginRefused } from './auth/root-login-refused.js';
import { rootLogin } from './auth/root-login.js';
import { newExecutable } from './file/new-executable.js';
import { setuidUnpackaged } from './file/setuid-unpackaged.js';
import { modifiedBinary } from './integrity/modified-binary.js';
import { hiddenModule } from './kernel/hidden-module.js';
import { tainted } from './kernel/tainted.js';
import { btmpBruteforce } from './login/btmp-bruteforce.js';
import { logTampering } from './login/log-tampering.js';
import { rootRemote } from './login/root-remote.js';
import { hiddenSocket } from './network/hidden-socket.js';
import { rawPacketSocket } from './network/raw-packet-socket.js';
import { rogueSshListener } from './network/rogue-ssh-listener.js';
import { sshInboundFlood } from './network/ssh-inbound-flood.js';
import { sshOutboundFanout } from './network/ssh-outbound-fanout.js';
import { authorizedKey } from './persistence/authorized-key.js';
import { cron } from './persistence/cron.js';
import { preload as preloadConfig } from './persistence/preload.js';
import { startup } from './persistence/startup.js';
import { systemd } from './persistence/systemd.js';
import { deletedExe } from './process/deleted-exe.js';
import { exeInWritableDir } from './process/exe-in-writable-dir.js';
import { hiddenByMount } from './process/hidden-by-mount.js';
import { hidden } from './process/hidden.js';
import { knownTool } from './process/known-tool.js';
import { masquerade } from './process/masquerade.js';
import { preload } from './process/preload.js';
import { injectedLibrary } from './sshd/injected-library.js';
import { weakConfig } from './sshd/weak-config.js';
import type { Rule } from './types.js';
import { yaraMatch } from './yara/match.js';

/** Every rule, sorted by id. Playbooks name them; a conformance test walks this list. */
export const RULES: readonly Rule[] = [
  emptyPassword,
  newAccount,
  uid0,
  accountChange,
  defenceOff,
  downloadExecute,
  historyTampering,
  logWipe,
  bruteforce,
  enumeration,
  loginAfterFailures,
  probe,
  rootLogin,
  rootLoginRefused,
  newExecutable,
  setuidUnpackaged,
  modifiedBinary,
  hiddenModule,
  tainted,
  btmpBruteforce,
  logTampering,
  rootRemote,
  hiddenSocket,
  rawPacketSocket,
  rogueSshListener,
  sshInboundFlood,
  sshOutboundFanout,
  authorizedKey,
  cron,
  preloadConfig,
  startup,
  systemd,
  deletedExe,
  exeInWritableDir,
  hidden,
  hiddenByMount,
  knownTool,
  masquerade,
  preload,
  injectedLibrary,
  weakConfig,
  yaraMatch,
];

export function findRule(id: string): Rule | undefined {
  return RULES.find((r) => r.id === id);
}
