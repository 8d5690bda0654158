import path from 'node:path';
import type { SshOutboundGroup } from '../model/network.js';
import { isSeverity, type Finding } from '../model/finding.js';
import type { SessionRecord } from '../model/logins.js';
import type { OpenFilesRecord, ParentLink, ProcessRecord } from '../model/processes.js';
import type { SourceStatus } from '../model/source.js';
import { AuthHistogram } from './chart.js';
import { z } from 'zod';
import { parseBoundedJson, schemaProblems, type JsonLimits } from '../evidence/bounded-json.js';
import {
  ActionsListSchema,
  AuthEventLineSchema,
  AuthLogStatsSchema,
  AuthTallySchema,
  FindingSchema,
  IncidentsFileSchema,
  ManifestSchema,
  OpenFilesLineSchema,
  type Manifest,
  ProcessLineSchema,
  SessionActivityFileSchema,
  SessionLineSchema,
  SshViewSchema,
  UndoRecordSchema,
} from '../evidence/bundle-schemas.js';
import { bundleLimits, type BundleLimits } from '../evidence/limits.js';
import { bytesLimitText, NotRegularFileError, openRegular, readRegular, TooLargeError } from '../evidence/safe-open.js';
import { fileLines, MAX_LINE_CHARS } from './lines.js';
import { shownFindings } from './format.js';
import { computeVerdict, type Verdict } from './verdict.js';
import type { SessionActivityData } from './sessions-view.js';
import { SESSION_ACTIVITY_FILE } from '../story/sessions.js';
import { incidentsView, type IncidentsView } from './incidents.js';
import { errnoCode } from '../host/errors.js';

/**
 * Everything the report shows, read from a case folder's own files — findings.json, manifest.json,
 * artifacts/* and actions/* — so that `collect` (from its staging folder) and
 * `ir-triage report` (from a bundle handed over) render the same report from the same bytes.
 *
 * A bundle may have been edited by anyone: nothing here trusts a field's type, and every string
 * stays raw until a renderer escapes it.
 */

/** Rows shown per table; the rest are counted and left to the artifacts. */
export const LIMITS = { sessions: 100, attackers: 20, fanout: 20, processes: 50, files: 500 } as const;

/** The fields of the manifest the report shows: always there in ReportManifest (defaults when a bundle lacks them). */
type ShownField = 'tool' | 'examiner' | 'host' | 'commandLine' | 'mode' | 'root' | 'startedAt' | 'endedAt' | 'partial' | 'partialReasons' | 'interrupted' | 'playbook' | 'steps' | 'timeline';

/** The manifest (the schema's type, src/evidence/bundle-schemas.ts) as the report reads it. */
export type ReportManifest = Omit<Manifest, ShownField | 'sources'> & Required<Pick<Manifest, ShownField>> & { sources: SourceStatus[] };

/** What `ir-triage report` found when it verified the bundle; null when rendered by collect itself. */
export interface Integrity {
  ok: boolean;
  files: number;
  problems: string[];
  notes: string[];
}

export interface SuspiciousProcess {
  pid: number;
  comm: string;
  user: string | null;
  exe: string | null;
  exeDeleted: boolean;
  sha256: string | null;
  command: string;
  startTime: string | null;
  cwd: string | null;
  folders: string[];
  preserved: { path: string; sha256: string; size: number; truncated: boolean } | null;
  startedBy: string | null;
  unit: string | null;
  parents: ParentLink[];
  connections: number;
  /** Ids of the findings about this pid. */
  findings: string[];
}

export interface ActionRow {
  action: string;
  target: string;
  ok: boolean;
  message: string;
  undoRecord: string | null;
  appliedAt: string | null;
  summary: string | null;
  /** How to undo it, in a responder's words or commands. */
  undo: string | null;
}

export interface Table<T> {
  rows: T[];
  /** Rows in the artifact; more than rows.length when the table was cut. */
  total: number;
  /** The artifact the rows come from; null when the bundle has none (the step did not run). */
  artifact: string | null;
}

export interface AttackerRow {
  address: string;
  failures: number;
  invalidUserShare: number;
  users: string[];
  distinctUsers: number;
  firstFailure: string | null;
  lastFailure: string | null;
  accepted: number;
}

export interface ReportData {
  manifest: ReportManifest;
  findings: Finding[];
  verdict: Verdict;
  /** artifacts/incidents.json: the findings joined into incidents and the main one's story; null when the bundle has none. */
  incidents: IncidentsView | null;
  /** The ids of the findings shown as cards (the report shows a number per rule): only these are linked to. */
  carded: ReadonlySet<string>;
  integrity: Integrity | null;
  auth: AuthHistogram | null;
  /** auth-events.jsonl was cut at its size cap: the chart undercounts. */
  authEventsCapped: boolean;
  sessions: Table<SessionRecord>;
  /** artifacts/session-activity.json: what was done in each ssh session; null when absent or unreadable. */
  sessionActivity: SessionActivityData | null;
  attackers: Table<AttackerRow>;
  processes: Table<SuspiciousProcess>;
  fanout: Table<SshOutboundGroup> & { ports: number[] };
  actions: ActionRow[];
  /** Artifacts that could not be read (not valid JSON, say): named in the report. */
  unreadable: string[];
}

const str = (v: unknown): string => (typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v));
const strOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * The manifest with what the report shows filled in: a bundle whose manifest.json is missing or
 * did not fit the schema (null) is rendered with empty fields, not refused.
 */
function reportManifest(m: Manifest | null): ReportManifest {
  const raw: Manifest = m ?? { case: '', files: [] };
  return {
    ...raw,
    tool: { name: raw.tool?.name || 'ir-triage', version: raw.tool?.version ?? '' },
    examiner: raw.examiner ?? null,
    host: { ...raw.host, hostname: raw.host?.hostname ?? '', machineId: raw.host?.machineId ?? null },
    commandLine: raw.commandLine ?? [],
    mode: raw.mode ?? '',
    root: raw.root === true,
    startedAt: raw.startedAt ?? '',
    endedAt: raw.endedAt ?? '',
    partial: raw.partial === true,
    partialReasons: raw.partialReasons ?? [],
    interrupted: raw.interrupted === true,
    playbook: { ...raw.playbook, id: raw.playbook?.id ?? '', sha256: raw.playbook?.sha256 ?? null },
    steps: raw.steps ?? [],
    timeline: raw.timeline ?? null,
    sources: (raw.sources ?? []).map((o): SourceStatus => {
      const base = { id: o.id, ...(o.path !== undefined ? { path: o.path } : {}) };
      if (o.status === 'error') return { ...base, status: 'error', message: o.message ?? '' };
      if (o.status === 'skipped') return { ...base, status: 'skipped', reason: o.reason ?? '' };
      return { ...base, status: 'ok', ...(o.detail !== undefined ? { detail: o.detail } : {}), ...(o.warning !== undefined ? { warning: o.warning } : {}) };
    }),
  };
}

/** Findings as findings.json holds them; entries that are not findings are left out. */
export function findingsView(raw: unknown): Finding[] {
  return arr(raw)
    .map(obj)
    .filter((f) => typeof f.rule === 'string' && typeof f.severity === 'string' && isSeverity(f.severity))
    .map((f) => ({
      id: str(f.id),
      rule: str(f.rule),
      severity: f.severity as Finding['severity'],
      title: str(f.title),
      detail: str(f.detail),
      mitre: arr(f.mitre).map(str),
      subject: obj(f.subject),
      evidence: arr(f.evidence).map(str),
    }));
}

class CaseFolder {
  readonly unreadable: string[] = [];

  constructor(
    readonly dir: string,
    readonly limits: JsonLimits,
  ) {}

  private abs(rel: string): string {
    return path.join(this.dir, ...rel.split('/'));
  }

  /**
   * Parsed JSON checked against its schema, or null when absent. A file that is not a regular
   * file, is over the JSON limits, is not JSON or does not fit the schema is named in `unreadable`.
   */
  async json<S extends z.ZodType>(rel: string, schema: S): Promise<z.infer<S> | null> {
    let text: string;
    try {
      text = (await readRegular(this.abs(rel), this.limits.maxJsonBytes)).toString('utf8');
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') this.unreadable.push(`${rel} (${readProblem(err)})`);
      return null;
    }
    const parsed = parseBoundedJson(rel, text, schema, this.limits);
    if (parsed.ok) return parsed.value;
    this.unreadable.push(parsed.problems[0]);
    return null;
  }

  /** findings.json: each finding that fits the schema; the others are named (the first few) in `unreadable`. */
  async findings(): Promise<unknown[]> {
    const list = await this.json('findings.json', ArraySchema);
    if (!list) return [];
    const kept: unknown[] = [];
    const bad: string[] = [];
    list.forEach((item, i) => {
      const r = FindingSchema.safeParse(item);
      if (r.success) kept.push(r.data);
      else bad.push(`[${i}] ${schemaProblems(r.error, 1)[0]}`);
    });
    if (bad.length) this.unreadable.push(`findings.json (${bad.length} entr${bad.length === 1 ? 'y' : 'ies'} not findings: ${bad.slice(0, 3).join('; ')}${bad.length > 3 ? '; …' : ''})`);
    return kept;
  }

  /**
   * Each JSON line that fits `schema` (other lines are counted in `unreadable`, the first one's
   * problem named); false when the file is absent or not a regular file.
   */
  async eachLine<S extends z.ZodType>(rel: string, schema: S, fn: (o: z.infer<S> & Record<string, unknown>, line: string) => void, filter?: (line: string) => boolean): Promise<boolean> {
    let opened;
    try {
      opened = await openRegular(this.abs(rel));
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') this.unreadable.push(`${rel} (${readProblem(err)})`);
      return false;
    }
    let bad = 0;
    let first: string | null = null;
    let n = 0;
    try {
      for await (const line of fileLines(opened.handle)) {
        n++;
        if (line === null) {
          bad++;
          first ??= `line ${n}: longer than ${MAX_LINE_CHARS.toLocaleString('en-US')} characters`;
          continue;
        }
        if (filter && !filter(line)) continue;
        const parsed = parseBoundedJson(`line ${n}`, line, schema, this.limits);
        if (!parsed.ok) {
          bad++;
          first ??= parsed.problems[0];
          continue;
        }
        fn(parsed.value as z.infer<S> & Record<string, unknown>, line);
      }
    } finally {
      await opened.handle.close().catch(() => {});
    }
    if (bad > 0) this.unreadable.push(`${rel} (${bad} line(s); ${first})`);
    return true;
  }
}

const ArraySchema = z.array(z.unknown());

function readProblem(err: unknown): string {
  if (err instanceof NotRegularFileError) return `${err.what}, not a regular file`;
  if (err instanceof TooLargeError) return `larger than ${bytesLimitText(err.maxBytes)}`;
  return errnoCode(err) ?? (err as Error).message;
}

// The kinds the chart counts, found without parsing every line: JSON escapes quotes inside strings,
// so `"kind":"failed"` can only be the key itself.
const CHART_KINDS = /"kind":"(failed|pam-failure|accepted|attempts-minute)"/;

async function loadAuth(folder: CaseFolder): Promise<AuthHistogram | null> {
  const hist = new AuthHistogram();
  const found = await folder.eachLine(
    'artifacts/auth-events.jsonl',
    AuthEventLineSchema,
    (e) => {
      const t = Date.parse(str(e.time));
      // Counted as the tally counts: a PAM failure only when no Failed line reports the same attempt.
      if (e.kind === 'failed') hist.add(t, 'failure');
      else if (e.kind === 'pam-failure' && e.covered !== true) hist.add(t, 'failure', num(e.pamCount) || 1);
      else if (e.kind === 'accepted') hist.add(t, 'login');
      // --timeline aggregate: the failed logins of one minute, counted as the tally counts them.
      else if (e.kind === 'attempts-minute') hist.add(t, 'failure', num(e.failures));
    },
    (line) => CHART_KINDS.test(line),
  );
  return found ? hist : null;
}

async function loadSessions(folder: CaseFolder): Promise<Table<SessionRecord>> {
  // The most recent sessions (boot records apart), kept bounded while the file streams past.
  let kept: SessionRecord[] = [];
  let total = 0;
  const found = await folder.eachLine('artifacts/sessions.jsonl', SessionLineSchema, (o) => {
    if (o.line === 'system boot' || o.user === 'reboot') return;
    total++;
    kept.push({
      user: str(o.user), line: str(o.line), host: str(o.host), addr: strOrNull(o.addr), pid: num(o.pid),
      login: str(o.login), logout: strOrNull(o.logout), end: str(o.end) as SessionRecord['end'], source: str(o.source), file: str(o.file),
    });
    if (kept.length >= LIMITS.sessions * 4) kept = newest(kept);
  });
  return { rows: newest(kept).reverse(), total, artifact: found ? 'artifacts/sessions.jsonl' : null };
}

/** The most recent sessions; one seen in both utmp and wtmp is one row naming both sources. */
function newest(rows: SessionRecord[]): SessionRecord[] {
  const byKey = new Map<string, SessionRecord>();
  for (const r of rows) {
    const key = `${r.user}\u0000${r.line}\u0000${r.login}`;
    const seen = byKey.get(key);
    if (!seen) byKey.set(key, { ...r });
    else if (!seen.source.split(', ').includes(r.source)) seen.source = `${seen.source}, ${r.source}`;
  }
  return [...byKey.values()].sort((a, b) => (a.login < b.login ? 1 : a.login > b.login ? -1 : 0)).slice(0, LIMITS.sessions);
}

async function loadAttackers(folder: CaseFolder): Promise<Table<AttackerRow>> {
  const raw = await folder.json('artifacts/auth-tally.json', AuthTallySchema);
  if (raw === null) return { rows: [], total: 0, artifact: null };
  const rows = arr(raw)
    .map(obj)
    .filter((r) => num(r.failures) > 0)
    .map((r) => ({
      address: str(r.address),
      failures: num(r.failures),
      invalidUserShare: num(r.failures) ? num(r.failuresInvalidUser) / num(r.failures) : 0,
      users: arr(r.users).map((u) => str(obj(u).user)).slice(0, 5),
      distinctUsers: num(r.distinctUsers),
      firstFailure: strOrNull(r.firstFailure),
      lastFailure: strOrNull(r.lastFailure),
      accepted: num(r.acceptedCount),
    }))
    .sort((a, b) => b.failures - a.failures || a.address.localeCompare(b.address));
  return { rows: rows.slice(0, LIMITS.attackers), total: rows.length, artifact: 'artifacts/auth-tally.json' };
}

async function loadProcesses(folder: CaseFolder, findings: Finding[]): Promise<Table<SuspiciousProcess>> {
  const byPid = new Map<number, string[]>();
  for (const f of findings) {
    const pid = f.subject.pid;
    if (typeof pid === 'number' && Number.isInteger(pid) && (f.rule.startsWith('process.') || f.rule.startsWith('network.'))) {
      byPid.set(pid, [...(byPid.get(pid) ?? []), f.id]);
    }
  }
  const lsof = new Map<number, Record<string, unknown>>();
  await folder.eachLine('artifacts/open-files.jsonl', OpenFilesLineSchema, (o) => {
    if (typeof o.pid === 'number') lsof.set(o.pid, o);
  });
  const wanted = new Set([...byPid.keys(), ...lsof.keys()]);
  const procs = new Map<number, Record<string, unknown>>();
  const found = await folder.eachLine('artifacts/processes.jsonl', ProcessLineSchema, (o) => {
    if (typeof o.pid === 'number' && wanted.has(o.pid)) procs.set(o.pid, o);
  });
  const rows: SuspiciousProcess[] = [];
  for (const pid of [...wanted].sort((a, b) => a - b)) {
    const p = procs.get(pid) ?? {};
    const l = (lsof.get(pid) ?? {}) as Partial<Record<keyof OpenFilesRecord, unknown>>;
    const rec = p as Partial<Record<keyof ProcessRecord, unknown>>;
    const preserved = obj(l.preserved);
    rows.push({
      pid,
      comm: str(l.comm ?? rec.comm),
      user: strOrNull(l.user ?? rec.user),
      exe: strOrNull(l.exe ?? rec.exe),
      exeDeleted: (l.exeDeleted ?? rec.exeDeleted) === true,
      sha256: strOrNull(l.exeSha256 ?? rec.exeSha256),
      command: arr(rec.argv).map(str).join(' '),
      startTime: strOrNull(rec.startTime),
      cwd: strOrNull(l.cwd ?? rec.cwd),
      folders: arr(l.folders).map(str),
      preserved: typeof preserved.path === 'string' ? { path: preserved.path, sha256: str(preserved.sha256), size: num(preserved.size), truncated: preserved.truncated === true } : null,
      startedBy: strOrNull(l.startedBy),
      unit: strOrNull(l.unit),
      parents: arr(l.parents).map((x) => {
        const o = obj(x);
        return { pid: num(o.pid), comm: str(o.comm), exe: strOrNull(o.exe), user: strOrNull(o.user), command: str(o.command) };
      }),
      connections: arr(l.connections).length,
      findings: byPid.get(pid) ?? [],
    });
  }
  // Most findings first: the process that matters leads the table.
  rows.sort((a, b) => b.findings.length - a.findings.length || a.pid - b.pid);
  return { rows: rows.slice(0, LIMITS.processes), total: rows.length, artifact: found ? 'artifacts/processes.jsonl' : null };
}

async function loadFanout(folder: CaseFolder): Promise<ReportData['fanout']> {
  const raw = await folder.json('artifacts/ssh-view.json', SshViewSchema);
  if (raw === null) return { rows: [], total: 0, artifact: null, ports: [] };
  const view = obj(raw);
  const groups = arr(view.outbound)
    .map(obj)
    .map((g) => {
      const owner = g.owner ? obj(g.owner) : null;
      return {
        owner: owner ? { pid: num(owner.pid), comm: str(owner.comm), exe: strOrNull(owner.exe), title: str(owner.title), uid: typeof owner.uid === 'number' ? owner.uid : null, user: strOrNull(owner.user), cwd: strOrNull(owner.cwd) } : null,
        uid: typeof g.uid === 'number' ? g.uid : null,
        user: strOrNull(g.user),
        connections: num(g.connections),
        hosts: arr(g.hosts).map(str),
        states: Object.fromEntries(Object.entries(obj(g.states)).map(([k, v]) => [k, num(v)])),
        synSent: num(g.synSent),
        established: num(g.established),
        remotePorts: arr(g.remotePorts).map(num),
        netns: [],
      } satisfies SshOutboundGroup;
    })
    .filter((g) => g.hosts.length > 0 || g.connections > 0)
    .sort((a, b) => b.hosts.length - a.hosts.length || b.connections - a.connections);
  return { rows: groups.slice(0, LIMITS.fanout), total: groups.length, artifact: 'artifacts/ssh-view.json', ports: arr(view.ports).map(num) };
}

function shellWord(a: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`;
}

/** How an action is undone, from its record. */
function undoText(record: Record<string, unknown>, caseId: string): string | null {
  switch (record.action) {
    case 'quarantine':
      return `ir-triage restore ${caseId}.tar.gz (puts every original mode back)`;
    case 'freeze': {
      const pids = arr(record.processes).map((p) => num(obj(p).pid)).filter((p) => p > 0);
      return pids.length ? `kill -CONT ${pids.join(' ')}` : null;
    }
    case 'block-ip': {
      const cmds = arr(record.undo).map((c) => arr(c).map(str).map(shellWord).join(' '));
      return cmds.length ? cmds.join(' && ') : null;
    }
    case 'kill':
      return 'cannot be undone (the executable was preserved first)';
    default:
      return null;
  }
}

async function loadActions(folder: CaseFolder, caseId: string): Promise<ActionRow[]> {
  const raw = await folder.json('artifacts/actions.json', ActionsListSchema);
  const rows: ActionRow[] = [];
  for (const a of arr(raw).map(obj)) {
    const record = typeof a.undoRecord === 'string' && /^actions\/[A-Za-z0-9._-]+\.json$/.test(a.undoRecord) ? obj(await folder.json(a.undoRecord, UndoRecordSchema)) : {};
    rows.push({
      action: str(a.action),
      target: str(a.target),
      ok: a.ok === true,
      message: str(a.message),
      undoRecord: strOrNull(a.undoRecord),
      appliedAt: strOrNull(record.appliedAt),
      summary: strOrNull(record.summary),
      undo: undoText(record, caseId),
    });
  }
  return rows;
}

export interface LoadOptions {
  /** The manifest about to be sealed (collect renders before manifest.json exists); default: the folder's. */
  manifest?: Manifest;
  integrity?: Integrity | null;
  /** How much of each file is read (default: bundleLimits()). */
  limits?: BundleLimits;
}

/** Reads a case folder (staged by collect, or extracted from a bundle) into what the report shows. */
export async function loadReportData(dir: string, opts: LoadOptions = {}): Promise<ReportData> {
  const folder = new CaseFolder(dir, opts.limits ?? bundleLimits());
  const manifest = reportManifest(opts.manifest ?? (await folder.json('manifest.json', ManifestSchema)));
  const findings = findingsView(await folder.findings());
  const auth = await loadAuth(folder);
  const stats = obj(await folder.json('artifacts/auth-log-stats.json', AuthLogStatsSchema));
  const data: ReportData = {
    manifest,
    findings,
    verdict: computeVerdict(findings, manifest.partial),
    carded: new Set(shownFindings(findings).shown.map((f) => f.id)),
    incidents: incidentsView(await folder.json('artifacts/incidents.json', IncidentsFileSchema), findings, folder.unreadable),
    integrity: opts.integrity ?? null,
    auth,
    authEventsCapped: num(obj(stats.events).notWritten) > 0,
    sessions: await loadSessions(folder),
    sessionActivity: await folder.json(SESSION_ACTIVITY_FILE, SessionActivityFileSchema),
    attackers: await loadAttackers(folder),
    processes: await loadProcesses(folder, findings),
    fanout: await loadFanout(folder),
    actions: await loadActions(folder, manifest.case),
    unreadable: folder.unreadable,
  };
  return data;
}
