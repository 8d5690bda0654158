import type { DraftFinding, Severity } from '../../model/finding.js';
import type { SystemdUnitRecord } from '../../model/persistence.js';
import { inWindow } from '../../model/window.js';
import { hiddenComponent, inWritableDir } from '../process/paths.js';
import { defineRule } from '../types.js';
import { copyOf, judgeCommand, maxSeverity, short } from './shared.js';

/** Where packaged executables live (usr-merged or not). */
function inSystemTree(p: string): boolean {
  return /^\/(?:usr|bin|sbin|lib|lib64)\//.test(p);
}

/** Timers that start this unit. */
function timersOf(units: SystemdUnitRecord[], u: SystemdUnitRecord): SystemdUnitRecord[] {
  return units.filter((x) => x.timer && x.timer.unit === u.name && x.scope === u.scope && x.owner === u.owner);
}

function how(u: SystemdUnitRecord, timers: SystemdUnitRecord[]): string {
  const parts: string[] = [];
  if (u.enabled) parts.push(`enabled (${u.wantedBy.slice(0, 3).join(', ')})`);
  for (const t of timers) parts.push(`started by ${t.name}${t.enabled ? '' : ' (not enabled)'} ${t.timer!.schedules.join(' ')}`.trim());
  if (parts.length === 0) parts.push('not enabled and no timer starts it (it runs only when started by hand or by another unit)');
  return parts.join('; ');
}

/**
 * persistence.systemd: a unit whose Exec lines run from a world-writable or hidden folder, fetch
 * code into a shell or open a reverse shell (high; critical with a known tool); or a unit no
 * package owns, created inside the incident window, that runs something outside /usr (medium).
 */
export const systemd = defineRule({
  id: 'persistence.systemd',
  title: 'systemd unit or timer that brings the intruder back',
  description:
    'Miners and SSH kits install a service (often named like a system one: kswapd0.service, systemd-network.service) or a timer that restarts them, with ExecStart pointing into /tmp, /dev/shm or a hidden folder. A unit no package owns, written since the intrusion began, deserves a look even when its path looks tidy.',
  level: 'high',
  mitre: ['T1543.002', 'T1053.006'],
  references: ['https://attack.mitre.org/techniques/T1543/002/', 'https://attack.mitre.org/techniques/T1053/006/', 'https://www.freedesktop.org/software/systemd/man/latest/systemd.service.html'],
  falsePositives: [
    'Units an administrator wrote for local software under /opt or /srv during the incident window (medium, with the unit and its times).',
    "Language tools' user units run from a home dot-folder (~/.local, ~/.cargo) are not flagged.",
  ],
  needs: ['systemdUnits'],
  thresholds: { minScore: 40 },
  detect(facts, t) {
    const out: DraftFinding[] = [];
    const units = facts.systemdUnits;
    const window = facts.window;
    for (const u of units) {
      if (u.masked || u.timer) continue;
      const reasons: string[] = [];
      let severity: Severity | null = null;
      let line: number | null = null;
      let runs: string | null = null;
      let tool: string | null = null;
      // Sample: ExecStart=/dev/shm/.x/kswapd0 in /etc/systemd/system/kswapd0.service
      for (const e of u.exec) {
        const v = judgeCommand(e.analysis, e.toolHits, t.minScore);
        if (!v) continue;
        reasons.push(`${e.key} (${e.file} line ${e.line}): ${v.reasons.join('; ')}`);
        severity = maxSeverity(severity, v.severity);
        line ??= e.line;
        runs ??= v.runs;
        tool ??= v.tool ? v.tool.description ?? v.tool.pattern : null;
      }
      if (u.workingDirectory && (inWritableDir(u.workingDirectory) || hiddenComponent(`${u.workingDirectory}/x`)) && severity) {
        reasons.push(`its WorkingDirectory is ${JSON.stringify(u.workingDirectory)}`);
      }
      const start = u.exec.find((e) => e.key === 'ExecStart');
      const created = u.btime ?? u.ctime;
      if (!severity && window && u.packaged !== true && start && !inSystemTree(start.path) && inWindow(window, created)) {
        reasons.push(
          `no package owns it${u.packaged === null ? ' (no package database to ask)' : ''}, it was created at ${created}${u.btime ? '' : ' (change time: no birth time here)'} inside the incident window (${window.reason}), and it runs ${JSON.stringify(start.path)}, outside the system folders`,
        );
        severity = 'medium';
        line = start.line;
      }
      if (!severity) continue;
      const timers = timersOf(units, u);
      out.push({
        rule: systemd.id,
        severity,
        title: `${u.scope === 'user' ? `User unit (${u.owner ?? '/etc/systemd/user'})` : 'systemd unit'} ${u.name} runs ${runs ? JSON.stringify(runs) : start ? short(start.command, 80) : 'something suspicious'}`,
        detail: `${u.path}${u.linkTarget ? ` (a link to ${u.linkTarget})` : ''}${u.description ? ` "${short(u.description, 80)}"` : ''} is ${how(u, timers)}: ${reasons.join('; ')}. A service restarts what you kill (Restart=) and comes back at boot. Preserve the unit and what it runs, then disable it: the guided run's step "Neutralise what would bring the intruder back" runs systemctl disable --now (or removes its .wants links offline) after copying it into the case, and records how to undo it.`,
        mitre: systemd.mitre,
        subject: { pid: null, path: u.path, line, user: u.user ?? u.owner, ip: null, unit: u.name, enabled: u.enabled, wantedBy: u.wantedBy, timers: timers.map((x) => x.path), ...(runs ? { runs } : {}), ...(tool ? { tool } : {}) },
        evidence: ['artifacts/systemd-units.jsonl', ...copyOf(facts, u.path), ...u.dropIns.flatMap((d) => copyOf(facts, d)), ...timers.flatMap((x) => copyOf(facts, x.path))],
      });
    }
    return out;
  },
});
