/**
 * The background of a box on the internet: thousands of addresses guess passwords, sweep user
 * names or probe the ssh port, and never get in. Each is a finding of its own; as incidents they
 * are one, "Brute force from N addresses (no login)", told in a few links (first and last failure,
 * the counts, the most active addresses), so the incidents that matter are not lost among them. An
 * address that logged in, or that shares anything with another finding, is not part of it.
 */
import type { KnownFacts } from '../model/facts.js';
import type { Finding } from '../model/finding.js';
import type { StoryLink } from '../model/incident.js';
import { sanitizeForTerminal } from '../model/text.js';
import { loginSessions, plainAddress } from './login-sessions.js';
import type { FindingSubjects } from './subjects.js';
import { shortTime, timeMs } from './time.js';
import { field, plural } from './words.js';

/** Rules whose finding is an address attacking ssh, and nothing more: a guess, a sweep, a probe, a flood of connections. */
const ATTACK_ONLY_RULES = new Set(['auth.bruteforce', 'login.btmp-bruteforce', 'network.ssh-inbound-flood', 'auth.enumeration', 'auth.probe']);

/** Addresses the story names one by one; the rest are counted. */
const TOP_ADDRESSES = 10;

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0;
}

/** Every address that logged in over ssh: an accepted login of the auth log (the tally counts them too) or a remote login record. */
export function loggedInAddresses(facts: KnownFacts): Set<string> {
  const out = new Set<string>();
  for (const s of loginSessions(facts)) if (s.address) out.add(plainAddress(s.address));
  for (const r of facts.authTally ?? []) if (r.acceptedCount > 0) out.add(plainAddress(r.address));
  return out;
}

/**
 * Whether a finding is only an address attacking ssh: one of ATTACK_ONLY_RULES, naming an address
 * that never logged in (the finding's own count of accepted logins, the facts' logins and login
 * records), and no account (a flood whose sshd processes name a user is a session, not a guess).
 */
export function isAttackOnly(f: Finding, subjects: FindingSubjects, loggedIn: ReadonlySet<string>): boolean {
  if (!ATTACK_ONLY_RULES.has(f.rule) || subjects.addresses.length === 0 || subjects.process !== null) return false;
  const s = f.subject;
  if (num(s.acceptedLogins) > 0 || (typeof s.user === 'string' && s.user !== '') || (Array.isArray(s.users) && s.users.length > 0)) return false;
  return subjects.addresses.every((a) => !loggedIn.has(plainAddress(a)));
}

interface AddressTally {
  address: string;
  failures: number;
  names: number;
  probes: number;
  connections: number;
  first: number | null;
  last: number | null;
  finding: string;
}

function tallies(findings: readonly Finding[], facts: KnownFacts): AddressTally[] {
  const rows = new Map((facts.authTally ?? []).map((r) => [r.address, r] as const));
  const out = new Map<string, AddressTally>();
  for (const f of findings) {
    const s = f.subject;
    const address = String(s.ip ?? s.host ?? '?');
    const t = out.get(address) ?? { address, failures: 0, names: 0, probes: 0, connections: 0, first: null, last: null, finding: f.id };
    if (f.rule === 'auth.bruteforce' || f.rule === 'login.btmp-bruteforce') t.failures = Math.max(t.failures, num(s.failures));
    if (f.rule === 'auth.enumeration') t.names += num(s.invalidUsers);
    if (f.rule === 'auth.probe') t.probes += num(s.probes);
    if (f.rule === 'network.ssh-inbound-flood') t.connections += num(s.connections);
    // The failures' own span; a sweep or a probe is dated by the auth tally's first and last line of the address.
    const row = rows.get(address);
    const first = timeMs(s.firstFailure) ?? timeMs(row?.firstFailure) ?? timeMs(row?.firstSeen);
    const last = timeMs(s.lastFailure) ?? timeMs(row?.lastFailure) ?? timeMs(row?.lastSeen) ?? first;
    if (first !== null && (t.first === null || first < t.first)) t.first = first;
    if (last !== null && (t.last === null || last > t.last)) t.last = last;
    if (f.id < t.finding) t.finding = f.id;
    out.set(address, t);
  }
  return [...out.values()];
}

/** The most active first: by failed logins, then by names swept and probes, then by connections held; ties by address. */
function busiestFirst(a: AddressTally, b: AddressTally): number {
  return b.failures - a.failures || b.names + b.probes - (a.names + a.probes) || b.connections - a.connections || (a.address < b.address ? -1 : a.address > b.address ? 1 : 0);
}

function what(t: AddressTally): string {
  const parts = [
    t.failures ? plural(t.failures, 'failed login') : null,
    t.names ? plural(t.names, 'user name', 'user names') + ' that are not accounts' : null,
    t.probes ? plural(t.probes, 'probe') : null,
    t.connections ? plural(t.connections, 'open connection') : null,
  ].filter((p): p is string => p !== null);
  return parts.join(', ') || 'attacked';
}

/** `Brute force from 4000 addresses (no login)`; sweeps and probes are named when they are there. */
export function campaignTitle(findings: readonly Finding[], addresses: number): string {
  const rules = new Set(findings.map((f) => f.rule));
  const kinds = [
    ['auth.bruteforce', 'login.btmp-bruteforce', 'network.ssh-inbound-flood'].some((r) => rules.has(r)) ? 'brute force' : null,
    rules.has('auth.enumeration') ? 'user-name sweeps' : null,
    rules.has('auth.probe') ? 'probing' : null,
  ].filter((k): k is string => k !== null);
  const head = kinds.length <= 1 ? kinds.join('') : `${kinds.slice(0, -1).join(', ')} and ${kinds.at(-1)}`;
  const text = `${head || 'ssh attacks'} from ${plural(addresses, 'address', 'addresses')} (no login)`;
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The campaign told short: what it adds up to, its first failure, its most active addresses, its last failure. */
export function campaignStory(findings: readonly Finding[], facts: KnownFacts): StoryLink[] {
  const rows = tallies(findings, facts);
  const sum = (k: 'failures' | 'names' | 'probes' | 'connections') => rows.reduce((n, r) => n + r[k], 0);
  const dated = rows.filter((r) => r.first !== null);
  const firstRow = dated.reduce<AddressTally | null>((a, r) => (a === null || r.first! < a.first! || (r.first === a.first && r.address < a.address) ? r : a), null);
  const lastRow = dated.reduce<AddressTally | null>((a, r) => (a === null || r.last! > a.last! || (r.last === a.last && r.address < a.address) ? r : a), null);
  const top = [...rows].sort(busiestFirst).slice(0, TOP_ADDRESSES);
  const evidence = [...new Set(findings.flatMap((f) => f.evidence))].sort();
  const techniques = [...new Set(findings.flatMap((f) => f.mitre))].sort();
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  const totals = [
    sum('failures') ? plural(sum('failures'), 'failed login') : null,
    sum('names') ? `${plural(sum('names'), 'user name', 'user names')} that are not accounts` : null,
    sum('probes') ? `${plural(sum('probes'), 'connection')} ended before authenticating` : null,
    sum('connections') ? `${plural(sum('connections'), 'concurrent connection')} held open` : null,
  ].filter((p): p is string => p !== null);
  const links: Array<Omit<StoryLink, 'kind' | 'tactic'>> = [
    {
      time: iso(firstRow?.first ?? null),
      techniques,
      text: `${plural(rows.length, 'address', 'addresses')} attacked ssh and none logged in: ${totals.join(', ') || plural(findings.length, 'finding')}`,
      evidence,
      findings: findings.map((f) => f.id),
    },
  ];
  if (firstRow) links.push({ time: iso(firstRow.first), techniques, text: `the first: ${field(firstRow.address, 64)} at ${shortTime(iso(firstRow.first)!)} (${what(firstRow)})`, evidence, findings: [firstRow.finding] });
  const more = rows.length - top.length;
  links.push({
    time: null,
    techniques,
    text: `the most active: ${top.map((r) => `${field(r.address, 64)} (${what(r)})`).join('; ')}${more > 0 ? `; and ${plural(more, 'more address', 'more addresses')}` : ''}`,
    evidence,
    findings: top.map((r) => r.finding).sort(),
  });
  if (lastRow && lastRow.last !== null) links.push({ time: iso(lastRow.last), techniques, text: `the last: ${field(lastRow.address, 64)} at ${shortTime(iso(lastRow.last)!)} (${what(lastRow)})`, evidence, findings: [lastRow.finding] });
  return links.map((l) => ({ ...l, kind: 'event', tactic: 'credential-access', text: sanitizeForTerminal(l.text, { bidi: 'x' }) }));
}
