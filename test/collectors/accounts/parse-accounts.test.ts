import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyPassword, dayToDate, hashAlgorithm, isLoginShell, parseGroup, parsePasswd, parseShadow } from '../../../src/collectors/accounts/parse-accounts.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const TODAY = Math.floor(NOW.getTime() / 86_400_000);

// Hash-shaped values in the formats crypt(3) writes (real ones from openssl passwd are checked below).
const SHA512 = '$6$FxUnitSalt$Vn8cJgqS2n1Cu3Ehy0r2cQ0cG6w8JpEo8l1P0oQm1UQ3pTz3pJm6H1w8S9xQw3rK1yV5u7x9Z0a1b2c3d4e5f6';
const YESCRYPT = '$y$j9T$F5Jx5fExrKuJdjF8L7m7a0$ZXPl6tjUkUq2Ex0e5GJ5yYv4oV3G3v3n0e7r3O8c4d1';
const BCRYPT = '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy';

describe('shadow metadata', () => {
  it.each([
    [SHA512, 'hash', 'sha512crypt'],
    [YESCRYPT, 'hash', 'yescrypt'],
    [BCRYPT, 'hash', 'bcrypt'],
    ['$5$salt$abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ', 'hash', 'sha256crypt'],
    ['$1$salt$abcdefghijklmnopqrstuv', 'hash', 'md5crypt'],
    ['$gy$j9T$salt$hash', 'hash', 'gost-yescrypt'],
    ['$7$CU..../....salt$hash', 'hash', 'scrypt'],
    ['$sha1$40000$salt$hash', 'hash', 'sha1crypt'],
    ['$md5,rounds=5000$salt$$hash', 'hash', 'sunmd5'],
    ['abJnggxhB/yWI', 'hash', 'descrypt'],
    ['_J9..CCCCXBrJUJV154M', 'hash', 'bsdicrypt'],
    [`!${SHA512}`, 'locked', 'sha512crypt'],
    [`!!${YESCRYPT}`, 'locked', 'yescrypt'],
    ['', 'empty', null],
    ['*', 'no-password', null],
    ['!', 'no-password', null],
    ['!!', 'no-password', null],
    ['!*', 'no-password', null],
    ['*LK*', 'no-password', null],
    ['x', 'invalid', null],
    ['$zz$salt$hash', 'hash', 'unknown ($zz$)'],
  ])('%s → %s %s', (field, state, algorithm) => {
    expect(classifyPassword(field)).toEqual({ state, algorithm });
  });

  it('dates, aging and expiry; the hash, the salt and the line never in the result', () => {
    const text = [
      `alice:${SHA512}:20000:1:90:7:14:${TODAY + 10}:`,
      `bob:!${YESCRYPT}:0:::::${TODAY - 1}:`,
      'daemon:*:19000:0:99999:7:::',
      'guest::19000:0:99999:7:::',
      'svc:!:::::::',
      '# comment',
      '',
      'broken',
    ].join('\n');
    const { entries, errors } = parseShadow(text, NOW);
    expect(entries.get('alice')).toEqual({
      state: 'hash',
      algorithm: 'sha512crypt',
      lastChangeDay: 20000,
      lastChange: dayToDate(20000),
      minDays: 1,
      maxDays: 90,
      warnDays: 7,
      inactiveDays: 14,
      expireDay: TODAY + 10,
      expire: dayToDate(TODAY + 10),
      expired: false,
      line: 1,
    });
    expect(entries.get('bob')).toMatchObject({ state: 'locked', algorithm: 'yescrypt', lastChangeDay: 0, lastChange: null, expired: true, minDays: null });
    expect(entries.get('guest')).toMatchObject({ state: 'empty', algorithm: null, lastChange: dayToDate(19000) });
    expect(entries.get('svc')).toMatchObject({ state: 'no-password', lastChangeDay: null, expireDay: null, expired: false });
    expect(errors).toEqual([{ line: 8, message: 'not a shadow entry (1 fields)' }]);
    const json = JSON.stringify([...entries.values()]);
    for (const secret of [SHA512, YESCRYPT, 'FxUnitSalt', 'F5Jx5fExrKuJdjF8L7m7a0', SHA512.split('$')[3]]) expect(json).not.toContain(secret);
  });

  it('a bad line is reported by number, never quoted (it may hold a hash)', () => {
    const { errors } = parseShadow(`:${SHA512}:1::::::\n`, NOW);
    expect(errors).toHaveLength(1);
    expect(JSON.stringify(errors)).not.toContain('FxUnitSalt');
  });

  it('day numbers as dates', () => {
    expect(dayToDate(0)).toBe('1970-01-01');
    expect(dayToDate(19723)).toBe('2024-01-01');
    expect(dayToDate(null)).toBeNull();
  });

  it.skipIf(!existsSync('/usr/bin/openssl'))('real hashes from openssl passwd -1, -5, -6', () => {
    for (const [flag, name] of [['-1', 'md5crypt'], ['-5', 'sha256crypt'], ['-6', 'sha512crypt']]) {
      const hash = execFileSync('openssl', ['passwd', flag, 'secret'], { encoding: 'utf8' }).trim();
      expect(classifyPassword(hash)).toEqual({ state: 'hash', algorithm: name });
      expect(classifyPassword(`!${hash}`)).toEqual({ state: 'locked', algorithm: name });
    }
  });

  it('hashAlgorithm is null for what no crypt(3) scheme reads', () => {
    expect(hashAlgorithm('hello')).toBeNull();
    expect(hashAlgorithm('')).toBeNull();
  });
});

describe('passwd and group', () => {
  it('every field; the password field classified, a hash kept there never recorded', () => {
    const { entries, errors } = parsePasswd(
      [
        'root:x:0:0:root:/root:/bin/bash',
        `old:${SHA512}:1005:1005:Old Style:/home/old:/bin/sh`,
        'nopw::1006:1006::/home/nopw:',
        'locked:*:1007:1007::/:/usr/sbin/nologin',
        '+@netgroup::::::',
        'bad:x:notanumber:0::/:/bin/sh',
        'colon:x:1008:1008:a:/home/colon:/bin/odd:shell',
      ].join('\n'),
    );
    expect(entries.map((e) => [e.user, e.passwdField, e.uid, e.gid, e.gecos, e.home, e.shell, e.line])).toEqual([
      ['root', 'shadow', 0, 0, 'root', '/root', '/bin/bash', 1],
      ['old', 'hash', 1005, 1005, 'Old Style', '/home/old', '/bin/sh', 2],
      ['nopw', 'empty', 1006, 1006, '', '/home/nopw', '', 3],
      ['locked', 'locked', 1007, 1007, '', '/', '/usr/sbin/nologin', 4],
      ['colon', 'shadow', 1008, 1008, 'a', '/home/colon', '/bin/odd:shell', 7],
    ]);
    expect(errors).toEqual([{ line: 6, message: 'not a passwd entry (7 fields)' }]);
    expect(JSON.stringify(entries)).not.toContain('FxUnitSalt');
  });

  it('groups with their members', () => {
    const { entries } = parseGroup('root:x:0:\nsudo:x:27:alice, bob\nwheel:x:10:\n');
    expect(entries).toEqual([
      { name: 'root', gid: 0, members: [], line: 1 },
      { name: 'sudo', gid: 27, members: ['alice', 'bob'], line: 2 },
      { name: 'wheel', gid: 10, members: [], line: 3 },
    ]);
  });

  it.each([
    ['/bin/bash', true],
    ['/bin/sh', true],
    ['', true],
    ['/usr/sbin/nologin', false],
    ['/sbin/nologin', false],
    ['/bin/false', false],
    ['/usr/bin/false', false],
    ['/bin/sync', false],
    ['/usr/local/bin/zsh', true],
  ])('login shell %s → %s', (shell, login) => {
    expect(isLoginShell(shell)).toBe(login);
  });
});
