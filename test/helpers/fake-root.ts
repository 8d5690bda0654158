/**
 * Fake roots made in a test's own temporary folder, and collectors run on them as `collect --root`
 * would (through the host door, the case's own store as the sink).
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Collector, CollectOptions } from '../../src/collectors/types.js';
import { CaseStore } from '../../src/evidence/store.js';
import { createHostContext } from '../../src/host/context.js';
import type { KnownFacts } from '../../src/model/facts.js';
import type { SourceStatus } from '../../src/model/source.js';
import { tmpDir } from './bundle.js';
import { collectFacts } from './facts.js';

/** Collect options with small caps; `maxFileBytes` raised by the tests that read large files. */
export function fakeRootOptions(overrides: Partial<CollectOptions> = {}): CollectOptions {
  return { sshPorts: [], maxFileBytes: 1 << 20, maxCommandBytes: 1 << 20, commandTimeoutMs: 10_000, toolLists: { names: [], hashes: [] }, ...overrides };
}

/** Writes `rel` (a path inside the root, without the leading /) with its folders. */
export function put(root: string, rel: string, content: string | Buffer): void {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  writeFileSync(path.join(root, rel), content);
}

/** A symbolic link at `rel` holding `target` as written, with its folders. */
export function link(root: string, rel: string, target: string): void {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  symlinkSync(target, path.join(root, rel));
}

/** A new empty root (a temporary folder of this test file), with `files` written into it. */
export function fakeRoot(prefix: string, files: Record<string, string | Buffer> = {}): string {
  const root = tmpDir(prefix);
  for (const [rel, content] of Object.entries(files)) put(root, rel, content);
  return root;
}

/** Runs `collectors` in order on the root, offline, into a fresh case store. */
export async function collectOn(
  root: string,
  collectors: readonly Collector[],
  facts: KnownFacts = {},
  options: CollectOptions = fakeRootOptions(),
): Promise<{ facts: KnownFacts; sources: SourceStatus[]; store: CaseStore }> {
  const store = await CaseStore.create(tmpDir('irt-fake-root-out-'), 'C');
  const r = await collectFacts(collectors, { host: createHostContext({ root }), sink: store, options }, facts);
  return { ...r, store };
}
