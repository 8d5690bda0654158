// The connections step with 20,000 extra loopback sockets (10,000 connected pairs on 127.0.0.1:
// the accepted ends in this process, the connecting ends in a child), beside the box's `ss -tanp`
// and `lsof -nP -i` on the same box. Run: npm run bench -- network-sockets
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { BIN, machine, median, table, writeSection } from './lib.mjs';

const PAIRS = Number(process.env.BENCH_PAIRS ?? 10_000);
const BATCH = 250;
const FD_LIMIT = 65536;

// 10,000 sockets per process need more descriptors than the usual soft limit of 1024: re-run under
// a raised one (the hard limit when 65536 is not allowed, as in a container without CAP_SYS_RESOURCE).
if (!process.env.IRT_BENCH_ULIMIT) {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync('bash', ['-c', `{ ulimit -n ${FD_LIMIT} || ulimit -n "$(ulimit -Hn)"; } 2>/dev/null && exec "$0" "$1"`, process.execPath, self], {
    stdio: 'inherit',
    env: { ...process.env, IRT_BENCH_ULIMIT: '1' },
  });
  process.exit(r.status ?? 1);
}

const CLIENT = `
const net = require('node:net');
const [port, pairs, batch] = process.argv.slice(1).map(Number);
const socks = [];
(async () => {
  for (let done = 0; done < pairs; done += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, pairs - done) }, () => new Promise((resolve, reject) => {
      const c = net.connect({ host: '127.0.0.1', port }, resolve);
      c.once('error', reject);
      socks.push(c);
    })));
  }
  process.stdout.write('ready\\n');
})().catch((e) => { process.stderr.write(String(e) + '\\n'); process.exit(1); });
setInterval(() => {}, 1000);
`;

const accepted = [];
const server = net.createServer((s) => accepted.push(s));
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, resolve);
});
const { port } = server.address();
const client = spawn(process.execPath, ['-e', CLIENT, String(port), String(PAIRS), String(BATCH)], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((resolve, reject) => {
  client.once('exit', (code) => reject(new Error(`the connecting process exited with ${code}`)));
  createInterface({ input: client.stdout }).once('line', resolve);
});
while (accepted.length < PAIRS) await new Promise((r) => setTimeout(r, 20));
const load = os.loadavg()[0].toFixed(1);
const tcpLines = (f) => readFileSync(f, 'utf8').trim().split('\n').length - 1;
const sockets = tcpLines('/proc/net/tcp') + tcpLines('/proc/net/tcp6');

const out = mkdtempSync(path.join(os.tmpdir(), 'irt-bench-net-'));
const playbook = path.join(import.meta.dirname, 'network-connections.yaml');
const processesOnly = path.join(import.meta.dirname, 'processes-only.yaml');
try {
  let n = 0;
  const collect = median(() => [process.execPath, BIN, 'collect', '--playbook', playbook, '--out', out, '--case', `N${n++}`], 3);
  const processes = median(() => [process.execPath, BIN, 'collect', '--playbook', processesOnly, '--out', out, '--case', `P${n++}`], 3);
  const ss = median(['ss', '-tanp'], 3);
  const lsof = median(['lsof', '-nP', '-i'], 3);

  // One more run, kept, for what the box's own tools cost inside the step and what it found.
  spawnSync(process.execPath, [BIN, 'collect', '--playbook', playbook, '--out', out, '--case', 'KEEP', '--keep-dir'], { stdio: 'ignore' });
  const kept = path.join(out, 'KEEP');
  const durationS = (name) => JSON.parse(readFileSync(path.join(kept, `commands/${name}.json`), 'utf8')).durationMs / 1000;
  const source = JSON.parse(readFileSync(path.join(kept, 'manifest.json'), 'utf8')).sources.find((s) => s.id === 'connections');
  const inside = { ss: durationS('ss-tanp'), lsof: durationS('lsof-i') };
  // The collector on its own, timed in-process from dist/ after what it depends on has run.
  const alone = JSON.parse(spawnSync(process.execPath, [path.join(import.meta.dirname, 'network-collector.mjs'), '3'], { encoding: 'utf8' }).stdout);

  writeSection(
    'Connections',
    `${machine()}; ${sockets} TCP sockets in /proc/net/tcp and tcp6 (${PAIRS * 2} of them loopback sockets opened by the benchmark: ${PAIRS} connected pairs on 127.0.0.1, accepted ends in one process, connecting ends in another), as root; load average ${load} when the sockets were up (a shared machine: whole-run times vary from run to run, compare the rows of one run). Median of 3 runs.

${table([
      ["`ir-triage collect` with only the connections step: the processes collector it needs (every /proc/PID, fds included), the box's `ss -tanp` and `lsof -nP -w -i` (box-network), /proc/net/{tcp,tcp6,udp,udp6}, the owner join, the port-22 view, the ss cross-view, the four network rules, the bundle", collect],
      ['`ir-triage collect` with only the processes step, on the same sockets (for comparison)', processes],
      ['`ss -tanp`', ss],
      ['`lsof -nP -i`', lsof],
    ])}

The connections collector on its own (\`bench/network-collector.mjs\`: timed in-process from dist/ after the processes collector and the box's ss have run; /proc/net read and parsed, owners joined, the port-22 view, the ss cross-view, connections.jsonl written) took ${(alone.medianMs / 1000).toFixed(2)} s (median of 3; ${alone.ms.map((x) => (x / 1000).toFixed(2)).join(', ')} s). In one more end-to-end run the box's own tools, run once each as raw evidence, took ${inside.ss.toFixed(2)} s (\`ss -tanp\`) and ${inside.lsof.toFixed(2)} s (\`lsof -nP -w -i\`). The collector reported: ${source?.detail ?? 'n/a'}. Peak RSS is that of the largest process (GNU time). Run: \`npm run bench -- network-sockets\`.`,
  );
  console.log({ sockets, collect, processes, ss, lsof, inside, alone, detail: source?.detail });
} finally {
  client.kill('SIGKILL');
  for (const s of accepted) s.destroy();
  server.close();
  rmSync(out, { recursive: true, force: true });
}
