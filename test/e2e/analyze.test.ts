/**
 * `ir-triage analyze` (the built CLI) over auth logs of three OpenSSH generations, both stamp
 * styles, a journal export and binary wtmp/btmp, checked against the real grep and awk.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { AnalyzeResult } from '../../src/cli/analyze.js';
import { tmpDir } from '../helpers/bundle.js';
import { CORPUS, runCli } from '../helpers/cli.js';

const FIX = path.resolve(import.meta.dirname, '../fixtures/auth');
const fixture = (name: string) => path.join(FIX, name);
const LOGHUB = path.join(CORPUS ?? '/nonexistent', 'loghub/OpenSSH_2k.log');

/**
 * The real grep and awk: Failed lines of the sshd programs, `message repeated N times` weighing N
 * (the line before it counted itself), the address after the last "from".
 */
const ORACLE = `grep -aE '(sshd|sshd-session|sshd-auth)\\[[0-9]+\\]: (message repeated [0-9]+ times: \\[ )?Failed [^ ]+ for ' "$1" |
  awk '{ n = 1; for (i = 2; i < NF; i++) if ($(i-1) == "message" && $i == "repeated") n = $(i+1);
         ip = ""; for (i = 1; i <= NF; i++) if ($i == "from") ip = $(i+1); c[ip] += n }
       END { for (ip in c) print ip, c[ip] }'`;

function grepAwk(file: string): Record<string, number> {
  const out = execFileSync('bash', ['-c', ORACLE, 'oracle', file], { encoding: 'utf8' });
  return Object.fromEntries(out.trim().split('\n').filter(Boolean).map((l) => [l.split(' ')[0], Number(l.split(' ')[1])]));
}

async function analyze(args: string[]): Promise<{ result: AnalyzeResult; stderr: string; code: number | null }> {
  const r = await runCli(['analyze', '--json', ...args]);
  expect(r.stdout, r.stderr).toMatch(/^\{/);
  return { result: JSON.parse(r.stdout) as AnalyzeResult, stderr: r.stderr, code: r.code };
}

/** Failures per address from Failed lines only (PAM lines standing alone are not Failed lines). */
function failedLineCounts(result: AnalyzeResult): Record<string, number> {
  return Object.fromEntries(
    result.addresses.map((a) => [a.address, a.failures - (a.failuresByMethod.pam ?? 0)] as const).filter(([, n]) => n > 0),
  );
}

const rulesOf = (r: AnalyzeResult) => r.findings.map((f) => `${f.rule} ${f.severity} ${f.subject.ip ?? f.subject.host ?? ''}`).sort();

describe('analyze: per-address failures equal grep and awk, message repeated expanded', () => {
  const cases: Array<[string, string[]]> = [
    ['openssh-7.2-ubuntu16.04-rfc3164.log', ['--year', '2016']],
    ['openssh-8.2-ubuntu20.04-rfc3164.log', ['--year', '2023']],
    ['openssh-9.2-debian12-rsyslog-rfc3164.log', ['--year', '2026']],
    ['openssh-9.2-debian12-rsyslog-rfc3339.log', []],
    ['openssh-10.0-debian13-rfc3339.log', []],
  ];
  for (const [name, args] of cases) {
    it(name, async () => {
      const { result, code } = await analyze([...args, fixture(name)]);
      expect(code).toBe(0);
      const oracle = grepAwk(fixture(name));
      expect(Object.keys(oracle).length).toBeGreaterThanOrEqual(2);
      expect(failedLineCounts(result)).toEqual(oracle);
      // In these logs every PAM failure has its Failed line: the totals are the grep counts.
      expect(result.addresses.every((a) => !a.failuresByMethod.pam)).toBe(true);
      expect(result.files).toMatchObject([{ file: fixture(name), kind: 'syslog', gzip: false }]);
      expect(result.files[0].stats!.unparsed).toBe(0);
    });
  }

  it.skipIf(!existsSync(LOGHUB))('the real loghub OpenSSH_2k.log (reference input, read in place)', async () => {
    const { result } = await analyze(['--year', '2017', LOGHUB]);
    expect(failedLineCounts(result)).toEqual(grepAwk(LOGHUB));
    expect(result.files[0].stats!.lines).toBe(2000);
    expect(rulesOf(result).filter((r) => r.startsWith('auth.bruteforce')).length).toBe(6);
  });
});

describe('analyze: findings per OpenSSH generation', () => {
  it('7.2: a brute force that got in across New Year, a root key login', async () => {
    const { result } = await analyze(['--year', '2016', fixture('openssh-7.2-ubuntu16.04-rfc3164.log')]);
    expect(rulesOf(result)).toEqual([
      'auth.bruteforce medium 112.95.230.3',
      'auth.bruteforce medium 198.51.100.66',
      'auth.login-after-failures critical 198.51.100.66',
      'auth.root-login high 192.0.2.10',
    ]);
    const login = result.findings.find((f) => f.rule === 'auth.login-after-failures')!;
    expect(login).toMatchObject({ id: 'F-0001', subject: { user: 'deploy', failuresBefore: 12, firstFailure: '2016-12-31T23:58:02.000Z', time: '2017-01-01T00:00:36.000Z' } });
    expect(login.evidence).toEqual([fixture('openssh-7.2-ubuntu16.04-rfc3164.log')]);
    expect(result.sessions.map((s) => [s.user, s.from, s.method, s.login, s.logout])).toEqual([
      ['deploy', '198.51.100.66', 'password', '2017-01-01T00:00:36.000Z', '2017-01-01T00:11:26.000Z'],
      ['root', '192.0.2.10', 'publickey', '2017-01-01T00:15:28.000Z', '2017-01-01T00:16:13.000Z'],
      ['alice', '192.0.2.10', 'password', '2017-01-01T00:17:27.000Z', null],
    ]);
  });

  it('8.2: a password spray on one account, an IPv6 brute force', async () => {
    const { result } = await analyze(['--year', '2023', fixture('openssh-8.2-ubuntu20.04-rfc3164.log')]);
    expect(rulesOf(result)).toEqual([
      'auth.bruteforce medium 2001:db8:dead::1',
      'auth.bruteforce medium 203.0.113.8',
      'auth.login-after-failures critical 198.18.0.99',
    ]);
    expect(result.findings.find((f) => f.rule === 'auth.login-after-failures')!.subject).toMatchObject({ user: 'carol', counted: 'for-user', failuresBefore: 12 });
  });

  it('10.0 (sshd-session, sshd-auth, RFC 3339 with an offset): root guessed by keyboard-interactive', async () => {
    const { result } = await analyze([fixture('openssh-10.0-debian13-rfc3339.log')]);
    expect(rulesOf(result)).toEqual([
      'auth.bruteforce medium 203.0.113.66',
      'auth.bruteforce medium 203.0.113.9',
      'auth.login-after-failures critical 203.0.113.66',
      'auth.root-login high 192.0.2.44',
      'auth.root-login high 203.0.113.66',
    ]);
    // 09:03:12+01:00 is 08:03:12 UTC.
    expect(result.findings.find((f) => f.rule === 'auth.login-after-failures')!.subject).toMatchObject({ user: 'root', method: 'keyboard-interactive/pam', time: '2025-11-03T08:03:12.123Z' });
  });

  it('real Debian 12 output: the address that got in after 11 failures', async () => {
    const { result } = await analyze([fixture('openssh-9.2-debian12-rsyslog-rfc3339.log')]);
    expect(rulesOf(result)).toEqual(['auth.bruteforce medium 127.0.0.2', 'auth.bruteforce medium 127.0.0.3', 'auth.login-after-failures critical 127.0.0.3']);
    expect(result.addresses.map((a) => [a.address, a.failures])).toEqual([['127.0.0.2', 20], ['127.0.0.3', 11], ['127.0.0.4', 2]]);
  });

  it('a journalctl -o json export, recognised by its first line; a byte-array MESSAGE decoded', async () => {
    const { result } = await analyze([fixture('journal-openssh-9.8.json')]);
    expect(result.files[0]).toMatchObject({ kind: 'journal-json' });
    expect(rulesOf(result)).toEqual(['auth.bruteforce medium 203.0.113.77', 'auth.login-after-failures critical 203.0.113.77']);
    expect(result.addresses.find((a) => a.address === '203.0.113.78')!.users).toEqual([{ user: 'r\uFFFDseau', count: 1, exact: true, error: 0 }]);
  });
});

describe('analyze: files as they are handed over', () => {
  it('rotations in any order, gzip by its magic (whatever the name), the year per --year', async () => {
    const dir = tmpDir('irt-analyze-rot-');
    const lines = readFileSync(fixture('openssh-7.2-ubuntu16.04-rfc3164.log'), 'utf8').trimEnd().split('\n');
    const cut = lines.findIndex((l) => l.includes('Accepted password for deploy'));
    writeFileSync(path.join(dir, 'auth.log.1.gz'), gzipSync(lines.slice(0, cut).join('\n') + '\n'));
    writeFileSync(path.join(dir, 'auth.log'), lines.slice(cut).join('\n') + '\n');
    const { result, code } = await analyze(['--year', '2016', path.join(dir, 'auth.log'), path.join(dir, 'auth.log.1.gz')]);
    expect(code).toBe(0);
    expect(result.files.map((f) => [path.basename(f.file), f.gzip])).toEqual([['auth.log', false], ['auth.log.1.gz', true]]);
    // --year is the year of the first line read (the older rotation); the live file runs on into the next year.
    expect(result.files.map((f) => [f.stats!.firstTime, f.stats!.lastTime])).toEqual([
      ['2017-01-01T00:00:36.000Z', '2017-01-01T00:17:27.000Z'], ['2016-12-31T22:10:00.000Z', '2017-01-01T00:00:25.000Z'],
    ]);
    // The failures in the older rotation come before the login in the live file.
    const login = result.findings.find((f) => f.rule === 'auth.login-after-failures')!;
    expect(login.subject).toMatchObject({ user: 'deploy', failuresBefore: 12 });
    expect(login.evidence).toEqual([path.join(dir, 'auth.log.1.gz'), path.join(dir, 'auth.log')]);

    copyFileSync(path.join(dir, 'auth.log.1.gz'), path.join(dir, 'evidence-from-customer.txt'));
    const renamed = await analyze(['--year', '2016', path.join(dir, 'evidence-from-customer.txt')]);
    expect(renamed.result.files[0]).toMatchObject({ kind: 'syslog', gzip: true });
    expect(renamed.result.addresses.find((a) => a.address === '198.51.100.66')!.failures).toBe(12);
  });

  it('without --year, the year of an RFC 3164 log comes from its mtime', async () => {
    const dir = tmpDir('irt-analyze-mtime-');
    const file = path.join(dir, 'auth.log');
    copyFileSync(fixture('openssh-7.2-ubuntu16.04-rfc3164.log'), file);
    utimesSync(file, new Date('2017-01-02T00:00:00Z'), new Date('2017-01-02T00:00:00Z'));
    const { result } = await analyze([file]);
    expect(result.files[0].stats).toMatchObject({ firstTime: '2016-12-31T22:10:00.000Z', lastTime: '2017-01-01T00:17:27.000Z' });
  });

  it('--tz reads zone-less stamps in that zone and leaves stamps with an offset alone', async () => {
    const { result: berlin } = await analyze(['--year', '2016', '--tz', 'Europe/Berlin', fixture('openssh-7.2-ubuntu16.04-rfc3164.log')]);
    expect(berlin.files[0].stats!.firstTime).toBe('2016-12-31T21:10:00.000Z');
    const { result: offset } = await analyze(['--tz', 'Asia/Tokyo', fixture('openssh-10.0-debian13-rfc3339.log')]);
    expect(offset.files[0].stats!.firstTime).toBe('2025-11-03T08:00:00.123Z');
  });

  it('wtmp and btmp (binary, by their content): sessions, the login rules, btmp failures per address', async (ctx) => {
    if (!existsSync('/usr/bin/utmpdump')) return ctx.skip('utmpdump (util-linux) is not installed');
    const dir = tmpDir('irt-analyze-utmp-');
    const undump = (name: string, out: string) => {
      const r = spawnSync('/usr/bin/utmpdump', ['-r'], { input: readFileSync(fixture(name)) });
      writeFileSync(path.join(dir, out), r.stdout);
      return path.join(dir, out);
    };
    const wtmp = undump('wtmp.utmpdump.txt', 'wtmp');
    const btmp = undump('btmp.utmpdump.txt', 'btmp.1');
    writeFileSync(path.join(dir, 'wtmp.gz'), gzipSync(readFileSync(wtmp)));
    const { result, code } = await analyze([fixture('openssh-10.0-debian13-rfc3339.log'), wtmp, btmp]);
    expect(code).toBe(0);
    expect(result.files.map((f) => [path.basename(f.file), f.kind, f.records ?? null])).toEqual([
      ['openssh-10.0-debian13-rfc3339.log', 'syslog', null], ['wtmp', 'wtmp', 5], ['btmp.1', 'btmp', 15],
    ]);
    expect(result.addresses.find((a) => a.address === '203.0.113.66')).toMatchObject({ failures: 15, btmpFailures: 15 });
    expect(rulesOf(result).filter((r) => r.startsWith('login.'))).toEqual(['login.root-remote high 192.0.2.44', 'login.root-remote high 203.0.113.66']);
    expect(result.findings.filter((f) => f.rule === 'login.root-remote').every((f) => f.evidence.join() === wtmp)).toBe(true);
    expect(result.sessions.filter((s) => s.source === 'wtmp').map((s) => [s.user, s.from, s.login, s.end])).toEqual([
      ['reboot', null, '2025-11-03T07:55:00.000000Z', 'reboot'],
      ['root', '203.0.113.66', '2025-11-03T08:03:12.200000Z', 'logout'],
      ['root', '192.0.2.44', '2025-11-03T08:08:12.300000Z', 'still-logged-in'],
    ]);
    // btmp alone: its brute force is a finding of its own, which the auth log above accounted for.
    const alone = await analyze([btmp]);
    expect(rulesOf(alone.result)).toEqual(['login.btmp-bruteforce medium 203.0.113.66']);
    expect(alone.result.findings[0].detail).toContain('No auth log or journal was read');
    const gz = await analyze([path.join(dir, 'wtmp.gz')]);
    expect(gz.result.files[0]).toMatchObject({ kind: 'wtmp', gzip: true, records: 5 });
  });

  it('a wtmp cut mid-record is still read, and login.log-tampering says so', async (ctx) => {
    if (!existsSync('/usr/bin/utmpdump')) return ctx.skip('utmpdump (util-linux) is not installed');
    const dir = tmpDir('irt-analyze-cut-');
    const bin = spawnSync('/usr/bin/utmpdump', ['-r'], { input: readFileSync(fixture('wtmp.utmpdump.txt')) }).stdout;
    writeFileSync(path.join(dir, 'wtmp'), bin.subarray(0, bin.length - 100));
    const { result } = await analyze([path.join(dir, 'wtmp')]);
    expect(result.files[0]).toMatchObject({ kind: 'wtmp', records: 4, trailingBytes: 284 });
    expect(result.findings.map((f) => f.rule)).toContain('login.log-tampering');
  });

  it('thresholds come from --playbook', async () => {
    const dir = tmpDir('irt-analyze-pb-');
    const pb = readFileSync(path.resolve(import.meta.dirname, '../../playbooks/ssh-compromise.yaml'), 'utf8')
      .replace('auth.bruteforce: { failures: 10 }', 'auth.bruteforce: { failures: 15 }');
    writeFileSync(path.join(dir, 'strict.yaml'), pb);
    const { result } = await analyze(['--playbook', path.join(dir, 'strict.yaml'), fixture('openssh-10.0-debian13-rfc3339.log')]);
    expect(rulesOf(result).filter((r) => r.startsWith('auth.bruteforce'))).toEqual(['auth.bruteforce medium 203.0.113.66']);
  });
});

describe('analyze: the command line', () => {
  it('prints tables with every string sanitised for the terminal', async () => {
    const dir = tmpDir('irt-analyze-esc-');
    const file = path.join(dir, 'auth.log');
    const evil = 'x\u001b[2J\u001b]0;pwned\u0007';
    writeFileSync(file, Array.from({ length: 10 }, (_, i) => `2024-05-01T10:00:0${i}+00:00 h sshd[${100 + i}]: Failed password for invalid user ${evil} from 203.0.113.5 port ${4000 + i} ssh2`).join('\n') + '\n');
    const r = await runCli(['analyze', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(r.stdout).toContain('x\\x1b[2J\\x1b]0;pwned\\x07');
    expect(r.stdout).toMatch(/^Files\n/);
    expect(r.stdout).toMatch(/\n {2}203\.0\.113\.5 +10 +100% /);
    expect(r.stdout).toMatch(/F-0001 medium +SSH brute force from 203\.0\.113\.5: 10 failed logins/);
  });

  it('a missing file: one line naming it on stderr, the others still analysed, exit 1', async () => {
    const missing = path.join(tmpDir('irt-analyze-miss-'), 'auth.log.9');
    const { result, stderr, code } = await analyze([missing, fixture('openssh-10.0-debian13-rfc3339.log')]);
    expect(code).toBe(1);
    expect(stderr).toBe(`ir-triage: ENOENT: ${missing}: no such file\n`);
    expect(result.files[0]).toMatchObject({ file: missing, kind: null, error: `ENOENT: ${missing}: no such file` });
    expect(result.findings.length).toBe(5);
  });

  it('a folder is unreadable as a file, said in one line', async () => {
    const dir = tmpDir('irt-analyze-dir-');
    const r = await runCli(['analyze', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`ir-triage: ${dir}: a folder, not a regular file: not read\n`);
  });

  it('no file: usage, exit 2; a bad --tz or --year: exit 2', async () => {
    const none = await runCli(['analyze']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/missing required argument 'file'/);
    const tz = await runCli(['analyze', '--tz', 'Mars/Base', fixture('openssh-10.0-debian13-rfc3339.log')]);
    expect(tz.code).toBe(2);
    expect(tz.stderr).toBe('ir-triage: --tz "Mars/Base": not a time zone name this runtime knows (for example UTC, Europe/Berlin)\n');
    expect((await runCli(['analyze', '--year', '17', fixture('openssh-10.0-debian13-rfc3339.log')])).code).toBe(2);
  });

  it('has its place in help', async () => {
    const r = await runCli(['help', 'analyze']);
    expect(r.stdout).toMatch(/--year <yyyy>/);
    expect(r.stdout).toMatch(/--tz <zone>/);
  });
});

describe('analyze: a keys-only box under attack (scans, sweeps, a refused root key) beside ordinary logins', () => {
  it('finds the refusal, the sweep and the probes; the SSSD and multi-key logins raise nothing', async () => {
    const { result, code } = await analyze(['--year', '2024', fixture('openssh-9.6-keys-only-attacks.log')]);
    expect(code).toBe(0);
    expect(rulesOf(result)).toEqual([
      'auth.enumeration low 203.0.113.60',
      'auth.probe low 203.0.113.95',
      'auth.probe medium 203.0.113.97',
      'auth.root-login-refused high 203.0.113.50',
    ]);
    const rows = Object.fromEntries(result.addresses.map((a) => [a.address, a]));
    expect(rows['192.0.2.30']).toMatchObject({ failures: 0, acceptedCount: 12 });
    expect(rows['192.0.2.31']).toMatchObject({ failures: 0, keysBeforeLogin: 12, acceptedCount: 6 });
    // No address without a reason: each row has a non-zero count of some kind.
    for (const a of result.addresses) {
      const reasons = a.failures + a.invalidUsers + a.rootRefused + a.preauthDisconnects + a.noIdentification + a.kexFailures + a.authTimeouts + a.maxAttempts + a.keysBeforeLogin + a.acceptedCount;
      expect(reasons, a.address).toBeGreaterThan(0);
    }
    expect(result.files[0].stats).toMatchObject({ notUnderstood: 0 });
    const text = await runCli(['analyze', '--year', '2024', fixture('openssh-9.6-keys-only-attacks.log')]);
    expect(text.stdout).toMatch(/ROOT REFUSED +PREAUTH CLOSED +NO IDENT +KEX FAILED +TIMEOUT +MAX TRIES +KEYS BEFORE LOGIN/);
  });
});
