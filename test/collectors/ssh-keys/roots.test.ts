import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AccountRecord, AuthorizedKeyRecord, SshdConfigRecord } from '../../../src/model/access.js';
import type { Finding } from '../../../src/model/finding.js';
import { extract, tmpDir } from '../../helpers/bundle.js';
import { runCli } from '../../helpers/cli.js';
import { findSecrets, FIXTURES, PLAYBOOK, prepareRoot, shadowSecrets } from './roots.js';

/*
 * The keys, sshd and accounts collectors and their five rules through the real CLI, offline
 * (--root) on the fake roots of test/fixtures/persistence-keys: every rule fires on the
 * compromised root and none on the clean one. Fingerprints are checked against ssh-keygen -lf
 * on the copies in the bundle; the fixture shadow hashes must appear nowhere in the bundles.
 */

const MINE = ['persistence.authorized-key', 'account.uid0', 'account.new', 'account.empty-password', 'sshd.weak-config'];
const OUTLAW = 'SHA256:MkYY9qiVsFGBC5WkjoClCkwEFW5iSjcGQF7m4n4H7Cw';

interface Run {
  caseDir: string;
  findings: Finding[];
  keys: AuthorizedKeyRecord[];
  accounts: AccountRecord[];
  sshd: SshdConfigRecord;
  manifest: { sources: Array<{ id: string; status: string; detail?: string; message?: string }>; partial: boolean };
}

function jsonl<T>(file: string): T[] {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);
}

async function collect(root: string, args: string[]): Promise<Run> {
  const out = tmpDir('irt-pk-out-');
  const r = await runCli(['collect', '--root', root, '--out', out, '--case', 'PK', '--json', ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const caseDir = extract(JSON.parse(r.stdout).bundle);
  return {
    caseDir,
    findings: JSON.parse(readFileSync(path.join(caseDir, 'findings.json'), 'utf8')),
    keys: jsonl(path.join(caseDir, 'artifacts/authorized-keys.jsonl')),
    accounts: jsonl(path.join(caseDir, 'artifacts/accounts.jsonl')),
    sshd: JSON.parse(readFileSync(path.join(caseDir, 'artifacts/sshd-config.json'), 'utf8')),
    manifest: JSON.parse(readFileSync(path.join(caseDir, 'manifest.json'), 'utf8')),
  };
}

function keygenLines(file: string): string[] {
  return execFileSync('ssh-keygen', ['-lf', file], { encoding: 'utf8' }).trim().split('\n');
}

const of = (run: Run, rule: string) => run.findings.filter((f) => f.rule === rule);

describe('keys, sshd and accounts on fixture roots (collect --root)', () => {
  let clean: Run;
  let bad: Run;
  let since: string;

  beforeAll(async () => {
    const c = prepareRoot('clean');
    const b = prepareRoot('compromised');
    since = b.since;
    [clean, bad] = await Promise.all([collect(c.root, ['--playbook', PLAYBOOK, '--since', c.since]), collect(b.root, ['--playbook', PLAYBOOK, '--since', b.since])]);
  });

  it('the clean root: no finding, every source read, the keys recorded as ssh-keygen prints them', () => {
    expect(clean.findings).toEqual([]);
    expect(clean.manifest.partial).toBe(false);
    expect(clean.manifest.sources.filter((s) => s.status === 'error')).toEqual([]);
    expect(clean.manifest.sources.find((s) => s.id === 'incident-window')?.detail).toMatch(/\(--since\)$/);
    expect(clean.keys.map((k) => [k.user, k.file, k.line, k.error, k.knownBad])).toEqual([
      ['root', '/root/.ssh/authorized_keys', 1, null, []],
      ['alice', '/home/alice/.ssh/authorized_keys', 2, null, []],
    ]);
    for (const k of clean.keys) {
      expect(readFileSync(path.join(clean.caseDir, k.copy!))).toEqual(readFileSync(path.join(FIXTURES, 'clean', k.file)));
      expect(keygenLines(path.join(clean.caseDir, k.copy!))).toContain(`${k.bits} ${k.fingerprint} ${k.comment} (ED25519)`);
      expect(k.fileMeta).toMatchObject({ type: 'file', mtime: '2020-01-01T00:00:00.000Z' });
      expect(k.fileAttributes).toMatchObject({ immutable: null, note: 'offline: lsattr is run only on the live system' });
    }
    expect(clean.sshd.settings.passwordauthentication).toMatchObject({ value: ['no'], file: '/etc/ssh/sshd_config', line: 5, source: 'config' });
    expect(clean.sshd.settings.maxauthtries).toMatchObject({ value: ['3'], file: '/etc/ssh/sshd_config.d/10-hardening.conf', line: 1 });
    expect(clean.sshd.settings.pubkeyauthentication).toMatchObject({ value: ['yes'], source: 'default' });
    expect(clean.sshd).toMatchObject({ missing: false, sshdT: null, files: ['/etc/ssh/sshd_config', '/etc/ssh/sshd_config.d/10-hardening.conf'] });
    const bob = clean.accounts.find((a) => a.user === 'bob')!;
    expect(bob.shadow).toMatchObject({ state: 'locked', algorithm: 'sha512crypt', lastChangeDay: 19001, lastChange: execFileSync('date', ['-u', '-d', `@${19001 * 86400}`, '+%F'], { encoding: 'utf8' }).trim() });
    expect(clean.accounts.find((a) => a.user === 'alice')).toMatchObject({ privilegedGroups: ['sudo'], loginShell: true, homeMeta: { type: 'dir' } });
  });

  it('persistence.authorized-key: the Outlaw key (critical), keys changed in the window, forced command, environment', () => {
    const f = of(bad, 'persistence.authorized-key');
    const root = f.find((x) => x.subject.user === 'root')!;
    expect(root).toMatchObject({ severity: 'critical', subject: { path: '/root/.ssh/authorized_keys', line: 1, fingerprint: OUTLAW, comment: 'mdrfckr', keyType: 'ssh-rsa' } });
    expect(root.title).toBe(`Known SSH kit key for root: /root/.ssh/authorized_keys:1 (RSA ${OUTLAW}, "mdrfckr")`);
    expect(root.evidence).toContain('files/ssh-keys/root/.ssh/authorized_keys');
    const alice = f.filter((x) => x.subject.user === 'alice');
    expect(alice.map((x) => [x.severity, x.subject.line])).toEqual([['high', 2], ['high', 3]]);
    expect(alice[1].subject.fingerprint).toBe(keygenLines(path.join(FIXTURES, 'late/home/alice/.ssh/authorized_keys.append'))[0].split(' ')[1]);
    expect(alice[1].detail).toMatch(/its file changed in the incident window \(modified /);
    expect(alice[1].detail).toContain(`the incident window starts at ${since} (--since)`);
    const bob = f.find((x) => x.subject.user === 'bob')!;
    expect(bob).toMatchObject({ severity: 'high', subject: { options: ['environment="LD_PRELOAD=/tmp/.x/libx.so"'] } });
    expect(bob.detail).toContain('environment="LD_PRELOAD=/tmp/.x/libx.so"');
    const mallory = f.find((x) => x.subject.user === 'mallory')!;
    expect(mallory.severity).toBe('high');
    expect(mallory.detail).toContain('command="/tmp/.x/run "$SSH_ORIGINAL_COMMAND""');
    expect(mallory.detail).toMatch(/created 20/);
    expect(f).toHaveLength(5);
  });

  it('account.uid0, account.new, account.empty-password', () => {
    expect(of(bad, 'account.uid0').map((x) => [x.severity, x.subject.user, x.subject.line])).toEqual([['critical', 'sysupd', 7]]);
    const created = of(bad, 'account.new');
    expect(created.map((x) => [x.severity, x.subject.user]).sort()).toEqual([['high', 'mallory'], ['high', 'sysupd']]);
    expect(created.find((x) => x.subject.user === 'mallory')!.detail).toMatch(/and is in sudo: its home folder \/home\/mallory was created 20/);
    const empty = of(bad, 'account.empty-password');
    expect(empty.map((x) => [x.severity, x.subject.user, x.subject.path, x.subject.line])).toEqual([['critical', 'guest', '/etc/shadow', 6]]);
  });

  it('sshd.weak-config: root and password logins, empty passwords, a keys command, Ebury\'s keys file, a Match block', () => {
    const got = of(bad, 'sshd.weak-config').map((x) => [x.severity, x.subject.setting, x.subject.value, x.subject.path, x.subject.line, x.subject.match]);
    expect(got).toEqual(
      expect.arrayContaining([
        ['informational', 'permitrootlogin', 'yes', '/etc/ssh/sshd_config', 4, null],
        ['informational', 'passwordauthentication', 'yes', '/etc/ssh/sshd_config', 5, null],
        ['informational', 'permitemptypasswords', 'yes', '/etc/ssh/sshd_config', 6, null],
        ['medium', 'authorizedkeyscommand', '/usr/local/bin/.ak %u', '/etc/ssh/sshd_config', 8, null],
        ['high', 'authorizedkeysfile', '/proc/self/environ', '/etc/ssh/sshd_config.d/50-cloud.conf', 2, null],
        ['informational', 'permitrootlogin', 'yes', '/etc/ssh/sshd_config', 12, 'Address 203.0.113.7'],
        ['high', 'authorizedkeysfile', '/tmp/.ssh-%u', '/etc/ssh/sshd_config', 13, 'Address 203.0.113.7'],
      ]),
    );
    expect(got).toHaveLength(7);
    expect(of(bad, 'sshd.weak-config').find((x) => x.subject.value === '/proc/self/environ')!.detail).toMatch(/Ebury/);
    // A keys file linked to /etc/shadow and an Include of it: named, never read as keys or config, never copied.
    expect(bad.manifest.sources.find((s) => s.id === 'ssh-keys.bob' && s.status === 'error')?.message).toBe('/home/bob/.ssh/authorized_keys2: holds password hashes: not copied, not read as keys (a link to /etc/shadow)');
    expect(bad.sshd.errors).toContain('/etc/ssh/sshd_config.d/50-cloud.conf:4: included file /etc/shadow not found or unreadable (sshd skips a missing include)');
    expect(bad.sshd.errors).toContain('/etc/shadow: holds password hashes: not read');
    expect(existsSync(path.join(bad.caseDir, 'files/sshd/etc/shadow'))).toBe(false);
    expect(existsSync(path.join(bad.caseDir, 'files/ssh-keys/home/bob/.ssh/authorized_keys2'))).toBe(false);
    // Keys are not read from /proc: the file named there is a finding, not evidence to copy.
    expect(bad.manifest.sources.find((s) => s.id === 'ssh-keys')?.detail).toMatch(/under \/proc, \/sys or \/dev not read/);
  });

  it('no password hash, salt or shadow line of either fixture is in either bundle', () => {
    const secrets = [...shadowSecrets(readFileSync(path.join(FIXTURES, 'clean/etc/shadow'), 'utf8')), ...shadowSecrets(readFileSync(path.join(FIXTURES, 'compromised/etc/shadow'), 'utf8'))];
    expect(secrets.length).toBeGreaterThanOrEqual(18);
    expect(findSecrets(clean.caseDir, secrets)).toEqual([]);
    expect(findSecrets(bad.caseDir, secrets)).toEqual([]);
    // The scheme and dates are kept.
    expect(bad.accounts.find((a) => a.user === 'mallory')!.shadow).toMatchObject({ state: 'hash', algorithm: 'sha512crypt', expired: false });
  });
});

describe('the incident window from the auth log (no --since)', () => {
  it('starts at the first failure of a brute-forcing address, and says so', async () => {
    const { root, since } = prepareRoot('compromised');
    // Debian 12 rsyslog's RFC 3339 stamps: the failures start at --since's instant, a little later the login.
    const t0 = Date.parse(since);
    const stamp = (ms: number) => new Date(ms).toISOString().replace('Z', '+00:00');
    const lines = Array.from({ length: 12 }, (_, i) => `${stamp(t0 + i)} bad-box sshd[${700 + i}]: Failed password for root from 198.51.100.23 port ${40000 + i} ssh2`);
    mkdirSync(path.join(root, 'var/log'), { recursive: true });
    writeFileSync(path.join(root, 'var/log/auth.log'), lines.join('\n') + '\n');
    const playbook = path.join(tmpDir('irt-pk-pb-'), 'auth-then-keys.yaml');
    writeFileSync(playbook, readFileSync(PLAYBOOK, 'utf8').replace('collect: [accounts, sshd-config, ssh-keys]', 'collect: [auth-log, accounts, sshd-config, ssh-keys]'));
    const run = await collect(root, ['--playbook', playbook]);
    const window = run.manifest.sources.find((s) => s.id === 'incident-window')!;
    expect(window.detail).toBe(`the incident window starts at ${new Date(t0).toISOString()}, the first failed or accepted ssh login of 198.51.100.23 (10 or more failures in the auth log)`);
    const alice = of(run, 'persistence.authorized-key').filter((x) => x.subject.user === 'alice');
    expect(alice).toHaveLength(2);
    expect(of(run, 'sshd.weak-config').find((x) => x.subject.setting === 'passwordauthentication')!.detail).toMatch(/1 address\(es\) with 10 or more failed logins/);
  });
});

describe('the shipped playbook', () => {
  it('runs the three collectors and the five rules in its persistence step, offline too', async () => {
    const { root, since } = prepareRoot('compromised');
    const run = await collect(root, ['--since', since]);
    for (const rule of MINE) expect(of(run, rule).length, rule).toBeGreaterThan(0);
    for (const id of ['accounts', 'ssh-keys']) expect(run.manifest.sources.find((s) => s.id === id)?.status, id).toBe('ok');
    // The planted `Include /etc/shadow` is an error of the source, not a file read.
    expect(run.manifest.sources.find((s) => s.id === 'sshd-config')).toMatchObject({ status: 'error', message: '/etc/shadow: holds password hashes: not read' });
  });
});

describe('the bundle grep itself', () => {
  it('finds a hash in a plain file and inside a .tar.gz (so an empty answer means something)', () => {
    const dir = tmpDir('irt-pk-grep-');
    const secret = '$6$FxProbeSalt$abcdefghijklmnopqrstuvwxyz0123456789';
    mkdirSync(path.join(dir, 'inner'));
    writeFileSync(path.join(dir, 'inner/leak.txt'), `x ${secret} y`);
    execFileSync('tar', ['czf', path.join(dir, 'nested.tar.gz'), '-C', dir, 'inner']);
    writeFileSync(path.join(dir, 'inner/leak.txt'), 'clean now');
    writeFileSync(path.join(dir, 'salt-only.json'), JSON.stringify({ s: 'FxProbeSalt' }));
    expect(shadowSecrets(`u:${secret}:1::::::\nv:!:1::::::\n`)).toEqual([secret, 'FxProbeSalt', 'abcdefghijklmnopqrstuvwxyz0123456789']);
    expect(findSecrets(dir, shadowSecrets(`u:${secret}:1::::::\n`)).sort()).toEqual(['nested.tar.gz (gunzip): $6$FxProbeSa…', 'nested.tar.gz (gunzip): FxProbeSalt…', 'nested.tar.gz (gunzip): abcdefghijkl…', 'salt-only.json: FxProbeSalt…']);
  });
});

describe('--since', () => {
  it.each([['yesterday'], ['2999-01-01'], ['2024-13-01']])('refuses %s in one line (exit 2)', async (value) => {
    const r = await runCli(['collect', '--since', value, '--out', tmpDir('irt-pk-since-')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--since/);
  });
});

describe("a playbook's own list of known-bad keys (toolLists.keys)", () => {
  it("makes alice's key on the clean root critical, by its fingerprint from ssh-keygen", async () => {
    const { root, since } = prepareRoot('clean');
    const [, fingerprint] = keygenLines(path.join(root, 'home/alice/.ssh/authorized_keys'))[0].split(' ');
    const dir = tmpDir('irt-pk-pb-');
    writeFileSync(path.join(dir, 'our-keys.txt'), `# keys seen in our own incident\nfingerprint;${fingerprint};key of the 2026-11 intrusion\n`);
    writeFileSync(path.join(dir, 'pb.yaml'), `${readFileSync(PLAYBOOK, 'utf8')}\ntoolLists:\n  keys: [our-keys.txt]\n`);
    const run = await collect(root, ['--playbook', path.join(dir, 'pb.yaml'), '--since', since]);
    const hits = of(run, 'persistence.authorized-key');
    expect(hits.map((f) => [f.severity, f.subject.user, f.subject.path])).toEqual([['critical', 'alice', '/home/alice/.ssh/authorized_keys']]);
    expect(hits[0].detail).toContain('key of the 2026-11 intrusion');
  });
});
