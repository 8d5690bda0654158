// Shared helpers for the benchmarks: wall time and peak memory of whole commands, measured by
// GNU time, and a results table written into docs/performance.md.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = path.join(REPO, 'bin/ir-triage.js');
const PERF_DOC = path.join(REPO, 'docs/performance.md');

/** Runs argv under /usr/bin/time; returns wall seconds, CPU seconds (user + system) and peak RSS (MiB) of the command. */
export function measure(argv, { env = process.env, cwd = REPO } = {}) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', ...argv], { env, cwd, encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'ignore', 'pipe'] });
  const last = r.stderr.trim().split('\n').at(-1) ?? '';
  const [wall, rssKb, user, sys] = last.split(' ').map(Number);
  if (!Number.isFinite(wall)) throw new Error(`could not measure ${argv.join(' ')}: ${r.stderr}`);
  return { wallS: wall, cpuS: user + sys, rssMiB: rssKb / 1024, status: r.status };
}

/** The median of `runs` measurements (by wall time). */
export function median(argv, runs = 3, opts) {
  const next = typeof argv === 'function' ? argv : () => argv;
  const all = Array.from({ length: runs }, () => measure(next(), opts)).sort((a, b) => a.wallS - b.wallS);
  return all[Math.floor(all.length / 2)];
}

export function machine() {
  const kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  return `${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${kernel}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
}

/** Replaces (or appends) the section `## title` of docs/performance.md. */
export function writeSection(title, body) {
  let doc = existsSync(PERF_DOC) ? readFileSync(PERF_DOC, 'utf8') : '# Performance\n\nMeasured with `npm run bench` (GNU time: wall time and peak resident memory of each whole command). Budgets are checked here, never as timed assertions in the tests.\n';
  const section = `## ${title}\n\n${body.trim()}\n`;
  const re = new RegExp(`## ${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n[\\s\\S]*?(?=\\n## |$)`);
  doc = re.test(doc) ? doc.replace(re, section) : `${doc.trimEnd()}\n\n${section}`;
  writeFileSync(PERF_DOC, doc.endsWith('\n') ? doc : `${doc}\n`);
}

export function table(rows) {
  const head = '| what | wall (s) | peak RSS (MiB) |\n|---|---:|---:|';
  return [head, ...rows.map(([what, m]) => `| ${what} | ${m.wallS.toFixed(2)} | ${m.rssMiB.toFixed(0)} |`)].join('\n');
}
