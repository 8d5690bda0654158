// `collect --root` on an image whose auth.log holds months of brute force and one compromise
// (bench/auth-log-generate.mjs --intruder), beside its baselines measured in the same run: `gzip -6`
// of the log (the bundle's size budget is 1.5 times it), `ir-triage analyze` of the same file (the
// parser's share of the time), and the same collect with `--timeline day` (rows per address and day)
// and `--timeline full` (one row per event).
// Each goal is printed beside its target and baseline, with what the bundle holds besides the log.
//   BENCH_COLLECT_BYTES   sizes of the generated log, comma-separated (default 314572800,1073741824)
//   BENCH_QUICK=1         one 64 MiB log (a few minutes in all)
//   BENCH_RUNS            runs per row, the median is kept (default 1)
//   BENCH_FULL=0          leave out the `--timeline full` row
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { generateAuthLog, INTRUDER } from './auth-log-generate.mjs';
import { BIN, machine, writeSection } from './lib.mjs';

const QUICK = process.env.BENCH_QUICK === '1';
const SIZES = QUICK ? [64 * 2 ** 20] : (process.env.BENCH_COLLECT_BYTES ?? '314572800,1073741824').split(',').map(Number);
const RUNS = Number(process.env.BENCH_RUNS ?? 1);
const FULL = process.env.BENCH_FULL !== '0';
/** The goals: seconds for a 300 MB and a 1 GB log, peak RSS, bundle over `gzip -6` of the log. */
const GOALS = { s300: 20, s1g: 60, rssMiB: 200, ratio: 1.5 };

/** GNU time's wall, CPU (user + system) and peak RSS of a command. */
function measure(argv) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', ...argv], { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] });
  const [wallS, user, sys, rssKb] = (r.stderr.trim().split('\n').at(-1) ?? '').split(' ').map(Number);
  if (!Number.isFinite(wallS)) throw new Error(`could not measure ${argv.join(' ')}: ${r.stderr}`);
  return { wallS, cpuS: user + sys, rssMiB: rssKb / 1024, status: r.status, stdout: r.stdout, load: os.loadavg()[0] };
}
/** Every run, and the median by wall time (the one whose outputs are kept). */
function runs(next) {
  const all = Array.from({ length: RUNS }, (_, i) => measure(next(i)));
  const med = [...all].sort((a, b) => a.wallS - b.wallS)[Math.floor(RUNS / 2)];
  return { ...med, all };
}
const mb = (b) => (b / 1e6).toFixed(1);
/** MB, or kB for what is under 0.1 MB. */
const size = (b) => (b >= 1e5 ? `${mb(b)} MB` : `${(b / 1e3).toFixed(1)} kB`);
const spread = (m) => (m.all.length > 1 ? ` (${m.all.map((x) => x.cpuS.toFixed(1)).join(', ')})` : '');
const row = (what, m, extra = '') => `| ${what} | ${m.wallS.toFixed(1)} | ${m.cpuS.toFixed(1)}${spread(m)} | ${m.rssMiB.toFixed(0)} | ${extra} |`;
const met = (ok) => (ok ? 'met' : 'missed');

/** Files of the unpacked case, other than the log copies, with their size and their size at `gzip -6`. */
function composition(caseDir) {
  const out = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, name.name);
      if (name.isDirectory()) walk(p);
      else if (!path.relative(caseDir, p).startsWith('files/logs/')) {
        const data = readFileSync(p);
        out.push({ file: path.relative(caseDir, p), bytes: data.length, gz: gzipSync(data, { level: 6 }).length });
      }
    }
  };
  walk(caseDir);
  return out.sort((a, b) => b.gz - a.gz);
}

const rows = [];
const goalRows = [];
const notes = [];
const loadStart = os.loadavg();
for (const target of SIZES) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'irt-bench-collect-'));
  try {
    const root = path.join(dir, 'root');
    mkdirSync(path.join(root, 'var/log'), { recursive: true });
    mkdirSync(path.join(root, 'etc'), { recursive: true });
    writeFileSync(path.join(root, 'etc/timezone'), 'Etc/UTC\n');
    const log = path.join(root, 'var/log/auth.log');
    const gen = await generateAuthLog(log, target, { style: 'rfc3339', intruder: true });
    const logBytes = statSync(log).size;
    const label = `${mb(logBytes)} MB auth.log (${gen.lines.toLocaleString('en')} lines)`;
    const gz = path.join(dir, 'auth.log.gz');
    const gzip = runs(() => ['bash', '-c', `gzip -6 -c "$1" > "$2"`, 'gzip', log, gz]);
    const gzBytes = statSync(gz).size;
    rows.push(row(`baseline: \`gzip -6\` of the ${label}`, gzip, `${mb(gzBytes)} MB`));
    const analyze = runs(() => [process.execPath, BIN, 'analyze', log]);
    rows.push(row('baseline: `ir-triage analyze` of the same log (the parser alone)', analyze, ''));
    const out = path.join(dir, 'out');
    let k = 0;
    for (const mode of FULL ? ['aggregate', 'day', 'full'] : ['aggregate', 'day']) {
      const ids = [];
      const m = runs(() => {
        ids.push(`C${++k}`);
        return [process.execPath, BIN, 'collect', '--root', root, '--out', out, '--case', ids.at(-1), '--json', '--keep-dir', '--timeline', mode, '--max-file-bytes', String(4 * 2 ** 30)];
      });
      if (m.status !== 0) throw new Error(`collect --timeline ${mode} failed`);
      const summary = JSON.parse(m.stdout);
      const bundle = statSync(summary.bundle).size;
      const ratio = bundle / gzBytes;
      const found = summary.findings.some((f) => f.rule === 'auth.login-after-failures' && f.subject.ip === INTRUDER.address);
      rows.push(row(`\`collect --root\` --timeline ${mode}${mode === 'aggregate' ? ' (the default)' : ''}`, m, `${mb(bundle)} MB, ${ratio.toFixed(2)}× gzip -6; compromise ${found ? 'found' : 'NOT FOUND'}`));
      if (mode !== 'full') {
        const timeGoal = logBytes >= 1e9 ? GOALS.s1g : logBytes >= 3e8 ? GOALS.s300 : (GOALS.s300 * logBytes) / 3e8;
        const scaled = logBytes < 3e8 ? ` (the 300 MB goal scaled to ${mb(logBytes)} MB)` : '';
        goalRows.push(
          `| ${mb(logBytes)} MB, --timeline ${mode}: wall time | ≤ ${timeGoal.toFixed(1)} s${scaled} | ${m.wallS.toFixed(1)} s wall, ${m.cpuS.toFixed(1)} s CPU (load ${m.load.toFixed(1)}) | analyze: ${analyze.wallS.toFixed(1)} s wall, ${analyze.cpuS.toFixed(1)} s CPU; gzip -6: ${gzip.cpuS.toFixed(1)} s CPU | ${met(m.wallS <= timeGoal)}${m.cpuS <= timeGoal ? ' (CPU within it)' : ''} |`,
          `| ${mb(logBytes)} MB, --timeline ${mode}: peak RSS | ≤ ${GOALS.rssMiB} MiB | ${m.rssMiB.toFixed(0)} MiB | analyze: ${analyze.rssMiB.toFixed(0)} MiB | ${met(m.rssMiB <= GOALS.rssMiB)} |`,
          `| ${mb(logBytes)} MB, --timeline ${mode}: bundle | ≤ ${GOALS.ratio} × gzip -6 = ${mb(GOALS.ratio * gzBytes)} MB | ${mb(bundle)} MB (${ratio.toFixed(2)}×) | gzip -6: ${mb(gzBytes)} MB | ${met(ratio <= GOALS.ratio)} |`,
          `| ${mb(logBytes)} MB, --timeline ${mode}: the compromise | auth.login-after-failures for ${INTRUDER.address} | ${found ? 'found' : 'NOT FOUND'} | | ${met(found)} |`,
        );
        const files = composition(path.join(out, ids[Math.floor(ids.length / 2)]));
        const rest = files.reduce((n, f) => n + f.gz, 0);
        notes.push(
          `${mb(logBytes)} MB, what the bundle of \`--timeline ${mode}\` holds besides the log (each file at \`gzip -6\`, ${mb(rest)} MB in all, ${((100 * rest) / bundle).toFixed(0)} % of the bundle): ${files
            .slice(0, 8)
            .map((f) => `${f.file} ${size(f.gz)} (${size(f.bytes)} raw)`)
            .join(', ')}.`,
        );
      }
      rmSync(out, { recursive: true, force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const loadEnd = os.loadavg();
notes.push(`Load average ${loadStart.map((l) => l.toFixed(1)).join(', ')} at the start, ${loadEnd.map((l) => l.toFixed(1)).join(', ')} at the end (a shared machine: compare the rows of one run, and the CPU column).`);

const table = ['| what | wall (s) | CPU (s) | peak RSS (MiB) | bundle |', '|---|---:|---:|---:|---|', ...rows].join('\n');
const goals = ['| goal | target | measured | baseline (same run) | |', '|---|---|---|---|---|', ...goalRows].join('\n');
writeSection(
  'Collect at scale',
  `${machine()}; median of ${RUNS} run(s)${RUNS > 1 ? ' (CPU of every run in brackets)' : ''}${QUICK ? ' (quick mode: one 64 MiB log)' : ''}. The image holds one generated auth.log (\`bench/auth-log-generate.mjs --intruder\`: months of brute force from 5,000 addresses, and one address that fails ${INTRUDER.failures} passwords for ${INTRUDER.user} and then logs in); \`--max-file-bytes\` is raised so the bundle carries the whole log. Goals: 300 MB in ≤ 20 s, 1 GB in ≤ 60 s, peak RSS ≤ 200 MiB, bundle ≤ 1.5 × \`gzip -6\` of the log, the compromise found.

${goals}

${table}

${notes.join('\n\n')}

Run: \`npm run bench -- collect-scale\` (\`BENCH_QUICK=1\`, \`BENCH_COLLECT_BYTES\`, \`BENCH_RUNS\`, \`BENCH_FULL=0\`).`,
);
console.log(goals);
console.log(table);
console.log(notes.join('\n'));
