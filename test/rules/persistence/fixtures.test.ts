/**
 * The persistence rules through the real CLI: `collect --root` on a fake Debian root with what SSH
 * kits leave behind, and on a clean one copied from a real Debian 12 machine. The roots are copied
 * first, so file times are those of the copy (inside the default incident window).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../../src/model/finding.js';
import { extract, tmpDir } from '../../helpers/bundle.js';
import { runCli } from '../../helpers/cli.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/persistence-autostart/', import.meta.url));
const MINE = ['persistence.cron', 'persistence.systemd', 'persistence.startup', 'persistence.preload'];

async function collect(name: string): Promise<{ findings: Finding[]; caseDir: string; stderr: string }> {
  const base = tmpDir('irt-pers-');
  const root = path.join(base, 'root');
  execFileSync('cp', ['-a', path.join(FIXTURES, name), root]);
  const out = path.join(base, 'out');
  mkdirSync(out);
  const r = await runCli(['collect', '--root', root, '--out', out, '--case', name, '--json']);
  expect(r.code, r.stderr).toBe(0);
  const summary = JSON.parse(r.stdout) as { bundle: string; findings: Finding[] };
  const caseDir = extract(summary.bundle);
  const findings = JSON.parse(readFileSync(path.join(caseDir, 'findings.json'), 'utf8')) as Finding[];
  return { findings: findings.filter((f) => MINE.includes(f.rule)), caseDir, stderr: r.stderr };
}

const key = (f: Finding) => [f.rule, f.severity, f.subject.path, f.subject.line];

describe('persistence rules on fake roots (collect --root, findings.json)', () => {
  let infected: Awaited<ReturnType<typeof collect>>;
  let clean: Awaited<ReturnType<typeof collect>>;
  beforeAll(async () => {
    infected = await collect('infected');
    clean = await collect('clean');
  }, 120_000);

  it('the infected root: every planted item, at its file and line, at its level', () => {
    expect(infected.findings.map(key).sort()).toEqual(
      [
        // Outlaw: a kit folder on the tool list (.rsync, .configrc) makes it critical.
        ['persistence.cron', 'critical', '/var/spool/cron/crontabs/alice', 5],
        ['persistence.cron', 'critical', '/var/spool/cron/crontabs/alice', 6],
        ['persistence.cron', 'high', '/var/spool/cron/crontabs/alice', 7],
        ['persistence.cron', 'high', '/var/spool/cron/root', 1],
        ['persistence.cron', 'high', '/etc/cron.d/php-update', 2],
        ['persistence.cron', 'critical', '/etc/cron.hourly/gcc.sh', 6],
        ['persistence.cron', 'high', '/var/spool/cron/atjobs/a00001019e2f41', 12],
        ['persistence.systemd', 'critical', '/etc/systemd/system/kswapd0.service', 7],
        ['persistence.systemd', 'high', '/etc/systemd/system/apt-refresh.service', 6],
        ['persistence.systemd', 'medium', '/etc/systemd/system/app.service', 6],
        ['persistence.startup', 'high', '/etc/rc.local', 2],
        ['persistence.startup', 'high', '/home/alice/.bashrc', 114],
        ['persistence.preload', 'critical', '/etc/environment', 2],
        ['persistence.preload', 'critical', '/etc/ld.so.preload', 1],
      ].sort(),
    );
  });

  it('findings say what runs, when, and point at the artifact and the preserved copy', () => {
    const outlaw = infected.findings.find((f) => f.subject.path === '/var/spool/cron/crontabs/alice' && f.subject.line === 5)!;
    expect(outlaw.title).toBe('Cron job runs "/tmp/.X25-unix/.rsync/c/a" (/var/spool/cron/crontabs/alice line 5)');
    expect(outlaw.subject).toMatchObject({ user: 'alice', schedule: '* * * * *', runs: '/tmp/.X25-unix/.rsync/c/a', source: 'spool' });
    expect(outlaw.evidence).toEqual(['artifacts/cron.jsonl', 'files/persistence/var/spool/cron/crontabs/alice']);
    expect(outlaw.mitre).toContain('T1053.003');
    const reboot = infected.findings.find((f) => f.subject.line === 6 && f.subject.path === '/var/spool/cron/crontabs/alice')!;
    expect(reboot.title).toMatch(/^@reboot cron job runs "\/home\/alice\/.configrc\/b\/sync"/);
    expect(reboot.detail).toContain('at every boot (@reboot)');
    const curl = infected.findings.find((f) => f.subject.line === 7 && f.subject.path === '/var/spool/cron/crontabs/alice')!;
    expect(curl.detail).toContain('curl … | sh');
    const unit = infected.findings.find((f) => f.subject.path === '/etc/systemd/system/kswapd0.service')!;
    expect(unit.subject).toMatchObject({ unit: 'kswapd0.service', enabled: true, wantedBy: ['/etc/systemd/system/multi-user.target.wants/kswapd0.service'] });
    const timer = infected.findings.find((f) => f.subject.path === '/etc/systemd/system/apt-refresh.service')!;
    expect(timer.subject.timers).toEqual(['/etc/systemd/system/apt-refresh.timer']);
    expect(timer.detail).toContain('OnCalendar=*-*-* 03:17:00');
    for (const f of infected.findings) for (const e of f.evidence) expect(existsSync(path.join(infected.caseDir, e)), e).toBe(true);
    // The copy is the file, byte for byte.
    expect(readFileSync(path.join(infected.caseDir, 'files/persistence/var/spool/cron/crontabs/alice'))).toEqual(readFileSync(path.join(FIXTURES, 'infected/var/spool/cron/crontabs/alice')));
  });

  it('the artifacts hold the parsed records, and every source is ok', () => {
    const jsonl = (n: string) => readFileSync(path.join(infected.caseDir, 'artifacts', n), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const cron = jsonl('cron.jsonl');
    expect(cron.find((e) => e.file === '/etc/crontab' && e.line === 18)).toMatchObject({ kind: 'job', schedule: '17 * * * *', user: 'root', command: 'cd / && run-parts --report /etc/cron.hourly' });
    const units = jsonl('systemd-units.jsonl');
    expect(units.map((u) => u.name).sort()).toEqual(['app.service', 'apt-refresh.service', 'apt-refresh.timer', 'kswapd0.service']);
    expect(units.find((u) => u.name === 'kswapd0.service').exec[0]).toMatchObject({ key: 'ExecStart', path: '/dev/shm/.x/kswapd0', command: '/dev/shm/.x/kswapd0  --config /dev/shm/.x/config.json' });
    expect(jsonl('startup-files.jsonl').find((e) => e.file === '/etc/ld.so.preload')).toMatchObject({ what: 'preload-library', value: '/usr/local/lib/libns2.so' });
    const manifest = JSON.parse(readFileSync(path.join(infected.caseDir, 'manifest.json'), 'utf8'));
    const mine = manifest.sources.filter((s: { id: string }) => /^(cron|systemd-units|startup-files)/.test(s.id));
    expect(mine.map((s: { id: string }) => s.id).sort()).toEqual(['cron', 'startup-files', 'systemd-units']);
    expect(mine.every((s: { status: string }) => s.status === 'ok')).toBe(true);
  });

  it('the clean Debian root: no persistence finding, and its packaged units are left out', () => {
    expect(clean.findings).toEqual([]);
    const units = readFileSync(path.join(clean.caseDir, 'artifacts/systemd-units.jsonl'), 'utf8').trim();
    expect(units).toBe('');
    const cron = readFileSync(path.join(clean.caseDir, 'artifacts/cron.jsonl'), 'utf8').trim().split('\n');
    expect(cron.length).toBeGreaterThanOrEqual(8);
  });
});
