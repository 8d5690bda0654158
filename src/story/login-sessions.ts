/**
 * The ssh sessions of a run, derived once from the login records (utmp, wtmp, wtmpdb) and the
 * accepted ssh logins of the auth log: what was done after each login (session-activity.json) and
 * what joins findings inside a session (incidents) are read from the same sessions.
 */
import type { KnownFacts } from '../model/facts.js';
import type { SessionHeader } from '../model/session-activity.js';

/** A login record and an accepted ssh line this close in time (and same account and address) are one session. */
const SAME_LOGIN_MS = 10_000;

/** One ssh session: a remote login, seen by one or more sources, with its span. */
export interface LoginSession extends SessionHeader {
  /** Login time in ms (the first source's), and the end in ms: Infinity while open or when unknown. */
  from: number;
  to: number;
  /** Every login time a source gave for it (a login record and the auth log may differ by seconds). */
  loginTimes: number[];
  /** `wtmp|user|login` and `auth-log|user|time`: how history entries name the session (HistorySessionRef). */
  keys: Set<string>;
}

const ms = (iso: string | null | undefined): number => (iso ? Date.parse(iso) : NaN);

/** An X display (`:0`, `:1.0`), not a host: an IPv6 address such as `::1` or `::ffff:192.0.2.1` starts with a colon too. */
const X_DISPLAY = /^:\d+(?:\.\d+)?$/;

/** A remote login: a host that is not an X display, and not a boot or run-level record. */
function isRemote(user: string, host: string, line: string): boolean {
  return host !== '' && !X_DISPLAY.test(host) && user !== '' && !['reboot', 'shutdown', 'runlevel'].includes(user) && line !== 'system boot';
}

/** An address as the auth log writes it: an IPv4-mapped IPv6 address of a login record is its IPv4 address. */
export function plainAddress(address: string): string {
  return address.replace(/^::ffff:/i, '');
}

/** The key a history entry's session reference gives: `source|user|login`. */
export function sessionKey(source: string, user: unknown, login: unknown): string {
  return `${source}|${String(user)}|${String(login)}`;
}

/**
 * The ssh sessions the facts know, in the order of the login records, then the auth log: utmp,
 * wtmp and wtmpdb records of one login (user, line, login time) are one session, and an accepted
 * ssh line of the same account and address within SAME_LOGIN_MS of a record's login is that session
 * too (its method, its line in the log, its PAM close as the end when the records have none); an
 * accepted line no record matches is a session of its own. Local logins (a console, an X display)
 * and boot records are not ssh sessions.
 */
export function loginSessions(facts: KnownFacts): LoginSession[] {
  const out: LoginSession[] = [];
  const byRecord = new Map<string, LoginSession>();
  for (const r of facts.sessions ?? []) {
    if (!isRemote(r.user, r.host, r.line)) continue;
    const from = ms(r.login);
    if (!Number.isFinite(from)) continue;
    const id = `${r.user}\u0000${r.line}\u0000${r.login}`;
    const seen = byRecord.get(id);
    if (seen) {
      if (!seen.sources.includes(r.source)) seen.sources.push(r.source);
      // One source may know the end the other does not (utmp: still open; wtmp: logged out).
      if (seen.end === null && r.logout !== null) {
        seen.end = r.logout;
        seen.endKind = r.end;
        seen.to = ms(r.logout);
      }
      continue;
    }
    const to = r.logout ? ms(r.logout) : Infinity;
    const s: LoginSession = {
      user: r.user, address: r.addr ?? r.host, line: r.line || null, start: r.login, end: r.logout, endKind: r.end, method: null, sources: [r.source], evidence: [],
      from, to: Number.isFinite(to) ? to : Infinity, loginTimes: [from], keys: new Set([sessionKey('wtmp', r.user, r.login)]),
    };
    byRecord.set(id, s);
    out.push(s);
  }
  const fromRecords = [...out];
  for (const l of facts.authLogins ?? []) {
    if (!l.user) continue;
    const t = ms(l.time);
    if (!Number.isFinite(t)) continue;
    let best: LoginSession | null = null;
    for (const s of fromRecords) {
      if (s.user !== l.user || s.method !== null || Math.abs(s.from - t) > SAME_LOGIN_MS) continue;
      if (l.address && s.address && l.address !== s.address && l.address !== plainAddress(s.address)) continue;
      if (!best || Math.abs(s.from - t) < Math.abs(best.from - t)) best = s;
    }
    const evidence = l.lineNo !== null ? [`${l.source}:${l.lineNo}`] : [l.source];
    const key = sessionKey('auth-log', l.user, l.time);
    if (best) {
      best.method = l.method;
      best.sources.push('auth-log');
      best.evidence.push(...evidence);
      best.address ??= l.address;
      best.keys.add(key);
      best.loginTimes.push(t);
      if (best.end === null && l.logout) {
        best.end = l.logout;
        best.endKind = 'logout';
        best.to = ms(l.logout);
      }
      continue;
    }
    const to = l.logout ? ms(l.logout) : Infinity;
    out.push({
      user: l.user, address: l.address, line: null, start: l.time, end: l.logout, endKind: l.logout ? 'closed' : 'open', method: l.method, sources: ['auth-log'], evidence,
      from: t, to: Number.isFinite(to) ? to : Infinity, loginTimes: [t], keys: new Set([key]),
    });
  }
  return out;
}
