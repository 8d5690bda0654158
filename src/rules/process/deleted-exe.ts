import type { DraftFinding } from '../../model/finding.js';
import { defineRule } from '../types.js';
import { inSystemDir } from './paths.js';
import { candidateProcesses, processEvidence, processLabel, processSubject } from './subject.js';

/** process.deleted-exe: the executable was removed from disk while the process runs. */
export const deletedExe = defineRule({
  id: 'process.deleted-exe',
  title: 'Process running from a deleted executable',
  description:
    'Malware often deletes its binary after starting so that nothing is left on disk to find. A package upgrade also leaves running daemons on a deleted (replaced) file: that case is informational.',
  level: 'high',
  mitre: ['T1070.004'],
  references: ['https://man7.org/linux/man-pages/man5/proc_pid_exe.5.html'],
  falsePositives: ['A daemon not restarted after its package was upgraded (its exe is in a system folder).'],
  needs: ['processes'],
  thresholds: {},
  detect(facts) {
    const out: DraftFinding[] = [];
    for (const p of candidateProcesses(facts)) {
      if (!p.exeDeleted || !p.exe) continue;
      // /proc/PID/exe: "/usr/sbin/sshd (deleted)" after an upgrade; "/memfd:x (deleted)" for fileless code.
      const memfd = p.exe.startsWith('/memfd:');
      const upgraded = !memfd && inSystemDir(p.exe);
      out.push({
        rule: deletedExe.id,
        severity: upgraded ? 'informational' : 'high',
        title: upgraded
          ? `Daemon running an old, replaced binary: ${processLabel(p)} (${p.exe})`
          : memfd
            ? `Fileless process running from memory: ${processLabel(p)} (${p.exe})`
            : `Process running from a deleted executable: ${processLabel(p)} (${p.exe})`,
        detail: upgraded
          ? `${p.exe} was replaced on disk while this process kept running, as a package upgrade does. Restart the service so it runs the installed binary, and check the package's files against the package database.`
          : `The executable of pid ${p.pid} was ${memfd ? 'never on disk: it runs from an anonymous memory file' : 'deleted after it started'}, a common way to leave nothing behind. Its copy was preserved from /proc/${p.pid}/exe where possible; hash it and freeze the process before killing it, then find what started it (the parent chain, cron, systemd).`,
        mitre: deletedExe.mitre,
        subject: processSubject(p),
        evidence: processEvidence(p),
      });
    }
    return out;
  },
});
