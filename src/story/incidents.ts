/**
 * Findings joined into incidents by what they share (docs/incidents.md): the same process (pid and
 * start time), a parent and its child, the same executable, file or specific folder, the same remote
 * address, something done inside a session by its account, the same ordinary account; and, last,
 * the addresses that only attacked ssh and never logged in, as one campaign. Deterministic:
 * the same findings and facts give the same incidents whatever their order, and each join is kept
 * with its reason so the officer can check it.
 */
import { TACTICS, tacticsOf, type Tactic } from '../model/attack.js';
import type { KnownFacts } from '../model/facts.js';
import { severityRank, type Finding } from '../model/finding.js';
import type { Incident, IncidentJoin, IncidentsFile, JoinReason } from '../model/incident.js';
import { campaignStory, campaignTitle, isAttackOnly, loggedInAddresses } from './campaign.js';
import { buildStory } from './story.js';
import { loginSessions, plainAddress, sessionKey, type LoginSession } from './login-sessions.js';
import { LOGIN_RULES, subjectsOf, type FindingSubjects } from './subjects.js';
import { incidentTitle } from './titles.js';
import { spanText, timeMs } from './time.js';

/**
 * Join reasons go from the most telling to the least — same-process, process-tree,
 * same-executable, same-file, same-folder, same-address, in-session, same-account, attack-only — and a spanning
 * set keeps the first that connects two findings.
 */


/** Seconds a login record of one source may differ from another's for the same login. */
const LOGIN_SLACK_MS = 2000;

interface Candidate {
  a: number;
  b: number;
  reason: JoinReason;
  value: string;
}

/** Takes one candidate join; candidates come by reason (most telling first), then by value, then by finding. */
type Emit = (c: Candidate) => void;

class UnionFind {
  private readonly parent: number[];
  constructor(n: number) {
    this.parent = Array.from({ length: n }, (_, i) => i);
  }
  find(i: number): number {
    while (this.parent[i] !== i) {
      this.parent[i] = this.parent[this.parent[i]!]!;
      i = this.parent[i]!;
    }
    return i;
  }
  /** Joins the two sets; false when they were one already. */
  union(a: number, b: number): boolean {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return false;
    // The smaller index is the root: the result does not depend on the order of unions.
    if (ra < rb) this.parent[rb] = ra;
    else this.parent[ra] = rb;
    return true;
  }
}

/** Findings sharing one value of one kind are joined in a star from the first (lowest id). */
function starEdges(out: Emit, groups: Map<string, number[]>, reason: JoinReason, show: (key: string) => string): void {
  for (const key of [...groups.keys()].sort()) {
    const members = [...new Set(groups.get(key)!)].sort((x, y) => x - y);
    for (const m of members.slice(1)) out({ a: members[0]!, b: m, reason, value: show(key) });
  }
}

function group(groups: Map<string, number[]>, key: string, i: number): void {
  const list = groups.get(key);
  if (list) list.push(i);
  else groups.set(key, [i]);
}

/** Whether an ISO time is one of the session's login times (each source's), give or take LOGIN_SLACK_MS. */
function atLogin(s: LoginSession, iso: unknown): boolean {
  const t = timeMs(iso);
  return t !== null && s.loginTimes.some((l) => Math.abs(t - l) <= LOGIN_SLACK_MS);
}

/** The findings that happened in one session: its login, its history entries, its account's processes and files while it was open. */
function sessionMembers(s: LoginSession, candidates: readonly number[], findings: readonly Finding[], subjects: readonly FindingSubjects[], whenMs: ReadonlyArray<number | null>): number[] {
  const out: number[] = [];
  const address = s.address === null ? null : plainAddress(s.address);
  for (const i of candidates) {
    const f = findings[i]!;
    const sub = f.subject;
    const subj = subjects[i]!;
    if (LOGIN_RULES.has(f.rule)) {
      if (subj.user !== s.user || address === null || !subj.addresses.some((a) => plainAddress(a) === address)) continue;
      const at = [sub.time, sub.first, sub.last].some((t) => atLogin(s, t));
      const first = timeMs(sub.first);
      const last = timeMs(sub.last);
      const within = first !== null && last !== null && s.loginTimes.some((l) => first <= l && l <= last);
      if (at || within) out.push(i);
      continue;
    }
    // A history entry names its session (source, account, login time): the same key the session keeps.
    const ref = sub.session as { source?: unknown; user?: unknown; login?: unknown } | null | undefined;
    if (ref && typeof ref === 'object') {
      if (typeof ref.source === 'string' && s.keys.has(sessionKey(ref.source, ref.user, ref.login))) out.push(i);
      continue;
    }
    // A process or file of the account joins only for an ordinary account: root's and a daemon's are everywhere.
    const t = whenMs[i];
    if (subj.account === s.user && t !== null && t !== undefined && t >= s.from - LOGIN_SLACK_MS && t <= s.to) out.push(i);
  }
  return out;
}

/**
 * Every candidate join, handed to `out` in a fixed order: by reason (most telling first), then by value, then
 * by finding. Taking them as they come is Kruskal's spanning forest with the reasons as weights.
 */
function candidateJoins(findings: readonly Finding[], subjects: readonly FindingSubjects[], facts: KnownFacts, out: Emit): void {
  const byProcess = new Map<string, number[]>();
  const bySha = new Map<string, number[]>();
  const byFile = new Map<string, number[]>();
  const byFolder = new Map<string, number[]>();
  const byAddress = new Map<string, number[]>();
  const byAccount = new Map<string, number[]>();
  subjects.forEach((s, i) => {
    if (s.process) group(byProcess, s.process.key, i);
    for (const h of s.sha256) group(bySha, h, i);
    for (const f of s.files) group(byFile, f, i);
    for (const d of s.folders) group(byFolder, d, i);
    for (const a of s.addresses) group(byAddress, a, i);
    if (s.account) group(byAccount, s.account, i);
  });
  starEdges(out, byProcess, 'same-process', (k) => `pid ${k.split('@')[0]}`);
  // Parent and child among the processes findings name: the parent must have started first (a reused pid cannot be a parent).
  const procs = [...byProcess.entries()].sort(([x], [y]) => x.localeCompare(y)).map(([key, members]) => ({ key, members, p: subjects[members[0]!]!.process! }));
  const byPid = new Map<number, typeof procs>();
  for (const e of procs) byPid.set(e.p.pid, [...(byPid.get(e.p.pid) ?? []), e]);
  for (const child of procs) {
    for (const parent of byPid.get(child.p.ppid) ?? []) {
      if (parent === child) continue;
      if (parent.p.startTicks !== null && child.p.startTicks !== null && parent.p.startTicks > child.p.startTicks) continue;
      const [a, b] = [Math.min(...parent.members), Math.min(...child.members)].sort((x, y) => x - y) as [number, number];
      out({ a, b, reason: 'process-tree', value: `pid ${parent.p.pid} → pid ${child.p.pid}` });
    }
  }
  starEdges(out, bySha, 'same-executable', (k) => `sha256 ${k}`);
  starEdges(out, byFile, 'same-file', (k) => k);
  starEdges(out, byFolder, 'same-folder', (k) => k);
  starEdges(out, byAddress, 'same-address', (k) => k);
  // Findings by the account they name (a history entry by its session's account), so each session looks only at its own.
  const byUser = new Map<string, number[]>();
  findings.forEach((f, i) => {
    const ref = f.subject.session as { user?: unknown } | null | undefined;
    const user = ref && typeof ref === 'object' && typeof ref.user === 'string' ? ref.user : subjects[i]!.user;
    if (user !== null) group(byUser, user, i);
  });
  // When a process started, or a file was created or changed: what a session's span is checked against.
  const whenMs = findings.map((f, i) => {
    const p = subjects[i]!.process;
    if (p) return timeMs(p.startTime);
    return f.rule.startsWith('file.') ? timeMs(f.subject.btime ?? f.subject.mtime) : null;
  });
  const sessions = loginSessions(facts).sort((a, b) => a.from - b.from || a.user.localeCompare(b.user) || String(a.address).localeCompare(String(b.address)) || a.start.localeCompare(b.start));
  for (const s of sessions) {
    const candidates = byUser.get(s.user);
    if (!candidates) continue;
    const members = sessionMembers(s, candidates, findings, subjects, whenMs);
    const value = `${s.user}${s.address ? ` from ${s.address}` : ''} ${spanText(s.start, Number.isFinite(s.to) ? s.end : null)}`;
    for (const m of members.slice(1)) out({ a: members[0]!, b: m, reason: 'in-session', value });
  }
  starEdges(out, byAccount, 'same-account', (k) => k);
}

/**
 * After every other join: the sets made only of addresses attacking ssh that never logged in
 * (campaign.ts) are joined into one, in a star from the first set, each join naming the addresses
 * it brings. The root of the campaign's set, or null when fewer than two such sets exist.
 */
function joinCampaign(findings: readonly Finding[], subjects: readonly FindingSubjects[], facts: KnownFacts, uf: UnionFind, joins: Candidate[]): number | null {
  const loggedIn = loggedInAddresses(facts);
  const parts = new Map<number, { attackOnly: boolean; addresses: Set<string> }>();
  findings.forEach((f, i) => {
    const root = uf.find(i);
    const part = parts.get(root) ?? { attackOnly: true, addresses: new Set<string>() };
    part.attackOnly &&= isAttackOnly(f, subjects[i]!, loggedIn);
    for (const a of subjects[i]!.addresses) part.addresses.add(a);
    parts.set(root, part);
  });
  const roots = [...parts.entries()].filter(([, p]) => p.attackOnly).map(([root]) => root).sort((a, b) => a - b);
  if (roots.length < 2) return null;
  const head = roots[0]!;
  for (const root of roots.slice(1)) {
    uf.union(head, root);
    joins.push({ a: head, b: root, reason: 'attack-only', value: `${[...parts.get(root)!.addresses].sort().join(', ')} (no login)` });
  }
  return uf.find(head);
}

function sortedUnique<T extends string | number>(values: Iterable<T>): T[] {
  return [...new Set(values)].sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b))));
}

function tacticsOfFindings(findings: readonly Finding[]): Tactic[] {
  const seen = new Set(findings.flatMap((f) => f.mitre.flatMap((m) => tacticsOf(m))));
  return TACTICS.filter((t) => seen.has(t));
}

/** The incidents of a run's findings: every finding in exactly one, worst first. */
export function buildIncidents(findingsIn: readonly Finding[], facts: KnownFacts): IncidentsFile {
  const findings = [...findingsIn].sort((a, b) => a.id.localeCompare(b.id));
  const subjects = subjectsOf(findings, facts);
  const uf = new UnionFind(findings.length);
  const joins: Candidate[] = [];
  candidateJoins(findings, subjects, facts, (c) => {
    if (uf.union(c.a, c.b)) joins.push(c);
  });

  const campaign = joinCampaign(findings, subjects, facts, uf, joins);

  // Members and joins by their set's root (its lowest index): linear, whatever the number of incidents.
  const groups = new Map<number, number[]>();
  findings.forEach((_, i) => {
    const root = uf.find(i);
    const list = groups.get(root);
    if (list) list.push(i);
    else groups.set(root, [i]);
  });
  const joinsOf = new Map<number, Candidate[]>();
  for (const j of joins) {
    const root = uf.find(j.a);
    const list = joinsOf.get(root);
    if (list) list.push(j);
    else joinsOf.set(root, [j]);
  }
  const drafts = [...groups.entries()].map(([root, members]) => {
    const fs = members.map((i) => findings[i]!);
    const subs = members.map((i) => subjects[i]!);
    const isCampaign = root === campaign;
    const story = isCampaign ? campaignStory(fs, facts) : buildStory(fs, subs, facts);
    const times = story.filter((l) => l.time !== null).map((l) => l.time!).sort((a, b) => Date.parse(a) - Date.parse(b));
    const incidentJoins: IncidentJoin[] = (joinsOf.get(root) ?? []).map((j) => ({ a: findings[j.a]!.id, b: findings[j.b]!.id, reason: j.reason, value: j.value }));
    const worst = fs.reduce((w, f) => (severityRank(f.severity) > severityRank(w.severity) ? f : w), fs[0]!);
    const addresses = sortedUnique(subs.flatMap((s) => s.addresses));
    return {
      isCampaign,
      title: isCampaign ? campaignTitle(fs, addresses.length) : incidentTitle(fs, subs),
      severity: worst.severity,
      findings: fs.map((f) => f.id),
      subjects: {
        pids: sortedUnique(subs.flatMap((s) => (s.process ? [s.process.pid] : []))),
        paths: sortedUnique(fs.flatMap((f) => (typeof f.subject.path === 'string' && f.subject.path !== '' ? [f.subject.path] : []))),
        folders: sortedUnique(subs.flatMap((s) => s.folders)),
        addresses,
        accounts: sortedUnique(subs.flatMap((s) => (s.user !== null ? [s.user] : []))),
        sha256: sortedUnique(subs.flatMap((s) => s.sha256)),
      },
      joins: incidentJoins,
      tactics: tacticsOfFindings(fs),
      first: times[0] ?? null,
      last: times.at(-1) ?? null,
      story,
    };
  });
  drafts.sort(
    (x, y) =>
      severityRank(y.severity) - severityRank(x.severity) ||
      // The campaign's size is the internet's noise, not the depth of an intrusion: it goes after the incidents of its severity.
      Number(x.isCampaign) - Number(y.isCampaign) ||
      y.findings.length - x.findings.length ||
      (x.first === null ? 1 : 0) - (y.first === null ? 1 : 0) ||
      (x.first !== null && y.first !== null ? Date.parse(x.first) - Date.parse(y.first) : 0) ||
      x.findings[0]!.localeCompare(y.findings[0]!),
  );
  const width = Math.max(2, String(drafts.length).length);
  const incidents: Incident[] = drafts.map(({ isCampaign: _, ...d }, i) => ({ id: `I-${String(i + 1).padStart(width, '0')}`, ...d }));
  return { version: 1, main: incidents[0]?.id ?? null, incidents };
}
