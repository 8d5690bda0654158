import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { globComponentRegExp } from '../../../src/collectors/sshd-config/parse-sshd-config.js';
import { readSshdConfigPorts } from '../../../src/collectors/sshd-config/ports.js';
import { RootedFs } from '../../../src/host/rooted-fs.js';
import { tmpDir } from '../../helpers/bundle.js';

function root(files: Record<string, string>): RootedFs {
  const dir = tmpDir('irt-sshd-');
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  return new RootedFs(dir);
}

describe('readSshdConfigPorts', () => {
  it('follows Include globs and nested includes through the rooted fs', async () => {
    const fs = root({
      'etc/ssh/sshd_config': 'Include /etc/ssh/sshd_config.d/*.conf\nPort 22\nListenAddress 10.0.0.1:2200\n',
      'etc/ssh/sshd_config.d/10-extra.conf': 'Port 2222\nInclude extra/more.conf\n',
      'etc/ssh/sshd_config.d/20-ignored.txt': 'Port 9999\n',
      'etc/ssh/sshd_config.d/.hidden.conf': 'Port 9998\n',
      'etc/ssh/extra/more.conf': 'Port=4422\n',
    });
    const r = await readSshdConfigPorts(fs);
    expect(r.ports).toEqual([22, 2200, 2222, 4422]);
    expect(r.files).toEqual(['/etc/ssh/sshd_config', '/etc/ssh/sshd_config.d/10-extra.conf', '/etc/ssh/extra/more.conf']);
    expect(r).toMatchObject({ missing: false, readErrors: [], errors: [] });
  });

  it('says when there is no sshd_config at all', async () => {
    const r = await readSshdConfigPorts(root({ 'etc/hostname': 'x\n' }));
    expect(r).toMatchObject({ missing: true, ports: [], defaulted: true, effectivePorts: [22] });
  });

  it('never leaves the root through a planted link', async () => {
    const fs = root({ 'etc/ssh/sshd_config': 'Include /etc/ssh/evil.conf\n' });
    // An absolute link to the examiner's own files resolves inside the root.
    const { symlinkSync } = await import('node:fs');
    symlinkSync('/etc/hostname', path.join(fs.root, 'etc/ssh/evil.conf'));
    const r = await readSshdConfigPorts(fs);
    expect(r.ports).toEqual([]);
    expect(r.errors.join('\n')).toMatch(/evil\.conf not found/);
  });
});

describe('globComponentRegExp', () => {
  it.each([
    ['*.conf', 'a.conf', true],
    ['*.conf', 'a.conf.bak', false],
    ['?0-*.conf', '10-x.conf', true],
    ['[0-4]*.conf', '3x.conf', true],
    ['[!0-4]*.conf', '3x.conf', false],
    ['a.b', 'axb', false],
  ])('%s ~ %s → %s', (pattern, name, ok) => {
    expect(globComponentRegExp(pattern).test(name)).toBe(ok);
  });
});
