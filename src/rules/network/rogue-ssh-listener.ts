import type { DraftFinding, Severity } from '../../model/finding.js';
import type { SocketOwner, SshListener } from '../../model/network.js';
import { SSHD_EXES } from '../process/masquerade.js';
import { folderOf, hiddenComponent, inWritableDir, samePath } from '../process/paths.js';
import { defineRule } from '../types.js';
import { endpoint, ownerDetail, ownerLabel, ownerSubject, sample } from './subject.js';

/** The system sshd, or PID 1 holding the socket for systemd socket activation (ssh.socket). */
function legitimate(o: SocketOwner): boolean {
  if (o.pid === 1) return true;
  return o.exe !== null && SSHD_EXES.some((a) => samePath(a, o.exe!));
}

const WHY =
  'Only the system sshd — or PID 1, which holds the socket for systemd socket activation — should listen on an ssh port: anything else there is a backdoor sshd, a tool waiting for its operator, or a trap for the users who connect to it.';

/** network.rogue-ssh-listener: something other than the system sshd listens on an ssh port. */
export const rogueSshListener = defineRule({
  id: 'network.rogue-ssh-listener',
  title: 'Something other than the system sshd listens on an ssh port',
  description:
    'Kits start their own sshd (a patched one that logs passwords, or a backdoor with a master password) on port 22 or a second port, often from a hidden folder. The socket table tells who holds each listening socket: the packaged sshd, PID 1 for socket activation, or something else.',
  level: 'high',
  mitre: ['T1021.004', 'T1556', 'T1036.005'],
  references: [
    'https://attack.mitre.org/techniques/T1556/',
    'https://discourse.ubuntu.com/t/sshd-now-uses-socket-based-activation-ubuntu-22-10-and-later/30189',
  ],
  falsePositives: ['An sshd built from source under /usr/local or /opt; dropbear or another ssh server chosen on purpose; a port declared with --ssh-port that another service legitimately uses.'],
  needs: ['sshView'],
  thresholds: {},
  detect(facts) {
    const out: DraftFinding[] = [];
    const self = new Set(facts.selfPids ?? []);
    const byOwner = new Map<number, { owner: SocketOwner; listeners: SshListener[] }>();
    for (const l of facts.sshView.listeners) {
      // "tcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:(("sshd",pid=500,fd=3),("systemd",pid=1,fd=50))"
      if (l.owners.length === 0) {
        const at = endpoint(l.localAddress, l.localPort);
        if (!l.ownersVisible) {
          // Without root another user's fds are unreadable: a root socket there is most likely sshd.
          if (l.uid === 0) continue;
          out.push({
            rule: rogueSshListener.id,
            severity: 'low',
            title: `Listener on ssh port ${l.localPort} (${at}) of uid ${l.uid}${l.user ? ` (${l.user})` : ''}: owner not visible without root`,
            detail: `A socket of uid ${l.uid}${l.user ? ` (${l.user})` : ''} listens on ${at}; the system sshd binds as root. Run again as root to see which process holds it. ${WHY}`,
            mitre: rogueSshListener.mitre,
            subject: { pid: null, path: null, user: l.user, ip: null, uid: l.uid, port: l.localPort, addresses: [at] },
            evidence: ['artifacts/ssh-view.json', 'artifacts/connections.jsonl'],
          });
          continue;
        }
        out.push({
          rule: rogueSshListener.id,
          severity: 'high',
          title: `Listener on ssh port ${l.localPort} (${at}) held by no visible process, uid ${l.uid}${l.user ? ` (${l.user})` : ''}`,
          detail: `The kernel lists a socket of uid ${l.uid}${l.user ? ` (${l.user})` : ''} listening on ${at} (inode ${l.inode}), but no process in /proc holds it, even on a second look: the process hides from /proc, or it is a kernel-side listener. ${WHY} Compare with the box's ss -tanp and lsof -i, and look for a kernel module or a hidden process.`,
          mitre: rogueSshListener.mitre,
          subject: { pid: null, path: null, user: l.user, ip: null, uid: l.uid, port: l.localPort, addresses: [at], inode: l.inode },
          evidence: ['artifacts/ssh-view.json', 'artifacts/connections.jsonl'],
        });
        continue;
      }
      for (const o of l.owners) {
        if (legitimate(o) || self.has(o.pid)) continue;
        const entry = byOwner.get(o.pid) ?? { owner: o, listeners: [] };
        entry.listeners.push(l);
        byOwner.set(o.pid, entry);
      }
    }
    for (const { owner: o, listeners } of byOwner.values()) {
      const addresses = listeners.map((l) => endpoint(l.localAddress, l.localPort));
      const ports = [...new Set(listeners.map((l) => l.localPort))].sort((a, b) => a - b);
      const writable = o.exe ? inWritableDir(o.exe) : null;
      const hidden = o.exe ? hiddenComponent(o.exe) : null;
      const severity: Severity = writable || hidden ? 'critical' : 'high';
      const where = writable ? ` It runs from ${writable}, which any user can write to.` : hidden ? ` It runs from the hidden folder ${JSON.stringify(hidden)}.` : '';
      out.push({
        rule: rogueSshListener.id,
        severity,
        title: `Not the system sshd listening on ssh port ${ports.join(', ')}: ${ownerLabel(o)} runs ${o.exe ?? '(unknown executable)'}`,
        detail: `Pid ${o.pid} (${ownerDetail(o)}, title ${JSON.stringify(o.title)}) listens on ${sample(addresses)}.${where} ${WHY} Preserve its executable, look at its folder${o.exe ? ` (${folderOf(o.exe)})` : ''}, freeze it, and find how it is started (systemd units, cron, rc.local).`,
        mitre: rogueSshListener.mitre,
        subject: { ...ownerSubject(o), ports, addresses },
        evidence: ['artifacts/ssh-view.json', 'artifacts/connections.jsonl', 'artifacts/processes.jsonl'],
      });
    }
    return out;
  },
});
