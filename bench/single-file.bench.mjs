// The single-file builds: build time, size (raw and gzipped) and `--help` start-up of the .mjs
// bundle (on this node, and on Debian 12's Node 18 when scripts/debian-node18.sh has unpacked it),
// the SEA binary with and without V8's code cache, and the npm install for comparison; plus one
// live `collect` each. Start-up is timed around spawnSync with process.hrtime (the wall time of
// the whole process, as a responder sees it).
//   BENCH_RUNS   start-up runs per variant, after 2 warm-up runs (default 15)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildBundle } from '../scripts/build-bundle.mjs';
import { buildSea } from '../scripts/build-sea.mjs';
import { BIN, machine, median, REPO, writeSection } from './lib.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const NODE18 = '/tmp/irt-debian-node18/node';
const dir = mkdtempSync(path.join(os.tmpdir(), 'irt-bench-single-'));
const mib = (n) => (n / 2 ** 20).toFixed(2);

const mid = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * argv RUNS times after 2 warm-ups: wall milliseconds (median, min, max) and the median CPU
 * milliseconds, user + system, which a loaded machine disturbs less than the wall time.
 */
function startup(argv) {
  const wall = [];
  const cpu = [];
  for (let i = 0; i < RUNS + 2; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync('/usr/bin/time', ['-f', '%U %S', ...argv], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr}`);
    const [user, sys] = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
    if (i >= 2) {
      wall.push(ms);
      cpu.push((user + sys) * 1000);
    }
  }
  return { median: mid(wall), min: Math.min(...wall), max: Math.max(...wall), cpu: mid(cpu) };
}

const load0 = os.loadavg()[0].toFixed(1);
try {
  const bundle = await buildBundle();
  const sea = await buildSea();
  const seaCache = await buildSea({ outfile: path.join(dir, 'ir-triage-code-cache'), codeCache: true });
  console.log({ bundle, sea, seaCache });

  const help = [
    ['`node -e 0` (node itself, for reference)', [process.execPath, '-e', '0']],
    ['npm install: `node bin/ir-triage.js --help`', [process.execPath, BIN, '--help']],
    ['bundle: `node dist/ir-triage.mjs --help`', [process.execPath, bundle.outfile, '--help']],
    ['SEA (the default build, no code cache): `dist/ir-triage --help`', [sea.outfile, '--help']],
    ['SEA built with `--code-cache`', [seaCache.outfile, '--help']],
  ];
  if (existsSync(NODE18)) {
    help.push(["Debian 12's Node 18 (through its launcher: unshare and an overlay mount): `-e 0`", [NODE18, '-e', '0']]);
    help.push(["bundle under Debian 12's Node 18: `--help`", [NODE18, bundle.outfile, '--help']]);
  }
  const helpRows = help.map(([what, argv]) => {
    const t = startup(argv);
    console.log(what, t);
    return `| ${what} | ${t.median.toFixed(0)} | ${t.min.toFixed(0)}–${t.max.toFixed(0)} | ${t.cpu.toFixed(0)} |`;
  });

  let n = 0;
  const collect = (argv) => {
    const m = median(() => [...argv, 'collect', '--out', dir, '--case', `B${n++}`], 3);
    if (m.status !== 0) throw new Error(`${argv.join(' ')} collect failed (exit ${m.status})`);
    return m;
  };
  const collectRows = [
    ['npm install', collect([process.execPath, BIN])],
    ['bundle', collect([process.execPath, bundle.outfile])],
    ['SEA', collect([sea.outfile])],
  ].map(([what, m]) => `| ${what} | ${m.wallS.toFixed(2)} | ${m.rssMiB.toFixed(0)} |`);

  const installBytes = Number(spawnSync('du', ['-sb', path.join(REPO, 'node_modules')], { encoding: 'utf8' }).stdout.split('\t')[0]);
  const glibc = (file, prefix) =>
    spawnSync('sh', ['-c', `objdump -T "$1" | grep -o '${prefix}_[0-9.]*' | sort -uV | tail -1`, 'sh', file], { encoding: 'utf8' }).stdout.trim() || 'n/a';

  writeSection(
    'Single-file builds',
    `${machine()}; load average ${load0} at the start, ${os.loadavg()[0].toFixed(1)} at the end (a shared machine: compare rows of one run, and the CPU column). Start-up: wall time of the whole process, ${RUNS} runs after 2 warm-ups (process.hrtime around spawnSync); collect: median of 3 live runs as root (GNU time).

| file | bytes | MiB | gzipped MiB | build (s) |
|---|---:|---:|---:|---:|
| \`dist/ir-triage.mjs\` (minified, playbooks, tool lists and sql-wasm.wasm embedded) | ${bundle.bytes} | ${mib(bundle.bytes)} | ${mib(bundle.gzipBytes)} | ${(bundle.buildMs / 1000).toFixed(1)} |
| \`dist/ir-triage\` (SEA, Node ${sea.node}) | ${sea.bytes} | ${mib(sea.bytes)} | ${mib(sea.gzipBytes)} | ${(sea.buildMs / 1000).toFixed(1)} |
| the same built with \`--code-cache\` | ${seaCache.bytes} | ${mib(seaCache.bytes)} | ${mib(seaCache.gzipBytes)} | ${(seaCache.buildMs / 1000).toFixed(1)} |
| for comparison: the npm install's node_modules | ${installBytes} | ${mib(installBytes)} | | |

The SEA needs ${glibc(sea.outfile, 'GLIBC')} and ${glibc(sea.outfile, 'GLIBCXX')} (\`objdump -T\`); its injected blob is ${mib(sea.blobBytes)} MiB (the CommonJS bundle, ${mib(sea.mainBytes)} MiB, and the assets; ${mib(seaCache.blobBytes)} MiB with the code cache).

\`--help\` start-up:

| what | wall, median (ms) | wall, min–max (ms) | CPU, user + system, median (ms) |
|---|---:|---:|---:|
${helpRows.join('\n')}

A live \`collect\` (the whole ssh-compromise playbook and the bundle):

| what | wall (s) | peak RSS (MiB) |
|---|---:|---:|
${collectRows.join('\n')}

On a loaded machine whole-collect times vary from run to run by more than the rows differ: the start-up is a fraction of a second, the rest is reading the box. Run: \`npm run bench -- single-file\` (it rebuilds dist/ir-triage.mjs and dist/ir-triage).`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
