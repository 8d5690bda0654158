// The connections collector alone, from the built dist/: the processes collector and the box's
// ss -tanp run first (untimed), then connections.collect is timed on its own, `runs` times, each
// into a throwaway case folder. Prints JSON; bench/network-sockets.bench.mjs runs it.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { boxNetworkCollector } from '../dist/collectors/box-tools/box-network.js';
import { connectionsCollector } from '../dist/collectors/network/connections.js';
import { processesCollector } from '../dist/collectors/processes/processes.js';
import { CaseStore } from '../dist/evidence/store.js';
import { createHostContext } from '../dist/host/context.js';

const runs = Number(process.argv[2] ?? 3);
const out = mkdtempSync(path.join(os.tmpdir(), 'irt-bench-conn-'));
try {
  const host = createHostContext();
  const options = { sshPorts: [], maxFileBytes: 64 << 20, maxCommandBytes: 64 << 20, commandTimeoutMs: 30_000, toolLists: { names: [], hashes: [] } };
  const facts = {};
  const prep = { host, sink: await CaseStore.create(out, 'prep'), facts, options };
  Object.assign(facts, (await processesCollector.collect(prep)).facts);
  Object.assign(facts, (await boxNetworkCollector.collect(prep)).facts);
  const ms = [];
  let detail = null;
  for (let i = 0; i < runs; i++) {
    const sink = await CaseStore.create(out, `run${i}`);
    const t0 = performance.now();
    const r = await connectionsCollector.collect({ host, sink, facts, options });
    ms.push(performance.now() - t0);
    detail = r.sources.find((s) => s.id === 'connections')?.detail ?? null;
  }
  ms.sort((a, b) => a - b);
  process.stdout.write(JSON.stringify({ medianMs: ms[Math.floor(ms.length / 2)], ms, detail, maxRssMiB: process.resourceUsage().maxRSS / 1024 }) + '\n');
} finally {
  rmSync(out, { recursive: true, force: true });
}
