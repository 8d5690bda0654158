import { COLLECTORS } from '../collectors/index.js';
import type { CollectContext, Collector } from '../collectors/types.js';
import type { FactKey, KnownFacts } from '../model/facts.js';
import type { DraftFinding } from '../model/finding.js';
import { sourceError, sourceOk, sourceSkipped, type SourceStatus } from '../model/source.js';
import { RULES } from '../rules/index.js';
import { missingNeeds, runRule, type Rule } from '../rules/types.js';
import { DERIVED, mergeFacts } from './facts-contract.js';
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

/** The units an engine runs: the shipped registries, or others in tests. */
export interface EngineRegistry {
  collectors: readonly Collector[];
  rules: readonly Rule[];
}

export interface EngineHooks {
  onStepStart?(step: PlaybookStep): void;
  onCollector?(collector: Collector, sources: SourceStatus[]): void;
  onStepEnd?(outcome: StepOutcome): void;
  /** The volatile collectors the playbook names (processes, sockets) have all run: the first snapshot of the live box is taken. */
  onSnapshot?(collectors: string[]): void;
}

/** The collectors that provide a fact, from the registry (`provides`). */
export function providersOf(key: FactKey, collectors: readonly Collector[] = COLLECTORS): Collector[] {
  return collectors.filter((c) => (c.provides as readonly FactKey[]).includes(key));
}

/**
 * Runs playbook steps against one host: collectors in the order their declarations ask (a
 * collector's `reads` run first: the providers the playbook names, or every provider when it
 * names none), each once per run; derived facts once, right after what they come from; then the
 * step's rules on the facts they need. Knows no terminal and writes nothing itself: evidence goes
 * to the sink.
 */
export class PlaybookEngine {
  readonly facts: KnownFacts = {};
  readonly sources: SourceStatus[] = [];
  private readonly ran = new Set<string>();
  private readonly derived = new Set<FactKey>();
  /** Collectors the playbook names, in its order. */
  private readonly named: string[];
  /** Background collectors (the box's own commands) started and not yet ended, by id. */
  private readonly pending = new Map<string, Promise<SourceStatus[]>>();
  /** Sources of collectors run before their step (the snapshot, the background ones), shown with that step. */
  private readonly early = new Map<string, SourceStatus[]>();
  private begun = false;

  constructor(
    readonly playbook: Playbook,
    private readonly ctx: Omit<CollectContext, 'facts'>,
    private readonly hooks: EngineHooks = {},
    private readonly registry: EngineRegistry = { collectors: COLLECTORS, rules: RULES },
  ) {
    this.named = [...new Set(playbook.data.steps.flatMap((s) => (s.kind === 'collect' ? s.collect : [])))];
  }

  get collectorsRun(): string[] {
    return [...this.ran];
  }

  private collector(id: string): Collector | undefined {
    return this.registry.collectors.find((c) => c.id === id);
  }

  /** The steps `collect` runs: every step that changes nothing. */
  readOnlySteps(): PlaybookStep[] {
    return this.playbook.data.steps.filter((s) => READ_ONLY_KINDS.has(s.kind));
  }

  /** The collectors to run before reading `key`: those the playbook names, else every provider. */
  private providersToRun(key: FactKey): Collector[] {
    const all = providersOf(key, this.registry.collectors);
    const named = all.filter((c) => this.named.includes(c.id));
    return named.length > 0 ? named : all;
  }

  /** Makes a fact available: runs its providers, or derives it. Returns the sources this produced. */
  private async ensureFact(key: FactKey, chain: string[]): Promise<SourceStatus[]> {
    if (DERIVED[key]) return this.derive(key, chain);
    const out: SourceStatus[] = [];
    for (const c of this.providersToRun(key)) out.push(...(await this.runCollector(c.id, chain)));
    return out;
  }

  /** Derives a fact once: its inputs' collectors that the playbook names run first. */
  private async derive(key: FactKey, chain: string[]): Promise<SourceStatus[]> {
    const def = DERIVED[key];
    if (!def || this.derived.has(key)) return [];
    const out: SourceStatus[] = [];
    for (const input of def.from) {
      for (const c of providersOf(input, this.registry.collectors).filter((p) => this.named.includes(p.id))) out.push(...(await this.runCollector(c.id, chain)));
    }
    if (this.derived.has(key)) return out;
    this.derived.add(key);
    const value = def.derive({ facts: this.facts, since: this.ctx.options.since, now: this.ctx.host.now() });
    (this.facts as Record<FactKey, unknown>)[key] = value;
    const source = sourceOk(`incident-${String(key)}`, undefined, (def.describe as (v: unknown) => string)(value));
    this.sources.push(source);
    return [...out, source];
  }

  /** Derived facts whose inputs the playbook collects, once the last of those collectors has run. */
  private async deriveReady(): Promise<SourceStatus[]> {
    const out: SourceStatus[] = [];
    for (const key of Object.keys(DERIVED) as FactKey[]) {
      if (this.derived.has(key)) continue;
      const inputs = DERIVED[key]!.from.flatMap((k) => providersOf(k, this.registry.collectors)).filter((c) => this.named.includes(c.id));
      if (inputs.length > 0 && inputs.every((c) => this.ran.has(c.id))) out.push(...(await this.derive(key, [])));
    }
    return out;
  }

  /**
   * The start of the run, before its first step: the background collectors the playbook names
   * (the box's own ps, ss, lsof, who…: child processes) are started, then the volatile ones (the
   * processes and sockets of /proc, what changes first on a live box: RFC 3227's order of
   * volatility) run with what they read, whatever step names them. Their sources are shown with
   * their steps.
   */
  private async begin(): Promise<void> {
    if (this.begun) return;
    this.begun = true;
    const named = this.named.map((id) => this.collector(id)).filter((c): c is Collector => c !== undefined);
    // Those that read nothing start first: the box's own commands, beside everything else.
    this.startReadyBackground();
    const volatile = named.filter((c) => c.volatile);
    for (const c of volatile) {
      const done = new Set(this.ran);
      await this.runCollector(c.id);
      for (const id of this.ran) if (!done.has(id) && !this.pending.has(id)) this.early.set(id, this.ownSources.get(id) ?? []);
    }
    // Offline (--root) there is no live box: nothing was taken, nothing to record.
    if (volatile.length > 0 && !this.ctx.host.signal.aborted && this.ctx.host.mode === 'live') this.hooks.onSnapshot?.(volatile.map((c) => c.id));
    // Background collectors that read only what the snapshot gave start now, beside the steps.
    this.startReadyBackground();
  }

  /**
   * Starts the background collectors the playbook names whose reads are all there (none, collected
   * by collectors that have ended, or derived): at the start, after the snapshot and after each
   * collector. One started after Ctrl-C records that it did not run, as any other.
   */
  private startReadyBackground(): void {
    const ready = (key: FactKey) => (DERIVED[key] ? this.derived.has(key) : this.providersToRun(key).every((p) => this.ran.has(p.id) && !this.pending.has(p.id)));
    for (const id of this.named) {
      const c = this.collector(id);
      if (c?.background && !this.ran.has(c.id) && c.reads.every(ready)) this.startBackground(c);
    }
  }

  /** Runs a background collector beside the others; whoever reads its facts waits for it. */
  private startBackground(collector: Collector): void {
    this.ran.add(collector.id);
    const run = this.execute(collector).then((sources) => {
      this.early.set(collector.id, sources);
      this.pending.delete(collector.id);
      // Its facts may be what another one waited for.
      this.startReadyBackground();
      return sources;
    });
    this.pending.set(collector.id, run);
  }

  /** Each collector's own sources, for the step that names it. */
  private readonly ownSources = new Map<string, SourceStatus[]>();

  /** Runs one collector (its reads are there): merges its facts, records its sources. Never throws for the collector's own failure. */
  private async execute(collector: Collector): Promise<SourceStatus[]> {
    const id = collector.id;
    let sources: SourceStatus[];
    if (this.ctx.host.signal.aborted) {
      sources = [sourceSkipped(id, 'interrupted before it ran')];
    } else if (collector.liveOnly && this.ctx.host.mode !== 'live') {
      sources = [sourceSkipped(id, 'offline (--root): this source exists only on the running system')];
    } else {
      try {
        const result = await collector.collect({ ...this.ctx, facts: this.facts });
        this.mergeFrom(collector, result.facts);
        sources = result.sources;
      } catch (err) {
        // A collector bug must not lose the rest of the run: it becomes an error in the manifest.
        sources = [sourceError(id, `collector failed: ${(err as Error).message}`)];
      }
    }
    this.sources.push(...sources);
    this.ownSources.set(id, sources);
    this.hooks.onCollector?.(collector, sources);
    return sources;
  }

  private async runCollector(id: string, chain: string[] = []): Promise<SourceStatus[]> {
    if (this.ran.has(id)) {
      // Started in the background: its facts are there once it has ended.
      await this.pending.get(id);
      return [];
    }
    const collector = this.collector(id);
    if (!collector) throw new Error(`unknown collector ${id}`);
    if (chain.includes(id)) throw new Error(`collector dependency cycle: ${[...chain, id].join(' → ')}`);
    const before: SourceStatus[] = [];
    for (const key of collector.reads) before.push(...(await this.ensureFact(key, [...chain, id])));
    if (this.ran.has(id)) {
      // Started in the background once its reads were there (by the collectors just run): its
      // sources are this run's, as if it had run here.
      await this.pending.get(id);
      const early = this.early.get(id) ?? [];
      this.early.delete(id);
      return [...before, ...early];
    }
    this.ran.add(id);
    const sources = await this.execute(collector);
    const derived = await this.deriveReady();
    this.startReadyBackground();
    return [...before, ...sources, ...derived];
  }

  /** Merges a collector's facts, refusing keys it does not declare (a contract bug, not a box problem). */
  private mergeFrom(collector: Collector, facts: KnownFacts | undefined): void {
    if (!facts) return;
    const undeclared = (Object.keys(facts) as FactKey[]).filter((k) => !(collector.provides as readonly FactKey[]).includes(k));
    if (undeclared.length > 0) throw new Error(`collector ${collector.id} returned facts it does not provide: ${undeclared.join(', ')}`);
    mergeFacts(this.facts, facts);
  }

  /** Lets the collectors that ran gather more evidence about what this step flagged. */
  private async followUp(outcome: StepOutcome): Promise<void> {
    if (outcome.findings.length === 0 || this.ctx.host.signal.aborted) return;
    for (const id of this.ran) {
      const collector = this.collector(id)!;
      if (!collector.followUp) continue;
      try {
        const r = await collector.followUp({ ...this.ctx, facts: this.facts }, outcome.findings);
        this.mergeFrom(collector, r.facts);
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
    // Background commands of steps that did not run (a guided run cut short) end first.
    await Promise.all(this.pending.values());
    for (const id of this.ran) {
      const collector = this.collector(id)!;
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
      await this.begin();
      for (const id of step.collect) {
        await this.pending.get(id);
        const early = this.early.get(id);
        this.early.delete(id);
        outcome.sources.push(...(early ?? (await this.runCollector(id))));
        outcome.collectors.push(id);
      }
    }
    if (step.kind === 'collect' || step.kind === 'detect') {
      for (const ruleId of step.rules) {
        const rule = this.registry.rules.find((r) => r.id === ruleId);
        if (!rule) throw new Error(`unknown rule ${ruleId}`);
        for (const key of rule.needs) if (DERIVED[key]) outcome.sources.push(...(await this.derive(key, [])));
        const missing = missingNeeds(rule, this.facts);
        if (missing.length > 0) {
          outcome.rulesSkipped.push({ rule: ruleId, reason: `no ${missing.join(', ')} collected` });
          continue;
        }
        outcome.findings.push(...runRule(rule, this.facts, this.playbook.thresholds[ruleId] ?? rule.thresholds));
      }
      await this.followUp(outcome);
    }
    this.hooks.onStepEnd?.(outcome);
    return outcome;
  }
}
