/**
 * The story of one incident: its findings told as time-ordered links, each a sentence with its
 * time, its ATT&CK tactic and its evidence; what shares a process is one link; undated links are
 * placed by their tactic; long stretches nothing covers are said plainly as gaps.
 */
import { tacticsOf, type Tactic } from '../model/attack.js';
import type { KnownFacts } from '../model/facts.js';
import { severityRank, type Finding } from '../model/finding.js';
import type { StoryLink } from '../model/incident.js';
import { sanitizeForTerminal } from '../model/text.js';
import { folderOf, type FindingSubjects } from './subjects.js';
import { shortTime, timeMs } from './time.js';
import { field } from './words.js';

/** The order of tactics in a story when times tie or are missing: how an intrusion unfolds. */
const STORY_ORDER: readonly Tactic[] = [
  'reconnaissance',
  'resource-development',
  'credential-access',
  'initial-access',
  'execution',
  'command-and-control',
  'persistence',
  'privilege-escalation',
  'defense-evasion',
  'collection',
  'discovery',
  'lateral-movement',
  'exfiltration',
  'impact',
];

/** Where a rule's finding sits in a story, when its first technique's first tactic is not it. */
const STORY_TACTIC: Readonly<Record<string, Tactic>> = {
  'auth.login-after-failures': 'initial-access',
  'auth.root-login': 'initial-access',
  'auth.root-login-refused': 'initial-access',
  'login.root-remote': 'initial-access',
  'login.remote-host': 'initial-access',
  'activity.download-execute': 'execution',
  'file.new-executable': 'execution',
};

/** A stretch longer than this with nothing dated in it is told as a gap. */
const GAP_MS = 10 * 60_000;
/** Links kept per incident; past it one link says how many more there are. */
const MAX_LINKS = 200;

interface Draft {
  ms: number | null;
  /** When what the link tells went on until (the last failure of a brute force); gaps start after it. */
  endMs?: number | null;
  tactic: Tactic | null;
  techniques: string[];
  text: string;
  evidence: string[];
  findings: string[];
}

function storyTactic(f: Finding): Tactic | null {
  return STORY_TACTIC[f.rule] ?? f.mitre.map((m) => tacticsOf(m)[0]).find((t) => t !== undefined) ?? null;
}

function rankOf(t: Tactic | null): number {
  return t === null ? STORY_ORDER.length : STORY_ORDER.indexOf(t);
}

function n(value: unknown): string {
  return typeof value === 'number' ? String(value) : '?';
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/** What a process finding says of its process, as a short phrase. */
export function processPhrase(f: Finding): string {
  const s = f.subject;
  switch (f.rule) {
    case 'process.known-tool':
      return `a known tool${s.tool ? `: ${field(s.tool, 60)}` : ''}`;
    case 'network.ssh-outbound-fanout':
      return `connects to ${n(s.hosts)} hosts on ssh ports${typeof s.synSent === 'number' && s.synSent > 0 ? ` (${s.synSent} attempts unanswered)` : ''}`;
    case 'process.masquerade':
      return `poses as ${field(s.claimed, 40)}`;
    case 'process.deleted-exe':
      return 'its executable was deleted from disk';
    case 'process.exe-in-writable-dir':
      return 'runs from a writable or hidden folder';
    case 'process.preload':
      return `LD_PRELOAD=${field(s.library, 80)}`;
    case 'process.hidden':
      return "hidden from the box's ps";
    case 'network.hidden-socket':
      return 'holds a socket the box\'s ss hides';
    case 'network.rogue-ssh-listener':
      return 'listens on an ssh port';
    case 'network.raw-packet-socket':
      return 'holds a raw packet socket';
    case 'sshd.injected-library':
      return `maps ${field(s.path, 80)}`;
    case 'yara.match':
      return `matches the YARA rule ${field(s.yaraRule, 60)}`;
    default:
      return field(f.title, 160);
  }
}

/** `/var/log/auth.log:497`, pointing at the log's copy in the case when there is one. */
function authLine(facts: KnownFacts, source: string, lineNo: number | null): string {
  const copy = (facts.authEvidence ?? []).find((e) => e.endsWith(source.startsWith('/') ? source : `/${source}`));
  return `${copy ?? source}${lineNo !== null ? `:${lineNo}` : ''}`;
}

/** The history file's copy in the case with the entry's line. */
function historyLine(facts: KnownFacts, file: string, line: unknown): string {
  const copy = (facts.historyFiles ?? []).find((h) => h.path === file)?.copy ?? file;
  return `${copy}${typeof line === 'number' ? `:${line}` : ''}`;
}

function scheduleText(schedule: unknown): string {
  if (schedule === '* * * * *') return 'every minute';
  if (schedule === '@reboot') return 'at every boot';
  return typeof schedule === 'string' ? `on the schedule ${field(schedule, 40)}` : '';
}

/** The link of one finding that is not about a live process. */
function findingLinks(f: Finding, facts: KnownFacts, loggedIn: ReadonlySet<string>): Draft[] {
  const s = f.subject;
  const base = { tactic: storyTactic(f), techniques: [...f.mitre], findings: [f.id] };
  const evidence = (first: string[] = []) => unique([...first, ...f.evidence]);
  const address = field(s.ip ?? s.host);
  switch (f.rule) {
    case 'auth.login-after-failures': {
      const rec = (facts.authLogins ?? []).find((l) => l.time === s.time && l.user === s.user && (l.address === s.ip || l.address === s.host));
      const what = s.method === 'password' ? 'failed passwords' : 'failed logins';
      const links: Draft[] = [{ ...base, ms: timeMs(s.time), text: `${field(s.user)} logged in from ${address} after ${n(s.failuresBefore)} ${what}${s.method && s.method !== 'password' ? ` (${field(s.method, 30)})` : ''}`, evidence: evidence(rec ? [authLine(facts, rec.source, rec.lineNo)] : []) }];
      if (timeMs(s.logout) !== null) links.push({ ms: timeMs(s.logout), tactic: null, techniques: [], text: `${field(s.user)}'s session from ${address} closed`, evidence: evidence(), findings: [f.id] });
      return links;
    }
    case 'auth.root-login':
      return [{ ...base, ms: timeMs(s.first), text: `root logged in over ssh from ${address}${typeof s.logins === 'number' && s.logins > 1 ? ` (${s.logins} logins, the last at ${shortTime(String(s.last))})` : ''}`, evidence: evidence() }];
    case 'auth.bruteforce':
    case 'login.btmp-bruteforce':
      return [{ ...base, ms: timeMs(s.firstFailure), endMs: timeMs(s.lastFailure), text: `${address} failed ${n(s.failures)} ssh logins${typeof s.lastFailure === 'string' ? ` until ${shortTime(s.lastFailure)}` : ''}${f.rule === 'login.btmp-bruteforce' ? ' (btmp)' : ''}`, evidence: evidence() }];
    case 'persistence.cron': {
      const file = (facts.persistenceFiles ?? []).find((p) => p.path === s.path);
      const runs = typeof s.command === 'string' ? `\`${field(s.command)}\`` : 'a command';
      return [{ ...base, ms: timeMs(file?.mtime), text: `cron line ${field(s.path)}:${n(s.line)} runs ${runs} ${scheduleText(s.schedule)}${file ? ' (the file was last changed at this time)' : ''}`.trim(), evidence: evidence() }];
    }
    case 'file.new-executable':
    case 'file.setuid-unpackaged': {
      const created = typeof s.btime === 'string';
      return [{ ...base, ms: timeMs(created ? s.btime : s.mtime), text: `${f.rule === 'file.new-executable' ? 'executable' : 'setuid file'} ${field(s.path)} ${created ? 'created' : 'last modified'}`, evidence: evidence() }];
    }
    default:
      break;
  }
  if (f.rule.startsWith('activity.') && typeof s.command === 'string') {
    const ref = s.session as { user?: unknown; address?: unknown } | null | undefined;
    const same = ref && typeof ref === 'object' && loggedIn.has(`${String(ref.user)}|${String(ref.address ?? '')}`);
    const who = same ? 'the same session' : field(s.user);
    return [{ ...base, ms: timeMs(s.time), text: `${who} ran \`${field(s.command)}\``, evidence: evidence([historyLine(facts, String(s.path), s.line)]) }];
  }
  if (f.rule.startsWith('persistence.') && typeof s.path === 'string') {
    const file = (facts.persistenceFiles ?? []).find((p) => p.path === s.path);
    return [{ ...base, ms: timeMs(file?.mtime), text: `${field(f.title, 200)}${file ? ' (the file was last changed at this time)' : ''}`, evidence: evidence() }];
  }
  return [{ ...base, ms: timeMs(s.time), text: field(f.title, 200), evidence: evidence() }];
}

/** Links ordered by time; ties, and links with no time, by tactic (undated ones after the last dated link of their tactic or before). */
function orderLinks(drafts: Draft[]): Draft[] {
  const cmp = (a: Draft, b: Draft) => rankOf(a.tactic) - rankOf(b.tactic) || a.text.localeCompare(b.text) || a.findings[0]!.localeCompare(b.findings[0]!);
  const dated = drafts.filter((d) => d.ms !== null).sort((a, b) => a.ms! - b.ms! || cmp(a, b));
  const undated = drafts.filter((d) => d.ms === null).sort(cmp);
  const out = [...dated];
  for (const u of undated) {
    let at = 0;
    for (let i = 0; i < out.length; i++) if (rankOf(out[i]!.tactic) <= rankOf(u.tactic)) at = i + 1;
    out.splice(at, 0, u);
  }
  return out;
}

/** Gap links between consecutive dated links further apart than GAP_MS. */
function withGaps(ordered: Draft[], historyAccounts: readonly string[]): Array<Draft & { kind: 'event' | 'gap' }> {
  const out: Array<Draft & { kind: 'event' | 'gap' }> = [];
  let previous: number | null = null;
  for (const d of ordered) {
    if (d.ms !== null && previous !== null && d.ms - previous > GAP_MS) {
      const from = shortTime(new Date(previous).toISOString());
      const to = shortTime(new Date(d.ms).toISOString());
      const span = `${from.slice(11, 16)}–${to.slice(0, 10) === from.slice(0, 10) ? to.slice(11, 16) : to.slice(0, 16)}`;
      const what = historyAccounts.length ? `no history of ${historyAccounts.map((a) => field(a, 32)).join(', ')} covers ${span}` : `nothing recorded covers ${span}`;
      out.push({ kind: 'gap', ms: previous, tactic: null, techniques: [], text: `${what} (${Math.round((d.ms - previous) / 60_000)} minutes)`, evidence: [], findings: [] });
    }
    if (d.ms !== null) previous = Math.max(previous ?? d.ms, d.ms, d.endMs ?? d.ms);
    const { endMs: _end, ...link } = d;
    out.push({ ...link, kind: 'event' });
  }
  return out;
}

/** The story of one incident's findings (given in id order, with their subjects). */
export function buildStory(findings: readonly Finding[], subjects: readonly FindingSubjects[], facts: KnownFacts): StoryLink[] {
  const drafts: Draft[] = [];
  const byProcess = new Map<string, number[]>();
  findings.forEach((_, i) => {
    const p = subjects[i]!.process;
    if (p) byProcess.set(p.key, [...(byProcess.get(p.key) ?? []), i]);
  });
  const loggedIn = new Set(findings.filter((f) => f.rule === 'auth.login-after-failures' || f.rule === 'auth.root-login').map((f) => `${String(f.subject.user)}|${String(f.subject.ip ?? f.subject.host ?? '')}`));
  findings.forEach((f, i) => {
    if (subjects[i]!.process === null) drafts.push(...findingLinks(f, facts, loggedIn));
  });
  for (const members of byProcess.values()) {
    // The worst finding speaks first and gives the link its tactic: a scanner is told as discovery, not as a file in /tmp.
    const fs = members.map((i) => findings[i]!).sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.id.localeCompare(b.id));
    const p = subjects[members[0]!]!.process!;
    const exe = p.record.exe;
    const where = exe ? ` from ${field(folderOf(exe))}` : '';
    const verb = p.startTime ? 'started' : 'running';
    const tactics = fs.map(storyTactic).filter((t): t is Tactic => t !== null);
    drafts.push({
      ms: timeMs(p.startTime),
      tactic: tactics[0] ?? null,
      techniques: unique(fs.flatMap((f) => f.mitre)),
      text: `${field(p.record.comm, 40)} (pid ${p.pid}) ${verb}${where}: ${unique(fs.map(processPhrase)).join('; ')}`,
      evidence: unique(fs.flatMap((f) => f.evidence)),
      findings: fs.map((f) => f.id).sort(),
    });
  }
  const historyAccounts = unique(subjects.map((s) => s.user).filter((u): u is string => u !== null && (facts.historyFiles ?? []).some((h) => h.user === u))).sort();
  const links = withGaps(orderLinks(drafts), historyAccounts).map(
    (d): StoryLink => ({
      time: d.ms === null ? null : new Date(d.ms).toISOString(),
      kind: d.kind,
      tactic: d.tactic,
      techniques: d.techniques,
      // One line whatever went in: every control made visible.
      text: sanitizeForTerminal(d.text, { bidi: 'x' }),
      evidence: d.evidence,
      findings: d.findings,
    }),
  );
  if (links.length <= MAX_LINKS) return links;
  const kept = links.slice(0, MAX_LINKS - 1);
  const left = links.slice(MAX_LINKS - 1);
  kept.push({ time: null, kind: 'gap', tactic: null, techniques: [], text: `${left.length} more links not shown: see the incident's findings`, evidence: [], findings: unique(left.flatMap((l) => l.findings)) });
  return kept;
}
