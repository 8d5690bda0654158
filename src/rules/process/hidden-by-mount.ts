import type { DraftFinding } from '../../model/finding.js';
import { defineRule } from '../types.js';

/** process.hidden-by-mount: a file system mounted over /proc/PID, so ps, top and a /proc walk skip the process. */
export const hiddenByMount = defineRule({
  id: 'process.hidden-by-mount',
  title: 'Process hidden by a mount over /proc/PID',
  description:
    "Mounting an empty folder (or another process's /proc folder) over /proc/PID hides a process from ps, top, lsof and every /proc walk without any kernel code: the folder the tools read is the mounted one. /proc/self/mountinfo still shows the mount, and the pid still answers kill(pid, 0) and is listed as its parent's child.",
  level: 'critical',
  mitre: ['T1564', 'T1014'],
  references: ['https://www.sandflysecurity.com/blog/detecting-linux-kernel-process-masquerading-with-command-line-forensics', 'https://man7.org/linux/man-pages/man5/proc_pid_mountinfo.5.html'],
  falsePositives: ['None known: no container runtime or init system mounts over a process folder of /proc.'],
  needs: ['procMountHides'],
  thresholds: {},
  detect(facts) {
    const out: DraftFinding[] = [];
    for (const m of facts.procMountHides) {
      const parent = m.parents.length > 0 ? `, a child of ${m.parents.map((p, i) => `${m.parentComms[i] ?? '?'} (pid ${p})`).join(', ')}` : '';
      out.push({
        rule: hiddenByMount.id,
        severity: m.alive ? 'critical' : 'high',
        title: m.alive ? `Process hidden by a mount over ${m.mountPoint} (pid ${m.pid})` : `A mount over ${m.mountPoint} (pid ${m.pid}, no longer running)`,
        detail: `${m.fsType} (${m.source}, folder ${m.mountRoot}) is mounted over ${m.mountPoint}, on two looks. ${m.alive ? `Pid ${m.pid} still answers kill(pid, 0)${parent}: a live process that ps, top and lsof cannot see.` : `Pid ${m.pid} does not answer kill(pid, 0): the process is gone, the mount that hid it is left.`} Read it from a fresh proc mount in a private mount namespace (unshare -m, then mount -t proc proc /mnt) or unmount it after preserving what you need, then freeze it; find who mounted it (shell history, the parent chain).`,
        mitre: hiddenByMount.mitre,
        subject: { pid: m.pid, path: m.mountPoint, user: null, ip: null, parents: m.parents },
        evidence: ['artifacts/proc-mounts.jsonl'],
      });
    }
    return out;
  },
});
