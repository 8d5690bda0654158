import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, linkSync, lchownSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extract, listFiles, tmpDir } from '../helpers/bundle.js';
import { isRoot, runCli } from '../helpers/cli.js';

/*
 * An account on the box plants links so that root's collect copies secrets into the bundle:
 * ~/.bashrc → /etc/shadow, ~/.profile → root's private key, and the same for every collector that
 * copies files (authorized_keys, ~/.ssh as a whole, a user crontab, a user systemd unit, a log
 * file, a login file, an sshd Include, a hard link). The bundle is unpacked and searched byte for
 * byte: no password hash and no line of the private key may be in it, and the manifest must name
 * what was left out. Once offline (--root on a tree made here) and once live with a throwaway user.
 */

const USER_UID = 4242;
const SYSLOG_UID = 4243;

function keyPair(dir: string): { key: string; body: string; pub: string } {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'irt-test', '-f', path.join(dir, 'id')]);
  const key = readFileSync(path.join(dir, 'id'), 'utf8');
  const pub = readFileSync(path.join(dir, 'id.pub'), 'utf8');
  rmSync(path.join(dir, 'id'));
  rmSync(path.join(dir, 'id.pub'));
  return { key, body: key.split('\n')[1], pub };
}

function passwordHash(): string {
  return execFileSync('openssl', ['passwd', '-6', `irt-${process.pid}-${Date.now()}`], { encoding: 'utf8' }).trim();
}

function put(file: string, text: string, uid = 0, mode = 0o644): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text, { mode });
  chownSync(file, uid, uid);
}

function link(target: string, at: string, uid: number): void {
  mkdirSync(path.dirname(at), { recursive: true });
  symlinkSync(target, at);
  lchownSync(at, uid, uid);
}

/** Every byte of the case folder, searched for the secrets (and the salt of the hash). */
function leaks(caseDir: string, secrets: string[]): string[] {
  const found: string[] = [];
  for (const rel of listFiles(caseDir)) {
    const bytes = readFileSync(path.join(caseDir, rel)).toString('latin1');
    for (const s of secrets) if (bytes.includes(s)) found.push(`${rel} holds ${s.slice(0, 24)}…`);
  }
  return found;
}

interface Manifest {
  withheld: Array<{ path: string; reason: string }>;
  linksNotFollowed: Array<{ path: string; link: string; target: string | null; reason: string }>;
  sources: Array<{ id: string; path?: string; status: string; reason?: string; message?: string }>;
}

describe.skipIf(!isRoot)('planted links and secrets, offline (--root on a tree made here)', () => {
  let root = '';
  let out = '';
  let caseDir = '';
  let manifest: Manifest;
  let secrets: string[] = [];

  beforeAll(async () => {
    root = tmpDir('irt-links-root-');
    const { key, body, pub } = keyPair(root);
    const hash = passwordHash();
    secrets = [hash, hash.split('$')[2] + '$' + hash.split('$')[3].slice(0, 20), body, 'BEGIN OPENSSH PRIVATE KEY'];
    put(`${root}/etc/passwd`, `root:x:0:0:root:/root:/bin/bash\nalice:x:${USER_UID}:${USER_UID}::/home/alice:/bin/bash\nbob:x:${USER_UID + 1}:${USER_UID + 1}::/home/bob:/bin/bash\nsyslog:x:${SYSLOG_UID}:${SYSLOG_UID}::/nonexistent:/usr/sbin/nologin\n`);
    put(`${root}/etc/shadow`, `root:${hash}:19000:0:99999:7:::\nalice:!:19000::::::\n`, 0, 0o640);
    put(`${root}/root/.ssh/id_ed25519`, key, 0, 0o600);
    put(`${root}/root/.ssh/authorized_keys`, pub, 0, 0o600);
    put(`${root}/etc/ssh/sshd_config`, 'Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin no\n');
    const home = `${root}/home/alice`;
    mkdirSync(home, { recursive: true });
    chownSync(home, USER_UID, USER_UID);
    // Start-up files: absolute and relative links to the shadow file and to root's key.
    link('/etc/shadow', `${home}/.bashrc`, USER_UID);
    link('/root/.ssh/id_ed25519', `${home}/.profile`, USER_UID);
    link('../../etc/shadow', `${home}/.zshrc`, USER_UID);
    // A hard link, made by someone who could (an old kernel, a copied image).
    linkSync(`${root}/etc/shadow`, `${home}/.bash_logout`);
    // authorized_keys as a link to the key; bob's whole ~/.ssh as a link to root's.
    mkdirSync(`${home}/.ssh`);
    chownSync(`${home}/.ssh`, USER_UID, USER_UID);
    link('/root/.ssh/id_ed25519', `${home}/.ssh/authorized_keys`, USER_UID);
    mkdirSync(`${root}/home/bob`);
    chownSync(`${root}/home/bob`, USER_UID + 1, USER_UID + 1);
    link('/root/.ssh', `${root}/home/bob/.ssh`, USER_UID + 1);
    // A user systemd unit and a user crontab.
    link('/etc/shadow', `${home}/.config/systemd/user/evil.service`, USER_UID);
    mkdirSync(`${root}/var/spool/cron/crontabs`, { recursive: true });
    link('/etc/shadow', `${root}/var/spool/cron/crontabs/alice`, USER_UID);
    // Links root itself made (or an intruder who is root): the content check still holds.
    link('/root/.ssh/id_ed25519', `${root}/etc/cron.d/planted`, 0);
    link('/etc/shadow', `${root}/etc/ssh/sshd_config.d/evil.conf`, 0);
    link('/root/.ssh/id_ed25519', `${root}/etc/rc.local`, 0);
    link('/etc/shadow', `${root}/etc/environment`, 0);
    // Logs: the syslog account owns /var/log on some systems; a login file linked by root.
    mkdirSync(`${root}/var/log`, { recursive: true });
    link('/etc/shadow', `${root}/var/log/auth.log`, SYSLOG_UID);
    link('/root/.ssh/id_ed25519', `${root}/var/log/secure`, 0);
    link('/etc/shadow', `${root}/var/log/wtmp`, 0);
    link('/root/.ssh/id_ed25519', `${root}/var/log/btmp`, 0);

    out = tmpDir('irt-links-out-');
    const r = await runCli(['collect', '--root', root, '--out', out, '--json'], { timeout: 300_000 });
    expect(r.code, r.stderr).toBe(0);
    caseDir = extract(JSON.parse(r.stdout).bundle);
    manifest = JSON.parse(readFileSync(path.join(caseDir, 'manifest.json'), 'utf8')) as Manifest;
  }, 300_000);

  afterAll(() => {
    for (const d of [root, out, caseDir && path.dirname(caseDir)]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('no password hash and no line of the private key anywhere in the bundle', () => {
    expect(leaks(caseDir, secrets)).toEqual([]);
  });

  it("links an account owns are not followed out of its own files, and the manifest names each with its target", () => {
    const refused = new Map(manifest.linksNotFollowed.map((l) => [l.path, l]));
    for (const p of ['/home/alice/.bashrc', '/home/alice/.profile', '/home/alice/.zshrc', '/home/alice/.ssh/authorized_keys', '/home/alice/.config/systemd/user/evil.service', '/var/spool/cron/crontabs/alice', '/var/log/auth.log']) {
      expect(refused.get(p), p).toBeDefined();
      expect(refused.get(p)!.reason, p).toMatch(/link owned by uid \d+ to .*not followed/);
    }
    expect(refused.get('/home/alice/.bashrc')!.target).toBe('/etc/shadow');
    expect(refused.get('/home/alice/.profile')!.target).toBe('/root/.ssh/id_ed25519');
    expect(refused.get('/home/alice/.bash_logout')!.reason).toMatch(/hard link/);
    // bob's ~/.ssh leads to root's keys: not copied as bob's.
    expect(refused.get('/home/bob/.ssh/authorized_keys')?.link).toBe('/home/bob/.ssh');
    expect(listFiles(caseDir).filter((f) => f.includes('home/bob') || f.includes('home/alice'))).toEqual([]);
  });

  it('what root-owned links bring in is withheld for its content, and named', () => {
    const named = JSON.stringify(manifest.sources) + JSON.stringify(manifest.withheld);
    for (const p of ['/etc/cron.d/planted', '/etc/rc.local', '/etc/environment', '/var/log/secure', '/var/log/wtmp', '/var/log/btmp', '/etc/ssh/sshd_config.d/evil.conf']) {
      expect(named, p).toContain(p);
    }
    expect(named).toMatch(/holds a private key/);
    expect(named).toMatch(/holds password hashes/);
  });
});

const useradd = ['/usr/sbin/useradd', '/sbin/useradd'].find((p) => existsSync(p));

describe.skipIf(!isRoot || !useradd)('planted links and secrets, live (a throwaway account)', () => {
  const user = `irt${process.pid % 100000}`;
  let created = false;
  let keyDir = '';
  let home = '';
  let work = '';
  let out = '';
  let caseDir = '';
  let secrets: string[] = [];
  let spool = '';

  beforeAll(async () => {
    work = tmpDir('irt-links-live-');
    const { key, body } = keyPair(work);
    const hash = passwordHash();
    secrets = [hash, body];
    home = `/home/${user}`;
    execFileSync(useradd!, ['-m', '-d', home, '-s', '/bin/bash', '-p', hash, user]);
    created = true;
    const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
    // A private key only root can read (root's own keys are left alone).
    keyDir = tmpDir('irt-links-key-');
    put(path.join(keyDir, 'id_ed25519'), key, 0, 0o600);
    for (const f of ['.bashrc', '.profile']) rmSync(path.join(home, f), { force: true });
    link('/etc/shadow', `${home}/.bashrc`, uid);
    link(path.join(keyDir, 'id_ed25519'), `${home}/.profile`, uid);
    mkdirSync(`${home}/.ssh`);
    chownSync(`${home}/.ssh`, uid, uid);
    link(path.join(keyDir, 'id_ed25519'), `${home}/.ssh/authorized_keys`, uid);
    link('/etc/shadow', `${home}/.config/systemd/user/x.service`, uid);
    if (existsSync('/var/spool/cron/crontabs')) {
      spool = `/var/spool/cron/crontabs/${user}`;
      link('/etc/shadow', spool, uid);
    }
    const playbook = path.join(work, 'links.yaml');
    writeFileSync(
      playbook,
      `title: Files of every account\ndescription: The collectors that copy the box's files.\nsteps:\n  - id: files\n    kind: collect\n    title: Accounts, keys and persistence\n    why: They copy files from every home.\n    collect: [accounts, sshd-config, ssh-keys, cron, systemd-units, startup-files]\n`,
    );
    out = tmpDir('irt-links-out-');
    const r = await runCli(['collect', '--playbook', playbook, '--out', out, '--json'], { timeout: 300_000 });
    expect(r.code, r.stderr).toBe(0);
    caseDir = extract(JSON.parse(r.stdout).bundle);
  }, 300_000);

  afterAll(() => {
    if (spool) rmSync(spool, { force: true });
    if (created) spawnSync('/usr/sbin/userdel', ['-r', user], { stdio: 'ignore' });
    if (home) rmSync(home, { recursive: true, force: true });
    for (const d of [work, keyDir, out, caseDir && path.dirname(caseDir)]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('no password hash and no line of the private key anywhere in the bundle', () => {
    expect(leaks(caseDir, secrets)).toEqual([]);
  });

  it('the manifest names each link with its target', () => {
    const manifest = JSON.parse(readFileSync(path.join(caseDir, 'manifest.json'), 'utf8')) as Manifest;
    const refused = new Map(manifest.linksNotFollowed.map((l) => [l.path, l]));
    expect(refused.get(`${home}/.bashrc`)?.target).toBe('/etc/shadow');
    expect(refused.get(`${home}/.profile`)?.target).toBe(path.join(keyDir, 'id_ed25519'));
    expect(refused.get(`${home}/.ssh/authorized_keys`)).toBeDefined();
    expect(refused.get(`${home}/.config/systemd/user/x.service`)).toBeDefined();
    if (spool) expect(refused.get(spool)).toBeDefined();
  });
});
