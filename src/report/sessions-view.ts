/**
 * The report's section "What was done in each session", from artifacts/session-activity.json
 * (read back through its schema: the bundle may have been edited by anyone). One card per ssh
 * session: its commands, the files its account created or changed while it was open, and the
 * findings tied to it; a session with nothing is one line. Every string from the box is escaped.
 */
import type { z } from 'zod';
import type { SessionActivityFileSchema } from '../evidence/bundle-schemas.js';
import type { SessionHeader } from '../model/session-activity.js';
import { countText, findingLinkHtml, timeText } from './format.js';
import { escapeHtml as h, escapeMarkdown as md } from './text.js';

/** The file as the report reads it. */
export type SessionActivityData = z.infer<typeof SessionActivityFileSchema>;

interface ShownList<T> {
  items: T[];
  total: number;
}

interface ShownCommand {
  time: string | null;
  kind: string;
  text: string;
  file: string;
  line: number;
}

interface ShownFile {
  path: string;
  type: string;
  what: string;
  time: string;
  executable: string | null;
  sha256: string | null;
}

interface ShownFinding {
  id: string | null;
  rule: string;
  severity: string;
  title: string;
  tie: string;
}

/** What the views show of one session (the artifact's shape, or sessionActivity's output). */
export interface ShownSession extends SessionHeader {
  commands: ShownList<ShownCommand>;
  files: ShownList<ShownFile>;
  findings: ShownList<ShownFinding>;
}

export interface ShownSessions {
  window: { start: string; end: string } | null;
  sessions: ShownSession[];
  sessionsLeftOut: number;
  untied: Array<{ user: string; reason: string; commands: ShownList<ShownCommand> }>;
}

const ISO = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?Z$/;

/** `14 min`, `40 s`, `3 h 05 min`, `2 d 4 h`. */
export function durationText(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 120) return `${min} min`;
  const hours = Math.floor(min / 60);
  if (hours < 48) return `${hours} h ${String(min % 60).padStart(2, '0')} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** `deploy from 127.0.0.3, 2024-03-01 22:26:09–22:40:12 UTC (14 min)`: plain text, the caller escapes it. */
export function sessionHeading(s: ShownSession): string {
  const who = `${s.user} from ${s.address ?? 'an unknown address'}`;
  const a = ISO.exec(s.start);
  if (s.end === null) {
    const state = s.endKind === 'still-logged-in' || s.endKind === 'open' ? 'still open' : 'no end recorded';
    return `${who}, since ${timeText(s.start)} (${state})`;
  }
  const b = ISO.exec(s.end);
  const took = durationText(Date.parse(s.end) - Date.parse(s.start));
  const span = a && b && a[1] === b[1] ? `${a[1]} ${a[2]}–${b[2]} UTC` : `${timeText(s.start)} – ${timeText(s.end)}`;
  return `${who}, ${span}${took ? ` (${took})` : ''}${s.endKind && s.endKind !== 'logout' && s.endKind !== 'closed' ? `, ended by ${s.endKind}` : ''}`;
}

/** `password · pts/0 · wtmp, auth-log`. */
export function sessionMeta(s: ShownSession): string {
  return [s.method ? `login by ${s.method}` : null, s.line, s.sources.join(', ')].filter((x) => x).join(' · ');
}

/** True when nothing is tied to the session: it is shown as one line. */
export function sessionIsEmpty(s: ShownSession): boolean {
  return s.commands.total === 0 && s.files.total === 0 && s.findings.total === 0;
}

export function untiedTitle(u: { user: string; reason: string }): string {
  return u.reason === 'no-time' ? `${u.user}: not tied to a session (no timestamps)` : `${u.user}: at times no listed session covers (su, sudo, cron, or a removed login record)`;
}

const ARTIFACT: Record<string, [string, string, string]> = {
  entry: ['entry', 'entries', 'artifacts/history-commands.jsonl'],
  file: ['file', 'files', 'artifacts/changed-files.jsonl'],
  finding: ['finding', 'findings', 'findings.json'],
};

/** `12 more entries left out (all of them are in artifacts/history-commands.jsonl)`, or ''. */
function more(list: ShownList<unknown>, what: keyof typeof ARTIFACT): string {
  const left = list.total - list.items.length;
  const [one, many, artifact] = ARTIFACT[what];
  return left > 0 ? `${countText(left, `more ${one}`, `more ${many}`)} left out (all of them are in ${artifact})` : '';
}

function fileWhat(f: ShownFile): string {
  return `${f.what}${f.type === 'dir' ? ' (folder)' : f.executable ? ` (executable, ${f.executable})` : f.type === 'link' ? ' (link)' : ''}`;
}

// ── HTML ──

function htmlTable(head: string[], rows: string[][]): string {
  return `<table><thead><tr>${head.map((x) => `<th>${x}</th>`).join('')}</tr></thead><tbody>\n${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n')}\n</tbody></table>`;
}

function htmlMore(list: ShownList<unknown>, what: string): string {
  const t = more(list, what);
  return t ? `<p class="note">${h(t)}</p>` : '';
}

function htmlCommands(list: ShownList<ShownCommand>): string {
  return htmlTable(['time', 'command', 'history'], list.items.map((c) => [h(timeText(c.time) || 'unknown'), `<code>${h(c.text)}</code>${c.kind !== 'command' ? ` <span class="muted small">(${h(c.kind)})</span>` : ''}`, `<code>${h(c.file)}:${c.line}</code>`])) + htmlMore(list, 'entry');
}

/** The section's body for report.html. */
export function sessionsHtml(d: ShownSessions | null, carded: ReadonlySet<string>): string {
  if (!d) return '<p class="muted">Not in this bundle: no step read the logins or the shell histories (artifacts/session-activity.json).</p>';
  const out: string[] = [];
  out.push(`<p class="small muted">Each ssh session${d.window ? ` since ${h(timeText(d.window.start))} (the incident window)` : ''}: the history entries typed in it, the files its account created or changed while it was open (owned by the account, or in its home), and the findings tied to it.</p>`);
  if (d.sessions.length === 0) out.push('<p>No ssh session in the incident window in the login records or the auth log.</p>');
  const empty: ShownSession[] = [];
  for (const s of d.sessions) {
    if (sessionIsEmpty(s)) {
      empty.push(s);
      continue;
    }
    const parts = [`<div class="proc"><h3>${h(sessionHeading(s))}</h3><p class="small muted">${h(sessionMeta(s))}${s.evidence.length ? ` · ${s.evidence.map((e) => `<code>${h(e)}</code>`).join(' ')}` : ''}</p>`];
    if (s.commands.total) parts.push(`<p><b>Commands</b></p>${htmlCommands(s.commands)}`);
    if (s.files.total) {
      parts.push(
        `<p><b>Files created or changed</b></p>${htmlTable(['time', 'what', 'path', 'sha256'], s.files.items.map((f) => [h(timeText(f.time)), h(fileWhat(f)), `<code>${h(f.path)}</code>`, f.sha256 ? `<code>${h(f.sha256.slice(0, 16))}…</code>` : '']))}${htmlMore(s.files, 'file')}`,
      );
    }
    if (s.findings.total) {
      parts.push(`<p><b>Findings</b></p><ul>${s.findings.items.map((f) => `<li><span class="pill ${h(f.severity)}">${h(f.severity)}</span> ${f.id ? `${findingLinkHtml(f.id, carded, h)} ` : ''}${h(f.title)} <span class="muted small">(${h(tieText(f.tie))})</span></li>`).join('')}</ul>${htmlMore(s.findings, 'finding')}`);
    }
    out.push(`${parts.join('\n')}</div>`);
  }
  if (empty.length) out.push(`<p class="small">Nothing recorded in:</p><ul class="small">${empty.map((s) => `<li>${h(sessionHeading(s))}</li>`).join('')}</ul>`);
  if (d.sessionsLeftOut > 0) out.push(`<p class="note">${h(countText(d.sessionsLeftOut, 'older session'))} in the window not shown.</p>`);
  for (const u of d.untied) out.push(`<h3>${h(untiedTitle(u))}</h3>${htmlCommands(u.commands)}`);
  return out.join('\n');
}

/** Why a finding is shown with a session, in words. */
export function tieText(tie: string): string {
  switch (tie) {
    case 'session':
      return 'typed in this session';
    case 'account-time':
      return 'this account, during the session';
    case 'file':
      return 'a file of this session';
    case 'address':
      return 'the address it came from';
    default:
      return tie;
  }
}

// ── Markdown ──

function mdCommands(list: ShownList<ShownCommand>): string[] {
  const left = more(list, 'entry');
  return [
    '| time | command | history |',
    '|---|---|---|',
    ...list.items.map((c) => `| ${md(timeText(c.time) || 'unknown')} | ${md(c.text)}${c.kind !== 'command' ? ` (${md(c.kind)})` : ''} | ${md(`${c.file}:${c.line}`)} |`),
    '',
    ...(left ? [md(left), ''] : []),
  ];
}

/** The section's lines for report.md (its heading is the caller's). */
export function sessionsMarkdown(d: ShownSessions | null): string[] {
  if (!d) return ['Not in this bundle: no step read the logins or the shell histories.', ''];
  const out: string[] = [];
  if (d.sessions.length === 0) out.push('No ssh session in the incident window in the login records or the auth log.', '');
  const empty: ShownSession[] = [];
  for (const s of d.sessions) {
    if (sessionIsEmpty(s)) {
      empty.push(s);
      continue;
    }
    out.push(`### ${md(sessionHeading(s))}`, '', `${md(sessionMeta(s))}${s.evidence.length ? ` · ${s.evidence.map(md).join(', ')}` : ''}`, '');
    if (s.commands.total) out.push('**Commands:**', '', ...mdCommands(s.commands));
    if (s.files.total) {
      const left = more(s.files, 'file');
      out.push('**Files created or changed:**', '', '| time | what | path |', '|---|---|---|', ...s.files.items.map((f) => `| ${md(timeText(f.time))} | ${md(fileWhat(f))} | ${md(f.path)} |`), '', ...(left ? [md(left), ''] : []));
    }
    if (s.findings.total) {
      const left = more(s.findings, 'finding');
      out.push('**Findings:**', '', ...s.findings.items.map((f) => `- ${md(f.severity)} ${f.id ? `${md(f.id)} ` : ''}${md(f.title)} (${md(tieText(f.tie))})`), '', ...(left ? [md(left), ''] : []));
    }
  }
  if (empty.length) out.push('Nothing recorded in:', '', ...empty.map((s) => `- ${md(sessionHeading(s))}`), '');
  if (d.sessionsLeftOut > 0) out.push(`${countText(d.sessionsLeftOut, 'older session')} in the window not shown.`, '');
  for (const u of d.untied) out.push(`### ${md(untiedTitle(u))}`, '', ...mdCommands(u.commands));
  return out;
}
