import type { DraftFinding } from '../../model/finding.js';
import { defineRule } from '../types.js';
import { endpoint, ownerLabel, ownerSubject } from './subject.js';

const ANY = new Set(['0.0.0.0', '::']);

/** network.hidden-socket: a TCP socket in /proc/net that the box's ss does not show, on two looks. */
export const hiddenSocket = defineRule({
  id: 'network.hidden-socket',
  title: "Socket hidden from the box's ss",
  description:
    "Userland rootkits (a library in /etc/ld.so.preload, a replaced ss or netstat) and kernel rootkits filter the connections of the intruder's tools out of what ss shows. /proc/net/tcp is read directly: a socket there that ss does not show, still so on a re-check a moment later, is being hidden.",
  level: 'high',
  mitre: ['T1014', 'T1564'],
  references: ['https://github.com/YJesus/Unhide', 'https://attack.mitre.org/techniques/T1014/'],
  falsePositives: ['None known once re-checked: sockets that open, close or change state between the two looks are not reported.'],
  needs: ['hiddenSockets'],
  thresholds: {},
  detect(facts) {
    const out: DraftFinding[] = [];
    for (const h of facts.hiddenSockets) {
      const s = h.socket;
      // /proc/net/tcp: "3: 0100007F:9C40 0200A8C0:0016 01 …" with no matching line in `ss -tan`.
      const local = endpoint(s.localAddress, s.localPort);
      const remote = ANY.has(s.remoteAddress) && s.remotePort === 0 ? null : endpoint(s.remoteAddress, s.remotePort);
      const owner = h.owners[0] ?? null;
      const what = remote ? `${local} → ${remote}` : `${local}`;
      out.push({
        rule: hiddenSocket.id,
        severity: 'high',
        title: `Socket hidden from ss: ${s.protocol} ${what} ${s.state}${owner ? `, ${ownerLabel(owner)}` : `, uid ${s.uid}`}`,
        detail:
          `The kernel's table (/proc/net/${s.protocol}${s.family === 6 ? '6' : ''}) holds ${what} in state ${s.state} (inode ${s.inode}, uid ${s.uid}` +
          `${h.owners.length ? `, held by ${h.owners.map((o) => `${ownerLabel(o)} ${o.exe ?? ''}`.trim()).join(', ')}` : ', no visible owner'}), still there on a re-check, but the box's ss does not show it: ` +
          'something on this box filters what its tools see. Trust /proc over the box\'s tools from here on, check /etc/ld.so.preload (process.preload) and the ss binary against the package database (dpkg -V iproute2, rpm -V iproute), and look for a kernel module that should not be there.',
        mitre: hiddenSocket.mitre,
        subject: {
          ...(owner ? ownerSubject(owner) : { pid: null, path: null, user: null, uid: s.uid }),
          ip: remote ? s.remoteAddress : null,
          socket: h.key,
          state: s.state,
        },
        evidence: ['artifacts/socket-crossview.json', 'artifacts/connections.jsonl', 'commands/ss-tanp.txt', 'commands/ss-tan-recheck.txt'],
      });
    }
    return out;
  },
});
