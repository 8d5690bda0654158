import type { Finding } from '../model/finding.js';
import type { ReportData } from './data.js';
import { countText, timeText } from './format.js';
import { attackView, few, SHOWN, joinReasonText, knownTechnique, memberCounts, memberGroups, tacticText, techniquePage, type AttackCell, type BundleIncident, type IncidentsView } from './incidents.js';
import { escapeMarkdown as md } from './text.js';

/**
 * The story, the incidents and the ATT&CK view in report.md: the same content as report.html.
 * Every string of incidents.json and findings.json goes through escapeMarkdown; the only links
 * are to attack.mitre.org, built from a technique id that is one (T1234 or T1234.001).
 */

function table(headers: string[], rows: string[][]): string[] {
  return [`| ${headers.join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`), ''];
}

function findingRef(id: string, v: IncidentsView): string {
  return v.known.has(id) ? md(id) : `${md(id)} (not in findings.json)`;
}

function techniqueRef(id: string): string {
  const url = techniquePage(id);
  const name = knownTechnique(id)?.name;
  return `${url ? `[${id}](${url})` : md(id)}${name ? ` ${md(name)}` : ''}`;
}

/** The main incident's story, after the verdict; nothing for a bundle without incidents. */
export function storyMarkdown(d: ReportData): string[] {
  const v = d.incidents;
  if (!v?.main) return [];
  const inc = v.main;
  const others = v.incidents.length - 1;
  const out = [`## The story: ${md(inc.title)}`, ''];
  out.push(`Main incident ${md(inc.id)} (${md(inc.severity)}), ${countText(inc.findings.length, 'finding')}${others > 0 ? `; ${countText(others, 'other incident')} below` : ''}. Each step in time order, labelled with its ATT&CK tactic; a gap is a stretch of time no source covers.`, '');
  if (inc.story.length === 0) out.push('Nothing in this incident is dated or labelled with a tactic: its findings are below.', '');
  else {
    out.push(
      ...table(
        ['time', 'tactic', 'what happened', 'evidence', 'findings'],
        inc.story.map((l) => {
          const gap = l.kind === 'gap';
          const tactic = gap ? '*gap*' : `${md(tacticText(l.tactic))}${l.techniques.length ? ` (${l.techniques.map(techniqueRef).join(', ')})` : ''}`;
          return [md(l.time === null ? 'undated' : timeText(l.time)), tactic, gap ? `*Nothing covers this: ${md(l.text)}*` : md(l.text), l.evidence.map(md).join(', '), few(l.findings, SHOWN.ids, (id) => findingRef(id, v), ', ')];
        }),
      ),
    );
  }
  return out;
}

function incidentLines(inc: BundleIncident, v: IncidentsView, byId: ReadonlyMap<string, Finding>): string[] {
  const { groups, missing } = memberGroups(inc, byId);
  const counts = memberCounts(groups);
  const out = [`### ${md(inc.id)} · ${md(inc.severity)} · ${md(inc.title)}`, ''];
  const when = inc.first || inc.last ? `${md(timeText(inc.first) || '?')} to ${md(timeText(inc.last) || '?')}` : 'undated';
  out.push(`${when}${inc.tactics.length ? ` · ${inc.tactics.map((t) => md(tacticText(t))).join(' → ')}` : ''}`, '');
  out.push(`${countText(counts.total, 'finding')}${counts.levels.length ? `: ${counts.levels.map(([l, n]) => `${n} ${l}`).join(', ')}` : ''}${counts.kinds.length ? ` · ${counts.kinds.map(([k, n]) => `${md(k)} ${n}`).join(', ')}` : ''}`, '');
  const s = inc.subjects;
  const about: Array<[string, string[]]> = [['accounts', s.accounts], ['addresses', s.addresses], ['pids', s.pids.map(String)], ['paths', s.paths], ['folders', s.folders], ['sha256', s.sha256]];
  for (const [k, list] of about) if (list.length) out.push(`- ${k}: ${few(list, SHOWN.subjects, md, ', ')}`);
  if (about.some(([, l]) => l.length)) out.push('');
  if (groups.length) {
    out.push(
      '**Findings:**',
      '',
      ...table(
        ['level', 'finding', 'rule', 'count', 'about', 'ids'],
        groups.map((g) => [g.severity, md(g.title), md(g.rule), String(g.findings.length), few(g.subjects, SHOWN.ids, md, '; '), few(g.findings, SHOWN.ids, (f) => md(f.id), ', ')]),
      ),
    );
  } else out.push('No finding of findings.json is in it.', '');
  if (missing.length) out.push(`Also named, not in findings.json: ${missing.map(md).join(', ')}`, '');
  if (inc.joins.length) {
    out.push('**Why these belong together:**', '', ...table(['findings', 'why', 'what they share'], inc.joins.slice(0, SHOWN.joins).map((j) => [`${findingRef(j.a, v)} ↔ ${findingRef(j.b, v)}`, md(joinReasonText(j.reason)), md(j.value)])));
    if (inc.joins.length > SHOWN.joins) out.push(`… and ${(inc.joins.length - SHOWN.joins).toLocaleString('en-US')} more joins (artifacts/incidents.json holds them all).`, '');
  }
  return out;
}

function attackCellText(c: AttackCell): string {
  return `${c.url ? `[${c.id}](${c.url})` : md(c.id)}${c.name ? ` ${md(c.name)}` : ''}${c.findings.length ? ` (${few(c.findings, SHOWN.ids, md, ', ')})` : ''}`;
}

function attackLines(d: ReportData): string[] {
  const view = attackView(d.findings);
  const out = ['## ATT&CK view', '', 'The ATT&CK (Enterprise) techniques the findings name, under their tactics in the order of the matrix (only the tactics seen), with the findings that name each.', ''];
  const depth = Math.max(0, ...view.columns.map((c) => c.techniques.length));
  if (view.columns.length) {
    out.push(...table(view.columns.map((c) => md(c.name)), Array.from({ length: depth }, (_, i) => view.columns.map((c) => (c.techniques[i] ? attackCellText(c.techniques[i]!) : '')))));
  }
  if (view.unknown.length) out.push(`Named by findings, not in this ir-triage's table of techniques: ${view.unknown.map(attackCellText).join('; ')}`, '');
  return out;
}

/** The incidents and the ATT&CK view, before the full findings. */
export function incidentsMarkdown(d: ReportData): string[] {
  const out: string[] = [];
  const v = d.incidents;
  if (v) {
    const byId = new Map(d.findings.map((f) => [f.id, f]));
    out.push(`## Incidents (${v.incidents.length})`, '');
    out.push('Findings joined by what they share: the same process or process tree, executable, file or folder, remote address or account, or a session and what was done while it was open. Each join says why; the findings follow in full below.', '');
    if (v.problems.length) {
      out.push('> **incidents.json and findings.json do not agree:**', '>');
      for (const p of v.problems) out.push(`> - ${md(p)}`);
      out.push('');
    }
    if (v.incidents.length === 0) out.push('No incident: no finding to join.', '');
    else out.push(...table(['id', 'level', 'incident', 'findings', 'from', 'to'], v.incidents.map((i) => [md(i.id), md(i.severity), md(i.title), String(i.findings.length), md(timeText(i.first)), md(timeText(i.last))])));
    for (const i of v.incidents) out.push(...incidentLines(i, v, byId));
    if (v.unassigned.length) out.push(`In no incident: ${few(v.unassigned, SHOWN.unassigned, md, ', ')}`, '');
  }
  if (d.findings.some((f) => f.mitre.length > 0)) out.push(...attackLines(d));
  return out;
}

/** ` · incident I-02` for a finding's line; empty for a bundle without incidents. */
export function incidentOfMarkdown(d: ReportData, findingId: string): string {
  const inc = d.incidents?.incidentOf.get(findingId);
  return inc === undefined ? '' : ` · incident ${md(inc)}`;
}
