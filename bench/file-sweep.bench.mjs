// The file sweep on a fake root of 200 000 files (collect --root): /tmp, /dev/shm, a home and /etc
// spread over nested folders, a tenth of them executable, all inside the window (just written).
// Goal: at most 3 s and bounded memory.
//
// The machine is shared: besides wall time, each run's CPU seconds (user + system, all threads)
// and the load average are printed and written, and the sweep alone is measured in process (its
// CPU on the main thread and in all, so the share the walk's worker thread takes is seen).
// SWEEP_FILES=N for another size, SWEEP_RUNS=N for another number of runs (5).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, REPO, machine, measure, writeSection } from './lib.mjs';

const GOAL_S = 3;

if (process.argv[2] === '--in-process') {
  await inProcess(process.argv[3]);
  process.exit(0);
}

const FILES = Number(process.env.SWEEP_FILES ?? 200_000);
const RUNS = Number(process.env.SWEEP_RUNS ?? 5);
const base = mkdtempSync(path.join(os.tmpdir(), 'irt-bench-sweep-'));
const root = path.join(base, 'root');
const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');
try {
  mkdirSync(path.join(root, 'etc'), { recursive: true });
  writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n');
  const places = ['tmp', 'dev/shm', 'home/alice', 'etc', 'var/tmp'];
  for (let i = 0; i < FILES; i++) {
    const dir = path.join(root, places[i % places.length], `d${Math.floor(i / 1000)}`, `e${i % 10}`);
    if (i % 1000 < 10) mkdirSync(dir, { recursive: true });
    const f = path.join(dir, `f${i}`);
    writeFileSync(f, i % 10 === 0 ? '#!/bin/sh\necho hi\n' : 'data\n');
    if (i % 10 === 0) chmodSync(f, 0o755);
  }
  const out = path.join(base, 'out');
  mkdirSync(out);
  const loadBefore = load();
  const runs = [];
  for (let n = 0; n < RUNS; n++) {
    const r = measure(['node', BIN, 'collect', '--root', root, '--playbook', path.join(REPO, 'bench/file-sweep-only.yaml'), '--out', out, '--case', `s${n}`]);
    console.log(`  run ${n + 1}: wall ${r.wallS.toFixed(2)} s, CPU ${r.cpuS.toFixed(2)} s, peak ${r.rssMiB.toFixed(0)} MiB (load ${load()})`);
    runs.push(r);
  }
  const loadAfter = load();
  const by = (k) => runs.map((r) => r[k]).sort((a, b) => a - b);
  const med = (k) => by(k)[Math.floor(RUNS / 2)];
  const wall = { med: med('wallS'), min: by('wallS')[0] };
  const cpu = med('cpuS');
  const rss = by('rssMiB').at(-1);
  const alone = JSON.parse(spawnSync(process.execPath, [import.meta.filename, '--in-process', root], { encoding: 'utf8', maxBuffer: 1 << 24 }).stdout.trim().split('\n').at(-1));
  console.log(`${FILES} files, whole collect: wall ${wall.med.toFixed(2)} s median, ${wall.min.toFixed(2)} s best (goal ≤ ${GOAL_S} s: ${wall.med <= GOAL_S ? 'met' : wall.min <= GOAL_S ? 'met by the best run only' : 'not met'}); CPU ${cpu.toFixed(2)} s; peak ${rss.toFixed(0)} MiB; load ${loadBefore} → ${loadAfter}`);
  console.log(`the sweep alone (in process, median of 3): wall ${alone.wallS.toFixed(2)} s, CPU ${alone.cpuS.toFixed(2)} s of which ${alone.mainS.toFixed(2)} s on the main thread`);
  writeSection(
    'The file sweep',
    `\`bench/file-sweep.bench.mjs\`: \`collect --root\` with only the file-sweep step on a fake root of ${FILES} files in /tmp, /dev/shm, /var/tmp, a home and /etc (a tenth executable scripts, all inside the window, so 50 000 are recorded up to the cap, read for their first bytes and hashed when executable, and the rest counted; the bundle then holds about 37 MB of records, bodyfile and timeline to compress). ${RUNS} runs on ${machine()}; load average ${loadBefore} before, ${loadAfter} after.

| files | wall (median) | wall (best) | goal | CPU, user + system (median) | peak memory (largest) |
|---|---|---|---|---|---|
| ${FILES} | ${wall.med.toFixed(2)} s | ${wall.min.toFixed(2)} s | ≤ ${GOAL_S} s | ${cpu.toFixed(2)} s | ${rss.toFixed(0)} MiB |

The sweep alone (the collector's function in process, without the CLI's start and the bundle; median of 3): wall ${alone.wallS.toFixed(2)} s, CPU ${alone.cpuS.toFixed(2)} s, of which ${alone.mainS.toFixed(2)} s on the main thread (the rest is the walk's worker thread, the garbage collector and the thread pool).
`,
  );
} finally {
  rmSync(base, { recursive: true, force: true });
}

/** The sweep function alone on `root`, three times: wall, CPU of the process and of its main thread (from /proc). Prints one JSON line (the median run by wall). */
async function inProcess(root) {
  const dist = path.join(REPO, 'dist');
  const { sweep, DEFAULT_SWEEP_LIMITS } = await import(path.join(dist, 'collectors/file-sweep/file-sweep.js'));
  const { CaseStore } = await import(path.join(dist, 'evidence/store.js'));
  const { createHostContext } = await import(path.join(dist, 'host/context.js'));
  const mainThread = () => {
    const f = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in clock ticks of 1/100 s
  };
  const options = { sshPorts: [], maxFileBytes: 1 << 20, maxCommandBytes: 1 << 20, commandTimeoutMs: 10_000, toolLists: { names: [], hashes: [] } };
  const window = { start: new Date(Date.now() - 30 * 86_400_000).toISOString(), end: new Date().toISOString(), source: 'since', reason: 'bench' };
  const all = [];
  for (let n = 0; n < 3; n++) {
    const out = mkdtempSync(path.join(os.tmpdir(), 'irt-bench-sweep-out-'));
    try {
      const sink = await CaseStore.create(out, 'C');
      const host = createHostContext({ root });
      const m0 = mainThread();
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await sweep({ host, sink, options, facts: { window } }, DEFAULT_SWEEP_LIMITS);
      const c = process.cpuUsage(c0);
      all.push({ wallS: (performance.now() - t0) / 1000, cpuS: (c.user + c.system) / 1e6, mainS: mainThread() - m0 });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
  all.sort((a, b) => a.wallS - b.wallS);
  console.log(JSON.stringify(all[1]));
}
