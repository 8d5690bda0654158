// `ir-triage analyze` on a 1 GiB auth.log, beside the field report's pipeline
// (`grep "Failed password" | awk '{print $(NF-3)}' | sort | uniq -c | sort -nr`) and a bare `grep -c`.
//   BENCH_AUTH_BYTES   size of the generated log (default 1 GiB)
//   BENCH_RUNS         runs per command, the median is kept (default 3)
//   BENCH_QUICK=1      a 200 MB log, one run
// analyze runs with the fast path (the default) and without it (IR_TRIAGE_AUTH_FAST_PATH=off);
// both must print the same --json output, byte for byte, or the benchmark fails.
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
const dir = mkdtempSync(path.join(os.tmpdir(), 'irt-bench-auth-'));
const log = path.join(dir, 'auth.log');
const json = path.join(dir, 'analyze.json');
const q = (s) => `'${s.replaceAll("'", "'\\''")}'`;

try {
  const gen = await generateAuthLog(log, SIZE);
  const mb = statSync(log).size / 1e6;
  console.log(`generated ${log}: ${gen.lines} lines, ${mb.toFixed(0)} MB`);

  const analyze = median([process.execPath, BIN, 'analyze', log], RUNS);
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
  if (!readFileSync(json).equals(readFileSync(`${json}.full`))) throw new Error('analyze --json differs with the fast path off');
  const result = JSON.parse(readFileSync(json, 'utf8'));
  const failures = result.addresses.reduce((n, a) => n + a.failures, 0);
  const passwordFailures = result.addresses.reduce((n, a) => n + (a.failuresByMethod.password ?? 0), 0);
  const grepLines = Number(spawnSync('grep', ['-c', 'Failed password', log], { encoding: 'utf8' }).stdout.trim());

  const row = (what, m) => `| ${what} | ${m.wallS.toFixed(1)} | ${m.cpuS.toFixed(1)} | ${(mb / m.wallS).toFixed(1)} | ${(mb / m.cpuS).toFixed(1)} | ${m.rssMiB.toFixed(0)} |`;
  writeSection(
    'Auth logs',
    `${machine()}; a generated auth.log of ${mb.toFixed(0)} MB, ${gen.lines.toLocaleString('en')} lines (\`bench/auth-log-generate.mjs\`: 70 % brute-force connections from 5,000 addresses with PAM lines and rsyslog's \`message repeated\`, scanners, cron and logind noise, accepted logins, sudo), read from the page cache. Median of ${RUNS} run(s); peak RSS is GNU time's, the largest single process (for the pipeline: the biggest of grep, awk and sort).

| what | wall (s) | CPU (s) | MB/s (wall) | MB/s (CPU) | peak RSS (MiB) |
|---|---:|---:|---:|---:|---:|
${row('`ir-triage analyze FILE` (every line parsed, the common shapes on the fast path: per-address tally, logins with the failures before them, the rules, tables)', analyze)}
${row('the same with the fast path off (`IR_TRIAGE_AUTH_FAST_PATH=off`: every line through the full parser; the same --json output, checked)', full)}
${row('the same, with `node --max-old-space-size=128` (one run)', small)}
${row('the field report\'s `grep "Failed password" FILE \\| awk \'{print $(NF-3)}\' \\| sort \\| uniq -c \\| sort -nr`', pipeline)}
${row('`grep -c "Failed password" FILE` (its output to a file: GNU grep stops at the first match when stdout is /dev/null)', count)}

analyze is ${(analyze.wallS / pipeline.wallS).toFixed(0)}× slower than the pipeline: it runs every line through the syslog and sshd parsers (the pipeline only splits the lines that hold \`Failed password\`), pairs PAM lines with their Failed lines, keeps per-address rows and the logins with the failures before them, and runs the rules. Load average ${os.loadavg()[0].toFixed(1)} at the end of the run (a shared machine).

What they count: analyze finds ${failures.toLocaleString('en')} failed logins (${passwordFailures.toLocaleString('en')} by password) from ${result.addresses.length.toLocaleString('en')} addresses; \`grep -c\` sees ${grepLines.toLocaleString('en')} lines, because a \`message repeated N times\` line is one line that stands for N more attempts, which the pipeline counts once. Memory stays flat with the size of the log: events are streamed, never held; what grows is one bounded row per address.

Run: \`npm run bench -- auth-log\` (\`BENCH_AUTH_BYTES\`, \`BENCH_RUNS\` to change the size and the runs).`,
  );
  console.log({ mb, analyze, full, pipeline, count, failures, grepLines });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
