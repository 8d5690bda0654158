import type { z } from 'zod';
import type { IncidentsFileSchema } from '../evidence/bundle-schemas.js';
import { TACTIC_NAMES, TACTICS, TECHNIQUES, techniqueUrl, type Tactic, type Technique } from '../model/attack.js';
import { SEVERITIES, severityRank, type Finding, type Severity } from '../model/finding.js';
import { subjectText } from './format.js';

/**
 * artifacts/incidents.json as the report reads it: the findings joined into incidents, the main
 * incident's story, and what does not add up between the file and findings.json (a member that
 * findings.json does not hold, a finding in no incident or in two), said in words rather than
 * crashed on. Every string stays raw until a renderer escapes it: the file is as hostile as the
 * rest of the bundle.
 */

/** The file as its schema lets it through (src/evidence/bundle-schemas.ts). */
export type BundleIncidents = z.infer<typeof IncidentsFileSchema>;
export type BundleIncident = BundleIncidents['incidents'][number];

/** The version of incidents.json this ir-triage reads. */
const INCIDENTS_VERSION = 1;
/** Ids listed in one problem line; the rest are counted. */
const IDS_SHOWN = 10;

export interface IncidentsView {
  incidents: BundleIncident[];
  /** The incident the report opens with; null when there is none. */
  main: BundleIncident | null;
  /** What does not add up, one line each (already counted and cut). */
  problems: string[];
  /** Finding id → the incident that holds it (the first, when a bundle names it in two). */
  incidentOf: Map<string, string>;
  /** Finding ids of findings.json that no incident names. */
  unassigned: string[];
  /** The finding ids findings.json holds. */
  known: Set<string>;
}

function idList(ids: string[]): string {
  return ids.slice(0, IDS_SHOWN).join(', ') + (ids.length > IDS_SHOWN ? `, … (${ids.length} in all)` : '');
}

/**
 * The view of incidents.json over the findings the report shows; null when the bundle has no
 * incidents.json (written before incidents existed) or one of a version this ir-triage does not
 * read (named in `unreadable`, as other artifacts are).
 */
export function incidentsView(file: BundleIncidents | null, findings: Finding[], unreadable: string[]): IncidentsView | null {
  if (file === null) return null;
  if (file.version !== INCIDENTS_VERSION) {
    unreadable.push(`artifacts/incidents.json (version ${String(file.version)}; this ir-triage reads version ${INCIDENTS_VERSION})`);
    return null;
  }
  const known = new Set(findings.map((f) => f.id));
  const problems: string[] = [];
  const incidentOf = new Map<string, string>();
  const twice: string[] = [];
  const seenIds = new Set<string>();
  for (const inc of file.incidents) {
    if (seenIds.has(inc.id)) problems.push(`two incidents are numbered ${inc.id}`);
    seenIds.add(inc.id);
    const missing = inc.findings.filter((id) => !known.has(id));
    if (missing.length) problems.push(`${inc.id} names ${missing.length === 1 ? 'a finding' : `${missing.length} findings`} that findings.json does not hold: ${idList(missing)}`);
    for (const id of inc.findings) {
      const other = incidentOf.get(id);
      if (other === undefined) incidentOf.set(id, inc.id);
      else if (other !== inc.id) twice.push(`${id} (${other}, ${inc.id})`);
    }
  }
  if (twice.length) problems.push(`${twice.length === 1 ? 'a finding is' : `${twice.length} findings are`} in more than one incident: ${idList(twice)}`);
  const unassigned = findings.map((f) => f.id).filter((id) => !incidentOf.has(id));
  if (unassigned.length) problems.push(`${unassigned.length === 1 ? 'a finding is' : `${unassigned.length} findings are`} in no incident: ${idList(unassigned)}`);

  let main = file.incidents.find((i) => i.id === file.main) ?? null;
  if (main === null && file.incidents.length > 0) {
    main = file.incidents[0]!;
    problems.push(file.main === null ? `no incident is named the main one; the first, ${main.id}, is shown first` : `the main incident, ${file.main}, is not in the file; the first, ${main.id}, is shown first`);
  }
  return { incidents: file.incidents, main, problems, incidentOf, unassigned, known };
}

/** An incident as a terminal line names it (the guided run's last screen). */
export interface IncidentTitle {
  id: string;
  title: string;
  severity: Severity;
  findings: number;
}

/**
 * Incidents as terminal lines name them, in the order given (the built incidents are worst first,
 * the main one first).
 */
export function incidentTitles(incidents: readonly { id: string; title: string; severity: Severity; findings: readonly unknown[] }[]): IncidentTitle[] {
  return incidents.map((i) => ({ id: i.id, title: i.title, severity: i.severity, findings: i.findings.length }));
}

/** Findings of one rule inside an incident, shown as one row. */
export interface MemberGroup {
  rule: string;
  /** The worst of the group. */
  severity: Severity;
  /** The title they share, or the first one's. */
  title: string;
  findings: Finding[];
  /** What each is about (user, address, pid, path), without repeats. */
  subjects: string[];
}

/**
 * An incident's members grouped by rule (three fake sshd flagged by the same rule are one row
 * with a count), worst first, and the ids findings.json does not hold.
 */
export function memberGroups(inc: BundleIncident, byId: ReadonlyMap<string, Finding>): { groups: MemberGroup[]; missing: string[] } {
  // Each group's subjects gathered as a set (a campaign's group has thousands), listed at the end.
  const groups = new Map<string, { group: MemberGroup; subjects: Set<string> }>();
  const missing: string[] = [];
  for (const id of new Set(inc.findings)) {
    const f = byId.get(id);
    if (!f) {
      missing.push(id);
      continue;
    }
    let g = groups.get(f.rule);
    if (!g) {
      g = { group: { rule: f.rule, severity: f.severity, title: f.title, findings: [], subjects: [] }, subjects: new Set() };
      groups.set(f.rule, g);
    }
    g.group.findings.push(f);
    if (severityRank(f.severity) > severityRank(g.group.severity)) g.group.severity = f.severity;
    const subject = subjectText(f);
    if (subject) g.subjects.add(subject);
  }
  for (const g of groups.values()) g.group.subjects = [...g.subjects];
  const sorted = [...groups.values()].map((g) => g.group).sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || b.findings.length - a.findings.length || a.rule.localeCompare(b.rule));
  return { groups: sorted, missing };
}

/** `5 findings: 1 critical, 3 high, 1 medium · process 3, auth 1, persistence 1`: counts per level and per kind of rule. */
export function memberCounts(groups: MemberGroup[]): { levels: Array<[Severity, number]>; kinds: Array<[string, number]>; total: number } {
  const all = groups.flatMap((g) => g.findings);
  const levels = [...SEVERITIES].reverse().map((s) => [s, all.filter((f) => f.severity === s).length] as [Severity, number]).filter(([, n]) => n > 0);
  const kinds = new Map<string, number>();
  for (const f of all) {
    const kind = f.rule.split('.')[0] || f.rule;
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  return { levels, kinds: [...kinds].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])), total: all.length };
}

/** A join reason as the officer reads it; a reason this ir-triage does not know is shown as written. */
export function joinReasonText(reason: string): string {
  const words: Record<string, string> = {
    'same-process': 'same process',
    'process-tree': 'parent and child process',
    'same-executable': 'same executable (sha256)',
    'same-file': 'same file',
    'same-folder': 'same folder',
    'same-address': 'same remote address',
    'same-account': 'same account',
    'in-session': "inside the session's time span",
  };
  return words[reason] ?? reason;
}

/** A tactic's name; null (a link nothing labels) reads as `—`. */
export function tacticText(t: Tactic | null): string {
  return t === null ? '—' : TACTIC_NAMES[t];
}

/**
 * The table's entry for a technique id (a sub-technique falls back to its parent), looked up as
 * an own key only: an id from the bundle such as `constructor` or `__proto__` is unknown, not
 * something of Object's prototype.
 */
export function knownTechnique(id: string): Technique | undefined {
  const parent = id.split('.')[0] ?? id;
  if (Object.hasOwn(TECHNIQUES, id)) return TECHNIQUES[id];
  return Object.hasOwn(TECHNIQUES, parent) ? TECHNIQUES[parent] : undefined;
}

/** A technique id that names a page of the ATT&CK site: T1110 or T1110.001. Anything else is not linked. */
const TECHNIQUE_ID = /^T\d{4}(\.\d{3})?$/;

/** The ATT&CK page of a technique id, or null when the id is not one (the bundle can hold any text). */
export function techniquePage(id: string): string | null {
  return TECHNIQUE_ID.test(id) ? techniqueUrl(id) : null;
}

export interface AttackCell {
  id: string;
  /** Its name in ATT&CK; null when this ir-triage's table does not hold it. */
  name: string | null;
  url: string | null;
  /** Ids of the findings that name it. */
  findings: string[];
}

export interface AttackView {
  /** The tactics seen, in the matrix's order, each with its techniques (by id). */
  columns: Array<{ tactic: Tactic; name: string; techniques: AttackCell[] }>;
  /** Techniques the table does not know: listed apart, with their findings. */
  unknown: AttackCell[];
}

/**
 * The ATT&CK matrix of the findings: a column per tactic seen, in matrix order; a technique
 * shows in every tactic it belongs to, as on the ATT&CK site.
 */
export function attackView(findings: Finding[]): AttackView {
  // Each cell's finding ids gathered as a set (a month of brute force is thousands), listed at the end.
  const cells = new Map<string, { cell: AttackCell; ids: Set<string> }>();
  for (const f of findings) {
    for (const id of new Set(f.mitre)) {
      let c = cells.get(id);
      if (!c) {
        c = { cell: { id, name: knownTechnique(id)?.name ?? null, url: techniquePage(id), findings: [] }, ids: new Set() };
        cells.set(id, c);
      }
      if (f.id) c.ids.add(f.id);
    }
  }
  for (const c of cells.values()) c.cell.findings = [...c.ids];
  const sorted = [...cells.values()].map((c) => c.cell).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const columns = TACTICS.map((tactic) => ({
    tactic,
    name: TACTIC_NAMES[tactic],
    techniques: sorted.filter((c) => (knownTechnique(c.id)?.tactics.includes(tactic) ?? false)),
  })).filter((col) => col.techniques.length > 0);
  return { columns, unknown: sorted.filter((c) => c.name === null) };
}

/**
 * How many of a list the incident sections show in one place: an incident of thousands of
 * brute-forcing addresses must not make a report of thousands of ids per row. The rest is
 * counted ("and 2,981 more"); every finding is still in the findings section and in the files.
 */
export const SHOWN = { ids: 12, subjects: 20, joins: 50, unassigned: 50 } as const;

/** The first `max` items rendered and joined, then how many more there are. */
export function few<T>(list: readonly T[], max: number, render: (x: T) => string, sep: string): string {
  const shown = list.slice(0, max).map(render).join(sep);
  const more = list.length - max;
  return more > 0 ? `${shown}${sep}… and ${more.toLocaleString('en-US')} more` : shown;
}
