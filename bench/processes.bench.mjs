// The processes step with 2,000 extra processes, beside `ps auxww` and `lsof -nP` on the same box.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, machine, median, table, writeSection } from './lib.mjs';

const EXTRA = Number(process.env.BENCH_PROCESSES ?? 2000);
const children = [];
for (let i = 0; i < EXTRA; i++) children.push(spawn('sleep', ['900'], { stdio: 'ignore' }));
await new Promise((r) => setTimeout(r, 2000));
const total = readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length;

const out = mkdtempSync(path.join(os.tmpdir(), 'irt-bench-'));
try {
  let n = 0;
  const collect = median(() => [process.execPath, BIN, 'collect', '--playbook', path.join(import.meta.dirname, 'processes-only.yaml'), '--out', out, '--case', `B${n++}`], 3);
  const ps = median(['ps', 'auxww'], 3);
  const lsof = median(['lsof', '-nP', '-w'], 3);
  writeSection(
    'Processes',
    `${machine()}; ${total} processes in /proc (${EXTRA} extra \`sleep\` processes started by the benchmark), as root. Median of 3 runs.

${table([
      ['`ir-triage collect` with only the processes step (read every /proc/PID, hash every distinct executable, the box\'s ps via ps-list, the tool list, the rules, the bundle)', collect],
      ['`ps auxww`', ps],
      ['`lsof -nP -w`', lsof],
    ])}

The processes step reads what ps reads plus each process's fds, maps and environment, and hashes every distinct executable once; lsof reads fds and maps too. Run: \`npm run bench -- processes\`.`,
  );
  console.log({ total, collect, ps, lsof });
} finally {
  for (const c of children) c.kill('SIGKILL');
  rmSync(out, { recursive: true, force: true });
}
