// `ir-triage analyze` on a 1 GiB auth.log, beside the field report's pipeline
// (`grep "Failed password" | awk '{print $(NF-3)}' | sort | uniq -c | sort -nr`) and a bare `grep -c`.
//   BENCH_AUTH_BYTES   size of the generated log (default 1 GiB)
//   BENCH_RUNS         runs per command, the median is kept (default 3)
//   BENCH_QUICK=1      a 200 MB log, one run
// analyze runs with the fast path and its scanning threads (the default), on one thread
// (IR_TRIAGE_AUTH_WORKERS=0) and without the fast path (IR_TRIAGE_AUTH_FAST_PATH=off); all must
// print the same --json output, byte for byte, or the benchmark fails. The goal (docs/performance.md,
// "Auth logs") is printed beside the grep pipeline measured in the same run: wall time and CPU
// seconds (user + system of the process and its threads), and the load of the shared machine.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateAuthLog } from './auth-log-generate.mjs';
import { BIN, machine, median, writeSection } from './lib.mjs';

const QUICK = process.env.BENCH_QUICK === '1';
const SIZE = Number(process.env.BENCH_AUTH_BYTES ?? (QUICK ? 200e6 : 2 ** 30));
const RUNS = Number(process.env.BENCH_RUNS ?? (QUICK ? 1 : 3));
const FULL_ENV = { ...process.env, IR_TRIAGE_AUTH_FAST_PATH: 'off' };
const ONE_THREAD_ENV = { ...process.env, IR_TRIAGE_AUTH_WORKERS: '0' };
const SCAN_THREAD_ENV = { ...process.env, IR_TRIAGE_AUTH_WORKERS: '1' };
/** Goal 1 of the scale work: MB/s of wall time, the ratio to the grep pipeline, peak RSS. */
const GOAL = { mbps: 150, ratio: 2.5, rssMiB: 150 };
const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');
const dir = mkdtempSync(path.join(os.tmpdir(), 'irt-bench-auth-'));
const log = path.join(dir, 'auth.log');
const json = path.join(dir, 'analyze.json');
const q = (s) => `'${s.replaceAll("'", "'\\''")}'`;

try {
  const gen = await generateAuthLog(log, SIZE);
  const mb = statSync(log).size / 1e6;
  console.log(`generated ${log}: ${gen.lines} lines, ${mb.toFixed(0)} MB`);

  const loadBefore = load();
  const analyze = median([process.execPath, BIN, 'analyze', log], RUNS);
  const oneThread = median([process.execPath, BIN, 'analyze', log], RUNS, { env: ONE_THREAD_ENV });
  const scanThread = median([process.execPath, BIN, 'analyze', log], RUNS, { env: SCAN_THREAD_ENV });
  const full = median([process.execPath, BIN, 'analyze', log], RUNS, { env: FULL_ENV });
  // The same with V8's old space held to 128 MiB: it still finishes, so the heap does not grow with the log
  // (it levels off with the number of addresses: one bounded row each).
  const small = median([process.execPath, '--max-old-space-size=128', BIN, 'analyze', log], 1);
  if (small.status !== 0) throw new Error('analyze did not finish with a 128 MiB heap');
  const pipeline = median(['bash', '-c', `grep "Failed password" ${q(log)} | awk '{print $(NF-3)}' | sort | uniq -c | sort -nr`], RUNS);
  // Output to a file: GNU grep treats a stdout of /dev/null as -q and stops at the first match.
  const count = median(['bash', '-c', `grep -c "Failed password" ${q(log)} > ${q(path.join(dir, 'count.txt'))}`], RUNS);

  // What each one counts (not timed): analyze expands `message repeated N times`; the pipeline does not.
  median(['bash', '-c', `${q(process.execPath)} ${q(BIN)} analyze --json ${q(log)} > ${q(json)}`], 1);
  median(['bash', '-c', `${q(process.execPath)} ${q(BIN)} analyze --json ${q(log)} > ${q(json)}.full`], 1, { env: FULL_ENV });
  median(['bash', '-c', `${q(process.execPath)} ${q(BIN)} analyze --json ${q(log)} > ${q(json)}.one`], 1, { env: ONE_THREAD_ENV });
  median(['bash', '-c', `${q(process.execPath)} ${q(BIN)} analyze --json ${q(log)} > ${q(json)}.thread`], 1, { env: SCAN_THREAD_ENV });
  if (!readFileSync(json).equals(readFileSync(`${json}.full`))) throw new Error('analyze --json differs with the fast path off');
  if (!readFileSync(json).equals(readFileSync(`${json}.one`))) throw new Error('analyze --json differs on one thread');
  if (!readFileSync(json).equals(readFileSync(`${json}.thread`))) throw new Error('analyze --json differs with a scanning thread');
  const result = JSON.parse(readFileSync(json, 'utf8'));
  const failures = result.addresses.reduce((n, a) => n + a.failures, 0);
  const passwordFailures = result.addresses.reduce((n, a) => n + (a.failuresByMethod.password ?? 0), 0);
  const grepLines = Number(spawnSync('grep', ['-c', 'Failed password', log], { encoding: 'utf8' }).stdout.trim());

  const row = (what, m) => `| ${what} | ${m.wallS.toFixed(1)} | ${m.cpuS.toFixed(1)} | ${(mb / m.wallS).toFixed(1)} | ${(mb / m.cpuS).toFixed(1)} | ${m.rssMiB.toFixed(0)} |`;
  const wallMbps = mb / analyze.wallS;
  const ratio = analyze.wallS / pipeline.wallS;
  const verdict = (ok, text) => `${ok ? 'met' : 'missed'}: ${text}`;
  const goal = [
    `- ${verdict(wallMbps >= GOAL.mbps, `${wallMbps.toFixed(1)} MB/s of wall time against ${GOAL.mbps} (${(mb / analyze.cpuS).toFixed(1)} MB/s per CPU-second)${wallMbps < GOAL.mbps ? `, ${(GOAL.mbps / wallMbps).toFixed(1)}× short` : ''}`)}`,
    `- ${verdict(ratio <= GOAL.ratio, `${ratio.toFixed(1)}× the pipeline's wall time (${(mb / pipeline.wallS).toFixed(1)} MB/s in this run) against ${GOAL.ratio}×`)}`,
    `- ${verdict(analyze.rssMiB <= GOAL.rssMiB, `peak RSS ${analyze.rssMiB.toFixed(0)} MiB against ${GOAL.rssMiB} MiB`)}`,
    `- met: counts unchanged (the four ways of reading give the same --json, byte for byte; ${failures.toLocaleString('en')} failures against the pipeline's ${grepLines.toLocaleString('en')} lines)`,
  ].join('\n');
  writeSection(
    'Auth logs',
    `${machine()}; load average ${loadBefore} (1, 5, 15 min) at the start, ${load()} at the end (a shared machine: CPU seconds are the steadier figure). A generated auth.log of ${mb.toFixed(0)} MB, ${gen.lines.toLocaleString('en')} lines (\`bench/auth-log-generate.mjs\`: 70 % brute-force connections from 5,000 addresses with PAM lines and rsyslog's \`message repeated\`, scanners, cron and logind noise, accepted logins, sudo), read from the page cache. Median of ${RUNS} run(s); CPU is user + system of the process and its threads; peak RSS is GNU time's, the largest single process (for the pipeline: the biggest of grep, awk and sort).

The goal (≥ ${GOAL.mbps} MB/s, ≤ ${GOAL.ratio}× the pipeline, ≤ ${GOAL.rssMiB} MiB, the same counts), beside the pipeline measured in the same run:

${goal}

| what | wall (s) | CPU (s) | MB/s (wall) | MB/s (CPU) | peak RSS (MiB) |
|---|---:|---:|---:|---:|---:|
${row('`ir-triage analyze FILE` (every line parsed, the common shapes on the fast path: per-address tally, logins with the failures before them, the rules, tables; scanning threads only when a core is idle)', analyze)}
${row('the same with one scanning thread whatever the load (`IR_TRIAGE_AUTH_WORKERS=1`)', scanThread)}
${row('the same on one thread (`IR_TRIAGE_AUTH_WORKERS=0`)', oneThread)}
${row('the same with the fast path off (`IR_TRIAGE_AUTH_FAST_PATH=off`: every line through the full parser; the same --json output, checked)', full)}
${row('the same, with `node --max-old-space-size=128` (one run)', small)}
${row('the field report\'s `grep "Failed password" FILE \\| awk \'{print $(NF-3)}\' \\| sort \\| uniq -c \\| sort -nr`', pipeline)}
${row('`grep -c "Failed password" FILE` (its output to a file: GNU grep stops at the first match when stdout is /dev/null)', count)}

What they count: analyze finds ${failures.toLocaleString('en')} failed logins (${passwordFailures.toLocaleString('en')} by password) from ${result.addresses.length.toLocaleString('en')} addresses; \`grep -c\` sees ${grepLines.toLocaleString('en')} lines, because a \`message repeated N times\` line is one line that stands for N more attempts, which the pipeline counts once. No event is held: what stays alive is one bounded row per address and the open connections' state; the peak above that is garbage V8 lets grow before a full collection (it rises with the length of the run), as the heap-capped row shows.

Run: \`npm run bench -- auth-log\` (\`BENCH_AUTH_BYTES\`, \`BENCH_RUNS\` to change the size and the runs).`,
  );
  console.log(goal);
  console.log({ mb, analyze, scanThread, oneThread, full, pipeline, count, failures, grepLines });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
