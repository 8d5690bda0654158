import { splitDetail, VERDICT_ADVICE } from './advice.js';
import { bucketLabel, widthText } from './chart.js';
import type { ReportData, Table } from './data.js';
import { byLevel, bytesText, moreFindingsText, shownFindings, countText, evidenceFiles, notableSources, sourceDetail, sourceStatusText, subjectText, timeText, VERDICT_LABEL } from './format.js';
import { escapeMarkdown as md } from './text.js';
import { sessionsMarkdown } from './sessions-view.js';
import { incidentOfMarkdown, incidentsMarkdown, storyMarkdown } from './incidents-md.js';

/** A time from the bundle, formatted, then escaped like any other text (a crafted time is any string). */
const mdTime = (iso: string | null | undefined): string => md(timeText(iso));

/**
 * report.md: the same content as report.html, for e-mail and tickets. Every string that came
 * from the box goes through escapeMarkdown (no markup, no HTML, no line break that splits a row,
 * no terminal escape), and is never put inside a code span, where escapes would show.
 */

const fmt = (n: number) => n.toLocaleString('en-US');

function table(headers: string[], rows: string[][], align: Array<'l' | 'r'> = []): string[] {
  return [
    `| ${headers.join(' | ')} |`,
    `|${headers.map((_, i) => (align[i] === 'r' ? '---:' : '---')).join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
  ];
}

function cutNote<T>(t: Table<T>, what: string, many = `${what}s`): string[] {
  return t.total > t.rows.length ? [`Showing ${t.rows.length} of ${countText(t.total, what, many)}; all of them are in \`${t.artifact ?? ''}\`.`, ''] : [];
}

function authLines(d: ReportData): string[] {
  if (!d.auth) return ['Not in this bundle: the auth log step did not run or found no log.', ''];
  const s = d.auth.series(24);
  const out = [`${fmt(s.failures)} failed and ${fmt(s.logins)} accepted ssh logins in the auth events.`, ''];
  const busy = s.bars.filter((b) => b.failures > 0 || b.logins > 0);
  if (busy.length === 0) return out;
  const max = Math.max(...busy.map((b) => b.failures), 1);
  out.push(`Per ${widthText(s.bucketMs)} (UTC), periods without events left out:`, '');
  out.push(
    ...table(
      ['from', 'failed', '', 'accepted'],
      busy.map((b) => [bucketLabel(b.startMs, s.bucketMs), fmt(b.failures), '█'.repeat(Math.round((b.failures / max) * 30)) || (b.failures ? '▏' : ''), b.logins ? `**${fmt(b.logins)}**` : '0']),
      ['l', 'r', 'l', 'r'],
    ),
  );
  if (d.authEventsCapped) out.push('artifacts/auth-events.jsonl reached its size cap: these counts cover only the events written; the per-address tallies count them all.', '');
  return out;
}

/** The whole report as Markdown. */
export function renderMarkdown(d: ReportData): string {
  const m = d.manifest;
  const v = d.verdict;
  const out: string[] = [];
  out.push(`# ${md(v.headline)}`, '');
  out.push(
    `**${VERDICT_LABEL[v.level] ?? v.level}**${v.partial ? ' (partial collection)' : ''} · host **${md(m.host.hostname || '?')}** · case ${md(m.case)} · collected ${mdTime(m.startedAt)} to ${mdTime(m.endedAt)}${m.examiner ? ` by ${md(m.examiner)}` : ''} · ${md(m.mode)} · ${m.root ? 'as root' : 'not as root'}`,
    '',
  );
  const i = d.integrity;
  if (i && !i.ok) {
    out.push('> **Warning: this bundle did not verify.** Files were changed, added or removed after it was sealed, or its custody chain is broken:', '>');
    for (const p of i.problems) out.push(`> - ${md(p)}`);
    out.push('');
  } else if (i) out.push(`Bundle verified: ${countText(i.files, 'file')} match SHA256SUMS and manifest.json, custody chain intact.`, '');
  if (m.partial) out.push(`> **Partial collection:** ${md(m.partialReasons.join('; ') || 'some sources could not be read')}.`, '');
  if (d.unreadable.length) out.push(`> Could not read: ${d.unreadable.map(md).join(', ')}.`, '');
  out.push(...storyMarkdown(d));

  out.push('## What to do now', '');
  VERDICT_ADVICE[v.level].forEach((s, n) => out.push(`${n + 1}. ${md(s)}`));
  out.push('');

  out.push(...incidentsMarkdown(d));
  out.push(`## Findings (${d.findings.length})`, '');
  if (d.findings.length === 0) out.push('No findings from the checks that ran.', '');
  else {
    const { shown, more } = shownFindings(d.findings);
    out.push(...table(['id', 'level', 'title'], shown.map((f) => [f.id ? md(f.id) : '', f.severity, md(f.title)])));
    if (more.length) out.push('', ...moreFindingsText(more).map(md), '');
    for (const g of byLevel(shown)) {
      for (const f of g.findings) {
        const { why, next } = splitDetail(f.detail);
        const subject = subjectText(f);
        out.push(`### ${md(f.id)} · ${f.severity} · ${md(f.title)}`, '');
        out.push(`Rule ${md(f.rule)}${f.mitre.length ? ` · ATT&CK ${f.mitre.map(md).join(', ')}` : ''}${subject ? ` · ${md(subject)}` : ''}${incidentOfMarkdown(d, f.id)}`, '');
        out.push(`**Why it matters:** ${md(why)}`, '');
        if (next.length) {
          out.push('**Next steps:**', '');
          for (const s of next) out.push(`- ${md(s)}`);
          out.push('');
        }
        if (f.evidence.length) out.push(`Evidence: ${f.evidence.map(md).join(', ')}`, '');
      }
    }
  }

  out.push('## SSH logins over time', '', ...authLines(d));

  out.push('## Sessions (utmp, wtmp)', '');
  if (!d.sessions.artifact) out.push('Not in this bundle: the logins step did not run.', '');
  else if (d.sessions.rows.length === 0) out.push('No login sessions in utmp, wtmp or wtmpdb.', '');
  else {
    out.push(...table(['user', 'terminal', 'from', 'login', 'logout', 'end', 'source'], d.sessions.rows.map((s) => [md(s.user), md(s.line), md(s.host || s.addr || ''), mdTime(s.login), mdTime(s.logout), md(s.end), md(s.source)])));
    out.push(...cutNote(d.sessions, 'session record'));
  }

  out.push('## What was done in each session', '', ...sessionsMarkdown(d.sessionActivity));

  out.push('## Top attacking addresses', '');
  if (!d.attackers.artifact) out.push('Not in this bundle: the auth log step did not run.', '');
  else if (d.attackers.rows.length === 0) out.push('No failed ssh logins in the logs read.', '');
  else {
    out.push(
      ...table(
        ['address', 'failed', 'invalid users', 'users tried', 'first failure', 'last failure', 'logged in'],
        d.attackers.rows.map((r) => [md(r.address), fmt(r.failures), `${Math.round(r.invalidUserShare * 100)}%`, md(r.users.join(', ') + (r.distinctUsers > r.users.length ? `, … (${fmt(r.distinctUsers)} in all)` : '')), mdTime(r.firstFailure), mdTime(r.lastFailure), r.accepted ? `**${fmt(r.accepted)}**` : '0']),
        ['l', 'r', 'r', 'l', 'l', 'l', 'r'],
      ),
    );
    out.push(...cutNote(d.attackers, 'address', 'addresses'));
  }

  out.push('## Suspicious processes', '');
  if (d.processes.rows.length === 0) out.push(d.processes.artifact ? 'No process was flagged.' : 'Not in this bundle: the processes step did not run (offline runs cannot see processes).', '');
  for (const p of d.processes.rows) {
    out.push(`### ${md(p.comm || '?')} (pid ${p.pid}${p.user ? `, user ${md(p.user)}` : ''})`, '');
    out.push(`- command line: ${p.command ? md(p.command) : 'unreadable'}`);
    out.push(`- executable: ${p.exe ? md(p.exe) : 'unreadable'}${p.exeDeleted ? ' (deleted from disk)' : ''}`);
    out.push(`- sha256: ${p.sha256 ? md(p.sha256) : 'not hashed'}`);
    out.push(`- preserved copy: ${p.preserved ? `${md(p.preserved.path)} (${bytesText(p.preserved.size)}${p.preserved.truncated ? ', cut at the size cap' : ''})` : 'none'}`);
    if (p.folders.length) out.push(`- folder: ${p.folders.map(md).join(', ')}`);
    out.push(`- started: ${mdTime(p.startTime) || '?'}${p.startedBy ? ` by ${md(p.startedBy)}` : ''}${p.unit ? ` (unit ${md(p.unit)})` : ''}`);
    if (p.findings.length) out.push(`- findings: ${p.findings.map(md).join(', ')}`);
    out.push(`- parent chain: ${p.parents.length ? p.parents.map((l) => `${md(l.comm)} (pid ${l.pid}${l.user ? `, ${md(l.user)}` : ''})`).join(' ← ') : 'no parent visible'}`, '');
  }
  out.push(...cutNote(d.processes, 'process', 'processes'));

  out.push('## Outbound ssh fan-out', '');
  if (!d.fanout.artifact) out.push('Not in this bundle: the connections step did not run (offline runs cannot see connections).', '');
  else if (d.fanout.rows.length === 0) out.push(`No outbound connections to ssh ports (${d.fanout.ports.join(', ')}).`, '');
  else {
    out.push(
      ...table(
        ['process', 'user', 'hosts', 'connections', 'SYN_SENT', 'ports', 'targets'],
        d.fanout.rows.map((g) => [g.owner ? `${md(g.owner.comm)} (pid ${g.owner.pid})` : 'no visible process', md(g.owner?.user ?? g.user ?? (g.uid !== null ? `uid ${g.uid}` : '')), fmt(g.hosts.length), fmt(g.connections), fmt(g.synSent), g.remotePorts.join(', '), md(g.hosts.slice(0, 6).join(', ') + (g.hosts.length > 6 ? ', …' : ''))]),
        ['l', 'l', 'r', 'r', 'r', 'l', 'l'],
      ),
    );
    out.push(...cutNote(d.fanout, 'process', 'processes'));
  }

  out.push('## Actions taken', '');
  if (d.actions.length === 0) out.push('None: this collection changed nothing on the box.', '');
  else out.push(...table(['action', 'target', 'result', 'applied', 'undo record', 'undo'], d.actions.map((a) => [md(a.action), md(a.target), `${a.ok ? 'done' : 'FAILED'}: ${md(a.message)}`, mdTime(a.appliedAt), md(a.undoRecord ?? 'none'), md(a.undo ?? '')])));

  out.push('## The collection', '');
  out.push(
    ...table(['', ''], [
      ['Case', md(m.case)],
      ['Host', `${md(m.host.hostname)}${m.host.machineId ? ` (machine-id ${md(m.host.machineId)})` : ''}`],
      ['Examiner', md(m.examiner ?? '(not given)')],
      ['Started', mdTime(m.startedAt)],
      ['Ended', mdTime(m.endedAt)],
      ['Mode', md(m.mode)],
      ['Run as root', m.root ? 'yes' : 'no'],
      ['Partial', m.partial ? `yes: ${md(m.partialReasons.join('; '))}` : 'no'],
      ['Interrupted', m.interrupted ? 'yes' : 'no'],
      ['Tool', `${md(m.tool.name)} ${md(m.tool.version)}`],
      ['Playbook', md(m.playbook.id)],
      ['Command line', md(m.commandLine.join(' '))],
      ['Timeline', m.timeline ? `${fmt(m.timeline.events)} events in timeline.csv and artifacts/timeline.jsonl` : 'timeline.csv'],
      ['Custody log', 'custody.jsonl: every event of the run, hash-chained (ir-triage verify checks the chain)'],
    ]),
  );
  const notable = notableSources(m.sources);
  out.push('### Sources that failed, were skipped or warn', '');
  if (notable.length === 0) out.push('Every source was read.', '');
  else out.push(...table(['source', 'status', 'why'], notable.map((s) => [md(s.id), sourceStatusText(s), md(sourceDetail(s))])));
  if (m.steps.length) out.push('### Playbook steps', '', ...table(['step', 'kind', 'ran'], m.steps.map((s) => [md(s.title), md(s.kind), s.ran ? 'yes' : 'no'])));
  out.push(`The bundle holds ${countText(evidenceFiles(m.files).length, 'evidence file')} besides the reports, the custody log, manifest.json and SHA256SUMS; manifest.json lists each with its size and sha256.`, '');
  out.push(`Check it before relying on it: sha256sum -c ${md(m.case)}.tar.gz.sha256 and ir-triage verify ${md(m.case)}.tar.gz.`, '');
  return out.join('\n');
}
