import type { DraftFinding } from '../../model/finding.js';
import { hiddenComponent, inSystemDir, inWritableDir } from '../process/paths.js';
import { defineRule } from '../types.js';

/** sshd.injected-library: an sshd maps a library no package owns, or a deleted one. */
export const injectedLibrary = defineRule({
  id: 'sshd.injected-library',
  title: 'Library in sshd that no package owns, or deleted',
  description:
    'Ebury, and the xz backdoor before it reached a release, live inside sshd itself: a shared object loaded into the sshd process steals passwords and keys and opens a back door, and ps, ss and the logs show only a normal sshd. Every library mapped into a running sshd should belong to a package; one that does not, or that was deleted after being loaded, was put there.',
  level: 'critical',
  mitre: ['T1556', 'T1574.006', 'T1554'],
  references: ['https://www.welivesecurity.com/2014/02/21/an-in-depth-analysis-of-linuxebury/', 'https://www.openwall.com/lists/oss-security/2024/03/29/4'],
  falsePositives: ['A library upgraded while sshd kept running (deleted, and the same path is packaged again): medium; restart sshd.', 'A PAM or NSS module installed by hand (an LDAP or 2FA module from source): check its origin.'],
  needs: ['sshdLibraries'],
  thresholds: {},
  detect(facts) {
    const out: DraftFinding[] = [];
    for (const l of facts.sshdLibraries) {
      const odd = inWritableDir(l.library) ?? hiddenComponent(l.library);
      // An upgraded library: deleted, but the file at that path belongs to a package again.
      const upgraded = l.deleted && l.packages.length > 0 && inSystemDir(l.library) && !odd;
      const severity = upgraded ? 'medium' : l.deleted && !odd && l.packageDbRead === false ? 'high' : 'critical';
      out.push({
        rule: injectedLibrary.id,
        severity,
        title: upgraded ? `sshd (pid ${l.pid}) still maps a replaced library: ${l.library}` : `sshd (pid ${l.pid}) maps ${l.deleted ? 'a deleted library' : 'a library no package owns'}: ${l.library}`,
        detail: upgraded
          ? `${l.library} was replaced on disk (package ${l.packages.join(', ')}) while sshd kept the old copy mapped, as an upgrade does. Restart sshd, and check the package against its database.`
          : `${l.exe ?? 'sshd'} (pid ${l.pid}, "${l.title}") has ${l.library} mapped${l.deleted ? ', deleted from disk after loading' : ''}${l.packageDbRead && l.packages.length === 0 ? ', and no package owns that file' : ''}${odd ? `, in ${odd}` : ''}. Code inside sshd sees every password and key that logs in (Ebury). Copy the library from /proc/${l.pid}/map_files or the disk, hash it, check /etc/ld.so.preload and libkeyutils, and treat every credential used on this box as stolen.`,
        mitre: injectedLibrary.mitre,
        subject: { pid: l.pid, path: l.library, user: null, ip: null, exe: l.exe },
        evidence: ['artifacts/sshd-libraries.jsonl', 'artifacts/processes.jsonl'],
      });
    }
    return out;
  },
});
