// npm run bench [-- NAME…]: runs bench/NAME.bench.mjs (all of them without a name) against the built CLI.
// BENCH_QUICK=1 npm run bench: the benchmarks that have one run a short mode (collect-scale: one 64 MiB log).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const dir = import.meta.dirname;
const wanted = process.argv.slice(2);
const all = readdirSync(dir).filter((f) => f.endsWith('.bench.mjs')).map((f) => f.replace(/\.bench\.mjs$/, '')).sort();
for (const name of wanted.length ? wanted : all) {
  if (!all.includes(name)) {
    console.error(`no benchmark ${name} (have: ${all.join(', ')})`);
    process.exit(2);
  }
  console.log(`== ${name}`);
  const r = spawnSync(process.execPath, [path.join(dir, `${name}.bench.mjs`)], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
