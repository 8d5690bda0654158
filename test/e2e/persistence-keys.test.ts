import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, chownSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthorizedKeyRecord, SshdConfigRecord } from '../../src/model/access.js';
import type { Finding } from '../../src/model/finding.js';
import { findSecrets, PLAYBOOK, shadowSecrets } from '../collectors/ssh-keys/roots.js';
import { extract, tmpDir } from '../helpers/bundle.js';
import { isRoot, runCli } from '../helpers/cli.js';

/*
 * The keys, sshd and accounts collectors live on this machine, as root: a test user made with
 * useradd (removed in afterAll whatever happens), a password set with chpasswd, then an ed25519
 * key commented mdrfckr (made with ssh-keygen) in its ~/.ssh/authorized_keys, locked with
 * chattr +i. Before the key nothing of ours fires about that user; after it,
 * persistence.authorized-key names the user, the file and the fingerprint ssh-keygen -lf prints,
 * and lsattr's immutable flag. A full collect's bundle holds no hash of the live /etc/shadow.
 */

const MINE = new Set(['persistence.authorized-key', 'account.uid0', 'account.new', 'account.empty-password', 'sshd.weak-config']);
const USER = `irtpk${process.pid % 100000}${Math.random().toString(36).slice(2, 7)}`;
const PASSWORD = `Pw-${Math.random().toString(36).slice(2)}-${Date.now()}`;
const missing = !isRoot ? 'needs root (useradd, chattr, reading /etc/shadow)' : ['/usr/sbin/useradd', '/usr/sbin/userdel', '/usr/sbin/chpasswd', '/usr/bin/ssh-keygen'].find((t) => !existsSync(t));

let home = '';
let keysFile = '';
let since = '';
let created = false;
const work = tmpDir('irt-pk-live-');

function sh(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', input, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
}

async function collectLive(args: string[]): Promise<{ caseDir: string; findings: Finding[]; keys: AuthorizedKeyRecord[]; sshd: SshdConfigRecord | null }> {
  const out = tmpDir('irt-pk-live-out-');
  const r = await runCli(['collect', '--out', out, '--json', ...args]);
  expect(r.code, r.stderr).toBe(0);
  const caseDir = extract(JSON.parse(r.stdout).bundle);
  const read = (rel: string) => (existsSync(path.join(caseDir, rel)) ? readFileSync(path.join(caseDir, rel), 'utf8') : null);
  return {
    caseDir,
    findings: JSON.parse(read('findings.json')!),
    keys: (read('artifacts/authorized-keys.jsonl') ?? '').split('\n').filter(Boolean).map((l) => JSON.parse(l)),
    sshd: read('artifacts/sshd-config.json') ? JSON.parse(read('artifacts/sshd-config.json')!) : null,
  };
}

/** Findings of our rules that are about the test user (other tests may add users of their own meanwhile). */
function aboutUser(findings: Finding[]): Finding[] {
  return findings.filter((f) => MINE.has(f.rule) && (f.subject.user === USER || f.title.includes(USER)));
}

// One box told in order: before the key, after it, after its removal — its tests keep their order even when the suite is shuffled.
describe.skipIf(missing)(`keys, sshd and accounts live (${missing ?? 'root'})`, { shuffle: false }, () => {
  beforeAll(() => {
    sh('useradd', ['-m', '-s', '/bin/bash', '-c', 'ir-triage persistence test', USER]);
    created = true;
    sh('chpasswd', [], `${USER}:${PASSWORD}\n`);
    home = sh('getent', ['passwd', USER]).split(':')[5];
    keysFile = path.join(home, '.ssh/authorized_keys');
    // Everything above happened before the window opens.
    const until = Date.now() + 20;
    while (Date.now() < until) {
      // A few milliseconds: the user's ctimes must be before --since.
    }
    since = new Date().toISOString();
  });

  afterAll(() => {
    if (!created) return;
    try {
      if (existsSync(keysFile)) sh('chattr', ['-i', keysFile]);
    } finally {
      sh('userdel', ['-r', '-f', USER]);
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('before the key: none of our rules says anything about the new user; sshd -T agrees with the files', async () => {
    const run = await collectLive(['--playbook', PLAYBOOK, '--since', since]);
    expect(aboutUser(run.findings)).toEqual([]);
    expect(run.keys.filter((k) => k.user === USER)).toEqual([]);
    // The box's own sshd as an oracle for the reading of sshd_config.
    expect(run.sshd?.sshdT).not.toBeNull();
    expect(run.sshd?.disagreements).toEqual([]);
    expect(run.sshd?.settings.authorizedkeysfile.value.join(' ')).toBe(run.sshd?.sshdT?.authorizedkeysfile?.[0]);
  });

  it('after an mdrfckr key: a critical finding naming the user, the file and ssh-keygen\'s fingerprint; chattr +i seen', async () => {
    const key = path.join(work, 'id_ed25519');
    sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'mdrfckr', '-f', key]);
    const uid = Number(sh('id', ['-u', USER]).trim());
    const gid = Number(sh('id', ['-g', USER]).trim());
    mkdirSync(path.dirname(keysFile), { mode: 0o700 });
    writeFileSync(keysFile, readFileSync(`${key}.pub`));
    chmodSync(keysFile, 0o600);
    chownSync(path.dirname(keysFile), uid, gid);
    chownSync(keysFile, uid, gid);
    sh('chattr', ['+i', keysFile]);
    const [bits, fingerprint] = sh('ssh-keygen', ['-lf', keysFile]).trim().split(' ');

    const run = await collectLive(['--playbook', PLAYBOOK, '--since', since]);
    const found = aboutUser(run.findings).filter((f) => f.rule === 'persistence.authorized-key');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      severity: 'critical',
      subject: { user: USER, path: keysFile, line: 1, fingerprint, comment: 'mdrfckr', keyType: 'ssh-ed25519' },
    });
    expect(found[0].title).toBe(`Known SSH kit key for ${USER}: ${keysFile}:1 (ED25519 ${fingerprint}, "mdrfckr")`);
    expect(found[0].detail).toMatch(/the file is immutable \(chattr \+i\)/);
    expect(found[0].detail).toMatch(/its file changed in the incident window/);
    const record = run.keys.find((k) => k.user === USER)!;
    expect(record).toMatchObject({ bits: Number(bits), fingerprint, inUse: true, fileAttributes: { immutable: true, appendOnly: false }, dirAttributes: { immutable: false } });
    expect(record.fileMeta).toMatchObject({ owner: USER, mode: '0600', type: 'file' });
    expect(readFileSync(path.join(run.caseDir, record.copy!))).toEqual(readFileSync(keysFile));
    expect(readFileSync(path.join(run.caseDir, 'commands/lsattr-ssh-keys.txt'), 'utf8')).toContain(` ${keysFile}\n`);
  });

  it('a full collect holds no password hash of this machine\'s /etc/shadow, anywhere in the bundle', async () => {
    const secrets = shadowSecrets(readFileSync('/etc/shadow', 'utf8'));
    // The test user's at least (chpasswd), with its salt and hash on their own.
    expect(secrets.length).toBeGreaterThanOrEqual(3);
    const run = await collectLive([]);
    expect(findSecrets(run.caseDir, secrets)).toEqual([]);
    expect(run.keys.some((k) => k.user === USER)).toBe(true);
  });
});
