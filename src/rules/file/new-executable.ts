import type { DraftFinding, Severity } from '../../model/finding.js';
import { isDeceptiveName } from '../process/paths.js';
import { TOOL_DOT_FOLDERS } from '../persistence/shared.js';
import { defineRule } from '../types.js';

/**
 * file.new-executable: an executable (ELF or `#!`) created or changed in the incident window in a
 * world-writable folder (/tmp, /var/tmp, /dev/shm) or a hidden one (a dot-folder, `.. `).
 */
export const newExecutable = defineRule({
  id: 'file.new-executable',
  title: 'New executable in a writable or hidden folder',
  description: 'Kits are unpacked where anyone can write (/tmp, /var/tmp, /dev/shm) or in a folder named to hide (`.x`, `.. `, `...`), often in a home. An executable born there during the incident is the kit itself, whether it runs now or waits for a cron line.',
  level: 'high',
  mitre: ['T1105', 'T1564.001'],
  references: ['https://attack.mitre.org/techniques/T1564/001/'],
  falsePositives: ['Build trees and installers unpacked in /tmp; language tools in a home (~/.cargo, ~/.local, ~/.nvm, …) are reported low.'],
  needs: ['changedFiles', 'window'],
  thresholds: {},
  detect(facts) {
    const out: DraftFinding[] = [];
    for (const f of facts.changedFiles) {
      // Sample: /dev/shm/.x/pscan2 (ELF), born 2024-05-02T03:14Z, in the window
      if (f.type !== 'file' || !f.executable) continue;
      if (!f.inWindow.includes('btime') && !f.inWindow.includes('mtime')) continue;
      const toolDir = f.hiddenDir !== null && TOOL_DOT_FOLDERS.includes(f.hiddenDir) && /^\/(?:root|home\/[^/]+)\//.test(f.path);
      let severity: Severity | null = null;
      const reasons: string[] = [];
      if (f.writableDir) {
        severity = 'high';
        reasons.push(`it lies in ${f.writableDir}, which any user can write to${f.hiddenDir ? `, inside the hidden folder ${JSON.stringify(f.hiddenDir)}` : ''}`);
      } else if (f.hiddenDir && isDeceptiveName(f.hiddenDir)) {
        severity = 'high';
        reasons.push(`it lies in a folder named to pass for . or ..: ${JSON.stringify(f.hiddenDir)}`);
      } else if (f.hiddenDir) {
        severity = toolDir ? 'low' : 'medium';
        reasons.push(`it lies in the hidden folder ${JSON.stringify(f.hiddenDir)}`);
      }
      if (!severity) continue;
      if (f.mode & 0o6000) severity = 'critical';
      const born = f.inWindow.includes('btime') ? `born ${f.btime}` : `modified ${f.mtime}`;
      out.push({
        rule: newExecutable.id,
        severity,
        title: `New ${f.executable === 'elf' ? 'ELF executable' : 'script'} ${f.path}`,
        detail: `${f.path} (${f.executable === 'elf' ? 'an ELF binary' : 'a #! script'}, ${f.size} bytes, mode ${f.mode.toString(8).padStart(4, '0')}, uid ${f.uid}, sha256 ${f.sha256 ?? 'not hashed'}) was ${born}, inside the incident window (${facts.window.reason}): ${reasons.join('; ')}. Preserve it (quarantine copies and hashes the folder), check the hash against threat intelligence, and look at the histories and the timeline around its time for who put it there.`,
        mitre: newExecutable.mitre,
        subject: { pid: null, path: f.path, user: null, ip: null, uid: f.uid, mode: f.mode, sha256: f.sha256, btime: f.btime, mtime: f.mtime, ctime: f.ctime, executable: f.executable },
        evidence: ['artifacts/changed-files.jsonl', 'artifacts/bodyfile.txt'],
      });
    }
    return out;
  },
});
