// `ir-triage summarize DIR` over N copies of a real bundle laid out as the fleet playbook leaves
// them (DIR/host-NNN/<case>.tar.gz and its sidecar), beside what it replaces: one
// `ir-triage verify` per bundle, and `sha256sum -c` of every sidecar (the archive hashes only).
//   BENCH_SUMMARIZE_N  bundles in the main set (default 100)
//   BENCH_RUNS         runs per command, the median is kept (default 3)
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { BIN, machine, median, REPO, table, writeSection } from './lib.mjs';

const N = Number(process.env.BENCH_SUMMARIZE_N ?? 100);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const dir = mkdtempSync(path.join(os.tmpdir(), 'irt-bench-summarize-'));
const q = (s) => `'${s.replaceAll("'", "'\\''")}'`;

/** Runs the CLI and returns its parsed JSON summary; any other outcome stops the benchmark. */
function collect(args) {
  const r = spawnSync(process.execPath, [BIN, 'collect', '--json', ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0 && r.status !== 3) throw new Error(`collect failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** DIR/host-NNN/<case>.tar.gz(.sha256) × n, copies of one bundle. */
function fleet(name, bundle, n) {
  const root = path.join(dir, name);
  for (let i = 0; i < n; i++) {
    const host = path.join(root, `host-${String(i).padStart(4, '0')}`);
    mkdirSync(host, { recursive: true });
    copyFileSync(bundle, path.join(host, path.basename(bundle)));
    copyFileSync(`${bundle}.sha256`, path.join(host, `${path.basename(bundle)}.sha256`));
  }
  return root;
}

try {
  // The small bundle: collect --root on an image whose auth.log is a recorded OpenSSH 10.0 log
  // (a brute force and a root login after it: 5 findings).
  const image = path.join(dir, 'image');
  mkdirSync(path.join(image, 'etc'), { recursive: true });
  mkdirSync(path.join(image, 'var/log'), { recursive: true });
  writeFileSync(path.join(image, 'etc/hostname'), 'bench-box\n');
  writeFileSync(path.join(image, 'etc/os-release'), 'PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\n');
  writeFileSync(path.join(image, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  copyFileSync(path.join(REPO, 'test/fixtures/auth/openssh-10.0-debian13-rfc3339.log'), path.join(image, 'var/log/auth.log'));
  const small = collect(['--root', image, '--out', path.join(dir, 'src'), '--case', 'SMALL']);
  // The live bundle: the whole ssh-compromise playbook on this machine, as a fleet run makes it.
  const live = collect(['--out', path.join(dir, 'src'), '--case', 'LIVE']);
  const smallKiB = statSync(small.bundle).size / 1024;
  const liveMiB = statSync(live.bundle).size / 2 ** 20;

  const sets = {
    small10: fleet('small-10', small.bundle, 10),
    smallN: fleet(`small-${N}`, small.bundle, N),
    small10N: fleet(`small-${10 * N}`, small.bundle, 10 * N),
    liveN: fleet(`live-${N}`, live.bundle, N),
  };
  const summarize = (set, ...flags) => median(['bash', '-c', `${q(process.execPath)} ${q(BIN)} summarize ${flags.join(' ')} ${q(set)} > /dev/null`], RUNS);
  const rows = [
    [`\`ir-triage summarize\`, 10 small bundles`, summarize(sets.small10)],
    [`\`ir-triage summarize\`, ${N} small bundles`, summarize(sets.smallN)],
    [`\`ir-triage summarize --json\`, ${N} small bundles`, summarize(sets.smallN, '--json')],
    [`\`ir-triage summarize\`, ${10 * N} small bundles`, summarize(sets.small10N)],
    [`\`ir-triage summarize\`, ${N} live bundles`, summarize(sets.liveN)],
    [`\`ir-triage verify\` once per bundle, ${N} small bundles (a shell loop)`, median(['bash', '-c', `for f in ${q(sets.smallN)}/*/*.tar.gz; do ${q(process.execPath)} ${q(BIN)} verify "$f" > /dev/null || exit 1; done`], 1)],
    [`\`sha256sum -c\` of every sidecar, ${N} live bundles (archive hashes only)`, median(['bash', '-c', `for d in ${q(sets.liveN)}/*/; do (cd "$d" && sha256sum --quiet -c *.sha256) || exit 1; done`], RUNS)],
  ];
  // What summarize printed (not timed): every row intact, the verdict the findings give.
  const check = JSON.parse(spawnSync(process.execPath, [BIN, 'summarize', '--json', sets.smallN], { encoding: 'utf8', maxBuffer: 1 << 28 }).stdout);
  if (check.length !== N || !check.every((r) => r.ok)) throw new Error('summarize did not list every bundle as intact');
  const perBundleMs = (m, n) => ((m.wallS * 1000) / n).toFixed(0);

  writeSection(
    'Fleet summary',
    `${machine()}; copies of two real bundles laid out as \`docs/fleet/collect.yml\` leaves them (\`DIR/host-NNN/<case>.tar.gz\` and its sidecar): a small one (\`collect --root\` on an image whose auth.log is the recorded OpenSSH 10.0 log, ${small.findings.length} findings, ${smallKiB.toFixed(0)} KiB) and a live one (the whole ssh-compromise playbook on this machine, ${live.findings.length} findings, ${liveMiB.toFixed(1)} MiB), read from the page cache. Median of ${RUNS} run(s) (the verify loop: one run). Load average ${os.loadavg()[0].toFixed(1)} at the end (a shared machine).

${table(rows)}

summarize verifies every bundle in full, as \`ir-triage verify\` does (the sidecar, every file against SHA256SUMS and manifest.json, the custody chain), reading each archive once as a stream (the archive's own hash for its sidecar taken from the same bytes that go through gunzip and tar-stream, every entry hashed) and keeping only manifest.json, findings.json, SHA256SUMS and custody.jsonl in memory; several bundles are read at once. Per bundle: ${perBundleMs(rows[1][1], N)} ms (small), ${perBundleMs(rows[4][1], N)} ms (live, ${liveMiB.toFixed(1)} MiB: hashing and gunzip dominate), against ${perBundleMs(rows[5][1], N)} ms for a separate \`ir-triage verify\` (node's start-up each time). Run: \`npm run bench -- summarize\` (\`BENCH_SUMMARIZE_N\`, \`BENCH_RUNS\`).`,
  );
  console.log(Object.fromEntries(rows.map(([k, m]) => [k, m])));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
