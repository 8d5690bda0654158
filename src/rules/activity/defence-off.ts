import type { DraftFinding } from '../../model/finding.js';
import { defineRule } from '../types.js';
import { commandFinding, signalsOf } from './shared.js';

/** activity.defence-off: a history command flushes the firewall or stops auditing, logging, SELinux or a security agent. */
export const defenceOff = defineRule({
  id: 'activity.defence-off',
  title: 'A shell history turns off a defence',
  description: 'Miners and SSH kits flush iptables, disable ufw, set SELinux permissive and stop auditd, rsyslog or the security agent before they work, so that nothing blocks or records them.',
  level: 'high',
  mitre: ['T1562.001', 'T1562.004', 'T1562.012'],
  references: ['https://attack.mitre.org/techniques/T1562/'],
  falsePositives: ['An administrator debugging the firewall or restarting logging; look at who typed it and when.'],
  needs: ['historyCommands'],
  thresholds: {},
  detect(facts) {
    const out: DraftFinding[] = [];
    for (const c of facts.historyCommands) {
      // Sample: `iptables -F; systemctl stop auditd; setenforce 0`
      const s = signalsOf(c, 'defence-off');
      if (s.length === 0) continue;
      out.push(commandFinding(facts, defenceOff, c, 'high', 'Defence turned off from a shell', s.map((x) => x.what), 'Check that the firewall, auditd, the system log and SELinux/AppArmor are back in force, and what happened on the box while they were off.', { targets: s.map((x) => x.target).filter(Boolean) }));
    }
    return out;
  },
});
