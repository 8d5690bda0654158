// The live `collect` of the whole ssh-compromise playbook on a compromised box, timed: when the
// first volatile snapshot (processes and sockets) was taken, the whole run, the peak memory.
//
//   sudo npm run bench -- live-collect        (after npm run build; BENCH_RUNS, BENCH_SLEEPERS)
//
// The box is built in namespaces this script makes, so nothing of the machine it runs on is seen
// by the collection and nothing outside them changes (all of it ends with them):
// - new PID, mount, UTS and network namespaces (only loopback, up); its pid 1 is this script;
// - the brute-forced server's files of bench/report-scenario.mjs (auth.log and auth.log.1 with
//   three days of brute force and the login that ended one, wtmp, btmp, passwd, hostname)
//   bind-mounted over /var/log, /etc/passwd and /etc/hostname; fresh tmpfs over /tmp, /var/tmp,
//   /home and /root (the box's own, small: this machine's are not the box's);
// - a scanner: a copy of node named pscan2 in a hidden folder under /dev/shm, holding 31
//   connections to an ssh-like listener on 127.0.0.1:22;
// - three fake sshd: copies of sleep in that folder, titled `sshd: root@pts/N`;
// - a few hundred sleeping processes (BENCH_SLEEPERS, 300).
// Goals (docs/performance.md): first volatile snapshot within 1 s of start, the whole run ≤ 2 s,
// peak RSS ≤ 150 MiB. UAC's ir_triage profile took 5 min 50 s and 6 min 34 s on this machine type
// (/work/shared/research/uac.md: 2 runs, 81 MiB peak), with far less on the box.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { BIN, machine, writeSection } from './lib.mjs';
import { SCENARIO, writeBruteForceRoot } from './report-scenario.mjs';

const SELF = fileURLToPath(import.meta.url);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SLEEPERS = Number(process.env.BENCH_SLEEPERS ?? 300);
const CONNECTIONS = 31;
const FAKE_SSHD = 3;
const GOALS = { snapshotS: 1, wallS: 2, rssMiB: 150 };
/** UAC's ir_triage profile on this machine type (research/uac.md): wall seconds of its two runs, peak RSS. */
const UAC = { wallS: [350.3, 394.1], rssMiB: 81 };

const LISTENER = `
const net = require('node:net');
const held = [];
net.createServer((c) => { held.push(c); c.on('error', () => {}); }).listen({ host: '127.0.0.1', port: 22 }, () => process.stdout.write('ready\\n'));
`;
const SCANNER = `
const net = require('node:net');
const held = [];
for (let i = 0; i < ${CONNECTIONS}; i++) { const c = net.connect(22, '127.0.0.1'); c.on('error', () => {}); held.push(c); }
setInterval(() => {}, 1e6);
`;

function run(argv, opts = {}) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', ...opts });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Established tcp connections to port 22 (/proc/net/tcp: state 01, remote port 0016). */
function establishedToSsh() {
  return readFileSync('/proc/net/tcp', 'utf8').split('\n').filter((l) => /^\s*\d+: [0-9A-F]{8}:[0-9A-F]{4} [0-9A-F]{8}:0016 01 /.test(l)).length;
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Seconds from `t0` (ms) to the custody event of a collector, from the bundle's custody.jsonl. */
function custodyTimes(bundle, caseId) {
  const text = run(['tar', '-xzOf', bundle, `${caseId}/custody.jsonl`]);
  const events = text.trim().split('\n').map((l) => JSON.parse(l));
  const at = (pred) => {
    const e = events.find(pred);
    return e ? Date.parse(e.time) : null;
  };
  return {
    opened: at((e) => e.event === 'case-opened'),
    processes: at((e) => e.event === 'collected' && e.collector === 'processes'),
    connections: at((e) => e.event === 'collected' && e.collector === 'connections'),
    snapshot: at((e) => e.event === 'volatile-snapshot'),
    order: events.filter((e) => e.event === 'collected').map((e) => e.collector),
    ends: events.filter((e) => e.event === 'collected' || e.event === 'case-closed').map((e) => `${e.collector ?? e.event}@${Date.parse(e.time)}`),
  };
}

/** Pid 1 of the box: the scene, then the collections. */
async function inside(config) {
  run(['hostname', SCENARIO.hostname]);
  run(['ip', 'link', 'set', 'lo', 'up']);
  run(['mount', '--bind', path.join(config.root, 'var/log'), '/var/log']);
  run(['mount', '--bind', path.join(config.root, 'etc/passwd'), '/etc/passwd']);
  run(['mount', '--bind', path.join(config.root, 'etc/hostname'), '/etc/hostname']);
  for (const d of ['/tmp', '/var/tmp', '/home', '/root']) run(['mount', '-t', 'tmpfs', '-o', 'size=64m,mode=1777', 'tmpfs', d]);
  const children = [];
  const listener = spawn(process.execPath, ['-e', LISTENER], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(listener);
  await new Promise((resolve) => createInterface({ input: listener.stdout }).once('line', resolve));
  children.push(spawn(path.join(config.kit, 'pscan2'), ['-e', SCANNER], { cwd: config.kit, stdio: 'ignore' }));
  for (let i = 0; i < FAKE_SSHD; i++) children.push(spawn('bash', ['-c', `exec -a 'sshd: root@pts/${i + 1}' '${path.join(config.kit, 'sshd')}' 3600`], { stdio: 'ignore' }));
  for (let i = 0; i < SLEEPERS; i++) children.push(spawn('sleep', ['3600'], { stdio: 'ignore' }));
  for (let i = 0; i < 500 && establishedToSsh() < CONNECTIONS; i++) await sleep(20);
  if (establishedToSsh() < CONNECTIONS) throw new Error('the scanner did not connect');
  await sleep(500);
  const processes = readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length;
  const sockets = ['tcp', 'tcp6', 'udp', 'udp6'].reduce((n, t) => n + readFileSync(`/proc/net/${t}`, 'utf8').trim().split('\n').length - 1, 0);

  const runs = [];
  for (let i = 0; i < config.runs; i++) {
    const caseId = `LIVE-${i + 1}`;
    const t0 = Date.now();
    const r = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', process.execPath, BIN, 'collect', '--out', config.out, '--case', caseId, '--json'], { encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, CI: 'true' } });
    const last = r.stderr.trim().split('\n').at(-1) ?? '';
    const [wallS, rssKb, user, sys] = last.split(' ').map(Number);
    if (r.status !== 0 || !Number.isFinite(wallS)) throw new Error(`collect exited ${r.status}: ${r.stderr}`);
    const summary = JSON.parse(r.stdout);
    const t = custodyTimes(summary.bundle, caseId);
    const snapshotAt = t.snapshot ?? Math.max(t.processes ?? Infinity, t.connections ?? Infinity);
    runs.push({
      wallS,
      cpuS: user + sys,
      rssMiB: rssKb / 1024,
      snapshotS: (snapshotAt - t0) / 1000,
      openedS: (t.opened - t0) / 1000,
      findings: summary.findings.map((f) => f.rule),
      order: t.order,
      ends: t.ends.map((x) => { const [n, ms] = x.split('@'); return `${n} ${((Number(ms) - t0) / 1000).toFixed(2)}`; }),
    });
  }
  for (const c of children) c.kill('SIGKILL');
  process.stdout.write(JSON.stringify({ processes, sockets, runs }) + '\n');
}

async function outside() {
  if (process.getuid?.() !== 0) throw new Error('run as root: the scene needs namespaces');
  const work = mkdtempSync(path.join(os.tmpdir(), 'irt-live-bench-'));
  const kit = mkdtempSync('/dev/shm/.ICE-');
  let box = null;
  try {
    chmodSync(kit, 0o755);
    copyFileSync(process.execPath, path.join(kit, 'pscan2'));
    copyFileSync('/bin/sleep', path.join(kit, 'sshd'));
    const root = path.join(work, 'root');
    writeBruteForceRoot(root, { now: Date.now() });
    const out = path.join(work, 'out');
    mkdirSync(out);
    box = spawn('unshare', ['--pid', '--fork', '--mount-proc', '--mount', '--uts', '--net', '--propagation', 'private', '--', process.execPath, SELF, '--inside', JSON.stringify({ root, kit, out, runs: RUNS })], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    box.stdout.on('data', (d) => (stdout += d));
    const code = await new Promise((resolve) => box.once('exit', resolve));
    if (code !== 0) throw new Error(`the box exited ${code}`);
    const { processes, sockets, runs } = JSON.parse(stdout.trim().split('\n').at(-1));
    const m = {
      snapshotS: median(runs.map((r) => r.snapshotS)),
      openedS: median(runs.map((r) => r.openedS)),
      wallS: median(runs.map((r) => r.wallS)),
      cpuS: median(runs.map((r) => r.cpuS)),
      rssMiB: median(runs.map((r) => r.rssMiB)),
    };
    const load = os.loadavg().map((l) => l.toFixed(1)).join(', ');
    const verdict = (v, goal) => (v <= goal ? 'met' : `missed by ${(v - goal).toFixed(2)}`);
    const found = [...new Set(runs[0].findings)].sort();
    writeSection(
      'Live collect on a compromised box',
      `${machine()}; median of ${runs.length} run(s); load average ${load} at the end (a shared machine). The box (\`bench/live-collect.bench.mjs\`, in namespaces of its own): ${processes} processes (${SLEEPERS} sleeping, a scanner holding ${CONNECTIONS} connections to port 22, ${FAKE_SSHD} fake sshd in a hidden /dev/shm folder), ${sockets} sockets, three days of brute force in its auth logs with the login that ended one. \`ir-triage collect\` of the whole ssh-compromise playbook, timed from its start: the first volatile snapshot is the custody event \`volatile-snapshot\` (processes and sockets read); wall, CPU and peak RSS are GNU time's.

| what | goal | result | |
|---|---:|---:|---|
| first volatile snapshot (processes and sockets), from start | ≤ ${GOALS.snapshotS} s | ${m.snapshotS.toFixed(2)} s | ${verdict(m.snapshotS, GOALS.snapshotS)} |
| the whole run, bundle included | ≤ ${GOALS.wallS} s | ${m.wallS.toFixed(2)} s (CPU ${m.cpuS.toFixed(2)} s) | ${verdict(m.wallS, GOALS.wallS)} |
| peak RSS | ≤ ${GOALS.rssMiB} MiB | ${m.rssMiB.toFixed(0)} MiB | ${verdict(m.rssMiB, GOALS.rssMiB)} |
| for comparison: UAC's \`ir_triage\` profile on this machine type (research notes, 2 runs, a box with about 80 processes and no auth log) | | ${UAC.wallS.map((s) => `${(s / 60).toFixed(1)} min`).join(', ')}; ${UAC.rssMiB} MiB | |

The case was open ${m.openedS.toFixed(2)} s after the start (node's start-up and the modules). Collectors in the order they ended: ${runs[0].order.join(', ')}. Findings of the first run: ${found.join(', ')}.

Run: \`sudo npm run bench -- live-collect\` (\`BENCH_RUNS\`, \`BENCH_SLEEPERS\`).`,
    );
    console.log(JSON.stringify({ processes, sockets, median: m, runs: runs.map(({ order, findings, ...r }) => r) }, null, 2));
  } finally {
    if (box && box.exitCode === null) box.kill('SIGKILL');
    rmSync(kit, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--inside') {
  process.title = 'init';
  await inside(JSON.parse(process.argv[3]));
  process.exit(0);
} else {
  await outside();
}
