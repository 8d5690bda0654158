import { findCollector } from '../collectors/index.js';
import type { CollectContext, Collector } from '../collectors/types.js';
import type { DraftFinding } from '../model/finding.js';
import type { Facts } from '../model/facts.js';
import { sourceError, sourceSkipped, type SourceStatus } from '../model/source.js';
import { findRule } from '../rules/index.js';
import type { Playbook } from './loader.js';
import { READ_ONLY_KINDS, type PlaybookStep } from './schema.js';

export interface StepOutcome {
  step: PlaybookStep;
  collectors: string[];
  sources: SourceStatus[];
  findings: DraftFinding[];
  /** Rules that could not run, with why. */
  rulesSkipped: Array<{ rule: string; reason: string }>;
}

export interface EngineHooks {
  onStepStart?(step: PlaybookStep): void;
  onCollector?(collector: Collector, sources: SourceStatus[]): void;
  onStepEnd?(outcome: StepOutcome): void;
}

/**
 * Runs playbook steps against one host: collectors in dependency order (each once per run), then
 * the step's rules. Knows no terminal and writes nothing itself: evidence goes to the sink.
 */
export class PlaybookEngine {
  readonly facts: Facts = {};
  readonly sources: SourceStatus[] = [];
  private readonly ran = new Set<string>();

  constructor(
    readonly playbook: Playbook,
    private readonly ctx: Omit<CollectContext, 'facts'>,
    private readonly hooks: EngineHooks = {},
  ) {}

  get collectorsRun(): string[] {
    return [...this.ran];
  }

  /** The steps `collect` runs: every step that changes nothing. */
  readOnlySteps(): PlaybookStep[] {
    return this.playbook.data.steps.filter((s) => READ_ONLY_KINDS.has(s.kind));
  }

  private async runCollector(id: string, chain: string[] = []): Promise<SourceStatus[]> {
    if (this.ran.has(id)) return [];
    const collector = findCollector(id);
    if (!collector) throw new Error(`unknown collector ${id}`);
    if (chain.includes(id)) throw new Error(`collector dependency cycle: ${[...chain, id].join(' → ')}`);
    const before: SourceStatus[] = [];
    for (const dep of collector.after ?? []) before.push(...(await this.runCollector(dep, [...chain, id])));
    this.ran.add(id);
    let sources: SourceStatus[];
    if (this.ctx.host.signal.aborted) {
      sources = [sourceSkipped(id, 'interrupted before it ran')];
    } else if (collector.liveOnly && this.ctx.host.mode !== 'live') {
      sources = [sourceSkipped(id, 'offline (--root): this source exists only on the running system')];
    } else {
      try {
        const result = await collector.collect({ ...this.ctx, facts: this.facts });
        Object.assign(this.facts, result.facts ?? {});
        sources = result.sources;
      } catch (err) {
        // A collector bug must not lose the rest of the run: it becomes an error in the manifest.
        sources = [sourceError(id, `collector failed: ${(err as Error).message}`)];
      }
    }
    this.sources.push(...sources);
    this.hooks.onCollector?.(collector, sources);
    return [...before, ...sources];
  }

  /** Lets the collectors that ran gather more evidence about what this step flagged. */
  private async followUp(outcome: StepOutcome): Promise<void> {
    if (outcome.findings.length === 0 || this.ctx.host.signal.aborted) return;
    for (const id of this.ran) {
      const collector = findCollector(id)!;
      if (!collector.followUp) continue;
      try {
        const r = await collector.followUp({ ...this.ctx, facts: this.facts }, outcome.findings);
        this.sources.push(...r.sources);
        outcome.sources.push(...r.sources);
        for (const f of outcome.findings) {
          const extra = typeof f.subject.pid === 'number' ? r.evidenceByPid.get(f.subject.pid) : undefined;
          if (extra) f.evidence = [...new Set([...f.evidence, ...extra])];
        }
      } catch (err) {
        this.sources.push(sourceError(`${id}.follow-up`, `follow-up failed: ${(err as Error).message}`));
      }
    }
  }

  /** Closes every collector that ran; their last sources join the table. */
  async finish(): Promise<void> {
    for (const id of this.ran) {
      const collector = findCollector(id)!;
      if (!collector.finish) continue;
      try {
        this.sources.push(...(await collector.finish({ ...this.ctx, facts: this.facts })));
      } catch (err) {
        this.sources.push(sourceError(`${id}.finish`, (err as Error).message));
      }
    }
  }

  async runStep(step: PlaybookStep): Promise<StepOutcome> {
    this.hooks.onStepStart?.(step);
    const outcome: StepOutcome = { step, collectors: [], sources: [], findings: [], rulesSkipped: [] };
    if (step.kind === 'collect') {
      for (const id of step.collect) {
        outcome.sources.push(...(await this.runCollector(id)));
        outcome.collectors.push(id);
      }
    }
    if (step.kind === 'collect' || step.kind === 'detect') {
      for (const ruleId of step.rules) {
        const rule = findRule(ruleId)!;
        const missing = rule.needs.filter((k) => this.facts[k] === undefined);
        if (missing.length > 0) {
          outcome.rulesSkipped.push({ rule: ruleId, reason: `no ${missing.join(', ')} collected` });
          continue;
        }
        outcome.findings.push(...rule.detect(this.facts, this.playbook.thresholds[ruleId] ?? rule.thresholds));
      }
      await this.followUp(outcome);
    }
    this.hooks.onStepEnd?.(outcome);
    return outcome;
  }
}
