import type { AuthAddressRow, AuthLoginRecord } from './auth.js';

/**
 * The incident window: from when the intrusion may have started to the collection. Persistence
 * rules (authorized keys, accounts, cron, systemd, …) call something "new" when its times fall
 * inside it. Computed once by the first collector that needs it (`incidentWindow`), kept in the
 * facts as `window`, so rules stay pure and all agree on the same start.
 */
export interface IncidentWindow {
  /** ISO 8601 UTC: changes at or after this instant are inside the window. */
  start: string;
  /** ISO 8601 UTC: the collection time. Times after it (a clock set ahead, a forged mtime) still count as inside. */
  end: string;
  /** since: --since; auth: the first failure or login of an address the auth log flags; default: a fixed span before the collection. */
  source: 'since' | 'auth' | 'default';
  /** One sentence for findings: where the start comes from. */
  reason: string;
}

/** With nothing better to go on, the window opens this many days before the collection. */
export const DEFAULT_WINDOW_DAYS = 30;
/** Failed logins from one address that make it an attacker for the window (auth.bruteforce's shipped threshold). */
export const WINDOW_ADDRESS_FAILURES = 10;

export interface WindowInput {
  /** --since, ISO 8601 (already validated by the command line). */
  since?: string;
  now: Date;
  authTally?: AuthAddressRow[];
  authLogins?: AuthLoginRecord[];
}

/**
 * --since when given; else the first failed or accepted login of an address with at least
 * WINDOW_ADDRESS_FAILURES failures (or an accepted login after that many); else
 * DEFAULT_WINDOW_DAYS before now.
 */
export function incidentWindow(input: WindowInput): IncidentWindow {
  const end = input.now.toISOString();
  if (input.since) {
    const t = Date.parse(input.since);
    if (Number.isFinite(t)) {
      const start = new Date(t).toISOString();
      return { start, end, source: 'since', reason: `the incident window starts at ${start} (--since)` };
    }
  }
  let first: { time: string; address: string } | null = null;
  const consider = (time: string | null | undefined, address: string): void => {
    if (!time || !Number.isFinite(Date.parse(time))) return;
    if (!first || Date.parse(time) < Date.parse(first.time)) first = { time: new Date(Date.parse(time)).toISOString(), address };
  };
  for (const row of input.authTally ?? []) {
    if (row.failures < WINDOW_ADDRESS_FAILURES) continue;
    consider(row.firstFailure, row.address);
    consider(row.accepted[0]?.time, row.address);
  }
  for (const login of input.authLogins ?? []) {
    if (login.failuresFromAddress.count < WINDOW_ADDRESS_FAILURES || !login.address) continue;
    consider(login.failuresFromAddress.first, login.address);
    consider(login.time, login.address);
  }
  if (first !== null) {
    const f = first as { time: string; address: string };
    return {
      start: f.time,
      end,
      source: 'auth',
      reason: `the incident window starts at ${f.time}, the first failed or accepted ssh login of ${f.address} (${WINDOW_ADDRESS_FAILURES} or more failures in the auth log)`,
    };
  }
  const start = new Date(input.now.getTime() - DEFAULT_WINDOW_DAYS * 86_400_000).toISOString();
  return {
    start,
    end,
    source: 'default',
    reason: `the incident window is the ${DEFAULT_WINDOW_DAYS} days before the collection (from ${start}): no --since, and ${input.authTally || input.authLogins ? `no address with ${WINDOW_ADDRESS_FAILURES} or more failures in the auth log` : 'no auth log read before this step'}`,
  };
}

/** A time at or after the window's start (null and unparsable times are outside). */
export function inWindow(window: IncidentWindow, time: string | null | undefined): boolean {
  if (!time) return false;
  const t = Date.parse(time);
  return Number.isFinite(t) && t >= Date.parse(window.start);
}

/** A day number (days since 1970-01-01, as /etc/shadow counts) on or after the day the window starts. */
export function dayInWindow(window: IncidentWindow, day: number | null | undefined): boolean {
  if (day === null || day === undefined || !Number.isFinite(day)) return false;
  return day >= Math.floor(Date.parse(window.start) / 86_400_000);
}

/**
 * The window already in the facts, or a new one from them. Collectors call it as
 * `windowFromFacts(ctx.facts, ctx.options.since, ctx.host.now())` and return it as `window`
 * in their facts, so every rule after them sees the same window.
 */
export function windowFromFacts(
  facts: { window?: IncidentWindow; authTally?: AuthAddressRow[]; authLogins?: AuthLoginRecord[] },
  since: string | undefined,
  now: Date,
): IncidentWindow {
  return facts.window ?? incidentWindow({ since, now, authTally: facts.authTally, authLogins: facts.authLogins });
}
