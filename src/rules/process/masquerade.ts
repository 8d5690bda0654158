import path from 'node:path';
import type { DraftFinding } from '../../model/finding.js';
import type { ProcessRecord } from '../../model/processes.js';
import { defineRule } from '../types.js';
import { SSHD_EXES } from '../../model/sshd-exes.js';
import { samePath } from './paths.js';
import { candidateProcesses, isRealKernelThread, processEvidence, processLabel, processSubject } from './subject.js';
import { lookup } from '../../model/lookup.js';

export { SSHD_EXES } from '../../model/sshd-exes.js';

const DAEMONS: Record<string, string[]> = {
  sshd: SSHD_EXES,
  'sshd-session': SSHD_EXES,
  'sshd-auth': SSHD_EXES,
  cron: ['/usr/sbin/cron'],
  crond: ['/usr/sbin/crond'],
  atd: ['/usr/sbin/atd'],
  rsyslogd: ['/usr/sbin/rsyslogd'],
  syslogd: ['/usr/sbin/syslogd', '/usr/sbin/rsyslogd'],
  'systemd-journald': ['/usr/lib/systemd/systemd-journald'],
  'systemd-logind': ['/usr/lib/systemd/systemd-logind'],
  'systemd-udevd': ['/usr/lib/systemd/systemd-udevd', '/usr/bin/udevadm'],
  'systemd-resolved': ['/usr/lib/systemd/systemd-resolved'],
  'systemd-networkd': ['/usr/lib/systemd/systemd-networkd'],
  'dbus-daemon': ['/usr/bin/dbus-daemon'],
  agetty: ['/usr/sbin/agetty'],
  klogd: ['/usr/sbin/klogd'],
  httpd: ['/usr/sbin/httpd', '/usr/sbin/apache2'],
  apache2: ['/usr/sbin/apache2'],
  nginx: ['/usr/sbin/nginx'],
};

/** Names the kernel gives its own threads; a user process with one is hiding (a miner as kswapd0). */
const KERNEL_THREAD_NAME = /^(kthreadd|kswapd\d*|kworker\/.*|ksoftirqd\/\d+|migration\/\d+|rcu_\w+|kdevtmpfs|khugepaged|kcompactd\d*|watchdog\/\d+|kauditd|kblockd|jbd2\/.*|kintegrityd|writeback|oom_reaper|ksmd|khungtaskd|cpuhp\/\d+|irq\/.*|scsi_\w+)$/;

function claimedName(p: ProcessRecord): { name: string; how: string } | null {
  const a0 = p.argv[0] ?? '';
  const bracket = /^\[([^\]]+)\]$/.exec(a0.trim());
  if (bracket) return { name: bracket[1], how: `shows itself as [${bracket[1]}] like a kernel thread` };
  // "sshd: root@pts/0", "sshd: /usr/sbin/sshd -D [listener]", "/usr/sbin/sshd -D".
  const title = /^(sshd(?:-session|-auth)?)(?::|$)/.exec(a0) ?? /^(sshd(?:-session|-auth)?)$/.exec(path.basename(a0.split(' ')[0]));
  if (title) return { name: title[1], how: `calls itself ${JSON.stringify(a0)}` };
  const base = path.basename(a0.split(' ')[0] ?? '');
  if (lookup(DAEMONS, base)) return { name: base, how: `runs as ${JSON.stringify(a0)}` };
  if (lookup(DAEMONS, p.comm)) return { name: p.comm, how: `is named ${p.comm}` };
  if (KERNEL_THREAD_NAME.test(p.comm)) return { name: p.comm, how: `is named ${p.comm} like a kernel thread` };
  return null;
}

/** process.masquerade: a process that calls itself a system daemon or kernel thread but is not one. */
export const masquerade = defineRule({
  id: 'process.masquerade',
  title: 'Process masquerading as a system daemon or kernel thread',
  description:
    'Kits name their scanner sshd and their miner kswapd0 or [kworker] so that top and ps look normal. A real daemon runs its packaged executable; a real kernel thread has no executable, no command line and PF_KTHREAD set.',
  level: 'high',
  mitre: ['T1036.004', 'T1036.005'],
  references: ['https://attack.mitre.org/techniques/T1036/004/'],
  falsePositives: ['A daemon installed from source under /usr/local or /opt.'],
  needs: ['processes'],
  thresholds: {},
  detect(facts) {
    const out: DraftFinding[] = [];
    for (const p of candidateProcesses(facts)) {
      if (isRealKernelThread(p)) continue;
      const claim = claimedName(p);
      if (!claim) continue;
      let why: string | null = null;
      const kernelName = KERNEL_THREAD_NAME.test(claim.name);
      if (kernelName || (lookup(DAEMONS, claim.name) === undefined && /^\[/.test(p.argv[0] ?? ''))) {
        // Only user processes have an executable or a command line: the kernel's threads have neither.
        if (p.exe !== null || !p.kernelThread) why = `it ${claim.how}, but it is a user process${p.exe ? ` running ${p.exe}` : ''}`;
      } else {
        const allowed = lookup(DAEMONS, claim.name);
        // Without root the exe link of another user's process is unreadable: no verdict then.
        if (allowed && p.exe && !allowed.some((a) => samePath(a, p.exe!))) {
          why = `it ${claim.how}, but its executable is ${p.exe}, not ${allowed.join(' or ')}`;
        }
      }
      if (!why) continue;
      const sshd = claim.name.startsWith('sshd');
      out.push({
        rule: masquerade.id,
        severity: sshd || kernelName ? 'critical' : 'high',
        title: `${sshd ? 'Fake sshd' : kernelName ? 'Fake kernel thread' : `Fake ${claim.name}`}: ${processLabel(p)} runs ${p.exe ?? '(unknown executable)'}`,
        detail: `Pid ${p.pid} (user ${p.user ?? p.uid ?? '?'}): ${why}. ${sshd ? 'A second sshd from another folder is how SSH scanners and backdoors hide among the real sshd processes. ' : ''}Preserve its executable, look at the folder it runs from (the lsof step), freeze it, and find its parent.`,
        mitre: masquerade.mitre,
        subject: { ...processSubject(p), claimed: claim.name },
        evidence: processEvidence(p),
      });
    }
    return out;
  },
});
