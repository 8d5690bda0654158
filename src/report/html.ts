import type { Finding } from '../model/finding.js';
import { splitDetail, VERDICT_ADVICE } from './advice.js';
import { renderAuthChartSvg, widthText } from './chart.js';
import { LIMITS, type ReportData, type Table } from './data.js';
import { byLevel, bytesText, findingLinkHtml, moreFindingsText, shownFindings, countText, evidenceFiles, notableSources, sourceDetail, sourceStatusText, subjectText, timeText, VERDICT_LABEL } from './format.js';
import { escapeHtml as h } from './text.js';
import { sessionsHtml } from './sessions-view.js';
import { incidentOfHtml, incidentSections, INCIDENTS_CSS, storyHtml } from './incidents-html.js';

/**
 * report.html: one self-contained file for the security officer — no script, no external asset
 * (the content security policy forbids every load), readable offline and on paper. Every string
 * that came from the box goes through escapeHtml.
 */

const CSS = `
:root{--ink:#1b1f24;--muted:#5b6470;--line:#d8dde3;--soft:#f4f6f8;--critical:#7f1d1d;--high:#c62828;--medium:#d9730d;--low:#b08900;--informational:#5b6b7b;
--compromised:#8e1b1b;--attacking:#6a1b9a;--attacked:#c25e00;--suspicious:#8a6d00;--clean:#2e7d32}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{font:15px/1.5 -apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans","Liberation Sans",sans-serif;color:var(--ink);margin:0;background:#fff}
main{max-width:1120px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:26px;line-height:1.25;margin:.2em 0 .3em;font-weight:700}
h2{font-size:19px;margin:2em 0 .6em;padding-bottom:.3em;border-bottom:2px solid var(--ink)}
h3{font-size:16px;margin:0 0 .3em}
p{margin:.4em 0}
code,.mono{font:12.5px/1.45 ui-monospace,"SFMono-Regular",Menlo,Consolas,"Liberation Mono",monospace;word-break:break-all}
.muted{color:var(--muted)}
.small{font-size:13px}
.kicker{font-size:12px;letter-spacing:.08em;text-transform:uppercase;opacity:.85;font-weight:600}
.verdict{color:#fff;border-radius:10px;padding:20px 24px 18px;margin:0 0 18px}
.verdict .meta{font-size:14px;opacity:.92;margin-top:.4em}
.verdict.compromised{background:var(--compromised)}.verdict.attacking{background:var(--attacking)}.verdict.attacked{background:var(--attacked)}
.verdict.suspicious{background:var(--suspicious)}.verdict.clean{background:var(--clean)}
.pill{display:inline-block;border-radius:999px;padding:1px 10px;font-size:12px;font-weight:700;letter-spacing:.02em;color:#fff;vertical-align:1px;white-space:nowrap}
.pill.critical{background:var(--critical)}.pill.high{background:var(--high)}.pill.medium{background:var(--medium)}.pill.low{background:var(--low)}.pill.informational{background:var(--informational)}
.pill.ok{background:var(--clean)}.pill.error{background:var(--high)}.pill.skipped{background:var(--informational)}.pill.warning{background:var(--medium)}
.verdict .counts{margin-top:12px;display:flex;gap:8px;flex-wrap:wrap}
.verdict .counts span{background:rgba(255,255,255,.16);border-radius:6px;padding:3px 10px;font-size:13px}
.banner{border-radius:8px;padding:12px 16px;margin:0 0 18px;border:2px solid}
.banner.bad{border-color:var(--high);background:#fdecea;color:#5f1212}
.banner.good{border-color:var(--clean);background:#edf7ee;color:#1b4d1e}
.banner.warn{border-color:var(--medium);background:#fff4e5;color:#5a3300}
.banner ul{margin:.3em 0 0 1.2em;padding:0}
.todo{background:var(--soft);border-radius:8px;padding:12px 18px 12px 18px}
.todo ol{margin:.2em 0 .2em 1.2em;padding:0}
nav.toc{font-size:13.5px;margin:0 0 8px;color:var(--muted)}
nav.toc a{color:inherit;margin-right:14px;text-decoration:none;border-bottom:1px dotted var(--muted)}
.summary td:nth-child(2){white-space:nowrap}.summary a{color:inherit}
.finding{border:1px solid var(--line);border-left:6px solid var(--informational);border-radius:8px;padding:12px 16px;margin:0 0 12px;break-inside:avoid}
.finding.critical{border-left-color:var(--critical)}.finding.high{border-left-color:var(--high)}.finding.medium{border-left-color:var(--medium)}.finding.low{border-left-color:var(--low)}
.finding .sub{font-size:13px;color:var(--muted);margin-bottom:.4em}
.finding .label{font-weight:700;font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);margin-top:.6em}
.finding ul{margin:.2em 0 0 1.2em;padding:0}
table{border-collapse:collapse;width:100%;margin:.4em 0 .8em;font-size:13.5px}
th,td{text-align:left;vertical-align:top;padding:6px 10px;border-bottom:1px solid var(--line)}
th{background:var(--soft);font-weight:600;border-bottom:2px solid var(--line);white-space:nowrap}
tbody tr:nth-child(even) td{background:#fafbfc}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
table.kv th{width:190px;background:none;border-bottom:1px solid var(--line);white-space:normal}
.proc{border:1px solid var(--line);border-radius:8px;padding:12px 16px;margin:0 0 14px;break-inside:avoid}
.chain{margin:.2em 0 0;padding:0;list-style:none;font-size:13px}
.chain li{margin:0 0 2px}
.chain li:before{content:"↳ ";color:var(--muted)}
.chart{width:100%;height:auto;display:block;margin:.4em 0}
.chart .fail{fill:var(--high)}.chart .login{fill:var(--clean)}.chart .grid{stroke:var(--line);stroke-width:1}.chart .lane{stroke:var(--line);stroke-dasharray:3 3}
.chart text{font:12px -apple-system,"Segoe UI",Roboto,Arial,"Liberation Sans",sans-serif;fill:var(--muted)}.chart .count{fill:var(--clean);font-weight:700}.chart .empty{font-size:14px}
.legend{font-size:13px;color:var(--muted)}
.legend i{display:inline-block;width:10px;height:10px;margin:0 5px 0 12px;vertical-align:0}
.note{font-size:13px;color:var(--muted)}
details summary{cursor:pointer;color:var(--muted);font-size:13.5px}
footer{margin-top:40px;padding-top:12px;border-top:1px solid var(--line);font-size:12.5px;color:var(--muted)}
@media print{
  @page{margin:14mm 12mm}
  body{font-size:11pt}
  main{max-width:none;padding:0}
  nav.toc{display:none}
  .verdict,.pill,.banner,.chart .fail,.chart .login,th,tbody tr:nth-child(even) td{-webkit-print-color-adjust:exact;print-color-adjust:exact}
  h2{break-after:avoid}
  tr,.finding,.proc{break-inside:avoid}
  details{display:block}
  a{color:inherit;text-decoration:none}
}`;

/** Text from a rule's detail: escaped first, then its `code` spans set as code (the escaped text holds no markup to break). */
function prose(text: string): string {
  return h(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

function cell(value: string, cls = ''): string {
  return `<td${cls ? ` class="${cls}"` : ''}>${value}</td>`;
}

function table(headers: Array<string | [string, string]>, rows: string[][]): string {
  const head = headers.map((x) => (Array.isArray(x) ? `<th class="${x[1]}">${x[0]}</th>` : `<th>${x}</th>`)).join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${rows.map((r) => `<tr>${r.join('')}</tr>`).join('\n')}\n</tbody></table>`;
}

/** `showing 100 of 2,310 (all in artifacts/sessions.jsonl)` when a table was cut. */
function cutNote<T>(t: Table<T>, what: string, many = `${what}s`): string {
  if (t.total <= t.rows.length) return '';
  return `<p class="note">Showing ${t.rows.length} of ${countText(t.total, what, many)}; all of them are in <code>${h(t.artifact ?? '')}</code>.</p>`;
}

function absent(what: string): string {
  return `<p class="muted">Not in this bundle: ${h(what)}</p>`;
}

const fmt = (n: number) => n.toLocaleString('en-US');

function header(d: ReportData): string {
  const m = d.manifest;
  const v = d.verdict;
  const levels = ['critical', 'high', 'medium', 'low', 'informational'] as const;
  const counts = levels.map((l) => [l, d.findings.filter((f) => f.severity === l).length] as const).filter(([, n]) => n > 0);
  return `<header class="verdict ${h(v.level)}">
<div class="kicker">${h(VERDICT_LABEL[v.level] ?? v.level)}${v.partial ? ' · partial collection' : ''} · case ${h(m.case)}</div>
<h1>${h(v.headline)}</h1>
<div class="meta">Host <b>${h(m.host.hostname || '?')}</b> · collected ${h(timeText(m.startedAt))} to ${h(timeText(m.endedAt))}${m.examiner ? ` by ${h(m.examiner)}` : ''} · ${h(m.mode)} · ${m.root ? 'as root' : 'not as root'}</div>
<div class="counts">${counts.length ? counts.map(([l, n]) => `<span>${n} ${l}</span>`).join('') : '<span>no findings</span>'}${d.actions.length ? `<span>${countText(d.actions.length, 'action')} taken</span>` : ''}</div>
</header>`;
}

function integrityBanner(d: ReportData): string {
  const i = d.integrity;
  const out: string[] = [];
  if (i && !i.ok) {
    out.push(`<div class="banner bad" role="alert"><b>Warning: this bundle did not verify.</b> Files were changed, added or removed after it was sealed, or its custody chain is broken: do not rely on what follows without checking each problem.<ul>${i.problems.map((p) => `<li>${h(p)}</li>`).join('')}</ul></div>`);
  } else if (i) {
    out.push(`<div class="banner good">Bundle verified: ${countText(i.files, 'file')} match SHA256SUMS and manifest.json, custody chain intact.</div>`);
  }
  if (d.manifest.partial) {
    out.push(`<div class="banner warn"><b>Partial collection.</b> ${h(d.manifest.partialReasons.join('; ') || 'some sources could not be read')}. What follows covers only what could be read.</div>`);
  }
  if (d.unreadable.length) out.push(`<div class="banner warn">Could not read: ${d.unreadable.map((u) => `<code>${h(u)}</code>`).join(', ')}.</div>`);
  return out.join('\n');
}

function findingCard(f: Finding, incident = ''): string {
  const { why, next } = splitDetail(f.detail);
  const subject = subjectText(f);
  return `<article class="finding ${h(f.severity)}" id="${h(f.id)}">
<h3><span class="pill ${h(f.severity)}">${h(f.severity)}</span> ${h(f.title)}</h3>
<div class="sub">${h(f.id)} · <code>${h(f.rule)}</code>${f.mitre.length ? ` · ATT&amp;CK ${f.mitre.map(h).join(', ')}` : ''}${subject ? ` · ${h(subject)}` : ''}${incident}</div>
<div class="label">Why it matters</div><p>${prose(why)}</p>
${next.length ? `<div class="label">Next steps</div><ul>${next.map((s) => `<li>${prose(s)}</li>`).join('')}</ul>` : ''}
${f.evidence.length ? `<div class="label">Evidence</div><p class="small">${f.evidence.map((e) => `<code>${h(e)}</code>`).join(' · ')}</p>` : ''}
</article>`;
}

function findingsSection(d: ReportData): string {
  if (d.findings.length === 0) return '<p>No findings from the checks that ran.</p>';
  // The list first, to take in at a glance; then each finding with its why and next steps.
  const { shown, more } = shownFindings(d.findings);
  const groups = byLevel(shown);
  const summary = table(
    ['level', 'id', 'finding', 'about'],
    groups.flatMap((g) => g.findings).map((f) => [
      cell(`<span class="pill ${h(f.severity)}">${h(f.severity)}</span>`),
      cell(`<a href="#${h(f.id)}">${h(f.id)}</a>`),
      cell(h(f.title)),
      cell(`<span class="small muted">${h(subjectText(f))}</span>`),
    ]),
  );
  const rest = more.length ? `<p class="small muted">${moreFindingsText(more).map(h).join('<br>')}</p>` : '';
  return `<div class="summary">${summary}</div>${rest}\n${groups.map((g) => g.findings.map((f) => findingCard(f, incidentOfHtml(d, f.id))).join('\n')).join('\n')}`;
}

function authSection(d: ReportData): string {
  if (!d.auth) return absent('the auth log step did not run or found no log (artifacts/auth-events.jsonl).');
  const series = d.auth.series(96);
  const capped = d.authEventsCapped ? '<p class="note">artifacts/auth-events.jsonl reached its size cap, so the chart counts only the events written; the per-address tallies below count them all.</p>' : '';
  return `<p>${fmt(series.failures)} failed and ${fmt(series.logins)} accepted ssh logins in the auth events${series.bars.length ? `, ${widthText(series.bucketMs)} per bar` : ''}.</p>
<p class="legend"><i style="background:var(--high)"></i>failed logins (left axis)<i style="background:var(--clean);border-radius:50%"></i>accepted logins</p>
${renderAuthChartSvg(series)}${capped}`;
}

function sessionsSection(d: ReportData): string {
  const t = d.sessions;
  if (!t.artifact) return absent('the logins step did not run (artifacts/sessions.jsonl).');
  if (t.rows.length === 0) return '<p>No login sessions in utmp, wtmp or wtmpdb.</p>';
  const rows = t.rows.map((s) => [
    cell(h(s.user)), cell(h(s.line)), cell(h(s.host || s.addr || '')), cell(h(timeText(s.login))), cell(h(timeText(s.logout))), cell(h(s.end)), cell(h(s.source)),
  ]);
  return table(['user', 'terminal', 'from', 'login', 'logout', 'end', 'source'], rows) + cutNote(t, 'session record');
}

function attackersSection(d: ReportData): string {
  const t = d.attackers;
  if (!t.artifact) return absent('the auth log step did not run (artifacts/auth-tally.json).');
  if (t.rows.length === 0) return '<p>No failed ssh logins in the logs read.</p>';
  const rows = t.rows.map((r) => [
    cell(`<code>${h(r.address)}</code>`),
    cell(fmt(r.failures), 'num'),
    cell(`${Math.round(r.invalidUserShare * 100)}%`, 'num'),
    cell(h(r.users.join(', ') + (r.distinctUsers > r.users.length ? `, … (${fmt(r.distinctUsers)} in all)` : ''))),
    cell(h(timeText(r.firstFailure))),
    cell(h(timeText(r.lastFailure))),
    cell(r.accepted > 0 ? `<b style="color:var(--high)">${fmt(r.accepted)}</b>` : '0', 'num'),
  ]);
  return table(['address', ['failed', 'num'], ['invalid users', 'num'], 'users tried', 'first failure', 'last failure', ['logged in', 'num']], rows) + cutNote(t, 'address', 'addresses');
}

function processesSection(d: ReportData): string {
  const t = d.processes;
  if (t.rows.length === 0) return t.artifact ? '<p>No process was flagged.</p>' : absent('the processes step did not run (artifacts/processes.jsonl); offline runs cannot see processes.');
  const cards = t.rows.map((p) => {
    const kv: Array<[string, string]> = [
      ['command line', p.command ? `<code>${h(p.command)}</code>` : '<span class="muted">unreadable</span>'],
      ['executable', p.exe ? `<code>${h(p.exe)}</code>${p.exeDeleted ? ' <span class="pill high">deleted</span>' : ''}` : '<span class="muted">unreadable</span>'],
      ['sha256', p.sha256 ? `<code>${h(p.sha256)}</code>` : '<span class="muted">not hashed</span>'],
      ['preserved copy', p.preserved ? `<code>${h(p.preserved.path)}</code> (${h(bytesText(p.preserved.size))}${p.preserved.truncated ? ', cut at the size cap' : ''}, sha256 <code>${h(p.preserved.sha256)}</code>)` : '<span class="muted">none</span>'],
      ['folder', p.folders.length ? p.folders.map((f) => `<code>${h(f)}</code>`).join('<br>') : p.cwd ? `cwd <code>${h(p.cwd)}</code>` : ''],
      ['started', `${h(timeText(p.startTime))}${p.startedBy ? ` by ${h(p.startedBy)}` : ''}${p.unit ? ` (unit <code>${h(p.unit)}</code>)` : ''}`],
      ['connections', p.connections ? fmt(p.connections) : '0'],
      ['findings', p.findings.map((id) => findingLinkHtml(id, d.carded, h)).join(', ')],
    ];
    const chain = p.parents.length
      ? `<ul class="chain">${p.parents.map((l) => `<li><b>${h(l.comm)}</b> (pid ${l.pid}${l.user ? `, ${h(l.user)}` : ''}) <code>${h(l.command || l.exe || '')}</code></li>`).join('')}</ul>`
      : '<p class="muted small">no parent visible</p>';
    return `<div class="proc"><h3>${h(p.comm || '?')} <span class="muted">pid ${p.pid}${p.user ? ` · user ${h(p.user)}` : ''}</span></h3>
<table class="kv"><tbody>${kv.filter(([, v]) => v !== '').map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('')}<tr><th>parent chain</th><td>${chain}</td></tr></tbody></table></div>`;
  });
  return cards.join('\n') + cutNote(t, 'process', 'processes');
}

function fanoutSection(d: ReportData): string {
  const t = d.fanout;
  if (!t.artifact) return absent('the connections step did not run (artifacts/ssh-view.json); offline runs cannot see connections.');
  if (t.rows.length === 0) return `<p>No outbound connections to ssh ports (${h(t.ports.join(', '))}).</p>`;
  const rows = t.rows.map((g) => [
    cell(g.owner ? `<b>${h(g.owner.comm)}</b> (pid ${g.owner.pid})` : `<span class="muted">no visible process</span>`),
    cell(h(g.owner?.user ?? g.user ?? (g.uid !== null ? `uid ${g.uid}` : ''))),
    cell(fmt(g.hosts.length), 'num'),
    cell(fmt(g.connections), 'num'),
    cell(fmt(g.synSent), 'num'),
    cell(h(g.remotePorts.join(', '))),
    cell(`<code>${h(g.hosts.slice(0, 6).join(', '))}${g.hosts.length > 6 ? ', …' : ''}</code>`),
  ]);
  return `<p class="small muted">Connections from this box to ssh ports elsewhere (${h(t.ports.join(', '))}), per process. Many distinct hosts, many of them in SYN_SENT, is a scan.</p>` +
    table(['process', 'user', ['hosts', 'num'], ['connections', 'num'], ['SYN_SENT', 'num'], 'ports', 'targets'], rows) + cutNote(t, 'process', 'processes');
}

function actionsSection(d: ReportData): string {
  if (d.actions.length === 0) return '<p>None: this collection changed nothing on the box.</p>';
  const rows = d.actions.map((a) => [
    cell(`<b>${h(a.action)}</b>`),
    cell(h(a.target)),
    cell(`<span class="pill ${a.ok ? 'ok' : 'error'}">${a.ok ? 'done' : 'failed'}</span> ${h(a.message)}`),
    cell(h(timeText(a.appliedAt))),
    cell(a.undoRecord ? `<code>${h(a.undoRecord)}</code>${a.undo ? `<br><span class="small">undo: <code>${h(a.undo)}</code></span>` : ''}` : '<span class="muted">none</span>'),
  ]);
  return table(['action', 'target', 'result', 'applied', 'undo record'], rows);
}

function collectionSection(d: ReportData): string {
  const m = d.manifest;
  const kv: Array<[string, string]> = [
    ['Case', h(m.case)],
    ['Host', `${h(m.host.hostname)}${m.host.machineId ? ` <span class="muted small">machine-id ${h(m.host.machineId)}</span>` : ''}`],
    ['Examiner', h(m.examiner ?? '(not given)')],
    ['Started', h(timeText(m.startedAt))],
    ['Ended', h(timeText(m.endedAt))],
    ['Mode', `${h(m.mode)}${m.mode === 'offline' ? ' (a mounted image: live-only sources skipped)' : ''}`],
    ['Run as root', m.root ? 'yes' : 'no'],
    ['Partial', m.partial ? `<b>yes</b>: ${h(m.partialReasons.join('; '))}` : 'no'],
    ['Interrupted', m.interrupted ? '<b>yes</b>' : 'no'],
    ['Tool', `${h(m.tool.name)} ${h(m.tool.version)}`],
    ['Playbook', `${h(m.playbook.id)}${m.playbook.sha256 ? ` <span class="muted small">sha256 ${h(m.playbook.sha256.slice(0, 16))}…</span>` : ''}`],
    ['Command line', `<code>${h(m.commandLine.join(' '))}</code>`],
    ['Timeline', m.timeline ? `${fmt(m.timeline.events)} events in <code>timeline.csv</code> and <code>artifacts/timeline.jsonl</code>${m.timeline.dropped ? ` (${fmt(m.timeline.dropped)} without a usable time left out)` : ''}` : '<code>timeline.csv</code>'],
    ['Custody log', '<code>custody.jsonl</code>: every event of the run, hash-chained (<code>ir-triage verify</code> checks the chain)'],
  ];
  const notable = notableSources(m.sources);
  const sources = notable.length
    ? table(['source', 'status', 'why'], notable.map((s) => [cell(`<code>${h(s.id)}</code>`), cell(`<span class="pill ${h(sourceStatusText(s))}">${h(sourceStatusText(s))}</span>`), cell(h(sourceDetail(s)))]))
    : '<p>Every source was read.</p>';
  const ok = m.sources.filter((s) => s.status === 'ok' && !s.warning).length;
  const steps = m.steps.length
    ? `<h3>Playbook steps</h3>${table(['step', 'kind', 'ran'], m.steps.map((s) => [cell(h(s.title)), cell(h(s.kind)), cell(s.ran ? 'yes' : '<span class="muted">no</span>')]))}`
    : '';
  const listed = evidenceFiles(m.files);
  const shown = listed.slice(0, LIMITS.files);
  const files = `<details><summary>${countText(listed.length, 'evidence file')} with their sha256 (besides the reports, the custody log, manifest.json and SHA256SUMS)</summary>${table(['file', ['size', 'num'], 'sha256'], shown.map((f) => [cell(`<code>${h(f.path)}</code>`), cell(h(bytesText(f.size)), 'num'), cell(`<code>${h(f.sha256)}</code>`)]))}${listed.length > shown.length ? `<p class="note">The first ${shown.length}; every file is listed in manifest.json.</p>` : ''}</details>`;
  return `<table class="kv"><tbody>${kv.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('')}</tbody></table>
<h3>Sources that failed, were skipped or warn</h3><p class="small muted">${countText(ok, 'source')} read without a problem.</p>${sources}
${steps}
${files}`;
}

/** The whole page. */
export function renderHtml(d: ReportData): string {
  const m = d.manifest;
  const sections: Array<[string, string, string]> = [
    ...incidentSections(d),
    ['findings', `Findings (${d.findings.length})`, findingsSection(d)],
    ['auth', 'SSH logins over time', authSection(d)],
    ['sessions', 'Sessions (utmp, wtmp)', sessionsSection(d)],
    ['session-activity', 'What was done in each session', sessionsHtml(d.sessionActivity, d.carded)],
    ['attackers', 'Top attacking addresses', attackersSection(d)],
    ['processes', 'Suspicious processes', processesSection(d)],
    ['fanout', 'Outbound ssh fan-out', fanoutSection(d)],
    ['actions', 'Actions taken', actionsSection(d)],
    ['collection', 'The collection', collectionSection(d)],
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${h(d.verdict.headline)} — ${h(m.host.hostname)} — ir-triage ${h(m.case)}</title>
<style>${CSS}${INCIDENTS_CSS}</style></head>
<body><main>
${header(d)}
${integrityBanner(d)}
${storyHtml(d)}
<section class="todo" id="todo"><h3>What to do now</h3><ol>${VERDICT_ADVICE[d.verdict.level].map((s) => `<li>${h(s)}</li>`).join('')}</ol></section>
<nav class="toc">${sections.map(([id, title]) => `<a href="#${id}">${h(title)}</a>`).join('')}</nav>
${sections.map(([id, title, body]) => `<section id="${id}"><h2>${h(title)}</h2>\n${body}\n</section>`).join('\n')}
<footer>Written by ${h(m.tool.name)} ${h(m.tool.version)} from the files of case ${h(m.case)}. Check the bundle before relying on it: <code>sha256sum -c ${h(m.case)}.tar.gz.sha256</code> and <code>ir-triage verify ${h(m.case)}.tar.gz</code>. The timeline is <code>timeline.csv</code> (Timesketch's columns first).</footer>
</main></body></html>
`;
}
