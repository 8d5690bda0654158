import type { DraftFinding } from '../../model/finding.js';
import { defineRule } from '../types.js';

const SHELLS = /^(?:sh|bash|dash|zsh|ksh|ash|busybox|python[0-9.]*|perl|find|vim?|nano|env|cp)$/;

/** file.setuid-unpackaged: a setuid or setgid file that no package owns, or any in a world-writable folder. */
export const setuidUnpackaged = defineRule({
  id: 'file.setuid-unpackaged',
  title: 'Setuid or setgid file no package owns',
  description: 'An intruder with root leaves a setuid copy of a shell (classically in /var/tmp or /dev/shm) to get root back from any account later. Packages ship every legitimate set-id file; one outside them, or any in a folder anyone can write to, is a backdoor until shown otherwise.',
  level: 'high',
  mitre: ['T1548.001'],
  references: ['https://attack.mitre.org/techniques/T1548/001/'],
  falsePositives: ['Set-id programs installed by hand or by a vendor installer under /usr/local or /opt.'],
  needs: ['setuidFiles'],
  thresholds: {},
  detect(facts) {
    const out: DraftFinding[] = [];
    for (const f of facts.setuidFiles) {
      // Sample: /var/tmp/.s (a copy of /bin/bash), mode 4755, owner root
      if (!f.writableDir && f.packaged !== false) continue;
      const name = f.path.slice(f.path.lastIndexOf('/') + 1);
      const bits = [f.mode & 0o4000 ? 'setuid' : null, f.mode & 0o2000 ? 'setgid' : null].filter(Boolean).join(' and ');
      const severity = f.writableDir || (f.uid === 0 && f.mode & 0o4000 && SHELLS.test(name)) ? 'critical' : 'high';
      out.push({
        rule: setuidUnpackaged.id,
        severity,
        title: `${bits} file ${f.writableDir ? `in ${f.writableDir}` : 'no package owns'}: ${f.path}`,
        detail: `${f.path} is ${bits} (mode ${f.mode.toString(8).padStart(4, '0')}, owner uid ${f.uid}, gid ${f.gid}, ${f.size} bytes, sha256 ${f.sha256 ?? 'not hashed'}; modified ${f.mtime}, changed ${f.ctime}${f.btime ? `, born ${f.btime}` : ''})${f.writableDir ? `, in ${f.writableDir}, which any user can write to` : ''}${f.packaged === false ? ', and no package owns it' : ''}: whoever runs it gets uid ${f.uid}'s rights. Compare its hash with the box's shells, preserve it, then remove the set-id bits (chmod u-s,g-s).`,
        mitre: setuidUnpackaged.mitre,
        subject: { pid: null, path: f.path, user: null, ip: null, uid: f.uid, gid: f.gid, mode: f.mode, sha256: f.sha256, package: f.package, mtime: f.mtime, ctime: f.ctime, btime: f.btime },
        evidence: ['artifacts/setuid-files.jsonl'],
      });
    }
    return out;
  },
});
