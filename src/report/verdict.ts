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
const ATTACKED_RULES = new Set(['auth.bruteforce', 'auth.enumeration', 'auth.probe', 'network.ssh-inbound-flood']);
/** Attacks on the ssh login by one address: the address is the attacker's. */
const LOGIN_ATTACK_RULES = new Set(['auth.bruteforce', 'auth.enumeration', 'auth.probe']);
/**
 * `ROOT LOGIN REFUSED`: whoever connected holds a key root trusts; only PermitRootLogin stopped
 * them. From an address that also attacks the login, the key is in an attacker's hands (planted
 * in root's authorized_keys, or stolen): entry. Alone it may be an administrator's habit
 * (`ssh root@` with the agent holding root's key): never hidden behind "no sign of entry", never
 * below suspicious.
 */
const ROOT_KEY_RULE = 'auth.root-login-refused';

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function addressOf(f: Finding): string | null {
  return str(f.subject.ip) ?? str(f.subject.host);
}

/** `a key root trusts was used from 203.0.113.50 (and 1 more address); only PermitRootLogin refused the login`. */
function rootKeyClause(found: Finding[]): string {
  return `a key root trusts was used from ${addressOf(found[0]) ?? '(unknown address)'}${more(found.length - 1, found.length === 2 ? 'address' : 'addresses')}; only PermitRootLogin refused the login`;
}

function more(n: number, what: string): string {
  return n > 0 ? ` (and ${n} more ${what})` : '';
}

/** `login as deploy from 203.0.113.7 after 212 failed attempts`, or the finding's title. */
function entryClause(f: Finding): string {
  if (f.rule === ROOT_KEY_RULE) return `a key root trusts was used from ${addressOf(f) ?? '(unknown address)'}, which also attacked the ssh login; only PermitRootLogin refused the login`;
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

const addresses = (n: number) => (n === 1 ? '1 address' : `${n} addresses`);

/** `3 addresses made 5,120 failed attempts`, else the enumeration, the probes, the flood. */
function attackedClause(found: Finding[]): string {
  const brute = found.filter((f) => f.rule === 'auth.bruteforce');
  if (brute.length > 0) {
    const failures = brute.reduce((sum, f) => sum + (num(f.subject.failures) ?? 0), 0);
    return `${addresses(brute.length)} made ${failures.toLocaleString('en-US')} failed attempts`;
  }
  const enumeration = found.filter((f) => f.rule === 'auth.enumeration');
  if (enumeration.length > 0) {
    const names = enumeration.reduce((sum, f) => sum + (num(f.subject.invalidUsers) ?? 0), 0);
    return `${addresses(enumeration.length)} tried ${names.toLocaleString('en-US')} user names that are not accounts`;
  }
  const probes = found.filter((f) => f.rule === 'auth.probe');
  if (probes.length > 0) {
    const total = probes.reduce((sum, f) => sum + (num(f.subject.probes) ?? 0), 0);
    return `${addresses(probes.length)} probed the ssh port ${total.toLocaleString('en-US')} times without logging in`;
  }
  const floods = found.filter((f) => f.rule === 'network.ssh-inbound-flood');
  return `${floods.length === 1 ? '1 address floods' : `${floods.length} addresses flood`} the ssh port with connections`;
}

/**
 * The verdict for a set of findings (as in findings.json). In this order: a login after a brute
 * force is `compromised`; an outbound ssh fan-out is `attacking`; any other sign of a foothold
 * (masquerade, preload, hidden process, known tool, any critical finding, or a root key used from
 * an address that also attacked the login) is `compromised`; brute force, user enumeration,
 * probes or an inbound flood alone are `attacked` (with a root key used elsewhere named beside
 * them); a root key used alone is `suspicious`, named first; anything else at low or above is
 * `suspicious`; informational findings alone leave the box `clean`.
 */
export function computeVerdict(findings: Finding[], partial: boolean): Verdict {
  const sorted = [...findings].sort((a, b) => severityRank(b.severity) - severityRank(a.severity));
  const attackers = new Set(sorted.filter((f) => LOGIN_ATTACK_RULES.has(f.rule)).map(addressOf).filter((a) => a !== null));
  const rootKey = sorted.filter((f) => f.rule === ROOT_KEY_RULE && f.severity !== 'informational');
  const inRootKey = new Set(rootKey);
  const entry = sorted.filter(
    (f) =>
      (ENTRY_RULES.has(f.rule) && f.severity !== 'informational') ||
      (f.severity === 'critical' && !ATTACKING_RULES.has(f.rule)) ||
      (inRootKey.has(f) && attackers.has(addressOf(f) ?? '')),
  );
  const attacking = sorted.filter((f) => ATTACKING_RULES.has(f.rule));
  const attacked = sorted.filter((f) => ATTACKED_RULES.has(f.rule));
  const inEntry = new Set(entry);
  const rootKeyAlone = rootKey.filter((f) => !inEntry.has(f));
  // A month of brute force is a finding per address: sets, not lists, to leave out the named ones.
  const named = new Set([...entry, ...attacking, ...attacked, ...rootKeyAlone]);
  const rest = sorted.filter((f) => f.severity !== 'informational' && !named.has(f));
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
    // A root key in someone's hands is named beside the attack, never covered by "no sign of entry".
    const headline = rootKeyAlone.length > 0
      ? `Under attack: ${attackedClause(attacked)}; and ${rootKeyClause(rootKeyAlone)}`
      : `Under attack, no sign of entry: ${attackedClause(attacked)}`;
    return { level: 'attacked', headline: `${headline}${tail}`, partial };
  }
  if (rootKeyAlone.length > 0) {
    const others = more(rest.length, rest.length === 1 ? 'finding to review' : 'findings to review');
    return { level: 'suspicious', headline: `Suspicious: ${rootKeyClause(rootKeyAlone)}${others}${tail}`, partial };
  }
  if (rest.length > 0) {
    const n = rest.length === 1 ? '1 finding' : `${rest.length} findings`;
    return { level: 'suspicious', headline: `Suspicious, not conclusive: ${n} to review, most severe: ${rest[0].title}${tail}`, partial };
  }
  return { level: 'clean', headline: `No sign of compromise found${tail}`, partial };
}
