import type { KnownFacts } from '../../model/facts.js';
import type { DraftFinding, Severity } from '../../model/finding.js';

/** Where auth findings point: what the collector (or analyze) says it kept, else the artifacts. */
export function authEvidence(facts: KnownFacts): string[] {
  return facts.authEvidence ?? ['artifacts/auth-tally.json', 'artifacts/auth-events.jsonl'];
}

/** Counts of a record, most first: `password 40, none 3`. */
export function countsText(counts: Record<string, number>): string {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
}

/** `between A and B`, or `at A` when they are the same. */
export function spanText(first: string | null, last: string | null): string {
  if (!first) return 'at an unknown time';
  return !last || last === first ? `at ${first}` : `between ${first} and ${last}`;
}

/** A user name from the log, quoted when it could be mistaken for prose (spaces, empty). */
export function userText(user: string | null): string {
  if (user === null) return '(unknown user)';
  return /^[A-Za-z0-9._@-]+$/.test(user) ? user : JSON.stringify(user);
}

/**
 * A finding about one address of the auth tally: its subject names the address (an ip, or a host
 * name the log gave) before the rule's own counts, and it points at the auth evidence.
 */
export function addressFinding(
  facts: KnownFacts,
  r: { address: string; isIp: boolean },
  finding: { rule: string; severity: Severity; title: string; detail: string; mitre: string[] },
  counts: Record<string, string | number | null>,
): DraftFinding {
  return {
    ...finding,
    subject: { ip: r.isIp ? r.address : null, host: r.isIp ? null : r.address, user: null, pid: null, path: null, ...counts },
    evidence: authEvidence(facts),
  };
}
