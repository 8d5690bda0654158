/**
 * A real OpenSSH server brute-forced over loopback, its log written by a real rsyslog, then the
 * real CLI: `collect --root` on a fake root holding that log as /var/log/auth.log, and `analyze`.
 *
 * Why rsyslog: `sshd -E file` writes bare messages (no time, host or tag) and PAM's own lines do
 * not go there at all, which is not a log anyone hands over. So sshd logs through syslog(3) to
 * /dev/log, as on a Debian box with rsyslog: sshd and rsyslogd run in a private mount namespace
 * whose /dev is a fresh tmpfs (null, zero, random, urandom, tty bound in), so their /dev/log is
 * theirs alone and the machine's logging is untouched. rsyslog writes both of Debian's stamp
 * styles from the same messages, with $RepeatedMsgReduction on for real `message repeated` lines.
 *
 * With `PermitRootLogin no`, a client logs in as root with a key root's authorized_keys holds:
 * sshd accepts the key, then refuses the login (`ROOT LOGIN REFUSED`). That authorized_keys is
 * the namespace's own: /root there is a fresh tmpfs holding only .ssh/authorized_keys with the
 * test's key, so the machine's /root is never written (a test checks it is byte for byte as
 * before). Another loopback address sweeps user names that are not accounts (`Invalid user`).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalyzeResult } from '../../src/cli/analyze.js';
import type { AuthAddressRow } from '../../src/model/auth.js';
import type { Finding } from '../../src/model/finding.js';
import { extract, tmpDir } from '../helpers/bundle.js';
import { isRoot, runCli } from '../helpers/cli.js';

const SSHD = '/usr/sbin/sshd';
const SSH = '/usr/bin/ssh';
const SSHPASS = '/usr/bin/sshpass';
const RSYSLOGD = '/usr/sbin/rsyslogd';
const UNSHARE = '/usr/bin/unshare';

function whySkip(): string | null {
  if (!isRoot) return 'needs root: a test account, sshd with PAM, a private mount namespace';
  const tools: Array<[string, string]> = [[SSHD, 'openssh-server'], [SSH, 'openssh-client'], [SSHPASS, 'sshpass'], [RSYSLOGD, 'rsyslog'], [UNSHARE, 'util-linux']];
  for (const [file, pkg] of tools) if (!existsSync(file)) return `${file} is missing (apt-get install ${pkg}; .ci/run installs it)`;
  const probe = spawnSync(UNSHARE, ['--mount', '--propagation', 'private', 'true'], { encoding: 'utf8' });
  if (probe.status !== 0) return `unshare --mount does not work here: ${probe.stderr.trim()}`;
  return null;
}
const SKIP = whySkip();

/** OpenSSH's version as [major, minor] from `ssh -V` / `sshd -V` (both print to stderr). */
function opensshVersion(bin: string): [number, number] {
  const r = spawnSync(bin, ['-V'], { encoding: 'utf8' });
  const m = /OpenSSH_(\d+)\.(\d+)/.exec(`${r.stderr}${r.stdout}`);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}
const atLeast = (v: [number, number], major: number, minor: number) => v[0] > major || (v[0] === major && v[1] >= minor);

const USER = `irtssh${process.pid % 100000}`;
const PASSWORD = 'Corr3ct-H0rse-battery';
const FROM_A = '127.0.0.2';
const FROM_B = '127.0.0.3';
/** Logs in as root with root's key: refused by PermitRootLogin. */
const FROM_ROOT_KEY = '127.0.0.4';
/** Sweeps user names that are not accounts. */
const FROM_SWEEP = '127.0.0.5';
const SWEEP_NAMES = Array.from({ length: 12 }, (_, i) => `irtnouser${process.pid % 100000}x${i}`);
const ROOT_KEYS = '/root/.ssh/authorized_keys';

/** The machine's own root authorized_keys, as bytes (null when there is none): it must not change. */
function machineRootKeys(): Buffer | null {
  try {
    return readFileSync(ROOT_KEYS);
  } catch {
    return null;
  }
}
const SSHPASS_FAILURES_A = 10;
const FAILURES_B = 11;

let dir: string;
let port: number;
let server: ChildProcess | null = null;
let askpassTries = 0;
let log3339: string;
let log3164: string;
let rootKeysBefore: Buffer | null;
let rootKeyFingerprint: string;
let rootKeyExit: number | null = null;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

function run(file: string, args: string[], env: Record<string, string> = {}): Promise<number | null> {
  return new Promise((resolve) => {
    const c = spawn(file, args, { stdio: 'ignore', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...env } });
    c.on('close', (code) => resolve(code));
    c.on('error', () => resolve(-1));
  });
}

const sshArgs = (from: string, prompts: number) => [
  '-b', from, '-p', String(port), '-F', '/dev/null',
  '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR',
  '-o', 'PubkeyAuthentication=no', '-o', 'PreferredAuthentications=password', '-o', `NumberOfPasswordPrompts=${prompts}`,
  '-o', 'ConnectTimeout=20', `${USER}@127.0.0.1`, 'true',
];

/** Wrong passwords, a few connections at a time (sshd's MaxStartups is raised in its config anyway). */
async function failures(from: string, n: number): Promise<void> {
  for (let i = 0; i < n; i += 6) {
    const batch = Array.from({ length: Math.min(6, n - i) }, (_, j) => run(SSHPASS, ['-p', `wrong-${i + j}`, SSH, ...sshArgs(from, 1)]));
    const codes = await Promise.all(batch);
    // Refused: ssh gives up after its one prompt (255), or sshpass sees a second prompt (5). The
    // exact counts are checked in the log below.
    expect(codes.every((c) => c === 255 || c === 5), `sshpass exit codes ${codes.join(',')}`).toBe(true);
  }
}

/** A client that offers only the given key, as root, from FROM_ROOT_KEY. */
const rootKeyArgs = (key: string) => [
  '-b', FROM_ROOT_KEY, '-p', String(port), '-F', '/dev/null', '-i', key,
  '-o', 'IdentitiesOnly=yes', '-o', 'IdentityAgent=none', '-o', 'BatchMode=yes',
  '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR',
  '-o', 'PubkeyAuthentication=yes', '-o', 'PreferredAuthentications=publickey',
  '-o', 'ConnectTimeout=20', 'root@127.0.0.1', 'true',
];

/** User names that are not accounts, a few connections at a time; no password is sent. */
async function sweep(names: string[]): Promise<void> {
  for (let i = 0; i < names.length; i += 6) {
    await Promise.all(names.slice(i, i + 6).map((name) => run(SSH, [
      '-b', FROM_SWEEP, '-p', String(port), '-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'IdentityAgent=none',
      '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR',
      '-o', 'PubkeyAuthentication=no', '-o', 'PreferredAuthentications=password',
      '-o', 'ConnectTimeout=20', `${name}@127.0.0.1`, 'true',
    ])));
  }
}

async function waitFor(file: string, test: (text: string) => boolean, what: string, ms = 30_000): Promise<string> {
  const until = Date.now() + ms;
  for (;;) {
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (test(text)) return text;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what} in ${file}:\n${text.slice(-2000)}\nsshd/rsyslogd said: ${existsSync(path.join(dir, 'server.out')) ? readFileSync(path.join(dir, 'server.out'), 'utf8') : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function stopServer(): Promise<void> {
  const s = server;
  server = null;
  if (!s || s.exitCode !== null || s.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    s.on('close', () => resolve());
    try {
      // sshd, its connection children and rsyslogd share the group started for them.
      process.kill(-s.pid!, 'SIGTERM');
    } catch {
      resolve();
    }
  });
}

describe.skipIf(SKIP !== null)(`a real sshd brute-forced over loopback${SKIP ? ` (skipped: ${SKIP})` : ''}`, () => {
  beforeAll(async () => {
    dir = tmpDir('irt-sshd-');
    port = await freePort();
    spawnSync('userdel', [USER]);
    execFileSync('useradd', ['-M', '-d', '/nonexistent', '-s', '/bin/sh', USER]);
    execFileSync('chpasswd', [], { input: `${USER}:${PASSWORD}\n` });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'hostkey')]);
    rootKeysBefore = machineRootKeys();
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'irt-root-key', '-f', path.join(dir, 'rootkey')]);
    rootKeyFingerprint = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', path.join(dir, 'rootkey.pub')], { encoding: 'utf8' }).split(' ')[1];
    const penalties = atLeast(opensshVersion(SSHD), 9, 8) ? 'PerSourcePenalties no\n' : '';
    writeFileSync(path.join(dir, 'sshd_config'), `ListenAddress 127.0.0.1:${port}
HostKey ${dir}/hostkey
PidFile ${dir}/sshd.pid
# Failed password lines at INFO, one per attempt; PAM adds its own lines as on Debian.
PasswordAuthentication yes
KbdInteractiveAuthentication no
UsePAM yes
# Keys for root only (the password clients offer none): root's key is accepted, then refused.
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys
PermitRootLogin no
AllowUsers ${USER} root
MaxAuthTries 6
MaxStartups 100:30:200
UseDNS no
LogLevel INFO
SyslogFacility AUTH
${penalties}`);
    writeFileSync(path.join(dir, 'rsyslog.conf'), `global(workDirectory="${dir}/rsyslog")
module(load="imuxsock")
$RepeatedMsgReduction on
auth,authpriv.* action(type="omfile" file="${dir}/auth-3164.log" template="RSYSLOG_TraditionalFileFormat")
auth,authpriv.* action(type="omfile" file="${dir}/auth-3339.log" template="RSYSLOG_FileFormat")
`);
    mkdirSync(path.join(dir, 'rsyslog'));
    writeFileSync(path.join(dir, 'private-dev.sh'), `set -e
T=$1; shift
mkdir -p "$T/dev-orig"
mount --rbind /dev "$T/dev-orig"
mount -t tmpfs -o mode=0755 irt-dev /dev
for n in null zero full random urandom tty; do touch "/dev/$n"; mount --bind "$T/dev-orig/$n" "/dev/$n"; done
umount -l "$T/dev-orig"
# sshd's privilege separation folder, in this namespace only: the box's /run/sshd is neither needed nor made.
mount -t tmpfs -o mode=0755 irt-run /run
mkdir -m 0755 /run/sshd
# root's home, in this namespace only: a fresh tmpfs whose authorized_keys holds the test's key.
mount -t tmpfs -o mode=0700 irt-root /root
mkdir -m 0700 /root/.ssh
cp "$T/rootkey.pub" /root/.ssh/authorized_keys
chmod 0600 /root/.ssh/authorized_keys
TZ=UTC ${RSYSLOGD} -n -f "$T/rsyslog.conf" -i "$T/rsyslogd.pid" &
i=0; while [ ! -S /dev/log ]; do i=$((i+1)); [ $i -gt 200 ] && { echo "rsyslogd made no /dev/log" >&2; exit 1; }; sleep 0.05; done
exec "$@"
`);
    const out = openSync(path.join(dir, 'server.out'), 'w');
    server = spawn(UNSHARE, ['--mount', '--propagation', 'private', '--', '/bin/sh', path.join(dir, 'private-dev.sh'), dir, SSHD, '-D', '-f', path.join(dir, 'sshd_config')], {
      detached: true,
      stdio: ['ignore', out, out],
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', TZ: 'UTC' },
    });
    log3339 = path.join(dir, 'auth-3339.log');
    log3164 = path.join(dir, 'auth-3164.log');
    await waitFor(log3339, (t) => t.includes(`Server listening on 127.0.0.1 port ${port}.`), 'sshd listening');

    await failures(FROM_A, SSHPASS_FAILURES_A);
    // One connection, three wrong passwords in a row (ssh asks the askpass program each time):
    // identical messages, which rsyslog folds into `message repeated 2 times`.
    if (atLeast(opensshVersion(SSH), 8, 4)) {
      writeFileSync(path.join(dir, 'askpass'), '#!/bin/sh\necho still-wrong\n', { mode: 0o755 });
      await run(SSH, sshArgs(FROM_A, 3), { SSH_ASKPASS: path.join(dir, 'askpass'), SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' });
      askpassTries = 3;
    }
    await failures(FROM_B, FAILURES_B);
    expect(await run(SSHPASS, ['-p', PASSWORD, SSH, ...sshArgs(FROM_B, 1)])).toBe(0);
    await waitFor(log3339, (t) => t.includes(`session closed for user ${USER}`), 'the session end');
    rootKeyExit = await run(SSH, rootKeyArgs(path.join(dir, 'rootkey')));
    await waitFor(log3339, (t) => t.includes(`ROOT LOGIN REFUSED FROM ${FROM_ROOT_KEY}`), 'the root login refusal');
    await sweep(SWEEP_NAMES);
    await waitFor(log3339, (t) => SWEEP_NAMES.every((n) => t.includes(`Invalid user ${n} from ${FROM_SWEEP}`)), 'the user-name sweep');
    await stopServer();
  }, 240_000);

  afterAll(async () => {
    await stopServer();
    spawnSync('userdel', [USER]);
    // Nothing here writes the machine's /root; should it ever differ, say so loudly.
    if (rootKeysBefore !== undefined && !Buffer.from(machineRootKeys() ?? '').equals(Buffer.from(rootKeysBefore ?? ''))) {
      throw new Error(`${ROOT_KEYS} changed during the test`);
    }
  });

  it("logs root's key accepted then refused, and never writes the machine's own root authorized_keys", () => {
    // Refused: ssh says Permission denied (255).
    expect(rootKeyExit).toBe(255);
    const text = readFileSync(log3339, 'utf8');
    expect(text).toMatch(new RegExp(`sshd\\[\\d+\\]: ROOT LOGIN REFUSED FROM ${FROM_ROOT_KEY.replaceAll('.', '\\.')} port \\d+`));
    expect(text).not.toMatch(/Accepted publickey for root/);
    const now = machineRootKeys();
    expect(now === null ? null : now.toString('hex')).toBe(rootKeysBefore === null ? null : rootKeysBefore.toString('hex'));
    expect(rootKeyFingerprint).toMatch(/^SHA256:/);
  });

  const failuresA = () => SSHPASS_FAILURES_A + askpassTries;

  it('sshd logged what the clients did, in both stamp styles', () => {
    const text = readFileSync(log3164, 'utf8');
    expect(text).toMatch(new RegExp(`^[A-Z][a-z]{2} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d \\S+ sshd\\[\\d+\\]: Failed password for ${USER} from ${FROM_A.replaceAll('.', '\\.')} port \\d+ ssh2$`, 'm'));
    expect(readFileSync(log3339, 'utf8')).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}\\+00:00 \\S+ sshd\\[\\d+\\]: Accepted password for ${USER} from ${FROM_B.replaceAll('.', '\\.')} port \\d+ ssh2$`, 'm'));
    if (askpassTries) expect(text).toMatch(/message repeated 2 times: \[ Failed password for /);
  });

  describe('collect --root on a box whose /var/log/auth.log is that log', () => {
    let findings: Finding[];
    let caseDir: string;

    beforeAll(async () => {
      const root = tmpDir('irt-sshd-root-');
      mkdirSync(path.join(root, 'etc'));
      mkdirSync(path.join(root, 'var/log'), { recursive: true });
      writeFileSync(path.join(root, 'etc/hostname'), 'sshd-e2e\n');
      writeFileSync(path.join(root, 'etc/timezone'), 'UTC\n');
      copyFileSync(log3339, path.join(root, 'var/log/auth.log'));
      const out = tmpDir('irt-sshd-out-');
      const r = await runCli(['collect', '--root', root, '--out', out, '--case', 'SSHD', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout);
      findings = summary.findings;
      caseDir = extract(summary.bundle);
    }, 120_000);

    it('finds the brute force from each address with the exact number of failures', () => {
      const brute = findings.filter((f) => f.rule === 'auth.bruteforce').map((f) => [f.subject.ip, f.subject.failures, f.severity]);
      expect(brute.sort()).toEqual([[FROM_A, failuresA(), 'medium'], [FROM_B, FAILURES_B, 'medium']]);
    });

    it('finds the login that came after the failures: critical, naming the address, the user and the session', () => {
      const after = findings.filter((f) => f.rule === 'auth.login-after-failures');
      expect(after).toHaveLength(1);
      expect(after[0]).toMatchObject({ severity: 'critical', subject: { ip: FROM_B, user: USER, method: 'password', failuresBefore: FAILURES_B, counted: 'from-address' } });
      expect(after[0].subject.logout).toEqual(expect.any(String));
      expect(findings.filter((f) => f.rule === 'auth.root-login')).toEqual([]);
    });

    it("finds root's key refused by PermitRootLogin, naming the address, and the user-name sweep", () => {
      const refused = findings.filter((f) => f.rule === 'auth.root-login-refused');
      expect(refused.map((f) => [f.severity, f.subject.ip, f.subject.refused])).toEqual([['high', FROM_ROOT_KEY, 1]]);
      expect(refused[0].detail).toContain(`from ${FROM_ROOT_KEY}`);
      const sweepFound = findings.filter((f) => f.rule === 'auth.enumeration');
      expect(sweepFound.map((f) => [f.subject.ip, f.subject.invalidUsers])).toEqual([[FROM_SWEEP, SWEEP_NAMES.length]]);
      // Neither is a brute force or a login.
      expect(findings.filter((f) => f.subject.ip === FROM_ROOT_KEY || f.subject.ip === FROM_SWEEP).map((f) => f.rule).sort()).toEqual(['auth.enumeration', 'auth.root-login-refused']);
    });

    it('keeps the events, the tally and the original log in the bundle', () => {
      const tally = JSON.parse(readFileSync(path.join(caseDir, 'artifacts/auth-tally.json'), 'utf8')) as AuthAddressRow[];
      expect(tally.filter((r) => r.address === FROM_A || r.address === FROM_B).map((r) => [r.address, r.failures, r.acceptedCount])).toEqual([[FROM_A, failuresA(), 0], [FROM_B, FAILURES_B, 1]]);
      expect(tally.find((r) => r.address === FROM_ROOT_KEY)).toMatchObject({ rootRefused: 1, acceptedCount: 0 });
      expect(tally.find((r) => r.address === FROM_SWEEP)).toMatchObject({ invalidUsers: SWEEP_NAMES.length, invalidNamesDistinct: SWEEP_NAMES.length, acceptedCount: 0 });
      const events = readFileSync(path.join(caseDir, 'artifacts/auth-events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      // --timeline aggregate (the default): the attempts are counted per minute; every failure is in those counts.
      expect(events.filter((e) => e.kind === 'failed')).toEqual([]);
      expect(events.filter((e) => e.kind === 'attempts-minute').reduce((n, e) => n + e.failures, 0)).toBe(failuresA() + FAILURES_B);
      // One attempt; OpenSSH 9.x logs it twice (monitor, then the pre-auth child's [preauth] twin, marked sameAttempt).
      expect(events.filter((e) => e.kind === 'root-refused' && !e.sameAttempt).map((e) => e.ip)).toEqual([FROM_ROOT_KEY]);
      expect(readFileSync(path.join(caseDir, 'files/logs/var/log/auth.log'))).toEqual(readFileSync(log3339));
      const manifest = JSON.parse(readFileSync(path.join(caseDir, 'manifest.json'), 'utf8'));
      expect(manifest.sources.find((s: { id: string }) => s.id === 'auth-log')).toMatchObject({ status: 'ok' });
      expect(manifest.sources.find((s: { id: string }) => s.id === 'auth-log.auth.log')).toMatchObject({ status: 'ok', path: '/var/log/auth.log' });
    });

    it('agrees with grep and awk on the same file', () => {
      const out = execFileSync('bash', ['-c', `grep -aE 'sshd\\[[0-9]+\\]: (message repeated [0-9]+ times: \\[ )?Failed password for ' "$1" | awk '{ n = 1; for (i = 2; i < NF; i++) if ($(i-1) == "message" && $i == "repeated") n = $(i+1); for (i = 1; i <= NF; i++) if ($i == "from") ip = $(i+1); c[ip] += n } END { for (ip in c) print ip, c[ip] }' | sort`, 'oracle', log3339], { encoding: 'utf8' });
      expect(out).toBe(`${FROM_A} ${failuresA()}\n${FROM_B} ${FAILURES_B}\n`);
    });
  });

  it('analyze reads the traditional-stamp copy of the same log to the same counts and findings', async () => {
    const r = await runCli(['analyze', '--json', '--year', String(new Date().getUTCFullYear()), log3164]);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as AnalyzeResult;
    expect(result.addresses.filter((a) => a.address === FROM_A || a.address === FROM_B).map((a) => [a.address, a.failures])).toEqual([[FROM_A, failuresA()], [FROM_B, FAILURES_B]]);
    expect(result.findings.map((f) => `${f.rule} ${f.subject.ip}`).sort()).toEqual([
      `auth.bruteforce ${FROM_A}`, `auth.bruteforce ${FROM_B}`, `auth.enumeration ${FROM_SWEEP}`, `auth.login-after-failures ${FROM_B}`, `auth.root-login-refused ${FROM_ROOT_KEY}`,
    ]);
    expect(result.sessions.filter((s) => s.source === 'auth-log').map((s) => [s.user, s.from, s.method])).toEqual([[USER, FROM_B, 'password']]);
  });
});
