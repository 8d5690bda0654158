import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CollectOptions } from '../collectors/types.js';
import { sealCase } from '../evidence/bundle.js';
import { CaseStore } from '../evidence/store.js';
import { verifyBundle } from '../evidence/verify.js';
import { createHostContext, type HostContext } from '../host/context.js';
import { DEFAULT_TIMEOUT_MS, SAFE_PATH } from '../host/exec.js';
import { RootedFs } from '../host/rooted-fs.js';
import { CliError, EXIT } from '../model/errors.js';
import { numberFindings, type DraftFinding, type Finding } from '../model/finding.js';
import { PlaybookEngine, type EngineHooks, type StepOutcome } from '../playbooks/engine.js';
import { loadPlaybook, type Playbook } from '../playbooks/loader.js';
import type { PlaybookStep } from '../playbooks/schema.js';
import { renderHtml, renderMarkdown, type ReportInput } from '../report/report.js';
import { sanitizeForTerminal } from '../report/text.js';
import { renderTimelineCsv } from '../report/timeline.js';
import { checkCaseId, defaultCaseId } from './case-id.js';
import { TOOL } from './version.js';

export const TOOL_ACTOR = 'ir-triage';

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
}

export interface CaseSummary {
  bundle: string;
  sha256: string;
  case: string;
  partial: boolean;
  findings: Finding[];
  partialReasons: string[];
  keptDir: string | null;
  interrupted: boolean;
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
 * One case from opening to the sealed bundle: the host door, the case store and its custody log,
 * the playbook engine, and the close that writes findings, reports, manifest and bundle. Shared
 * by `collect` and the guided `run`.
 */
export class CaseRun {
  readonly drafts: DraftFinding[] = [];
  readonly ranSteps = new Set<string>();
  readonly actions: ActionEntry[] = [];
  readonly abort = new AbortController();
  interrupted = false;
  private readonly onSignal: () => void;

  private constructor(
    readonly opts: CaseOptions,
    readonly argv: string[],
    readonly startedAt: Date,
    readonly playbook: Playbook,
    readonly caseId: string,
    readonly hostname: string,
    readonly store: CaseStore,
    readonly host: HostContext,
    readonly engine: PlaybookEngine,
  ) {
    this.onSignal = () => {
      if (this.interrupted) process.exit(EXIT.interrupted);
      this.markInterrupted('SIGINT or SIGTERM');
      process.stderr.write('\nir-triage: interrupted: writing what was collected into the bundle (Ctrl-C again to quit now)\n');
    };
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  static async open(opts: CaseOptions, argv: string[], hooks: EngineHooks = {}): Promise<CaseRun> {
    const startedAt = new Date();
    const rootDir = path.resolve(opts.root ?? '/');
    if (opts.root) {
      const st = await fsp.stat(rootDir).catch(() => null);
      if (!st?.isDirectory()) throw new CliError(`--root ${rootDir} is not a folder`, EXIT.usage);
    }
    // The box's tools and systeminformation run with the system PATH and the C locale, never ours.
    process.env.PATH = SAFE_PATH;
    process.env.LC_ALL = 'C';

    const playbook = await loadPlaybook(opts.playbook);
    const hostname = rootDir === '/' ? os.hostname() : await imageHostname(rootDir);
    const caseId = checkCaseId(opts.case ?? defaultCaseId(hostname, startedAt));
    const store = await CaseStore.create(opts.out, caseId);
    const abort = new AbortController();
    const host = createHostContext({
      root: rootDir,
      signal: abort.signal,
      warn: (m) => process.stderr.write(`ir-triage: ${sanitizeForTerminal(m)}\n`),
    });
    const options: CollectOptions = {
      sshPorts: opts.sshPort,
      maxFileBytes: opts.maxFileBytes ?? 64 * 1024 * 1024,
      maxCommandBytes: 64 * 1024 * 1024,
      commandTimeoutMs: opts.commandTimeout ?? DEFAULT_TIMEOUT_MS,
      toolLists: {
        names: (playbook.data.toolLists?.names ?? []).map((f) => path.resolve(path.dirname(playbook.file), f)),
        hashes: (playbook.data.toolLists?.hashes ?? []).map((f) => path.resolve(path.dirname(playbook.file), f)),
      },
    };
    const engine = new PlaybookEngine(playbook, { host, sink: store, options }, {
      ...hooks,
      onCollector: (collector, sources) => {
        store.custody.append(TOOL_ACTOR, 'collected', {
          collector: collector.id,
          sources: sources.map((s) => ({ id: s.id, status: s.status })),
        });
        hooks.onCollector?.(collector, sources);
      },
    });
    const run = new CaseRun(opts, argv, startedAt, playbook, caseId, hostname, store, host, engine);
    // The engine's context holds the controller's signal: abort through the run's controller.
    run.abort.signal.addEventListener('abort', () => abort.abort(), { once: true });
    store.custody.append(TOOL_ACTOR, 'case-opened', {
      case: caseId,
      examiner: opts.examiner ?? null,
      host: hostname,
      mode: host.mode,
      root: host.isRoot,
      command: ['ir-triage', ...argv],
      tool: TOOL,
      playbook: { id: playbook.id, sha256: playbook.sha256 },
    });
    return run;
  }

  /** Appends a custody event; answers are the examiner's, everything else the tool's. */
  custody(event: string, details: Record<string, unknown> = {}, actor = TOOL_ACTOR): void {
    this.store.custody.append(actor, event, details);
  }

  get examinerActor(): string {
    return this.opts.examiner ? `examiner:${this.opts.examiner}` : 'examiner';
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

  /** Findings, reports, manifest, bundle; verifies the bundle it wrote; removes the staging folder. */
  async close(): Promise<CaseSummary> {
    try {
      await this.engine.finish();
      const findings = numberFindings(this.drafts);
      const { store, host, engine } = this;
      await store.writeFile('findings.json', JSON.stringify(findings, null, 2) + '\n');
      for (const f of findings) this.custody('finding', { id: f.id, rule: f.rule, severity: f.severity, title: f.title });
      if (this.actions.length > 0) await store.writeFile('actions/actions.json', JSON.stringify(this.actions, null, 2) + '\n');

      const partialReasons: string[] = [];
      if (!host.isRoot) partialReasons.push("not run as root: other users' processes, sockets and protected logs are not readable");
      const failed = engine.sources.filter((s) => s.status === 'error');
      if (failed.length > 0) partialReasons.push(`${failed.length} source(s) failed: ${failed.map((s) => s.id).join(', ')}`);
      if (this.interrupted) partialReasons.push('interrupted before every step had run');
      const partial = partialReasons.length > 0;

      const endedAt = new Date();
      const hostname = engine.facts.host?.hostname || this.hostname;
      const reportInput: ReportInput = {
        caseId: this.caseId,
        examiner: this.opts.examiner ?? null,
        hostname,
        mode: host.mode,
        startedAt: this.startedAt.toISOString(),
        endedAt: endedAt.toISOString(),
        root: host.isRoot,
        partial,
        partialReasons,
        tool: TOOL,
        playbook: { id: this.playbook.id, title: this.playbook.data.title },
        steps: this.playbook.data.steps.map((s) => ({ id: s.id, title: s.title, why: s.why, kind: s.kind, ran: this.ranSteps.has(s.id) })),
        findings,
        sources: engine.sources,
        files: [...store.files.values()],
      };
      await store.writeFile('timeline.csv', renderTimelineCsv(store.timelineEvents, hostname));
      await store.writeFile('report.md', renderMarkdown(reportInput));
      await store.writeFile('report.html', renderHtml(reportInput));
      this.custody('case-closed', { findings: findings.length, partial, actions: this.actions.length });

      const manifest = {
        tool: TOOL,
        case: this.caseId,
        examiner: this.opts.examiner ?? null,
        host: { hostname, machineId: engine.facts.host?.machineId ?? null, bootId: engine.facts.host?.bootId ?? null },
        commandLine: ['ir-triage', ...this.argv],
        mode: host.mode,
        root: host.isRoot,
        startedAt: this.startedAt.toISOString(),
        endedAt: endedAt.toISOString(),
        partial,
        partialReasons,
        interrupted: this.interrupted,
        playbook: { id: this.playbook.id, file: this.playbook.file, sha256: this.playbook.sha256 },
        timelineCapped: store.timelineCapped,
        sources: engine.sources,
      };
      const sealed = await sealCase(store, manifest);
      const check = await verifyBundle(sealed.bundle);
      if (!check.ok) {
        throw new CliError(`the bundle ${sealed.bundle} did not verify after writing (${check.problems[0]}); the staged evidence is kept in ${store.dir}`);
      }
      if (!this.opts.keepDir) await fsp.rm(store.dir, { recursive: true, force: true });
      return {
        bundle: sealed.bundle,
        sha256: sealed.sha256,
        case: this.caseId,
        partial,
        findings,
        partialReasons,
        keptDir: this.opts.keepDir ? store.dir : null,
        interrupted: this.interrupted,
      };
    } finally {
      process.off('SIGINT', this.onSignal);
      process.off('SIGTERM', this.onSignal);
    }
  }
}
