/**
 * A plain `collect` with the shipped playbook (its YARA rules included) on the machine running the
 * tests: no rootkit or YARA finding about anything this test did not plant, and this test plants
 * nothing. Other test files run at the same time and plant hidden processes, raw sockets and kit
 * folders on purpose: a finding about a process started under another vitest worker (read from
 * the bundle's own process table, the pid walk and the /proc mounts) is theirs and set aside; the
 * test runner's own processes, the rest of the machine and the kernel must raise nothing.
 */
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/model/finding.js';
import type { PidWalk, ProcMountHide } from '../../src/model/kernel.js';
import type { ProcessRecord } from '../../src/model/processes.js';
import { extract, tmpDir } from '../helpers/bundle.js';
import { REPO, runCli } from '../helpers/cli.js';

const ROOTKIT_AND_YARA = ['process.hidden', 'process.hidden-by-mount', 'kernel.hidden-module', 'kernel.tainted', 'network.raw-packet-socket', 'sshd.injected-library', 'yara.match'];

const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

const jsonl = <T>(file: string): T[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);

describe('a clean machine under the test runner', () => {
  it('collect with the shipped playbook raises no rootkit or YARA finding about anything not planted by a test', async () => {
    const out = tmpDir('irt-clean-');
    made.push(out);
    const r = await runCli(['collect', '--out', out, '--case', 'CLEAN', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { bundle: string; findings: Finding[] };
    const caseDir = extract(summary.bundle);
    made.push(path.dirname(caseDir));
    const art = (f: string) => path.join(caseDir, 'artifacts', f);

    // Every process the run saw, with its parent: the table, the hidden pids of the walk, the pids under a /proc mount.
    const parent = new Map<number, number>();
    const argv = new Map<number, string>();
    for (const p of jsonl<ProcessRecord>(art('processes.jsonl'))) {
      parent.set(p.pid, p.ppid);
      argv.set(p.pid, p.argv.join(' '));
    }
    const walk = JSON.parse(readFileSync(art('pid-walk.json'), 'utf8')) as PidWalk;
    for (const h of walk.hidden) if (h.ppid !== null && !parent.has(h.pid)) parent.set(h.pid, h.ppid);
    for (const m of jsonl<ProcMountHide>(art('proc-mounts.jsonl'))) if (m.parents.length > 0 && !parent.has(m.pid)) parent.set(m.pid, m.parents[0]);
    const isRunner = (pid: number) => /\bvitest\b/.test(argv.get(pid) ?? '');
    /** Started under a vitest process without being one: a test's plant (or another test's ir-triage). */
    const plantedByATest = (pid: number): boolean => {
      if (isRunner(pid)) return false;
      const seen = new Set<number>();
      for (let p = parent.get(pid); p !== undefined && p > 1 && !seen.has(p); p = parent.get(p)) {
        seen.add(p);
        if (isRunner(p)) return true;
      }
      return false;
    };

    const mine = summary.findings.filter((f) => ROOTKIT_AND_YARA.includes(f.rule));
    const unexplained = mine.filter((f) => typeof f.subject.pid !== 'number' || !plantedByATest(f.subject.pid));
    expect(unexplained.map((f) => `${f.rule}: ${f.title}`)).toEqual([]);

    // The checks ran: the pid walk covered the pid space, the kernel views were read, the shipped rules were loaded.
    expect(walk.walkedTo).toBeGreaterThan(0);
    const manifest = JSON.parse(readFileSync(path.join(caseDir, 'manifest.json'), 'utf8')) as { sources: Array<{ id: string; status: string }> };
    expect(manifest.sources.find((s) => s.id === 'yara')).toMatchObject({ status: 'ok' });
    expect(manifest.sources.filter((s) => s.id === 'yara.rules')).toEqual([]);
    const scan = JSON.parse(readFileSync(art('yara-scan.json'), 'utf8')) as { ruleFiles: string[]; rules: number };
    expect(scan.ruleFiles.map((f) => path.relative(REPO, f)).sort()).toEqual(['playbooks/yara/botnets.yar', 'playbooks/yara/miners.yar', 'playbooks/yara/ssh-scanners.yar']);
    expect(scan.rules).toBeGreaterThanOrEqual(9);
  }, 300_000);
});
