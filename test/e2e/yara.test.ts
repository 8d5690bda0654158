import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/model/finding.js';
import type { YaraMatchRecord } from '../../src/model/kernel.js';
import { extract, tmpDir } from '../helpers/bundle.js';
import { REPO, runCli } from '../helpers/cli.js';

const children: ChildProcess[] = [];
const made: string[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

async function waitExec(pid: number, exe: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if (execFileSync('readlink', [`/proc/${pid}/exe`], { encoding: 'utf8' }).startsWith(exe)) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`pid ${pid} never ran ${exe}`);
}

describe('--yara', () => {
  it('matches a planted binary running from a hidden /tmp folder and a file beside it; a rule file that does not compile is named with its line', async () => {
    const base = mkdtempSync('/tmp/irt-yara-');
    made.push(base);
    const kit = path.join(base, '.rsync');
    mkdirSync(kit);
    const marker = `IRT-YARA-MARKER-${process.pid}-${Date.now()}`;
    const bin = path.join(kit, 'kswapd0');
    copyFileSync('/bin/sleep', bin);
    // Bytes after the ELF image change nothing in how it runs.
    appendFileSync(bin, `\n${marker}\n`);
    writeFileSync(path.join(kit, 'config.json'), `{"url": "${marker}-config"}\n`);
    const child = spawn(bin, ['300'], { stdio: 'ignore', cwd: kit });
    children.push(child);
    await waitExec(child.pid!, bin);

    const rules = path.join(base, 'rules');
    mkdirSync(rules);
    writeFileSync(path.join(rules, 'kit.yar'), `rule IrtPlanted : kit linux {\n  meta:\n    description = "the planted marker"\n    reference = "https://example.invalid/irt-kit"\n  strings:\n    $m = "${marker}"\n  condition:\n    $m\n}\n`);
    writeFileSync(path.join(rules, 'README.txt'), 'not a rule file: ignored\n');
    // A responder's rule file kept inside the kit folder holds its own string: it is not scanned.
    const own = path.join(kit, 'own.yar');
    writeFileSync(own, `rule IrtOwnText {\n  strings:\n    $m = "IRT-OWN-${marker}"\n  condition:\n    $m\n}\n`);
    const bad = path.join(base, 'bad.yara');
    writeFileSync(bad, 'rule Broken {\n  strings:\n    $a = "x"\n  condition:\n    $b\n}\n');

    const out = tmpDir('irt-yara-out-');
    made.push(out);
    const r = await runCli(['collect', '--out', out, '--case', 'YARA', '--json', '--yara', rules, '--yara', bad, '--yara', own]);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    const hits = (summary.findings as Finding[]).filter((f) => f.rule === 'yara.match' && f.subject.pid === child.pid);
    expect(hits.map((f) => f.subject.path).sort()).toEqual([path.join(kit, 'config.json'), bin].sort());
    const exeHit = hits.find((f) => f.subject.path === bin)!;
    expect(exeHit).toMatchObject({ severity: 'high', subject: { yaraRule: 'IrtPlanted', tags: ['kit', 'linux'], meta: { reference: 'https://example.invalid/irt-kit' } } });
    const caseDir = extract(summary.bundle);
    made.push(path.dirname(caseDir));
    const matches = readFileSync(path.join(caseDir, 'artifacts/yara-matches.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as YaraMatchRecord);
    expect(matches.filter((m) => m.pid === child.pid)).toHaveLength(2);
    // The user's rules run beside the shipped ones.
    const scan = JSON.parse(readFileSync(path.join(caseDir, 'artifacts/yara-scan.json'), 'utf8')) as { ruleFiles: string[] };
    expect(scan.ruleFiles).toContain(path.join(rules, 'kit.yar'));
    expect(scan.ruleFiles.filter((f) => f.startsWith(path.join(REPO, 'playbooks/yara/')))).toHaveLength(3);
    const manifest = readFileSync(path.join(caseDir, 'manifest.json'), 'utf8');
    expect(manifest).toMatch(new RegExp(`${bad.replace(/[.]/g, "\\.")} line \\d+: undefined string \\\\"\\$b\\\\"`));
    expect((await runCli(['verify', summary.bundle])).code).toBe(0);
  }, 120_000);

  it('the shipped rules run by default: a synthetic miner config beside a binary running from a hidden /tmp folder is named by pid and path', async () => {
    const base = mkdtempSync('/tmp/irt-yara-shipped-');
    made.push(base);
    const kit = path.join(base, '.ICE-unix');
    mkdirSync(kit);
    const bin = path.join(kit, 'kdevtmpfsi');
    copyFileSync('/bin/sleep', bin);
    // A config shaped like XMRig's (its documented keys), with a pool on a reserved name and no real wallet.
    const config = path.join(kit, 'config.json');
    writeFileSync(config, JSON.stringify({ 'donate-level': 1, randomx: { mode: 'auto' }, pools: [{ url: 'pool.example.invalid:3333', user: 'x', pass: 'x' }] }, null, 4));
    const child = spawn(bin, ['300'], { stdio: 'ignore', cwd: kit });
    children.push(child);
    await waitExec(child.pid!, bin);

    const out = tmpDir('irt-yara-shipped-out-');
    made.push(out);
    const r = await runCli(['collect', '--out', out, '--case', 'YARA-SHIPPED', '--json']);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    const hits = (summary.findings as Finding[]).filter((f) => f.rule === 'yara.match' && f.subject.pid === child.pid);
    expect(hits).toEqual([expect.objectContaining({ severity: 'high', subject: expect.objectContaining({ pid: child.pid, path: config, yaraRule: 'IRT_Miner_XMRig_Config', tags: ['miner', 'xmrig', 'config'] }) })]);
    expect(hits[0].subject.meta).toMatchObject({ reference: 'https://xmrig.com/docs/miner/config' });
    const caseDir = extract(summary.bundle);
    made.push(path.dirname(caseDir));
    const scan = JSON.parse(readFileSync(path.join(caseDir, 'artifacts/yara-scan.json'), 'utf8')) as { ruleFiles: string[]; rules: number };
    expect(scan.ruleFiles.map((f) => path.relative(REPO, f)).sort()).toEqual(['playbooks/yara/botnets.yar', 'playbooks/yara/miners.yar', 'playbooks/yara/ssh-scanners.yar']);
    expect(scan.rules).toBeGreaterThanOrEqual(9);
    expect((await runCli(['verify', summary.bundle])).code).toBe(0);
  }, 120_000);

  it('with a playbook that names no rules and no --yara, the step says it was skipped', async () => {
    const dir = mkdtempSync('/tmp/irt-yara-none-');
    made.push(dir);
    const playbook = path.join(dir, 'no-yara.yaml');
    writeFileSync(playbook, readFileSync(path.join(REPO, 'playbooks/ssh-compromise.yaml'), 'utf8').replace(/^yara: .*$/m, ''));
    const out = tmpDir('irt-yara-none-');
    made.push(out);
    const r = await runCli(['collect', '--out', out, '--case', 'NOYARA', '--json', '--playbook', playbook]);
    expect(r.code).toBe(0);
    const caseDir = extract(JSON.parse(r.stdout).bundle);
    made.push(path.dirname(caseDir));
    expect(readFileSync(path.join(caseDir, 'manifest.json'), 'utf8')).toMatch(/"id": "yara",[^}]*"status": "skipped"/);
  }, 120_000);
});
