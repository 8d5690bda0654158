// Writes a timeline of N events through the case store, as a collection does: events arrive in
// batches of 1,000 out of time order (a collector reads one log after another), are spilled to
// sorted runs, and are merged into timeline.csv and artifacts/timeline.jsonl. Run under GNU time
// by timeline.bench.mjs.
//
//   node bench/timeline-write.mjs N [--in-memory]
//
// --in-memory keeps every event in memory until the end (one run, no spill): the comparison.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CaseStore } from '../dist/evidence/store.js';
import { TimelineSpool } from '../dist/evidence/timeline-sort.js';

const n = Number(process.argv[2] ?? 1_000_000);
const inMemory = process.argv.includes('--in-memory');
const out = mkdtempSync(path.join(os.tmpdir(), 'irt-bench-timeline-'));
try {
  const store = await CaseStore.create(out, 'BENCH');
  if (inMemory) Object.assign(store, { timelineSpool: new TimelineSpool(path.join(store.dir, '.timeline-runs'), { runEvents: Infinity, runBytes: Infinity }) });
  let s = 1;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const start = Date.UTC(2025, 0, 1);
  const year = 365 * 24 * 3600 * 1000;
  for (let i = 0; i < n; i += 1000) {
    const batch = [];
    for (let k = i; k < Math.min(n, i + 1000); k++) {
      const ip = `198.51.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}`;
      batch.push({
        datetime: new Date(start + Math.floor(rand() * year)).toISOString(),
        message: `sshd[${10000 + (k % 50000)}]: Failed password for invalid user admin from ${ip} port ${30000 + (k % 30000)} ssh2 [/var/log/auth.log:${k + 1}]`,
        timestamp_desc: 'Auth: failed login',
        source: 'auth-log',
        user: 'admin',
        ip,
        pid: 10000 + (k % 50000),
        path: '/var/log/auth.log',
      });
    }
    store.timeline(batch);
  }
  const t0 = Date.now();
  const summary = await store.writeTimeline('bench');
  const mergeS = (Date.now() - t0) / 1000;
  const csvBytes = statSync(path.join(store.dir, 'timeline.csv')).size;
  process.stdout.write(JSON.stringify({ ...summary, mergeS, csvBytes }) + '\n');
} finally {
  rmSync(out, { recursive: true, force: true });
}
