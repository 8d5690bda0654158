// The integrity step on this box, beside the box's own `dpkg --verify` on the same packages and on
// every installed package.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, machine, measure, median, table, writeSection } from './lib.mjs';

if (!existsSync('/var/lib/dpkg/status')) {
  console.log('integrity: needs a Debian box (dpkg database); skipped');
  process.exit(0);
}
const playbook = path.join(import.meta.dirname, 'integrity-only.yaml');
const out = mkdtempSync(path.join(os.tmpdir(), 'irt-bench-'));
// The same run with only the host step: start-up, host description and bundle, without the check.
const baselinePlaybook = path.join(out, 'host-only.yaml');
writeFileSync(baselinePlaybook, 'title: Baseline\ndescription: The host step alone.\nsteps:\n  - id: host\n    kind: collect\n    title: Host\n    why: The cost of a run without the integrity step.\n    collect: [host]\n');
try {
  // One run kept open to learn what was checked.
  const first = spawnSync(process.execPath, [BIN, 'collect', '--playbook', playbook, '--out', out, '--case', 'BI', '--keep-dir', '--json'], { encoding: 'utf8' });
  if (first.status !== 0) throw new Error(`collect failed: ${first.stderr}`);
  const records = readFileSync(path.join(out, 'BI', 'artifacts/integrity.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const packages = [...new Set(records.map((r) => r.package).filter(Boolean))].sort();
  const megabytes = records.reduce((s, r) => s + (r.size ?? 0), 0) / 2 ** 20;
  const installed = spawnSync('dpkg-query', ['-f', '${db:Status-Abbrev}\n', '-W'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith('ii')).length;

  let n = 0;
  const load = os.loadavg()[0];
  const baseline = median(() => [process.execPath, BIN, 'collect', '--playbook', baselinePlaybook, '--out', out, '--case', `H${n++}`], 3);
  const collect = median(() => [process.execPath, BIN, 'collect', '--playbook', playbook, '--out', out, '--case', `B${n++}`], 3);
  const verifySame = median(['dpkg', '--verify', ...packages], 3);
  const verifyAll = measure(['dpkg', '--verify']);
  writeSection(
    'Integrity of the box\'s tools',
    `${machine()}; ${records.length} files (${megabytes.toFixed(0)} MiB) of ${packages.length} packages checked, as root; load average ${load.toFixed(1)} when it started. Median of 3 runs (the full \`dpkg --verify\`: one run).

${table([
      ['`ir-triage collect` with only the host step (start-up, host description, bundle): the baseline', baseline],
      ['`ir-triage collect` with only the integrity step (find the tools, read every `info/*.list` for their owners, hash every binary of those packages with md5 and sha256, `dpkg --verify` on them, the rule, the bundle)', collect],
      [`\`dpkg --verify\` on the same ${packages.length} packages`, verifySame],
      [`\`dpkg --verify\` of all ${installed} installed packages (what \`dpkg -V\` in a generic collection does)`, verifyAll],
    ])}

The step itself costs the difference between the first two rows. Verifying the whole packages of the tools, not every package of the box, keeps it to seconds where a full \`dpkg --verify\` takes the better part of a minute; the box's own \`dpkg --verify\` on those packages is part of it. Run: \`npm run bench -- integrity\`.`,
  );
  console.log({ files: records.length, packages: packages.length, megabytes, load, baseline, collect, verifySame, verifyAll });
} finally {
  rmSync(out, { recursive: true, force: true });
}
