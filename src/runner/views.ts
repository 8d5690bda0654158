import type { DraftFinding, Severity } from '../model/finding.js';
import type { IncidentTitle } from '../report/incidents.js';
import type { KnownFacts } from '../model/facts.js';
import type { NoteView, PlaybookStep } from '../playbooks/schema.js';
import { sessionHeading, sessionIsEmpty, sessionMeta, untiedTitle, type ShownSession } from '../report/sessions-view.js';
import { timeText } from '../report/format.js';
import { renderTable } from '../report/table.js';
import { sanitizeForTerminal } from '../report/text.js';
import { sessionActivity } from '../story/sessions.js';

const COLORS: Record<Severity, string> = {
  critical: '\x1b[1;37;41m',
  high: '\x1b[1;31m',
  medium: '\x1b[33m',
  low: '\x1b[36m',
  informational: '\x1b[2m',
};

/** A level label, coloured on a terminal that wants colour. */
export function level(sev: Severity, color: boolean): string {
  const label = sev.toUpperCase().padEnd(13);
  return color ? `${COLORS[sev]}${label}\x1b[0m` : label;
}

/** Incidents listed on the last screen; the rest are counted and left to the report. */
const INCIDENTS_SHOWN = 8;
/** An incident's title is cut to this on the screen (it is built from box text). */
const INCIDENT_TITLE_MAX = 100;

/** The incidents of the run, main one first, one line each: for the guided run's last screen. Empty when there are none. */
export function incidentLines(incidents: readonly IncidentTitle[], color: boolean): string {
  if (incidents.length === 0) return '';
  const cutTitle = (t: string) => {
    const s = sanitizeForTerminal(t).replace(/\s+/g, ' ');
    return s.length > INCIDENT_TITLE_MAX ? `${s.slice(0, INCIDENT_TITLE_MAX - 1)}…` : s;
  };
  const lines = incidents.slice(0, INCIDENTS_SHOWN).map((i, n) => `    ${sanitizeForTerminal(i.id).slice(0, 12)} ${level(i.severity, color)} ${cutTitle(i.title)} (${i.findings} finding${i.findings === 1 ? '' : 's'})${n === 0 && incidents.length > 1 ? ' ← main' : ''}`);
  if (incidents.length > INCIDENTS_SHOWN) lines.push(`    … and ${incidents.length - INCIDENTS_SHOWN} more in report.html`);
  return [`  incidents: ${incidents.length}, the findings joined by what they share (the story is at the top of report.html)`, ...lines].join('\n');
}

export function findingLines(findings: DraftFinding[], color: boolean, details = false): string {
  if (findings.length === 0) return 'No findings in this step.';
  const order: Severity[] = ['critical', 'high', 'medium', 'low', 'informational'];
  const sorted = [...findings].sort((a, b) => order.indexOf(a.severity) - order.indexOf(b.severity));
  return sorted
    .map((f) => {
      const head = `  ${level(f.severity, color)} ${sanitizeForTerminal(f.title)}`;
      if (!details) return head;
      const ev = f.evidence.length ? `\n      evidence: ${f.evidence.map((e) => sanitizeForTerminal(e)).join(', ')}` : '';
      return `${head}\n      ${f.rule} · ${f.mitre.join(', ')}\n      ${sanitizeForTerminal(f.detail)}${ev}`;
    })
    .join('\n');
}

/** facts, the step's findings, and every finding of the run so far. */
type View = (facts: KnownFacts, findings: DraftFinding[], all: DraftFinding[]) => string[];

function hostView(facts: KnownFacts): string[] {
  const h = facts.host;
  if (!h) return [];
  return [renderTable(['host', 'os', 'kernel', 'booted', 'time zone'], [[h.hostname, h.os.distro, h.os.kernel, h.bootTime, h.timezone]])];
}

function loginsView(facts: KnownFacts): string[] {
  const parts: string[] = [];
  const open = (facts.sessions ?? []).filter((s) => s.end === 'still-logged-in' || s.end === 'gone');
  if (open.length) parts.push('Logged in now (raw utmp/wtmp):\n' + renderTable(['user', 'line', 'from', 'since', 'state'], open.slice(0, 20).map((s) => [s.user, s.line, s.host, s.login, s.end])));
  const recent = (facts.sessions ?? []).filter((s) => s.host && s.user !== 'reboot').slice(-10);
  if (recent.length) parts.push('Last remote sessions:\n' + renderTable(['user', 'from', 'login', 'logout', 'end'], recent.map((s) => [s.user, s.host, s.login, s.logout, s.end])));
  return parts;
}

function authLogView(facts: KnownFacts): string[] {
  const parts: string[] = [];
  const tally = facts.authTally ?? [];
  if (tally.length) {
    parts.push(
      'Failed ssh logins by address (auth log or journal):\n' +
        renderTable(
          ['address', 'failures', 'first', 'last', 'users tried', 'logins'],
          tally.slice(0, 10).map((t) => [t.address, t.failures, t.firstFailure, t.lastFailure, t.users.slice(0, 3).map((u) => u.user).join(' '), t.acceptedCount]),
        ),
    );
  }
  const logins = facts.authLogins ?? [];
  if (logins.length) {
    parts.push(
      'Accepted ssh logins (last 10):\n' +
        renderTable(
          ['time', 'user', 'from', 'method', 'failures before'],
          logins.slice(-10).map((l) => [l.time, l.user, l.address, l.method, l.failuresFromAddress.count]),
        ),
    );
  }
  return parts;
}

function connectionsView(facts: KnownFacts): string[] {
  const view = facts.sshView;
  if (!view) return [];
  const parts = [`SSH ports: ${view.ports.join(', ')}`];
  if (view.inbound.length) {
    parts.push(
      'Inbound to ssh ports, by remote address:\n' +
        renderTable(
          ['address', 'open', 'states', 'users', 'pids'],
          view.inbound.slice(0, 15).map((i) => [i.remoteAddress, i.connections, Object.entries(i.states).map(([k, v]) => `${k}:${v}`).join(' '), i.users.join(' '), i.sshdPids.slice(0, 6).join(' ')]),
        ),
    );
  } else parts.push('No inbound connection to an ssh port.');
  if (view.outbound.length) {
    parts.push(
      'Outbound to ssh ports, by process:\n' +
        renderTable(
          ['pid', 'process', 'user', 'hosts', 'SYN_SENT', 'established', 'executable'],
          view.outbound.slice(0, 15).map((o) => [o.owner?.pid ?? '(none visible)', o.owner?.comm, o.user ?? o.uid, o.hosts.length, o.synSent, o.established, o.owner?.exe]),
        ),
    );
  } else parts.push('No outbound connection to an ssh port.');
  return parts;
}

function processesView(facts: KnownFacts, findings: DraftFinding[]): string[] {
  const flagged = new Set(findings.map((f) => f.subject.pid).filter((p): p is number => typeof p === 'number'));
  const rows = (facts.processes ?? []).filter((p) => flagged.has(p.pid));
  if (!rows.length) return [];
  return ['Flagged processes:\n' + renderTable(['pid', 'user', 'name', 'executable', 'rules'], rows.map((p) => [p.pid, p.user, p.comm, `${p.exe ?? '?'}${p.exeDeleted ? ' (deleted)' : ''}`, findings.filter((f) => f.subject.pid === p.pid).map((f) => f.rule.replace('process.', '')).join(' ')]))];
}

function openFilesView(facts: KnownFacts): string[] {
  const open = facts.openFiles ?? [];
  if (open.length === 0) return ['No flagged process to locate.'];
  return open.map((o) =>
    [
      `pid ${o.pid} ${sanitizeForTerminal(o.comm)} (user ${sanitizeForTerminal(o.user ?? '?')})`,
      `  executable: ${sanitizeForTerminal(o.exe ?? '?')}${o.exeDeleted ? ' (deleted)' : ''}${o.preserved ? `  → preserved as ${o.preserved.path}, sha256 ${o.preserved.sha256}` : ''}`,
      `  folder(s):  ${o.folders.map((f) => sanitizeForTerminal(f)).join(', ') || '(none outside system folders)'}`,
      `  started by: ${sanitizeForTerminal(o.startedBy)}`,
      `  parents:    ${o.parents.slice(0, 5).map((p) => `${sanitizeForTerminal(p.comm)}(${p.pid})`).join(' ← ') || '(none)'}`,
      ...(o.connections.length ? [`  sockets:    ${o.connections.slice(0, 5).map((c) => sanitizeForTerminal(c)).join('; ')}${o.connections.length > 5 ? ` (+${o.connections.length - 5})` : ''}`] : []),
    ].join('\n'),
  );
}

/** Rows shown per list of a session on the terminal; the report and the artifact hold more. */
const TERMINAL_ROWS = { commands: 20, files: 10, findings: 10 } as const;

/** `22:26:30` on the session's own day, the full time otherwise. */
function clock(iso: string | null, day: string): string {
  if (!iso) return 'no time';
  const t = timeText(iso);
  return t.startsWith(`${day} `) ? t.slice(day.length + 1, day.length + 9) : t;
}

function indent(text: string, by = '    '): string {
  return text.split('\n').map((l) => `${by}${l}`).join('\n');
}

function leftOut(shown: number, total: number, what: string): string[] {
  return total > shown ? [`    … ${total - shown} more ${what} (report.html, artifacts/session-activity.json)`] : [];
}

function sessionLines(s: ShownSession): string {
  const head = sanitizeForTerminal(sessionHeading(s));
  if (sessionIsEmpty(s)) return `${head}: nothing recorded in it`;
  const day = timeText(s.start).slice(0, 10);
  const out = [`${head}  [${sanitizeForTerminal(sessionMeta(s))}]`];
  if (s.commands.total) {
    const rows = s.commands.items.slice(0, TERMINAL_ROWS.commands);
    out.push('  commands:', indent(renderTable(['time', 'command', 'history'], rows.map((c) => [clock(c.time, day), c.text, `${c.file}:${c.line}`]), 100)), ...leftOut(rows.length, s.commands.total, 'commands'));
  }
  if (s.files.total) {
    const rows = s.files.items.slice(0, TERMINAL_ROWS.files);
    out.push('  files created or changed:', indent(renderTable(['time', 'what', 'path'], rows.map((f) => [clock(f.time, day), `${f.what}${f.type === 'dir' ? ' (folder)' : f.executable ? ` (${f.executable})` : ''}`, f.path]), 100)), ...leftOut(rows.length, s.files.total, 'files'));
  }
  if (s.findings.total) {
    const rows = s.findings.items.slice(0, TERMINAL_ROWS.findings);
    out.push('  findings:', ...rows.map((f) => `    ${f.severity.toUpperCase().padEnd(13)} ${sanitizeForTerminal(f.title)}`), ...leftOut(rows.length, s.findings.total, 'findings'));
  }
  return out.join('\n');
}

/** Per ssh session of the window: its commands, the files its account changed while it was open, the findings of the run so far tied to it. */
function activityView(facts: KnownFacts, _findings: DraftFinding[], all: DraftFinding[]): string[] {
  if (!facts.historyCommands && !facts.sessions && !facts.authLogins) return [];
  const a = sessionActivity(facts, all);
  const parts: string[] = [];
  const since = a.window ? ` since ${timeText(a.window.start)}` : '';
  if (a.sessions.length === 0) parts.push(`No ssh session${since} in the login records or the auth log.`);
  else parts.push(`What was done in each ssh session${since}:\n${a.sessions.map(sessionLines).join('\n')}${a.sessionsLeftOut ? `\n… ${a.sessionsLeftOut} older session(s) not shown` : ''}`);
  for (const u of a.untied) {
    const rows = u.commands.items.slice(-TERMINAL_ROWS.commands);
    parts.push(`${sanitizeForTerminal(untiedTitle(u))}:\n${indent(renderTable(['time', 'command', 'history'], rows.map((c) => [c.time ? timeText(c.time) : '', c.text, `${c.file}:${c.line}`]), 100))}${u.commands.total > rows.length ? `\n    … the last ${rows.length} of ${u.commands.total} entries` : ''}`);
  }
  return parts;
}

/**
 * The view of each collector, in the order they are shown when one step runs several: keyed by
 * what a step collects, so a playbook with its own step ids and groupings keeps them.
 */
export const COLLECTOR_VIEWS: ReadonlyArray<{ collector: string; view: View }> = [
  { collector: 'host', view: hostView },
  { collector: 'logins', view: loginsView },
  { collector: 'auth-log', view: authLogView },
  { collector: 'connections', view: connectionsView },
  { collector: 'shell-history', view: activityView },
  { collector: 'processes', view: processesView },
];

/** The views a note step names in `show`. */
export const NOTE_VIEW_RENDERERS: Record<NoteView, View> = {
  'open-files': openFilesView,
};

/** What a step found, as tables a responder reads at a glance. Empty when there is nothing to show. */
export function stepView(step: PlaybookStep, facts: KnownFacts, findings: DraftFinding[], all: DraftFinding[] = findings): string {
  const parts: string[] = [];
  if (step.kind === 'collect') {
    for (const { collector, view } of COLLECTOR_VIEWS) if (step.collect.includes(collector)) parts.push(...view(facts, findings, all));
  }
  if (step.kind === 'note') for (const name of step.show) parts.push(...NOTE_VIEW_RENDERERS[name](facts, findings, all));
  return parts.join('\n\n');
}
