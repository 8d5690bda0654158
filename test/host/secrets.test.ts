import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { generateIdentity } from 'age-encryption';
import { describe, expect, it } from 'vitest';
import { privateNamespaceSshdT } from '../../src/collectors/sshd-config/sshd-config.js';
import { SecretScanner, secretContent } from '../../src/host/secrets.js';
import { tmpDir } from '../helpers/bundle.js';
import { isRoot, REPO } from '../helpers/cli.js';

const KEY = 'holds a private key';
const HASH = 'holds password hashes';

/** A key made by a real tool, read back as text. */
function made(dir: string, name: string, argv: string[]): string {
  execFileSync(argv[0], argv.slice(1), { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  return readFileSync(path.join(dir, name), 'utf8');
}

// Shapes of formats no tool on the test machine writes (values cut from keys made for these tests).
const PUTTY_V3 = `PuTTY-User-Key-File-3: ssh-ed25519
Encryption: none
Comment: eddsa-key-20240101
Public-Lines: 2
AAAAC3NzaC1lZDI1NTE5AAAAIIzL9pQW2Y5X8c4o5l8P0YqLQ5Jv1k0l1cPj6n8Y
Xw7m
Private-Lines: 1
AAAAIAm0n2yGx2R6r8fLq0qQyJ8c3jv5z9YwZ3u2J8o5u0xw
Private-MAC: 1f5b3c0e6a7d8c9b0a1f2e3d4c5b6a79808f7e6d5c4b3a29181716151413121
`;
const PUTTY_V2_ENCRYPTED = PUTTY_V3.replace('File-3', 'File-2').replace('Encryption: none', 'Encryption: aes256-cbc');
const SSH2_ENCRYPTED = `---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----
Comment: "rsa-key-20240101"
P2/56wAAA+YAAAA3aWYtbW9kbntzaWdue3JzYS1wa2NzMS1zaGExfSxlbmNyeXB0e3JzYS
1wa2NzMXYyLW9hZXB9fQAAAARub25lAAADlwAAA5MAAAARAQABAAAD/3/zYXw8K2zR
---- END SSH2 ENCRYPTED PRIVATE KEY ----
`;
const PGP = `-----BEGIN PGP PRIVATE KEY BLOCK-----

lFgEZZm8xRYJKwYBBAHaRw8BAQdA0T9y3w5kF1vQy0m1Yc2p3h8aN1f0b8XQmXl0
=ab12
-----END PGP PRIVATE KEY BLOCK-----
`;

describe('secretContent: what never goes into a bundle', () => {
  it('a shadow file with hashes made by openssl passwd, a locked one, a DES passwd line, yescrypt, bcrypt, htpasswd', () => {
    const sha512 = execFileSync('openssl', ['passwd', '-6', 'pw'], { encoding: 'utf8' }).trim();
    const md5 = execFileSync('openssl', ['passwd', '-1', 'pw'], { encoding: 'utf8' }).trim();
    const apr1 = execFileSync('openssl', ['passwd', '-apr1', 'pw'], { encoding: 'utf8' }).trim();
    expect(secretContent(`daemon:*:19000:0:99999:7:::\nalice:${sha512}:19000:0:99999:7:::\n`)).toBe(HASH);
    expect(secretContent(`bob:!${sha512}:19000::::::\n`)).toBe(HASH);
    expect(secretContent(`carol:${md5}:19000:0:99999:7:::\n`)).toBe(HASH);
    expect(secretContent(`web:${apr1}\n`)).toBe(HASH);
    expect(secretContent('old:abJnggxhB/yWI:1000:1000::/home/old:/bin/sh\n')).toBe(HASH);
    expect(secretContent('x:$y$j9T$salt$hash:19000:0:99999:7:::')).toBe(HASH);
    expect(secretContent('dave:$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy:19000:0:99999:7:::\n')).toBe(HASH);
    // As bytes too (a copy stream hands over buffers), CRLF line ends included.
    expect(secretContent(Buffer.from(`root:${sha512}:19000:0:99999:7:::\r\n`))).toBe(HASH);
  });

  it('private keys made by ssh-keygen and openssl: OpenSSH, PEM RSA/EC/DSA, PKCS#8, encrypted ones', () => {
    const dir = tmpDir('irt-pk-secret-');
    try {
      const keys: Record<string, string> = {
        'openssh ed25519': made(dir, 'k1', ['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', 'k1']),
        'openssh encrypted': made(dir, 'k2', ['ssh-keygen', '-q', '-t', 'ed25519', '-N', 'secret pass', '-f', 'k2']),
        'pem rsa': made(dir, 'k3', ['ssh-keygen', '-q', '-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', '', '-f', 'k3']),
        'pem ec': made(dir, 'k4', ['ssh-keygen', '-q', '-t', 'ecdsa', '-m', 'PEM', '-N', '', '-f', 'k4']),
        'pem dsa': made(dir, 'k5', ['ssh-keygen', '-q', '-t', 'dsa', '-m', 'PEM', '-N', '', '-f', 'k5']),
        'pkcs8': made(dir, 'k6', ['ssh-keygen', '-q', '-t', 'rsa', '-b', '2048', '-m', 'PKCS8', '-N', '', '-f', 'k6']),
        'pkcs8 encrypted': made(dir, 'k7', ['openssl', 'genpkey', '-algorithm', 'ed25519', '-aes256', '-pass', 'pass:x', '-out', 'k7']),
        'pem rsa encrypted (Proc-Type)': made(dir, 'k8', ['openssl', 'genrsa', '-aes128', '-traditional', '-passout', 'pass:x', '-out', 'k8', '2048']),
        'pem encrypted by ssh-keygen': made(dir, 'k9', ['ssh-keygen', '-q', '-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', 'secret pass', '-f', 'k9']),
      };
      expect(keys['pem rsa encrypted (Proc-Type)']).toContain('Proc-Type: 4,ENCRYPTED');
      expect(keys['pkcs8 encrypted']).toContain('BEGIN ENCRYPTED PRIVATE KEY');
      expect(keys['pem dsa']).toContain('BEGIN DSA PRIVATE KEY');
      for (const [name, text] of Object.entries(keys)) {
        expect(secretContent(text), name).toBe(KEY);
        // Inside other text (a crontab that echoes it, a script with a here-document).
        expect(secretContent(`#!/bin/sh\ncat > /tmp/k <<'E'\n${text}E\n`), `${name} in a script`).toBe(KEY);
      }
      expect(secretContent(readFileSync(path.join(dir, 'k1.pub'), 'utf8'))).toBeNull();
      expect(secretContent(readFileSync(path.join(dir, 'k3.pub'), 'utf8'))).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('PuTTY (v2, v3, encrypted), ssh.com SSH2, PGP and age identities', async () => {
    expect(secretContent(PUTTY_V3)).toBe(KEY);
    expect(secretContent(PUTTY_V2_ENCRYPTED)).toBe(KEY);
    expect(secretContent(SSH2_ENCRYPTED)).toBe(KEY);
    expect(secretContent(PGP)).toBe(KEY);
    const identity = await generateIdentity();
    expect(identity).toMatch(/^AGE-SECRET-KEY-1/);
    expect(secretContent(`# created: 2024-01-01\n# public key: age1…\n${identity}\n`)).toBe(KEY);
    expect(secretContent(`export SOPS_AGE_KEY=${identity}`)).toBe(KEY);
    expect(secretContent('AGE-PLUGIN-YUBIKEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ\n')).toBe(KEY);
  });

  it('leaves keys files, sshd configs, start-up files, units, crontabs, passwd and shadow without hashes alone', () => {
    expect(secretContent('command="echo :$1$x: done",from="a:b" ssh-ed25519 AAAA c\n')).toBeNull();
    expect(secretContent('root:x:0:0:root:/root:/bin/bash\n')).toBeNull();
    expect(secretContent('daemon:*:19000:0:99999:7:::\nsshd:!:19000::::::\n')).toBeNull();
    expect(secretContent('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin\n*/5 * * * * root /usr/bin/true\n')).toBeNull();
    expect(secretContent('[Service]\nExecStart=/usr/bin/env PS1=\'$USER:$PWD$ \' /bin/sh -c "echo $HOME"\n')).toBeNull();
    expect(secretContent('# the key starts with -----BEGIN OPENSSH PRIVATE KEY-----\n')).toBeNull();
    expect(secretContent('AGE-SECRET-KEY-1 is how an age identity starts\n')).toBeNull();
    for (const f of ['clean/etc/ssh/sshd_config', 'compromised/etc/ssh/sshd_config', 'clean/home/alice/.ssh/authorized_keys', 'compromised/root/.ssh/authorized_keys', 'late/home/mallory/.ssh/authorized_keys']) {
      expect(secretContent(readFileSync(path.join(REPO, 'test/fixtures/persistence-keys', f), 'utf8')), f).toBeNull();
    }
    for (const f of ['/etc/passwd', '/etc/group', '/etc/ssh/sshd_config', '/etc/bash.bashrc', '/etc/profile', '/etc/skel/.bashrc', '/etc/crontab', '/etc/login.defs']) {
      let text: string;
      try {
        text = readFileSync(f, 'utf8');
      } catch {
        continue;
      }
      expect(secretContent(text), f).toBeNull();
    }
  });

  it('binaries that hold the header text as a constant (ssh-keygen, libcrypto) are not secrets', () => {
    for (const f of ['/usr/bin/ssh-keygen', '/usr/bin/ssh', '/usr/lib/x86_64-linux-gnu/libcrypto.so.3', '/usr/bin/openssl']) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(f);
      } catch {
        continue;
      }
      expect(secretContent(bytes), f).toBeNull();
    }
  });

  it('the streaming scanner finds a key cut across two chunks, and a hash line cut at its start', () => {
    const key = `-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n`;
    const filler = Buffer.alloc(100_000, 'x');
    for (const cut of [5, 20, 36, 40, 50]) {
      const s = new SecretScanner();
      expect(s.push(Buffer.concat([filler, Buffer.from(key.slice(0, cut))]))).toBeNull();
      expect(s.push(Buffer.from(key.slice(cut))), `cut at ${cut}`).toBe(KEY);
    }
    const line = 'root:$6$abcdefgh$ijklmnopqrstuvwxyz0123456789:19000:0:99999:7:::\n';
    const s = new SecretScanner();
    expect(s.push(Buffer.from(`${'y'.repeat(50_000)}\n${line.slice(0, 3)}`))).toBeNull();
    expect(s.push(Buffer.from(line.slice(3)))).toBe(HASH);
    const clean = new SecretScanner();
    expect(clean.push(filler)).toBeNull();
    expect(clean.push(filler)).toBeNull();
  });

  const noMountNamespace = !isRoot || spawnSync('unshare', ['--mount', '--propagation', 'private', 'true']).status !== 0;
  it.skipIf(!isRoot || !existsSync('/usr/sbin/sshd') || noMountNamespace)("this box's sshd -T output (root: sshd reads its host keys)", () => {
    // As the collector runs it when the box has no /run/sshd: in a private mount namespace, so the
    // test needs no folder another test or a running sshd may have left, and leaves none.
    const argv = privateNamespaceSshdT({ dir: '/run/sshd', parent: '/run' });
    const out = execFileSync(argv[0], argv.slice(1), { encoding: 'utf8' });
    expect(out).toMatch(/^hostkey /m);
    expect(secretContent(out)).toBeNull();
  });
});
