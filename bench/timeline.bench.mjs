// The timeline: millions of events spilled to sorted runs and merged into timeline.csv and
// artifacts/timeline.jsonl (bench/timeline-write.mjs, through the built case store), beside the
// same events held in memory until the end; and a whole `collect --root` over a generated
// auth.log, where every auth event becomes a timeline row.
//   BENCH_TIMELINE_EVENTS   event counts, comma-separated (default 1000000,3000000)
//   BENCH_TIMELINE_LOG_BYTES  size of the generated auth.log for the collect row (default 64 MiB; 0 to skip)
//   BENCH_RUNS              runs per row, the median is kept (default 1)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateAuthLog } from './auth-log-generate.mjs';
import { BIN, machine, writeSection } from './lib.mjs';

/**
 * GNU time's wall seconds, CPU seconds (user + system) and peak RSS of a command: on a shared
 * machine the CPU time says more than the wall time about the work done.
 */
function measure(argv) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', ...argv], { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'ignore', 'pipe'] });
  const [wallS, user, sys, rssKb] = (r.stderr.trim().split('\n').at(-1) ?? '').split(' ').map(Number);
  if (!Number.isFinite(wallS)) throw new Error(`could not measure ${argv.join(' ')}: ${r.stderr}`);
  return { wallS, cpuS: user + sys, rssMiB: rssKb / 1024, status: r.status };
}

function median(next, runs) {
  const all = Array.from({ length: runs }, () => measure(typeof next === 'function' ? next() : next)).sort((a, b) => a.wallS - b.wallS);
  return all[Math.floor(all.length / 2)];
}

const COUNTS = (process.env.BENCH_TIMELINE_EVENTS ?? '1000000,3000000').split(',').map(Number);
const LOG_BYTES = Number(process.env.BENCH_TIMELINE_LOG_BYTES ?? 64 * 2 ** 20);
const RUNS = Number(process.env.BENCH_RUNS ?? 1);
const WRITER = path.join(import.meta.dirname, 'timeline-write.mjs');
const fmt = (n) => n.toLocaleString('en');

const rows = [];
const notes = [];
for (const n of COUNTS) {
  const m = median([process.execPath, WRITER, String(n)], RUNS);
  if (m.status !== 0) throw new Error(`timeline-write ${n} failed`);
  rows.push([`${fmt(n)} events, spilled to sorted runs and merged`, m]);
}
// Bounded: the largest count again with V8's old space held to 160 MiB (it must still finish),
// and the comparison, every event in memory until the end (what a timeline without spilling costs).
const largest = Math.max(...COUNTS);
const small = median([process.execPath, '--max-old-space-size=160', WRITER, String(largest)], 1);
if (small.status !== 0) throw new Error('the timeline did not fit a 160 MiB heap');
rows.push([`${fmt(largest)} events, spilled and merged, with \`node --max-old-space-size=160\` (one run)`, small]);
const inMemory = median([process.execPath, WRITER, String(largest), '--in-memory'], 1);
rows.push([`${fmt(largest)} events held in memory until the end (no spill; one run)`, inMemory]);

let collectRow = '';
if (LOG_BYTES > 0) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'irt-bench-tl-'));
  try {
    const root = path.join(dir, 'root');
    mkdirSync(path.join(root, 'var/log'), { recursive: true });
    mkdirSync(path.join(root, 'etc'), { recursive: true });
    writeFileSync(path.join(root, 'etc/timezone'), 'Etc/UTC\n');
    const gen = await generateAuthLog(path.join(root, 'var/log/auth.log'), LOG_BYTES, { style: 'rfc3339' });
    const mb = statSync(path.join(root, 'var/log/auth.log')).size / 1e6;
    let k = 0;
    const out = path.join(dir, 'out');
    const m = median(() => [process.execPath, BIN, 'collect', '--root', root, '--out', out, '--case', `TL-${++k}`, '--keep-dir'], RUNS);
    const manifest = JSON.parse(readFileSync(path.join(out, `TL-${k}`, 'manifest.json'), 'utf8'));
    const csvMb = statSync(path.join(out, `TL-${k}`, 'timeline.csv')).size / 1e6;
    collectRow = `| \`ir-triage collect --root\` over a generated auth.log of ${mb.toFixed(0)} MB (${fmt(gen.lines)} lines): ${fmt(manifest.timeline.events)} timeline rows, timeline.csv ${csvMb.toFixed(0)} MB; the whole collection, bundle included | ${m.wallS.toFixed(1)} | ${m.cpuS.toFixed(1)} | ${m.rssMiB.toFixed(0)} |`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const table = [
  '| what | wall (s) | CPU (s) | peak RSS (MiB) |',
  '|---|---:|---:|---:|',
  ...rows.map(([what, m]) => `| ${what} | ${m.wallS.toFixed(1)} | ${m.cpuS.toFixed(1)} | ${m.rssMiB.toFixed(0)} |`),
  ...(collectRow ? [collectRow] : []),
].join('\n');
notes.push(`Load average ${os.loadavg()[0].toFixed(1)} at the end of the run (a shared machine: compare the rows of one run).`);

writeSection(
  'Timeline',
  `${machine()}; median of ${RUNS} run(s) per row; wall and CPU (user + system) time and peak RSS are GNU time's. Synthetic events (\`bench/timeline-write.mjs\`): failed-login rows with random times over a year, arriving in batches of 1,000 as a collector hands them over, written through the built case store into timeline.csv and artifacts/timeline.jsonl (both hashed as they are written).

${table}

Events are buffered 10,000 at a time (or 4 MiB estimated), each full buffer sorted and written to a run file in the staging folder (\`<case>/.timeline-runs/\`, never in the bundle), and the runs merged at the end with a heap, 64 files at a time at most. Memory is one buffer plus one read chunk per run, whatever the number of events; held in memory instead, it grows with every event. ${notes.join(' ')}

Run: \`npm run bench -- timeline\` (\`BENCH_TIMELINE_EVENTS\`, \`BENCH_TIMELINE_LOG_BYTES\`, \`BENCH_RUNS\`).`,
);
console.log(table);
