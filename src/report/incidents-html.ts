import type { Finding } from '../model/finding.js';
import type { ReportData } from './data.js';
import { countText, findingLinkHtml, timeText } from './format.js';
import { attackView, few, SHOWN, joinReasonText, knownTechnique, memberCounts, memberGroups, tacticText, techniquePage, type AttackCell, type BundleIncident, type IncidentsView } from './incidents.js';
import { escapeHtml as h } from './text.js';

/**
 * The parts of report.html built from artifacts/incidents.json — the main incident's story, the
 * incidents with their findings grouped under them — and the ATT&CK view of the findings. Every
 * string of the file goes through escapeHtml; a finding id becomes a link to its card only when
 * findings.json holds it, and a technique id links to attack.mitre.org only when it is one.
 */

export const INCIDENTS_CSS = `
.story{border:2px solid var(--ink);border-radius:10px;padding:14px 18px 8px;margin:0 0 18px;break-inside:avoid-page}
.story h2{margin:0 0 .3em;border:0;padding:0}
.story table{margin:.4em 0}
.story td.time{width:1%;white-space:nowrap;font-variant-numeric:tabular-nums}
.story td.tactic{width:24%;font-weight:600}
.story td.tactic .tech{font-weight:400}
td.id{white-space:nowrap}
.story tr.gap td{font-style:italic;color:var(--muted);background:repeating-linear-gradient(135deg,#fff,#fff 6px,var(--soft) 6px,var(--soft) 12px)}
.tech{font-size:12px;color:var(--muted)}
.missing{color:var(--high);font-weight:600}
.incident{border:1px solid var(--line);border-left:6px solid var(--informational);border-radius:8px;padding:12px 16px;margin:0 0 14px}
.incident.critical{border-left-color:var(--critical)}.incident.high{border-left-color:var(--high)}.incident.medium{border-left-color:var(--medium)}.incident.low{border-left-color:var(--low)}
.incident .sub{font-size:13px;color:var(--muted);margin-bottom:.4em}
.incident .label{font-weight:700;font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);margin-top:.7em}
.incident a,.story a,.attack a{color:inherit}
.attack{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:10px;margin:.6em 0}
.attack .tactic{border:1px solid var(--line);border-radius:8px;padding:8px 10px;break-inside:avoid}
.attack h4{margin:0 0 .4em;font-size:13px;text-transform:uppercase;letter-spacing:.04em}
.attack .cell{border-top:1px solid var(--line);padding:5px 0;font-size:13px}
.attack .cell .name{display:block}
@media print{
  .story,.story tr,.attack .tactic{break-inside:avoid}
  .incident .label,.incident h3{break-after:avoid}
  .story tr.gap td{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}`;

function cell(value: string, cls = ''): string {
  return `<td${cls ? ` class="${cls}"` : ''}>${value}</td>`;
}

/** A table; `rowClass` gives a row its class (a gap of the story). */
function table(headers: string[], rows: string[][], rowClass: (i: number) => string = () => ''): string {
  const tr = (r: string[], i: number) => `<tr${rowClass(i) ? ` class="${rowClass(i)}"` : ''}>${r.join('')}</tr>`;
  return `<table><thead><tr>${headers.map((x) => `<th>${x}</th>`).join('')}</tr></thead><tbody>\n${rows.map(tr).join('\n')}\n</tbody></table>`;
}

/** A finding id: a link to its card, or marked when findings.json does not hold it. */
function findingRef(id: string, v: IncidentsView, carded: ReadonlySet<string>): string {
  return v.known.has(id) ? findingLinkHtml(id, carded, h) : `<span class="missing" title="not in findings.json">${h(id)} (not in findings.json)</span>`;
}

function techniqueRef(id: string): string {
  const url = techniquePage(id);
  const name = knownTechnique(id)?.name;
  const label = `${h(id)}${name ? ` ${h(name)}` : ''}`;
  return url ? `<a href="${h(url)}" rel="noreferrer noopener" target="_blank">${label}</a>` : label;
}

function incidentAnchor(id: string): string {
  return `incident-${h(id)}`;
}

/** The main incident's story, right after the verdict; empty when the bundle has no incidents. */
export function storyHtml(d: ReportData): string {
  const v = d.incidents;
  if (!v?.main) return '';
  const inc = v.main;
  const rows = inc.story.map((link) => {
    const gap = link.kind === 'gap';
    const techniques = link.techniques.length ? `<div class="tech">${link.techniques.map(techniqueRef).join(' · ')}</div>` : '';
    const evidence = link.evidence.length ? `<div class="small">evidence: ${link.evidence.map((e) => `<code>${h(e)}</code>`).join(' · ')}</div>` : '';
    const findings = link.findings.length ? `<div class="small">${few(link.findings, SHOWN.ids, (id) => findingRef(id, v, d.carded), ', ')}</div>` : '';
    return [
      cell(h(link.time === null ? 'undated' : timeText(link.time)), 'time'),
      cell(gap ? 'gap' : `${h(tacticText(link.tactic))}${techniques}`, 'tactic'),
      cell(`${gap ? 'Nothing covers this: ' : ''}${h(link.text)}${evidence}${findings}`),
    ];
  });
  const others = v.incidents.length - 1;
  return `<section class="story" id="story"><div class="kicker">The story · main incident <a href="#${incidentAnchor(inc.id)}">${h(inc.id)}</a> · <span class="pill ${h(inc.severity)}">${h(inc.severity)}</span></div>
<h2>${h(inc.title)}</h2>
${rows.length ? table(['time', 'tactic', 'what happened, and its evidence'], rows, (i) => (inc.story[i]!.kind === 'gap' ? 'gap' : '')) : '<p class="muted">Nothing in this incident is dated or labelled with a tactic: its findings are below.</p>'}
<p class="small muted">${countText(inc.findings.length, 'finding')} in this incident${others > 0 ? `; ${countText(others, 'other incident')} below` : ''}. Each step is a finding or an event of the collection, in time order, labelled with its ATT&amp;CK tactic; a gap is a stretch of time no source covers.</p>
</section>`;
}

function subjectsHtml(inc: BundleIncident): string {
  const s = inc.subjects;
  const parts: Array<[string, string[]]> = [
    ['accounts', s.accounts],
    ['addresses', s.addresses],
    ['pids', s.pids.map(String)],
    ['paths', s.paths],
    ['folders', s.folders],
    ['sha256', s.sha256],
  ];
  const shown = parts.filter(([, list]) => list.length > 0);
  if (shown.length === 0) return '';
  return `<div class="label">About</div><table class="kv"><tbody>${shown.map(([k, list]) => `<tr><th>${k}</th><td>${few(list, SHOWN.subjects, (x) => `<code>${h(x)}</code>`, ' · ')}</td></tr>`).join('')}</tbody></table>`;
}

function incidentCard(inc: BundleIncident, v: IncidentsView, byId: ReadonlyMap<string, Finding>, d: ReportData): string {
  const { groups, missing } = memberGroups(inc, byId);
  const counts = memberCounts(groups);
  const when = inc.first || inc.last ? `${h(timeText(inc.first) || '?')} to ${h(timeText(inc.last) || '?')}` : 'undated';
  const countLine = `${countText(counts.total, 'finding')}${counts.levels.length ? `: ${counts.levels.map(([l, n]) => `${n} ${l}`).join(', ')}` : ''}${counts.kinds.length ? ` · ${counts.kinds.map(([k, n]) => `${h(k)} ${n}`).join(', ')}` : ''}`;
  const rows = groups.map((g) => [
    cell(`<span class="pill ${h(g.severity)}">${h(g.severity)}</span>`),
    cell(`${h(g.title)}${g.findings.length > 1 ? ` <b>×${g.findings.length}</b>` : ''}<div class="small muted"><code>${h(g.rule)}</code></div>`),
    cell(`<span class="small">${few(g.subjects, SHOWN.ids, h, '<br>')}</span>`),
    cell(few(g.findings, SHOWN.ids, (f) => findingRef(f.id, v, d.carded), ', ')),
  ]);
  const members = groups.length ? table(['level', 'finding', 'about', 'ids'], rows) : '<p class="muted">No finding of findings.json is in it.</p>';
  const missed = missing.length ? `<p class="small">Also named, not in findings.json: ${missing.map((id) => findingRef(id, v, d.carded)).join(', ')}</p>` : '';
  const joins = inc.joins.length
    ? table(
        ['findings', 'why they belong together', 'what they share'],
        inc.joins.slice(0, SHOWN.joins).map((j) => [cell(`${findingRef(j.a, v, d.carded)} ↔ ${findingRef(j.b, v, d.carded)}`, 'id'), cell(h(joinReasonText(j.reason))), cell(`<code>${h(j.value)}</code>`)]),
      )
    : '<p class="small muted">One finding: nothing to join.</p>';
  const moreJoins = inc.joins.length > SHOWN.joins ? `<p class="small muted">… and ${(inc.joins.length - SHOWN.joins).toLocaleString('en-US')} more joins (artifacts/incidents.json holds them all).</p>` : '';
  return `<article class="incident ${h(inc.severity)}" id="${incidentAnchor(inc.id)}">
<h3><span class="pill ${h(inc.severity)}">${h(inc.severity)}</span> ${h(inc.id)} · ${h(inc.title)}</h3>
<div class="sub">${when}${inc.tactics.length ? ` · ${inc.tactics.map((t) => h(tacticText(t))).join(' → ')}` : ''}</div>
<div class="sub">${countLine}</div>
${subjectsHtml(inc)}
<div class="label">Findings</div>${members}${missed}
<div class="label">Why these belong together</div>${joins}${moreJoins}
</article>`;
}

function incidentsBody(d: ReportData, v: IncidentsView): string {
  const byId = new Map(d.findings.map((f) => [f.id, f]));
  const out: string[] = [];
  out.push('<p class="small muted">Findings joined by what they share: the same process or process tree, executable, file or folder, remote address or account, or a session and what was done while it was open. Each join says why; the findings follow in full below.</p>');
  if (v.problems.length) out.push(`<div class="banner warn"><b>incidents.json and findings.json do not agree.</b><ul>${v.problems.map((p) => `<li>${h(p)}</li>`).join('')}</ul></div>`);
  if (v.incidents.length === 0) out.push('<p>No incident: no finding to join.</p>');
  else {
    out.push(
      table(
        ['id', 'level', 'incident', 'findings', 'from', 'to'],
        v.incidents.map((i) => [
          cell(`<a href="#${incidentAnchor(i.id)}">${h(i.id)}</a>`, 'id'),
          cell(`<span class="pill ${h(i.severity)}">${h(i.severity)}</span>`),
          cell(h(i.title)),
          cell(String(i.findings.length), 'num'),
          cell(h(timeText(i.first))),
          cell(h(timeText(i.last))),
        ]),
      ),
    );
    out.push(...v.incidents.map((i) => incidentCard(i, v, byId, d)));
  }
  if (v.unassigned.length) out.push(`<p>In no incident: ${few(v.unassigned, SHOWN.unassigned, (id) => findingRef(id, v, d.carded), ', ')}</p>`);
  return out.join('\n');
}

function attackCellHtml(c: AttackCell, carded: ReadonlySet<string>): string {
  const id = c.url ? `<a href="${h(c.url)}" rel="noreferrer noopener" target="_blank"><b>${h(c.id)}</b></a>` : `<b>${h(c.id)}</b>`;
  return `<div class="cell">${id}${c.name ? `<span class="name">${h(c.name)}</span>` : ''}<span class="small">${few(c.findings, SHOWN.ids, (f) => findingLinkHtml(f, carded, h), ', ')}</span></div>`;
}

function attackBody(d: ReportData): string {
  const view = attackView(d.findings);
  const out = ['<p class="small muted">The ATT&amp;CK (Enterprise) techniques the findings name, under their tactics in the order of the matrix (only the tactics seen); a technique of several tactics shows under each. The id opens its page on attack.mitre.org; the finding ids lead to the findings.</p>'];
  out.push(`<div class="attack">${view.columns.map((col) => `<div class="tactic"><h4>${h(col.name)}</h4>${col.techniques.map((c) => attackCellHtml(c, d.carded)).join('')}</div>`).join('')}</div>`);
  if (view.unknown.length) out.push(`<p class="small">Named by findings, not in this ir-triage's table of techniques:</p><div class="attack"><div class="tactic">${view.unknown.map((c) => attackCellHtml(c, d.carded)).join('')}</div></div>`);
  return out.join('\n');
}

/**
 * The sections that go before the full findings: the incidents (when the bundle has
 * incidents.json) and the ATT&CK view (when a finding names a technique).
 */
export function incidentSections(d: ReportData): Array<[string, string, string]> {
  const out: Array<[string, string, string]> = [];
  if (d.incidents) out.push(['incidents', `Incidents (${d.incidents.incidents.length})`, incidentsBody(d, d.incidents)]);
  if (d.findings.some((f) => f.mitre.length > 0)) out.push(['attack', 'ATT&CK view', attackBody(d)]);
  return out;
}

/** The incident a finding's card names; empty for a bundle without incidents. */
export function incidentOfHtml(d: ReportData, findingId: string): string {
  const inc = d.incidents?.incidentOf.get(findingId);
  return inc === undefined ? '' : ` · incident <a href="#${incidentAnchor(inc)}">${h(inc)}</a>`;
}
