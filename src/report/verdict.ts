import type { Finding } from '../model/finding.js';
import { severityRank } from '../model/finding.js';

/**
 * The one-line answer a security officer reads first: has this box been entered, is it attacking
 * others, is it only being attacked, or is nothing wrong? Computed from findings.json alone, so
 * `collect`, `report` and a fleet summary all say the same thing about the same bundle.
 *
 * The headline quotes text from the box (user names, process names) as it is: escape it for the
 * place it is shown (escapeHtml, escapeMarkdown, sanitizeForTerminal).
 */
export interface Verdict {
  level: 'compromised' | 'attacking' | 'attacked' | 'suspicious' | 'clean';
  headline: string;
  partial: boolean;
}

export type VerdictLevel = Verdict['level'];

/**
 * Most serious first: a fleet table sorts by this order. `attacking` means the box attacks others
 * and so was entered too; it comes second because an entry found by its own trace (a guessed
 * password) says more about what happened.
 */
export const VERDICT_LEVELS: readonly VerdictLevel[] = ['compromised', 'attacking', 'attacked', 'suspicious', 'clean'];

/** 0 for `compromised` … 4 for `clean`: sort ascending to put the worst box first. */
export function verdictRank(level: VerdictLevel): number {
  return VERDICT_LEVELS.indexOf(level);
}

/** Rules whose finding means someone got in or holds a foothold, whatever its level. */
const ENTRY_RULES = new Set(['auth.login-after-failures', 'process.masquerade', 'process.preload', 'process.hidden', 'process.known-tool', 'persistence.preload', 'account.uid0']);
/** Rules that mean this box attacks others. */
const ATTACKING_RULES = new Set(['network.ssh-outbound-fanout']);
/** Rules that mean the box is a target: noise until something gets in. */
const ATTACKED_RULES = new Set(['auth.bruteforce', 'network.ssh-inbound-flood']);

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function more(n: number, what: string): string {
  return n > 0 ? ` (and ${n} more ${what})` : '';
}

/** `login as deploy from 203.0.113.7 after 212 failed attempts`, or the finding's title. */
function entryClause(f: Finding): string {
  if (f.rule === 'auth.login-after-failures') {
    const user = str(f.subject.user) ?? '(unknown user)';
    const from = str(f.subject.ip) ?? str(f.subject.host) ?? '(unknown address)';
    const failures = num(f.subject.failuresBefore);
    return `login as ${user} from ${from}${failures !== null ? ` after ${failures} failed attempts` : ' after many failed attempts'}`;
  }
  return f.title;
}

/** `pscan2 (pid 4242) connects to 812 hosts on port 22`. */
function attackingClause(f: Finding): string {
  const comm = str(f.subject.comm);
  const pid = num(f.subject.pid);
  const who = comm !== null || pid !== null ? `${comm ?? '?'}${pid !== null ? ` (pid ${pid})` : ''}` : `uid ${String(f.subject.uid ?? '?')}`;
  const hosts = num(f.subject.hosts);
  const ports = /\bon (ports? [\d, ]+\d)/.exec(f.title)?.[1] ?? 'ssh ports';
  return `${who} connects to ${hosts ?? 'many'} hosts on ${ports}`;
}

/** `3 addresses made 5,120 failed attempts`. */
function attackedClause(found: Finding[]): string {
  const brute = found.filter((f) => f.rule === 'auth.bruteforce');
  if (brute.length > 0) {
    const failures = brute.reduce((sum, f) => sum + (num(f.subject.failures) ?? 0), 0);
    const who = brute.length === 1 ? `1 address` : `${brute.length} addresses`;
    return `${who} made ${failures.toLocaleString('en-US')} failed attempts`;
  }
  const floods = found.filter((f) => f.rule === 'network.ssh-inbound-flood');
  return `${floods.length === 1 ? '1 address floods' : `${floods.length} addresses flood`} the ssh port with connections`;
}

/**
 * The verdict for a set of findings (as in findings.json). In this order: a login after a brute
 * force is `compromised`; an outbound ssh fan-out is `attacking`; any other sign of a foothold
 * (masquerade, preload, hidden process, known tool, or any critical finding) is `compromised`;
 * brute force or an inbound flood alone is `attacked`; anything else at low or above is
 * `suspicious`; informational findings alone leave the box `clean`.
 */
export function computeVerdict(findings: Finding[], partial: boolean): Verdict {
  const sorted = [...findings].sort((a, b) => severityRank(b.severity) - severityRank(a.severity));
  const entry = sorted.filter(
    (f) => (ENTRY_RULES.has(f.rule) && f.severity !== 'informational') || (f.severity === 'critical' && !ATTACKING_RULES.has(f.rule)),
  );
  const attacking = sorted.filter((f) => ATTACKING_RULES.has(f.rule));
  const attacked = sorted.filter((f) => ATTACKED_RULES.has(f.rule));
  const rest = sorted.filter((f) => f.severity !== 'informational' && !entry.includes(f) && !attacking.includes(f) && !attacked.includes(f));
  const tail = partial ? ' (partial collection)' : '';

  // The order says what to do first. A login after a brute force names the break-in; a box
  // attacking others is the abuse-desk case, whatever else its scanner trips (known tool, folder);
  // then any other sign of a foothold.
  const login = entry.find((f) => f.rule === 'auth.login-after-failures');
  if (login) {
    // Two clauses are enough for a headline: the other signs are counted only when there is no attack to name.
    const also = attacking.length > 0 ? `; this box is also attacking others: ${attackingClause(attacking[0])}` : more(entry.length - 1, entry.length === 2 ? 'sign' : 'signs');
    return {
      level: 'compromised',
      headline: `Likely compromised: ${entryClause(login)}${also}${tail}`,
      partial,
    };
  }
  if (attacking.length > 0) {
    return {
      level: 'attacking',
      headline: `This box is attacking others: ${attackingClause(attacking[0])}${more(attacking.length - 1, attacking.length === 2 ? 'source' : 'sources')}${tail}`,
      partial,
    };
  }
  if (entry.length > 0) {
    return {
      level: 'compromised',
      headline: `Likely compromised: ${entryClause(entry[0])}${more(entry.length - 1, entry.length === 2 ? 'sign' : 'signs')}${tail}`,
      partial,
    };
  }
  if (attacked.length > 0) {
    return { level: 'attacked', headline: `Under attack, no sign of entry: ${attackedClause(attacked)}${tail}`, partial };
  }
  if (rest.length > 0) {
    const n = rest.length === 1 ? '1 finding' : `${rest.length} findings`;
    return { level: 'suspicious', headline: `Suspicious, not conclusive: ${n} to review, most severe: ${rest[0].title}${tail}`, partial };
  }
  return { level: 'clean', headline: `No sign of compromise found${tail}`, partial };
}
