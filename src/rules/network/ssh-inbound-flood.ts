import type { DraftFinding } from '../../model/finding.js';
import { defineRule } from '../types.js';
import { plural, sample, stateList } from './subject.js';

/** Five times the threshold: no longer a busy client, an attack in progress. */
const HIGH_FACTOR = 5;

/** network.ssh-inbound-flood: many concurrent inbound connections to an ssh port from one address. */
export const sshInboundFlood = defineRule({
  id: 'network.ssh-inbound-flood',
  title: 'Many concurrent inbound ssh connections from one address',
  description:
    'A brute-force tool opens many ssh connections at once from one address, each trying passwords until sshd drops it. Legitimate users hold one or two. The failed logins in the auth log (auth.bruteforce) tell whether it is guessing; a logged-in session among them means it may have succeeded.',
  level: 'medium',
  mitre: ['T1110', 'T1110.001'],
  references: ['https://attack.mitre.org/techniques/T1110/'],
  falsePositives: ['A NAT gateway or a company proxy in front of many users; a deployment tool opening parallel sessions (Ansible with many forks).'],
  needs: ['sshView'],
  thresholds: { connections: 10 },
  detect(facts, t) {
    const out: DraftFinding[] = [];
    for (const g of facts.sshView.inbound) {
      // "tcp 0 0 10.0.0.1:22 203.0.113.9:51234 ESTABLISHED 812/sshd: [net]" × the same remote address.
      if (g.connections < t.connections) continue;
      const high = g.connections >= t.connections * HIGH_FACTOR;
      const ports = g.localPorts.length === 1 ? `port ${g.localPorts[0]}` : `ports ${g.localPorts.join(', ')}`;
      const users = g.users.length
        ? `The sshd processes name ${plural(g.users.length, 'user')}: ${sample(g.users)} — check whether these logins are expected. `
        : 'No session from it is logged in yet (the sshd processes name no user). ';
      out.push({
        rule: sshInboundFlood.id,
        severity: high ? 'high' : 'medium',
        title: `${g.connections} concurrent ssh connections from ${g.remoteAddress} to ${ports}`,
        detail:
          `${g.remoteAddress} holds ${plural(g.connections, 'open connection')} to ssh ${ports} (${stateList(g.states)})${g.timeWait ? ` and closed ${g.timeWait} more a moment ago (TIME_WAIT)` : ''}` +
          `${g.sshdPids.length ? `, served by sshd pids ${sample(g.sshdPids.map(String), 8)}` : ''}. ${users}` +
          `${high ? `That is ${HIGH_FACTOR} times the threshold of ${t.connections}: an attack in progress. ` : ''}` +
          'Compare with the failed logins from this address (auth.bruteforce), make sure it is not your own or a monitoring address, then block it (the block step).',
        mitre: sshInboundFlood.mitre,
        subject: { pid: null, path: null, user: g.users.length === 1 ? g.users[0] : null, ip: g.remoteAddress, connections: g.connections, users: g.users, sshdPids: g.sshdPids },
        evidence: ['artifacts/ssh-view.json', 'artifacts/connections.jsonl'],
      });
    }
    return out;
  },
});
