import { bruteforce } from './auth/bruteforce.js';
import { loginAfterFailures } from './auth/login-after-failures.js';
import { rootLogin } from './auth/root-login.js';
import { logTampering } from './login/log-tampering.js';
import { rootRemote } from './login/root-remote.js';
import { hiddenSocket } from './network/hidden-socket.js';
import { rogueSshListener } from './network/rogue-ssh-listener.js';
import { sshInboundFlood } from './network/ssh-inbound-flood.js';
import { sshOutboundFanout } from './network/ssh-outbound-fanout.js';
import { deletedExe } from './process/deleted-exe.js';
import { exeInWritableDir } from './process/exe-in-writable-dir.js';
import { hidden } from './process/hidden.js';
import { knownTool } from './process/known-tool.js';
import { masquerade } from './process/masquerade.js';
import { preload } from './process/preload.js';
import type { Rule } from './types.js';

/** Every rule, sorted by id. Playbooks name them; a conformance test walks this list. */
export const RULES: readonly Rule[] = [
  bruteforce,
  loginAfterFailures,
  rootLogin,
  logTampering,
  rootRemote,
  hiddenSocket,
  rogueSshListener,
  sshInboundFlood,
  sshOutboundFanout,
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
