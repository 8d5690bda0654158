import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TimelineMode } from '../collectors/auth/aggregate.js';
import type { CollectOptions } from '../collectors/types.js';
import type { BundleEncryption } from '../evidence/bundle.js';
import { TOOL_ACTOR } from '../evidence/custody.js';
import type { CaseStore } from '../evidence/store.js';
import { createHostContext, type HostContext, type HostOptions } from '../host/context.js';
import { DEFAULT_TIMEOUT_MS } from '../host/exec.js';
import { RootedFs } from '../host/rooted-fs.js';
import { CliError, EXIT } from '../model/errors.js';
import { numberFindings, type DraftFinding, type Finding } from '../model/finding.js';
import type { Progress } from '../model/progress.js';
import { PlaybookEngine, type EngineHooks, type StepOutcome } from '../playbooks/engine.js';
import { loadPlaybook, type Playbook } from '../playbooks/loader.js';
import type { PlaybookStep } from '../playbooks/schema.js';
import { readYaraRules, yaraRulePaths } from '../playbooks/yara-rules.js';
import { flaggedFileTimes, quarantinedFileTimes } from '../report/case-file-times.js';
import { loadReportData, renderHtml, renderMarkdown } from '../report/report.js';
import { computeVerdict, type Verdict } from '../report/verdict.js';
import { sanitizeForTerminal } from '../report/text.js';
import { SESSION_ACTIVITY_FILE, sessionActivity } from '../story/sessions.js';
import type { Incident } from '../model/incident.js';
import { buildIncidents } from '../story/incidents.js';
import { Case, commandCaseOpening } from './case.js';

/** The actions taken during the run, with their undo records, for the report. */
const ACTIONS_FILE = 'artifacts/actions.json';
/** The findings joined into incidents, each with its story (src/story/incidents.ts). */
const INCIDENTS_FILE = 'artifacts/incidents.json';

/** Options every command that opens a case shares (collect, run). */
export interface CaseOptions {
  out: string;
  case?: string;
  examiner?: string;
  playbook: string;
  root?: string;
  sshPort: number[];
  keepDir: boolean;
  commandTimeout?: number;
  maxFileBytes?: number;
  /** --max-log-bytes: cap for each auth log copied (absent: the collector's default, 1 GiB). */
  maxLogBytes?: number;
  /** age recipients (age1…) the bundle is encrypted to (--encrypt-to); see src/evidence/encrypt.ts. */
  encryptTo?: string[];
  /** --since: start of the incident window, ISO 8601 UTC (src/model/window.ts). */
  since?: string;
  /** --timeline: failed and pre-auth attempts per address and day (aggregate, the default), per address, user and minute (minute), or one row each (full). */
  timeline?: TimelineMode;
  /** --timeline-jsonl: artifacts/timeline.jsonl beside timeline.csv (the same rows). */
  timelineJsonl?: boolean;
  /** --yara: rule files or folders. */
  yara?: string[];
  /** Where long reads and the bundle's compression report how far they are (a terminal line on stderr); not a command-line option. */
  progress?: Progress;
}

export interface CaseSummary {
  bundle: string;
  sha256: string;
  case: string;
  partial: boolean;
  findings: Finding[];
  /** The findings joined into incidents, worst first, the main one first (artifacts/incidents.json). */
  incidents: Incident[];
  /** The one-line answer for the security officer (also in manifest.json). */
  verdict: Verdict;
  partialReasons: string[];
  keptDir: string | null;
  interrupted: boolean;
  /** Set when the bundle was encrypted (--encrypt-to): recipients and the plaintext's sha256. */
  encryption?: BundleEncryption;
}

/** Findings of one rule recorded one by one in the custody log; the rest are counted (findings.json has them all). */
export const CUSTODY_FINDINGS_PER_RULE = 25;

/** Finding ids as ranges: F-0002..F-0040, F-0042. */
function idRanges(ids: string[]): string[] {
  const out: string[] = [];
  let start: string | null = null;
  let prev: string | null = null;
  const num = (id: string) => Number(/(\d+)$/.exec(id)?.[1] ?? NaN);
  for (const id of ids) {
    if (prev !== null && num(id) === num(prev) + 1) {
      prev = id;
      continue;
    }
    if (start !== null) out.push(start === prev ? start : `${start}..${prev}`);
    start = prev = id;
  }
  if (start !== null) out.push(start === prev ? start : `${start}..${prev}`);
  return out;
}

/** An action taken during the run, for the report. */
export interface ActionEntry {
  action: string;
  target: string;
  ok: boolean;
  message: string;
  undoRecord: string | null;
}

async function imageHostname(root: string): Promise<string> {
  try {
    const text = await new RootedFs(root).readText('/etc/hostname', 4096);
    return text.split('\n')[0].trim() || 'image';
  } catch {
    return 'image';
  }
}

/**
 * One case from opening to the sealed bundle: the host door, the case (store, custody log,
 * manifest, seal), the playbook engine, and the close that writes findings, reports, manifest and
 * bundle. Shared by `collect` and the guided `run`.
 */
export class CaseRun {
  readonly drafts: DraftFinding[] = [];
  readonly ranSteps = new Set<string>();
  readonly actions: ActionEntry[] = [];
  interrupted = false;
  /** The case: store, custody log, manifest and seal. */
  readonly case: Case;
  private readonly onSignal: () => void;

  private constructor(
    readonly opts: CaseOptions,
    readonly argv: string[],
    readonly playbook: Playbook,
    opened: Case,
    readonly engine: PlaybookEngine,
    /** The one controller of the run: the host door's signal is its signal (Ctrl-C stops collectors and commands). */
    readonly abort: AbortController,
  ) {
    this.case = opened;
    this.onSignal = () => {
      if (this.interrupted) process.exit(EXIT.interrupted);
      this.markInterrupted('SIGINT or SIGTERM');
      process.stderr.write('\nir-triage: interrupted: writing what was collected into the bundle (Ctrl-C again to quit now)\n');
    };
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  /**
   * Opens the case. `hostOptions` reach the host door (tests give a clock or an exec); the root,
   * the signal and the warnings are the run's.
   */
  static async open(opts: CaseOptions, argv: string[], hooks: EngineHooks = {}, hostOptions: Omit<HostOptions, 'root' | 'signal' | 'warn'> = {}): Promise<CaseRun> {
    const rootDir = path.resolve(opts.root ?? '/');
    if (opts.root) {
      const st = await fsp.stat(rootDir).catch(() => null);
      if (!st?.isDirectory()) throw new CliError(`--root ${rootDir} is not a folder`, EXIT.usage);
    }
    // Ctrl-C while the case opens (its folder and custody log are being created) is held until the
    // run's own handler is there, then handed to it: the interruption is recorded and the partial
    // bundle written, as for one a moment later. A second Ctrl-C quits at once, as it does then.
    let early = false;
    const onEarly = () => {
      if (early) process.exit(EXIT.interrupted);
      early = true;
    };
    process.on('SIGINT', onEarly);
    process.on('SIGTERM', onEarly);
    try {
      const run = await CaseRun.opening(opts, argv, rootDir, hooks, hostOptions);
      if (early) run.onSignal();
      return run;
    } finally {
      process.off('SIGINT', onEarly);
      process.off('SIGTERM', onEarly);
    }
  }

  private static async opening(
    opts: CaseOptions, argv: string[], rootDir: string, hooks: EngineHooks, hostOptions: Omit<HostOptions, 'root' | 'signal' | 'warn'>,
  ): Promise<CaseRun> {
    const abort = new AbortController();
    const host = createHostContext({
      ...hostOptions,
      root: rootDir,
      signal: abort.signal,
      warn: (m) => {
        // A progress line under way is taken off first, so the warning has a line of its own.
        opts.progress?.clearLine?.();
        process.stderr.write(`ir-triage: ${sanitizeForTerminal(m)}\n`);
      },
    });
    const startedAt = host.now();

    const playbook = await loadPlaybook(opts.playbook);
    const hostname = rootDir === '/' ? os.hostname() : await imageHostname(rootDir);
    const yaraRules = await readYaraRules(yaraRulePaths(opts.yara ?? [], playbook));
    // Nothing is awaited between the case's first custody event and the constructor, which
    // installs the Ctrl-C handler (one before it is held by open()).
    const c = await Case.open({ ...commandCaseOpening(opts, host, hostname, argv, startedAt), opened: { playbook: { id: playbook.id, sha256: playbook.sha256 } } });
    const options: CollectOptions = {
      sshPorts: opts.sshPort,
      maxFileBytes: opts.maxFileBytes ?? 64 * 1024 * 1024,
      ...(opts.maxLogBytes ? { maxLogBytes: opts.maxLogBytes } : {}),
      maxCommandBytes: 64 * 1024 * 1024,
      commandTimeoutMs: opts.commandTimeout ?? DEFAULT_TIMEOUT_MS,
      toolLists: {
        names: (playbook.data.toolLists?.names ?? []).map((f) => path.resolve(path.dirname(playbook.file), f)),
        hashes: (playbook.data.toolLists?.hashes ?? []).map((f) => path.resolve(path.dirname(playbook.file), f)),
        keys: (playbook.data.toolLists?.keys ?? []).map((f) => path.resolve(path.dirname(playbook.file), f)),
      },
      ...(opts.since ? { since: opts.since } : {}),
      timeline: opts.timeline ?? 'aggregate',
    };
    if (yaraRules) options.yaraRules = yaraRules;
    const engine = new PlaybookEngine(playbook, { host, sink: c.store, options, ...(opts.progress ? { progress: opts.progress } : {}) }, {
      ...hooks,
      onCollector: (collector, sources) => {
        c.custody('collected', {
          collector: collector.id,
          sources: sources.map((s) => ({ id: s.id, status: s.status })),
        });
        hooks.onCollector?.(collector, sources);
      },
      onSnapshot: (collectors) => {
        // When the live box's processes and sockets were read, after the case opened.
        c.custody('volatile-snapshot', { collectors, afterMs: host.now().getTime() - startedAt.getTime() });
        hooks.onSnapshot?.(collectors);
      },
    });
    return new CaseRun(opts, argv, playbook, c, engine, abort);
  }

  get caseId(): string {
    return this.case.caseId;
  }

  get hostname(): string {
    return this.case.hostname;
  }

  get store(): CaseStore {
    return this.case.store;
  }

  get host(): HostContext {
    return this.case.host;
  }

  get startedAt(): Date {
    return this.case.startedAt;
  }

  /** Appends a custody event; answers and actions are the examiner's (actor examinerActor), everything else the tool's. */
  custody(event: string, details: Record<string, unknown> = {}, actor = TOOL_ACTOR): void {
    this.case.custody(event, details, actor);
  }

  get examinerActor(): string {
    return this.case.examinerActor;
  }

  async runStep(step: PlaybookStep): Promise<StepOutcome> {
    const outcome = await this.engine.runStep(step);
    this.drafts.push(...outcome.findings);
    this.ranSteps.add(step.id);
    return outcome;
  }

  markInterrupted(reason: string): void {
    if (this.interrupted) return;
    this.interrupted = true;
    this.custody('interrupted', { reason });
    this.abort.abort();
  }

  /**
   * The custody log's record of the findings: one `finding` event for each of a rule's first
   * CUSTODY_FINDINGS_PER_RULE, then one `findings-not-listed` per rule with the count and the ids
   * of the rest (a month of brute force is a finding per address), and `findings` with the count
   * and findings.json's sha256, which holds every one.
   */
  private recordFindings(findings: Finding[], sha256: string): void {
    const rest = new Map<string, Finding[]>();
    const seen = new Map<string, number>();
    for (const f of findings) {
      const n = (seen.get(f.rule) ?? 0) + 1;
      seen.set(f.rule, n);
      if (n <= CUSTODY_FINDINGS_PER_RULE) this.custody('finding', { id: f.id, rule: f.rule, severity: f.severity, title: f.title });
      else {
        const list = rest.get(f.rule);
        if (list) list.push(f);
        else rest.set(f.rule, [f]);
      }
    }
    for (const [rule, fs] of rest) {
      const severities: Record<string, number> = {};
      for (const f of fs) severities[f.severity] = (severities[f.severity] ?? 0) + 1;
      this.custody('findings-not-listed', { rule, count: fs.length, severities, ids: idRanges(fs.map((f) => f.id)) });
    }
    this.custody('findings', { count: findings.length, file: 'findings.json', sha256 });
  }

  /** Findings, timeline, reports, manifest, bundle; verifies the bundle it wrote; removes the staging folder. */
  async close(): Promise<CaseSummary> {
    try {
      await this.engine.finish();
      const findings = numberFindings(this.drafts);
      const { store, host, engine } = this;
      const written = await store.writeFile('findings.json', JSON.stringify(findings, null, 2) + '\n');
      this.recordFindings(findings, written.sha256);
      const incidents = buildIncidents(findings, engine.facts);
      await store.writeFile(INCIDENTS_FILE, JSON.stringify(incidents, null, 2) + '\n');
      // Always written, empty when nothing was done: the report tells "no action" from "not recorded".
      await store.writeFile(ACTIONS_FILE, JSON.stringify(this.actions, null, 2) + '\n');
      // What was done in each session, once the findings have their ids: when a step read logins or histories.
      if (engine.facts.sessions || engine.facts.authLogins || engine.facts.historyCommands) {
        await store.writeFile(SESSION_ACTIVITY_FILE, JSON.stringify(sessionActivity(engine.facts, findings), null, 2) + '\n');
      }

      const hostname = engine.facts.host?.hostname || this.hostname;
      store.timeline(await flaggedFileTimes(host, findings, engine.facts.openFiles ?? []));
      store.timeline(await quarantinedFileTimes(host, store.dir, [...store.files.keys()]));
      const timeline = await store.writeTimeline(hostname, { mode: this.opts.timeline ?? 'aggregate', jsonl: this.opts.timelineJsonl === true });

      const partialReasons: string[] = [];
      if (!host.isRoot) partialReasons.push("not run as root: other users' processes, sockets and protected logs are not readable");
      const failed = engine.sources.filter((s) => s.status === 'error');
      if (failed.length > 0) partialReasons.push(`${failed.length} source(s) failed: ${failed.map((s) => s.id).join(', ')}`);
      if (this.interrupted) partialReasons.push('interrupted before every step had run');
      if (timeline.error) partialReasons.push(`the timeline is incomplete: ${timeline.error}`);
      const partial = partialReasons.length > 0;
      const verdict = computeVerdict(findings, partial);

      const manifest = this.case.manifest({ hostname, machineId: engine.facts.host?.machineId ?? null, bootId: engine.facts.host?.bootId ?? null }, partialReasons, {
        interrupted: this.interrupted,
        verdict,
        playbook: { id: this.playbook.id, file: this.playbook.file, sha256: this.playbook.sha256 },
        steps: this.playbook.data.steps.map((s) => ({ id: s.id, title: s.title, kind: s.kind, ran: this.ranSteps.has(s.id) })),
        timeline,
        sources: engine.sources,
        // Copies refused for their content (a private key, password hashes), by their path in the case.
        withheld: store.withheld,
        // Copies that hold only part of their file: which part was kept (a log's newest lines), what was dropped.
        copiesCut: store.copiesCut,
        // Links on the box read as links, not followed: an account's link to a file it does not own.
        linksNotFollowed: host.fs.refused,
      });
      // The reports are rendered from the files just written, as `ir-triage report` renders them
      // from a bundle; only the manifest is handed over, since it is sealed after them.
      const data = await loadReportData(store.dir, { manifest: { ...manifest, files: [...store.files.values()] } });
      await store.writeFile('report.md', renderMarkdown(data));
      await store.writeFile('report.html', renderHtml(data));
      this.custody('case-closed', { findings: findings.length, partial, verdict: verdict.level, actions: this.actions.length });

      const sealed = await this.case.seal(manifest, { encryptTo: this.opts.encryptTo, keepDir: this.opts.keepDir, progress: this.opts.progress });
      return {
        bundle: sealed.bundle,
        sha256: sealed.sha256,
        case: this.caseId,
        partial,
        findings,
        incidents: incidents.incidents,
        verdict,
        partialReasons,
        keptDir: this.opts.keepDir ? store.dir : null,
        interrupted: this.interrupted,
        encryption: sealed.encryption,
      };
    } finally {
      // The timeline's scratch runs never outlive the run, even when closing failed half-way.
      this.store.timelineSpool.dispose();
      process.off('SIGINT', this.onSignal);
      process.off('SIGTERM', this.onSignal);
    }
  }
}
