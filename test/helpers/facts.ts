import type { CollectContext, Collector } from '../../src/collectors/types.js';
import type { FactKey, KnownFacts } from '../../src/model/facts.js';
import type { SourceStatus } from '../../src/model/source.js';
import { DERIVED, mergeFacts } from '../../src/playbooks/facts-contract.js';

/**
 * Runs collectors in the given order as the engine does: a derived fact a collector reads is
 * derived first (from what is there), and what each returns is merged (accumulated keys added to).
 */
export async function collectFacts(collectors: readonly Collector[], base: Omit<CollectContext, 'facts'>, facts: KnownFacts = {}): Promise<{ facts: KnownFacts; sources: SourceStatus[] }> {
  const sources: SourceStatus[] = [];
  for (const c of collectors) {
    for (const key of c.reads as readonly FactKey[]) {
      const def = DERIVED[key];
      if (def && facts[key] === undefined) (facts as Record<FactKey, unknown>)[key] = def.derive({ facts, since: base.options.since, now: base.host.now() });
    }
    const r = await c.collect({ ...base, facts });
    mergeFacts(facts, r.facts ?? {});
    sources.push(...r.sources);
  }
  return { facts, sources };
}
