// The live `collect` of the whole ssh-compromise playbook on a compromised box, timed: when the
// first volatile snapshot (processes and sockets) was taken, the whole run, the peak memory.
//
//   sudo npm run bench -- live-collect        (after npm run build; BENCH_RUNS, BENCH_SLEEPERS)
//
// The box is built in namespaces this script makes, so nothing of the machine it runs on is seen
// by the collection and nothing outside them changes (all of it ends with them):
// - new PID, mount, UTS and network namespaces (only loopback, up); its pid 1 is a shell script;
// - the brute-forced server's files of bench/report-scenario.mjs (auth.log and auth.log.1 with
//   three days of brute force and the login that ended one, wtmp, btmp, passwd, hostname)
//   bind-mounted over /var/log, /etc/passwd and /etc/hostname; fresh tmpfs over /tmp, /var/tmp,
//   /home and /root (the box's own, small: this machine's are not the box's);
// - a scanner: a copy of python3 named pscan2 in a hidden folder under /dev/shm, holding 31
//   connections to an ssh-like listener (python3) on 127.0.0.1:22;
// - three fake sshd: copies of sleep in that folder, titled `sshd: root@pts/N`;
// - a few hundred sleeping processes (BENCH_SLEEPERS, 300).
// BENCH_PROFILE=DIR writes a CPU profile of each collect there (node --cpu-prof).
// Goals (docs/performance.md): first volatile snapshot within 1 s of start, the whole run ≤ 2 s,
// peak RSS ≤ 150 MiB. UAC's ir_triage profile took 5 min 50 s and 6 min 34 s on this machine type
// (/work/shared/research/uac.md: 2 runs, 81 MiB peak), with far less on the box.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, machine, writeSection } from './lib.mjs';
import { SCENARIO, writeBruteForceRoot } from './report-scenario.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SLEEPERS = Number(process.env.BENCH_SLEEPERS ?? 300);
const CONNECTIONS = 31;
const FAKE_SSHD = 3;
const GOALS = { snapshotS: 1, wallS: 2, rssMiB: 150 };
/** UAC's ir_triage profile on this machine type (research/uac.md): wall seconds of its two runs, peak RSS. */
const UAC = { wallS: [350.3, 394.1], rssMiB: 81 };

const LISTENER = `
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 22))
s.listen(128)
held = []
while True:
    held.append(s.accept()[0])
`;
const SCANNER = `
import socket, time
held = [socket.create_connection(("127.0.0.1", 22)) for _ in range(${CONNECTIONS})]
time.sleep(3600)
`;
const PYTHON = '/usr/bin/python3';

function run(argv, opts = {}) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', ...opts });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
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
    ends: events.filter((e) => e.event === 'collected' || e.event === 'case-closed').map((e) => [e.collector ?? e.event, Date.parse(e.time)]),
  };
}

const q = (s) => `'${String(s).replaceAll("'", "'\\''")}'`;

/**
 * Pid 1 of the box, a shell (as small as a box's init, so the box's executables are the scene's):
 * the scene, then the collections, each with its start time (ms) and GNU time's figures in OUT.
 */
function boxScript({ root, kit, out, runs }) {
  const profile = process.env.BENCH_PROFILE ? `--cpu-prof --cpu-prof-dir ${q(process.env.BENCH_PROFILE)}` : '';
  return `set -e
hostname ${q(SCENARIO.hostname)}
ip link set lo up
mount --bind ${q(path.join(root, 'var/log'))} /var/log
mount --bind ${q(path.join(root, 'etc/passwd'))} /etc/passwd
mount --bind ${q(path.join(root, 'etc/hostname'))} /etc/hostname
for d in /tmp /var/tmp /home /root; do mount -t tmpfs -o size=64m,mode=1777 tmpfs "$d"; done
${PYTHON} ${q(path.join(kit, '.listen'))} &
i=0; until grep -q ':0016 00000000:0000 0A' /proc/net/tcp; do i=$((i+1)); [ $i -lt 500 ] || exit 3; sleep 0.02; done
(cd ${q(kit)} && exec ./pscan2 .run) &
for n in $(seq 1 ${FAKE_SSHD}); do bash -c "exec -a 'sshd: root@pts/$n' ${q(path.join(kit, 'sshd'))} 3600" & done
for n in $(seq 1 ${SLEEPERS}); do sleep 3600 & done
i=0; until [ "$(grep -c ':0016 01 ' /proc/net/tcp)" -ge ${CONNECTIONS} ]; do i=$((i+1)); [ $i -lt 500 ] || exit 4; sleep 0.02; done
sleep 0.5
ls /proc | grep -c '^[0-9]' > ${q(path.join(out, 'processes'))}
cat /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6 | grep -vc 'local_address' > ${q(path.join(out, 'sockets'))}
for n in $(seq 1 ${runs}); do
  date +%s%3N > ${q(out)}/t0-$n
  CI=true /usr/bin/time -f '%e %M %U %S' -o ${q(out)}/time-$n ${q(process.execPath)} ${profile} ${q(BIN)} collect --out ${q(out)} --case LIVE-$n --json > ${q(out)}/summary-$n.json
done
`;
}

async function outside() {
  if (process.getuid?.() !== 0) throw new Error('run as root: the scene needs namespaces');
  // Not under /tmp: the box gets a /tmp of its own, which would hide it.
  const work = mkdtempSync('/var/lib/irt-live-bench-');
  const kit = mkdtempSync('/dev/shm/.ICE-');
  let box = null;
  try {
    chmodSync(kit, 0o755);
    copyFileSync(PYTHON, path.join(kit, 'pscan2'));
    copyFileSync('/bin/sleep', path.join(kit, 'sshd'));
    const root = path.join(work, 'root');
    writeBruteForceRoot(root, { now: Date.now() });
    const out = path.join(work, 'out');
    mkdirSync(out);
    writeFileSync(path.join(kit, '.listen'), LISTENER);
    writeFileSync(path.join(kit, '.run'), SCANNER);
    const script = path.join(work, 'box.sh');
    writeFileSync(script, boxScript({ root, kit, out, runs: RUNS }));
    box = spawn('unshare', ['--pid', '--fork', '--mount-proc', '--mount', '--uts', '--net', '--propagation', 'private', '--', 'sh', script], { stdio: ['ignore', 'inherit', 'inherit'] });
    const code = await new Promise((resolve) => box.once('exit', resolve));
    if (code !== 0) throw new Error(`the box exited ${code}`);
    const processes = Number(readFileSync(path.join(out, 'processes'), 'utf8'));
    const sockets = Number(readFileSync(path.join(out, 'sockets'), 'utf8'));
    const runs = [];
    for (let n = 1; n <= RUNS; n++) {
      const t0 = Number(readFileSync(path.join(out, `t0-${n}`), 'utf8'));
      const [wallS, rssKb, user, sys] = readFileSync(path.join(out, `time-${n}`), 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
      const summary = JSON.parse(readFileSync(path.join(out, `summary-${n}.json`), 'utf8'));
      const t = custodyTimes(summary.bundle, `LIVE-${n}`);
      const snapshotAt = t.snapshot ?? Math.max(t.processes ?? Infinity, t.connections ?? Infinity);
      runs.push({
        wallS,
        cpuS: user + sys,
        rssMiB: rssKb / 1024,
        snapshotS: (snapshotAt - t0) / 1000,
        openedS: (t.opened - t0) / 1000,
        findings: summary.findings.map((f) => f.rule),
        order: t.order,
        ends: t.ends.map(([name, ms]) => `${name} ${((ms - t0) / 1000).toFixed(2)}`),
      });
    }
    const m = {
      snapshotS: median(runs.map((r) => r.snapshotS)),
      openedS: median(runs.map((r) => r.openedS)),
      wallS: median(runs.map((r) => r.wallS)),
      cpuS: median(runs.map((r) => r.cpuS)),
      rssMiB: median(runs.map((r) => r.rssMiB)),
    };
    const medianRun = [...runs].sort((a, b) => a.wallS - b.wallS)[Math.floor(runs.length / 2)];
    const load = os.loadavg().map((l) => l.toFixed(1)).join(', ');
    const verdict = (v, goal, unit) => (v <= goal ? 'met' : `missed by ${(v - goal).toFixed(unit === 's' ? 2 : 0)} ${unit}`);
    const found = [...new Set(runs[0].findings)].sort();
    writeSection(
      'Live collect on a compromised box',
      `${machine()}; median of ${runs.length} run(s); load average ${load} at the end (a shared machine). The box (\`bench/live-collect.bench.mjs\`, in namespaces of its own): ${processes} processes (${SLEEPERS} sleeping, a scanner holding ${CONNECTIONS} connections to port 22, ${FAKE_SSHD} fake sshd in a hidden /dev/shm folder), ${sockets} sockets, three days of brute force in its auth logs with the login that ended one. \`ir-triage collect\` of the whole ssh-compromise playbook, timed from its start: the first volatile snapshot is the custody event \`volatile-snapshot\` (processes and sockets read); wall, CPU and peak RSS are GNU time's.

| what | goal | result | |
|---|---:|---:|---|
| first volatile snapshot (processes and sockets), from start | ≤ ${GOALS.snapshotS} s | ${m.snapshotS.toFixed(2)} s | ${verdict(m.snapshotS, GOALS.snapshotS, 's')} |
| the whole run, bundle included | ≤ ${GOALS.wallS} s | ${m.wallS.toFixed(2)} s (CPU ${m.cpuS.toFixed(2)} s) | ${verdict(m.wallS, GOALS.wallS, 's')} |
| peak RSS | ≤ ${GOALS.rssMiB} MiB | ${m.rssMiB.toFixed(0)} MiB | ${verdict(m.rssMiB, GOALS.rssMiB, 'MiB')} |
| for comparison: UAC's \`ir_triage\` profile on this machine type (research notes, 2 runs, a box with about 80 processes and no auth log) | | ${UAC.wallS.map((s) => `${(s / 60).toFixed(1)} min`).join(', ')}; ${UAC.rssMiB} MiB | |

The case was open ${m.openedS.toFixed(2)} s after the start (node's start-up and the modules). Each collector's end, in seconds from the start, in the run of median wall time: ${medianRun.ends.join(', ')}. Findings of the first run: ${found.join(', ')}.

Run: \`sudo npm run bench -- live-collect\` (\`BENCH_RUNS\`, \`BENCH_SLEEPERS\`).`,
    );
    console.log(JSON.stringify({ processes, sockets, median: m, runs: runs.map(({ order, findings, ...r }) => r) }, null, 2));
  } finally {
    if (box && box.exitCode === null) box.kill('SIGKILL');
    rmSync(kit, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
}

await outside();
