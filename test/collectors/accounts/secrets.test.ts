import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { secretContent } from '../../../src/collectors/accounts/secrets.js';
import { privateNamespaceSshdT } from '../../../src/collectors/sshd-config/sshd-config.js';
import { tmpDir } from '../../helpers/bundle.js';
import { isRoot, REPO } from '../../helpers/cli.js';

describe('secretContent: what never goes into a bundle', () => {
  it('a shadow file with hashes made by openssl passwd, a locked one, a DES passwd line', () => {
    const hash = execFileSync('openssl', ['passwd', '-6', 'pw'], { encoding: 'utf8' }).trim();
    expect(secretContent(`daemon:*:19000:0:99999:7:::\nalice:${hash}:19000:0:99999:7:::\n`)).toBe('holds password hashes');
    expect(secretContent(`bob:!${hash}:19000::::::\n`)).toBe('holds password hashes');
    expect(secretContent('old:abJnggxhB/yWI:1000:1000::/home/old:/bin/sh\n')).toBe('holds password hashes');
    expect(secretContent('x:$y$j9T$salt$hash:19000:0:99999:7:::')).toBe('holds password hashes');
  });

  it('private keys made by ssh-keygen (OpenSSH and PEM formats)', () => {
    const dir = tmpDir('irt-pk-secret-');
    try {
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'k')]);
      execFileSync('ssh-keygen', ['-q', '-t', 'ecdsa', '-m', 'PEM', '-N', '', '-f', path.join(dir, 'p')]);
      expect(secretContent(readFileSync(path.join(dir, 'k'), 'utf8'))).toBe('holds a private key');
      expect(secretContent(readFileSync(path.join(dir, 'p'), 'utf8'))).toBe('holds a private key');
      expect(secretContent(readFileSync(path.join(dir, 'k.pub'), 'utf8'))).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves keys files, sshd configs, passwd and shadow without hashes alone', () => {
    expect(secretContent('command="echo :$1$x: done",from="a:b" ssh-ed25519 AAAA c\n')).toBeNull();
    expect(secretContent('root:x:0:0:root:/root:/bin/bash\n')).toBeNull();
    expect(secretContent('daemon:*:19000:0:99999:7:::\nsshd:!:19000::::::\n')).toBeNull();
    for (const f of ['clean/etc/ssh/sshd_config', 'compromised/etc/ssh/sshd_config', 'clean/home/alice/.ssh/authorized_keys', 'compromised/root/.ssh/authorized_keys', 'late/home/mallory/.ssh/authorized_keys']) {
      expect(secretContent(readFileSync(path.join(REPO, 'test/fixtures/persistence-keys', f), 'utf8')), f).toBeNull();
    }
  });

  const noMountNamespace = !isRoot || spawnSync('unshare', ['--mount', '--propagation', 'private', 'true']).status !== 0;
  it.skipIf(!isRoot || spawnSync('sshd', ['-V']).error !== undefined || noMountNamespace)("this box's sshd -T output (root: sshd reads its host keys)", () => {
    // As the collector runs it when the box has no /run/sshd: in a private mount namespace, so the
    // test needs no folder another test or a running sshd may have left, and leaves none.
    const argv = privateNamespaceSshdT({ dir: '/run/sshd', parent: '/run' });
    const out = execFileSync(argv[0], argv.slice(1), { encoding: 'utf8' });
    expect(out).toMatch(/^hostkey /m);
    expect(secretContent(out)).toBeNull();
  });
});
