import type { DraftFinding } from '../../model/finding.js';
import { defineRule } from '../types.js';
import { ownerDetail, ownerLabel, ownerSubject, plural, sample, stateList } from './subject.js';

/** network.ssh-outbound-fanout: one process (or uid) connecting to many hosts on ssh ports. */
export const sshOutboundFanout = defineRule({
  id: 'network.ssh-outbound-fanout',
  title: 'Process connecting to many hosts on ssh ports',
  description:
    'SSH scanners and brute-forcers (pscan2, haiduc, ssh-scan kits) open connections to port 22 on hundreds of addresses at once: many SYN_SENT sockets are connection attempts still waiting for an answer, the mark of a scan. A process that holds connections to this many distinct hosts on ssh ports means this box is attacking others — the abuse-desk case.',
  level: 'high',
  mitre: ['T1046', 'T1110', 'T1021.004'],
  references: ['https://attack.mitre.org/techniques/T1046/', 'https://www.kernel.org/doc/Documentation/networking/proc_net_tcp.txt'],
  falsePositives: ['A configuration-management, backup or monitoring server (Ansible, rsync over ssh, a bastion) reaching many hosts at once.'],
  needs: ['sshView'],
  thresholds: { hosts: 10 },
  detect(facts, t) {
    const out: DraftFinding[] = [];
    const self = new Set(facts.selfPids ?? []);
    const ports = facts.sshView.ports;
    for (const g of facts.sshView.outbound) {
      if (g.owner && self.has(g.owner.pid)) continue;
      // "tcp 0 1 10.0.0.1:40112 198.51.100.7:22 SYN_SENT 4242/pscan2" × hundreds of addresses.
      if (g.hosts.length < t.hosts) continue;
      const uid = g.uid ?? '?';
      const who = g.owner ? `${ownerLabel(g.owner)}` : `uid ${uid}${g.user ? ` (${g.user})` : ''}, no visible process`;
      const portText = g.remotePorts.length === 1 ? `port ${g.remotePorts[0]}` : `ports ${g.remotePorts.join(', ')}`;
      const block = `iptables -I OUTPUT -p tcp -m multiport --dports ${ports.join(',')} -m owner --uid-owner ${uid} -j REJECT`;
      out.push({
        rule: sshOutboundFanout.id,
        severity: 'high',
        title: `Outbound SSH fan-out: ${who} connects to ${g.hosts.length} hosts on ${portText}`,
        detail:
          `${g.owner ? `Pid ${g.owner.pid} (${ownerDetail(g.owner)})` : `Sockets of uid ${uid}${g.user ? ` (${g.user})` : ''} that no visible process holds (the process may have just exited, or be hidden)`} ` +
          `holds ${plural(g.connections, 'connection')} to ssh ${portText} on ${g.hosts.length} distinct hosts (${stateList(g.states)}): ${sample(g.hosts)}. ` +
          `${g.synSent ? `The ${g.synSent} SYN_SENT are connection attempts still unanswered, the mark of a scan. ` : ''}` +
          `This box is attacking others. Freeze the process (SIGSTOP keeps its memory and sockets; a kill lets its watchdog restart it), find its folder and what starts it (the lsof step), ` +
          `block outbound ssh for that user (${block}), and tell the abuse desk or the hosting provider once it is stopped.`,
        mitre: sshOutboundFanout.mitre,
        subject: {
          ...(g.owner ? ownerSubject(g.owner) : { pid: null, path: null, user: g.user, ip: null, uid: g.uid }),
          hosts: g.hosts.length,
          synSent: g.synSent,
          sampleTargets: g.hosts.slice(0, 10),
        },
        evidence: ['artifacts/ssh-view.json', 'artifacts/connections.jsonl', ...(g.owner ? ['artifacts/processes.jsonl'] : [])],
      });
    }
    return out;
  },
});
