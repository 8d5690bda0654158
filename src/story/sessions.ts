/**
 * What was done after each ssh login: the sessions of the incident window (login records and
 * accepted ssh logins, one session when both saw it), each with the history entries tied to it,
 * the files its account created or changed while it was open, and the findings about it. Pure:
 * facts and findings in, the shape of artifacts/session-activity.json out.
 */
import type { ChangedFile, HistoryCommand } from '../model/activity.js';
import type { KnownFacts } from '../model/facts.js';
import { severityRank, type DraftFinding } from '../model/finding.js';
import { loginSessions, sessionKey } from './login-sessions.js';
import type { Bounded, SessionActivity, SessionActivityFile, SessionCommand, SessionFile, SessionFindingRef, SessionTie, UntiedCommands } from '../model/session-activity.js';

/** Where the case keeps it. */
export const SESSION_ACTIVITY_FILE = 'artifacts/session-activity.json';

/** Caps of each list; what is past them is counted. */
export const SESSION_LIMITS = { sessions: 50, commands: 100, files: 50, findings: 50, untied: 50 } as const;

type FindingIn = DraftFinding & { id?: string };

interface Working {
  s: SessionActivity;
  from: number;
  to: number;
  /** `wtmp|user|login` and `auth-log|user|time`: how history entries name the session. */
  keys: Set<string>;
  commands: SessionCommand[];
  files: SessionFile[];
  /** Every file path tied to it (before the cap), for findings about a file. */
  paths: Set<string>;
  findings: SessionFindingRef[];
}

const ms = (iso: string | null | undefined): number => (iso ? Date.parse(iso) : NaN);

function bounded<T>(all: T[], cap: number, keepLast = false): Bounded<T> {
  return { items: keepLast ? all.slice(Math.max(0, all.length - cap)) : all.slice(0, cap), total: all.length };
}

/** The ssh sessions (one derivation for the whole story: login-sessions.ts), each with its lists still to fill. */
function collectSessions(facts: KnownFacts): Working[] {
  return loginSessions(facts).map((l) => ({
    s: { user: l.user, uid: null, address: l.address, line: l.line, start: l.start, end: l.end, endKind: l.endKind, method: l.method, sources: l.sources, evidence: l.evidence, commands: empty(), files: empty(), findings: empty() },
    from: l.from,
    to: l.to,
    keys: l.keys,
    commands: [], files: [], paths: new Set(), findings: [],
  }));
}

function empty<T>(): Bounded<T> {
  return { items: [], total: 0 };
}

/** uid and home per account: /etc/passwd when the accounts step ran, else what the history files tell. */
function accountsOf(facts: KnownFacts): Map<string, { uid: number | null; home: string | null }> {
  const out = new Map<string, { uid: number | null; home: string | null }>();
  for (const a of facts.accounts ?? []) out.set(a.user, { uid: a.uid, home: a.home || null });
  for (const f of facts.historyFiles ?? []) {
    if (out.has(f.user)) continue;
    // Every history name starts with a dot (.bash_history, .local/share/fish/…): the home is what comes before it.
    const cut = f.path.indexOf('/.');
    out.set(f.user, { uid: f.accountUid, home: cut > 0 ? f.path.slice(0, cut) : null });
  }
  return out;
}

function commandOf(c: HistoryCommand): SessionCommand {
  return { time: c.time, kind: c.kind, text: c.text, file: c.file, line: c.line, signals: [...new Set(c.signals.map((s) => s.kind))] };
}

const byTime = (a: { time: string | null; file?: string; line?: number }, b: { time: string | null; file?: string; line?: number }): number =>
  (a.time ?? '').localeCompare(b.time ?? '') || (a.file ?? '').localeCompare(b.file ?? '') || (a.line ?? 0) - (b.line ?? 0);

/** The session of `user` open at `t`: the latest login before it whose end (if known) is after it (as the history collector ties commands). */
function openAt(list: Working[] | undefined, t: number): Working | null {
  let best: Working | null = null;
  for (const w of list ?? []) if (w.from <= t && t <= w.to && (!best || w.from > best.from)) best = w;
  return best;
}

/** The file's first time in the session's span and what it says; null when none is in it. */
function fileIn(f: ChangedFile, w: Working): SessionFile | null {
  const times: Array<[SessionFile['what'], string | null]> = [['created', f.btime], ['modified', f.mtime], ['changed', f.ctime]];
  let hit: [SessionFile['what'], string] | null = null;
  for (const [what, iso] of times) {
    const t = ms(iso);
    if (!Number.isFinite(t) || t < w.from || t > w.to) continue;
    if (!hit || t < ms(hit[1])) hit = [what, iso!];
  }
  if (!hit) return null;
  return { path: f.path, type: f.type, what: hit[0], time: hit[1], uid: f.uid, size: f.size, executable: f.executable, sha256: f.sha256 };
}

/** Times a finding's subject gives (a command's stamp, a file's times). */
function subjectTimes(f: FindingIn): number[] {
  return ['time', 'btime', 'mtime', 'ctime'].map((k) => f.subject[k]).filter((v): v is string => typeof v === 'string').map(ms).filter(Number.isFinite);
}

function tieOf(f: FindingIn, w: Working): SessionTie | null {
  const sub = f.subject;
  const session = sub.session && typeof sub.session === 'object' ? (sub.session as Record<string, unknown>) : null;
  if (session && typeof session.source === 'string' && w.keys.has(sessionKey(session.source, session.user, session.login))) return 'session';
  if (session) return null; // about another session
  const inSpan = subjectTimes(f).some((t) => t >= w.from && t <= w.to);
  if (sub.user === w.s.user && inSpan) return 'account-time';
  if (typeof sub.path === 'string' && w.paths.has(sub.path)) return 'file';
  const address = typeof sub.ip === 'string' && sub.ip ? sub.ip : typeof sub.host === 'string' && sub.host ? sub.host : null;
  if (address !== null && w.s.address !== null && address === w.s.address) return 'address';
  return null;
}

/**
 * Per ssh session in the incident window (the most recent SESSION_LIMITS.sessions): its account,
 * address, span and login method; the history entries tied to it; the files its account (owner
 * uid, or under its home) created or changed while it was open; the findings tied to it. History
 * entries that no listed session holds are listed once per account, for the accounts that had a
 * session or a finding about one of those entries.
 */
export function sessionActivity(facts: KnownFacts, findings: readonly FindingIn[]): SessionActivityFile {
  const window = facts.window ? { start: facts.window.start, end: facts.window.end } : null;
  const start = window ? ms(window.start) : -Infinity;
  let all = collectSessions(facts).filter((w) => w.to >= start);
  all.sort((a, b) => b.from - a.from || a.s.user.localeCompare(b.s.user));
  const sessionsLeftOut = Math.max(0, all.length - SESSION_LIMITS.sessions);
  all = all.slice(0, SESSION_LIMITS.sessions);

  const accounts = accountsOf(facts);
  const byUser = new Map<string, Working[]>();
  for (const w of all) {
    w.s.uid = accounts.get(w.s.user)?.uid ?? null;
    byUser.set(w.s.user, [...(byUser.get(w.s.user) ?? []), w]);
  }
  const byKey = new Map<string, Working>();
  for (const w of all) for (const k of w.keys) byKey.set(k, w);

  const untied = new Map<string, { user: string; reason: UntiedCommands['reason']; commands: SessionCommand[] }>();
  for (const c of facts.historyCommands ?? []) {
    const w = c.session ? byKey.get(sessionKey(c.session.source, c.session.user, c.session.login)) : undefined;
    if (w) {
      w.commands.push(commandOf(c));
      continue;
    }
    const reason = c.time === null ? 'no-time' : 'no-session';
    const key = `${c.user}\u0000${reason}`;
    const group = untied.get(key) ?? { user: c.user, reason, commands: [] };
    group.commands.push(commandOf(c));
    untied.set(key, group);
  }

  for (const f of facts.changedFiles ?? []) {
    for (const [user, list] of byUser) {
      const acct = accounts.get(user);
      const mine = !!acct && ((acct.uid !== null && f.uid === acct.uid) || (acct.home !== null && acct.home !== '/' && f.path.startsWith(`${acct.home}/`)));
      if (!mine) continue;
      // A file in two open sessions of one account goes to the later login, as a command would.
      const hits = list.map((w) => [w, fileIn(f, w)] as const).filter((x): x is readonly [Working, SessionFile] => x[1] !== null);
      if (hits.length === 0) continue;
      const [w, file] = hits.reduce((a, b) => (b[0].from > a[0].from ? b : a));
      w.files.push(file);
      w.paths.add(file.path);
    }
  }

  for (const f of findings) {
    for (const w of all) {
      const tie = tieOf(f, w);
      if (tie) w.findings.push({ id: f.id ?? null, rule: f.rule, severity: f.severity, title: f.title, tie });
    }
  }

  const sessions = all.map((w) => ({
    ...w.s,
    commands: bounded(w.commands.sort(byTime), SESSION_LIMITS.commands),
    files: bounded(w.files.sort((a, b) => a.time.localeCompare(b.time) || a.path.localeCompare(b.path)), SESSION_LIMITS.files),
    findings: bounded(w.findings.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || (a.id ?? '').localeCompare(b.id ?? '') || a.title.localeCompare(b.title)), SESSION_LIMITS.findings),
  }));

  // Untied entries of the accounts that matter here: a listed session, or a finding about one of those entries.
  const flagged = new Set(findings.filter((f) => typeof f.subject.path === 'string' && typeof f.subject.line === 'number').map((f) => `${String(f.subject.path)}:${String(f.subject.line)}`));
  const untiedOut: UntiedCommands[] = [...untied.values()]
    .filter((g) => byUser.has(g.user) || g.commands.some((c) => flagged.has(`${c.file}:${c.line}`)))
    .sort((a, b) => a.user.localeCompare(b.user) || a.reason.localeCompare(b.reason))
    // The last entries of a history are the latest typed: those are kept.
    .map((g) => ({ user: g.user, reason: g.reason, commands: bounded(g.reason === 'no-time' ? g.commands : g.commands.sort(byTime), SESSION_LIMITS.untied, true) }));

  return { version: 1, window, sessions, sessionsLeftOut, untied: untiedOut };
}
