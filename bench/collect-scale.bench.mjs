// `collect --root` on an image whose auth.log holds months of brute force and one compromise
// (bench/auth-log-generate.mjs --intruder), beside its baselines measured in the same run: `gzip -6`
// of the log (the bundle's size budget is 1.5 times it), `ir-triage analyze` of the same file (the
// parser's share of the time), and the same collect with `--timeline full` (one row per event).
//   BENCH_COLLECT_BYTES   sizes of the generated log, comma-separated (default 314572800,1073741824)
//   BENCH_QUICK=1         one 64 MiB log (a few minutes in all)
//   BENCH_RUNS            runs per row, the median is kept (default 1)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateAuthLog, INTRUDER } from './auth-log-generate.mjs';
import { BIN, machine, writeSection } from './lib.mjs';

const QUICK = process.env.BENCH_QUICK === '1';
const SIZES = QUICK ? [64 * 2 ** 20] : (process.env.BENCH_COLLECT_BYTES ?? '314572800,1073741824').split(',').map(Number);
const RUNS = Number(process.env.BENCH_RUNS ?? 1);

/** GNU time's wall, CPU (user + system) and peak RSS of a command. */
function measure(argv) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', ...argv], { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] });
  const [wallS, user, sys, rssKb] = (r.stderr.trim().split('\n').at(-1) ?? '').split(' ').map(Number);
  if (!Number.isFinite(wallS)) throw new Error(`could not measure ${argv.join(' ')}: ${r.stderr}`);
  return { wallS, cpuS: user + sys, rssMiB: rssKb / 1024, status: r.status, stdout: r.stdout };
}
const median = (next) => Array.from({ length: RUNS }, () => measure(next())).sort((a, b) => a.wallS - b.wallS)[Math.floor(RUNS / 2)];
const mb = (b) => (b / 1e6).toFixed(1);
const row = (what, m, extra = '') => `| ${what} | ${m.wallS.toFixed(1)} | ${m.cpuS.toFixed(1)} | ${m.rssMiB.toFixed(0)} | ${extra} |`;

const rows = [];
const notes = [];
for (const size of SIZES) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'irt-bench-collect-'));
  try {
    const root = path.join(dir, 'root');
    mkdirSync(path.join(root, 'var/log'), { recursive: true });
    mkdirSync(path.join(root, 'etc'), { recursive: true });
    writeFileSync(path.join(root, 'etc/timezone'), 'Etc/UTC\n');
    const log = path.join(root, 'var/log/auth.log');
    const gen = await generateAuthLog(log, size, { style: 'rfc3339', intruder: true });
    const logBytes = statSync(log).size;
    const label = `${mb(logBytes)} MB auth.log (${gen.lines.toLocaleString('en')} lines)`;
    const gz = path.join(dir, 'auth.log.gz');
    const gzip = median(() => ['bash', '-c', `gzip -6 -c "$1" > "$2"`, 'gzip', log, gz]);
    const gzBytes = statSync(gz).size;
    rows.push(row(`baseline: \`gzip -6\` of the ${label}`, gzip, `${mb(gzBytes)} MB`));
    const analyze = median(() => [process.execPath, BIN, 'analyze', log]);
    rows.push(row('baseline: `ir-triage analyze` of the same log (the parser alone)', analyze, ''));
    const out = path.join(dir, 'out');
    let k = 0;
    for (const mode of ['aggregate', 'full']) {
      const m = median(() => [process.execPath, BIN, 'collect', '--root', root, '--out', out, '--case', `C${++k}`, '--json', '--timeline', mode, '--max-file-bytes', String(4 * 2 ** 30)]);
      if (m.status !== 0) throw new Error(`collect --timeline ${mode} failed`);
      const summary = JSON.parse(m.stdout);
      const bundle = statSync(summary.bundle).size;
      const found = summary.findings.some((f) => f.rule === 'auth.login-after-failures' && f.subject.ip === INTRUDER.address);
      rows.push(row(`\`collect --root\` --timeline ${mode}${mode === 'aggregate' ? ' (the default)' : ''}`, m, `${mb(bundle)} MB, ${(bundle / gzBytes).toFixed(2)}× gzip -6; compromise ${found ? 'found' : 'NOT FOUND'}`));
      rmSync(out, { recursive: true, force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
notes.push(`Load average ${os.loadavg().map((l) => l.toFixed(1)).join(', ')} at the end (a shared machine: compare the rows of one run, and the CPU column).`);

const table = ['| what | wall (s) | CPU (s) | peak RSS (MiB) | bundle |', '|---|---:|---:|---:|---|', ...rows].join('\n');
writeSection(
  'Collect at scale',
  `${machine()}; median of ${RUNS} run(s)${QUICK ? ' (quick mode: one 64 MiB log)' : ''}. The image holds one generated auth.log (\`bench/auth-log-generate.mjs --intruder\`: months of brute force from 5,000 addresses, and one address that fails ${INTRUDER.failures} passwords for ${INTRUDER.user} and then logs in); \`--max-file-bytes\` is raised so the bundle carries the whole log. Goals: 300 MB in ≤ 20 s, 1 GB in ≤ 60 s, peak RSS ≤ 200 MiB, bundle ≤ 1.5 × \`gzip -6\` of the log, the compromise found.

${table}

${notes.join(' ')}

Run: \`npm run bench -- collect-scale\` (\`BENCH_QUICK=1\`, \`BENCH_COLLECT_BYTES\`, \`BENCH_RUNS\`).`,
);
console.log(table);
