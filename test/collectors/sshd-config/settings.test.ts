import { describe, expect, it } from 'vitest';
import { walkSshdConfig, type SshdDirective } from '../../../src/collectors/sshd-config/parse-sshd-config.js';
import { compareWithSshdT, normalizeSettingValue, parseSshdT, resolveSshdSettings } from '../../../src/collectors/sshd-config/settings.js';

const MAIN = '/etc/ssh/sshd_config';

/** An in-memory /etc/ssh with a glob lister over its paths (`*` within one segment). */
function fakeFs(files: Record<string, string>) {
  const readFile = (p: string): string | null => (Object.prototype.hasOwnProperty.call(files, p) ? files[p] : null);
  const listGlob = (pattern: string): string[] => {
    const re = new RegExp(`^${pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
    return Object.keys(files).filter((p) => re.test(p)).reverse();
  };
  return { readFile, listGlob };
}

function resolve(files: Record<string, string>) {
  const fs = fakeFs(files);
  return resolveSshdSettings(fs.readFile, fs.listGlob, MAIN);
}

describe('resolveSshdSettings', () => {
  it('the first value wins, drop-ins included first win over the main file (Debian layout)', () => {
    const r = resolve({
      [MAIN]: 'Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin no\nPasswordAuthentication no\nMaxAuthTries 6\n',
      '/etc/ssh/sshd_config.d/50-cloud-init.conf': 'PasswordAuthentication yes\n',
      '/etc/ssh/sshd_config.d/60-local.conf': 'passwordauthentication no\nPermitRootLogin=yes\n',
    });
    expect(r.settings.passwordauthentication).toEqual({ value: ['yes'], file: '/etc/ssh/sshd_config.d/50-cloud-init.conf', line: 1, source: 'config' });
    expect(r.settings.permitrootlogin).toEqual({ value: ['yes'], file: '/etc/ssh/sshd_config.d/60-local.conf', line: 2, source: 'config' });
    expect(r.settings.maxauthtries).toMatchObject({ value: ['6'], file: MAIN, line: 4 });
    expect(r.files).toEqual([MAIN, '/etc/ssh/sshd_config.d/50-cloud-init.conf', '/etc/ssh/sshd_config.d/60-local.conf']);
  });

  it('defaults for what no line sets; ChallengeResponseAuthentication is KbdInteractiveAuthentication', () => {
    const r = resolve({ [MAIN]: 'ChallengeResponseAuthentication no\nKbdInteractiveAuthentication yes\nUsePAM yes\n' });
    expect(r.settings.kbdinteractiveauthentication).toEqual({ value: ['no'], file: MAIN, line: 1, source: 'config' });
    expect(r.settings.challengeresponseauthentication).toBeUndefined();
    expect(r.settings.permitrootlogin).toEqual({ value: ['prohibit-password'], file: null, line: null, source: 'default' });
    expect(r.settings.authorizedkeysfile.value).toEqual(['.ssh/authorized_keys', '.ssh/authorized_keys2']);
    expect(r.settings.usepam.value).toEqual(['yes']);
    expect(r.ports).toEqual([22]);
  });

  it('AuthorizedKeysFile keeps every file of its line; quoted arguments; AllowUsers lines add up', () => {
    const r = resolve({ [MAIN]: 'AuthorizedKeysFile .ssh/authorized_keys "/etc/ssh/keys dir/%u"\nAuthorizedKeysFile /ignored\nAllowUsers alice\nAllowUsers bob carol\n' });
    expect(r.settings.authorizedkeysfile.value).toEqual(['.ssh/authorized_keys', '/etc/ssh/keys dir/%u']);
    expect(r.settings.allowusers).toMatchObject({ value: ['alice', 'bob', 'carol'], line: 3 });
  });

  it('Match blocks are kept apart with their settings; Match all returns to the global section', () => {
    const r = resolve({
      [MAIN]: ['PasswordAuthentication no', 'Match User backup Address 192.0.2.0/24', '  PasswordAuthentication yes', '  ForceCommand internal-sftp', 'Match all', 'PermitRootLogin no', 'Match Group admins', 'Include /etc/ssh/admins.conf'].join('\n'),
      '/etc/ssh/admins.conf': 'PermitRootLogin yes\n',
    });
    expect(r.settings.passwordauthentication).toMatchObject({ value: ['no'], line: 1 });
    expect(r.settings.permitrootlogin).toMatchObject({ value: ['no'], line: 6 });
    expect(r.settings.forcecommand).toBeUndefined();
    expect(r.matchBlocks).toEqual([
      {
        criteria: 'User backup Address 192.0.2.0/24',
        file: MAIN,
        line: 2,
        settings: [
          { keyword: 'passwordauthentication', value: ['yes'], file: MAIN, line: 3 },
          { keyword: 'forcecommand', value: ['internal-sftp'], file: MAIN, line: 4 },
        ],
      },
      { criteria: 'Group admins', file: MAIN, line: 7, settings: [{ keyword: 'permitrootlogin', value: ['yes'], file: '/etc/ssh/admins.conf', line: 1 }] },
    ]);
  });

  it('a Match inside an included file ends with that file', () => {
    const r = resolve({
      [MAIN]: 'Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin no\n',
      '/etc/ssh/sshd_config.d/10.conf': 'Match User x\nPermitRootLogin yes\n',
    });
    expect(r.settings.permitrootlogin).toMatchObject({ value: ['no'], file: MAIN, line: 2 });
    expect(r.matchBlocks).toHaveLength(1);
  });

  it('the walk visits Match lines with their block, never Include lines, and keeps errors in file order', () => {
    const fs = fakeFs({ [MAIN]: 'Include missing.conf\nPort\nMatch Address 10.0.0.1\nBanner "unterminated\n' });
    const seen: SshdDirective[] = [];
    const r = walkSshdConfig(fs.readFile, fs.listGlob, MAIN, {}, (d) => seen.push(d));
    expect(seen.map((d) => [d.keyword, d.active, d.match?.criteria ?? null])).toEqual([['match', false, 'Address 10.0.0.1']]);
    expect(r.errors).toEqual([
      `${MAIN}:1: included file /etc/ssh/missing.conf not found or unreadable (sshd skips a missing include)`,
      `${MAIN}:2: no argument after keyword "Port"`,
      `${MAIN}:4: unterminated quote`,
    ]);
  });
});

describe('sshd -T', () => {
  // Lines as OpenSSH 9.2's sshd -T prints them.
  const T = 'port 22\nport 2222\nlistenaddress [::]:22\nlistenaddress 0.0.0.0:22\npermitrootlogin without-password\npasswordauthentication yes\nkbdinteractiveauthentication no\nauthorizedkeysfile .ssh/authorized_keys .ssh/authorized_keys2\nauthorizedkeyscommand none\nusepam yes\n';

  it('parses keywords; repeated ones add up', () => {
    const t = parseSshdT(T);
    expect(t.port).toEqual(['22', '2222']);
    expect(t.listenaddress).toEqual(['[::]:22', '0.0.0.0:22']);
    expect(t.authorizedkeysfile).toEqual(['.ssh/authorized_keys .ssh/authorized_keys2']);
  });

  it('agrees with files that say the same in other words; names the settings that differ', () => {
    const agree = resolve({ [MAIN]: 'KbdInteractiveAuthentication no\nUsePAM yes\nPermitRootLogin Prohibit-Password\n' });
    expect(compareWithSshdT(agree.settings, parseSshdT(T))).toEqual([]);
    const differ = resolve({ [MAIN]: 'KbdInteractiveAuthentication no\nUsePAM yes\nPasswordAuthentication no\n' });
    expect(compareWithSshdT(differ.settings, parseSshdT(T))).toEqual([{ keyword: 'passwordauthentication', files: 'no', sshdT: 'yes' }]);
  });

  it('normalises values', () => {
    expect(normalizeSettingValue('permitrootlogin', 'without-password')).toBe('prohibit-password');
    expect(normalizeSettingValue('passwordauthentication', 'YES')).toBe('yes');
    expect(normalizeSettingValue('authorizedkeysfile', '.ssh/Keys  /x')).toBe('.ssh/Keys /x');
  });
});

describe('keywords named like Object properties (found by fuzzing)', () => {
  it('sshd -T output with a `__proto__` or `constructor` line is read as any keyword, not thrown on', () => {
    const t = parseSshdT('__proto__\nconstructor yes\nport 22\n');
    expect(t.__proto__).toEqual(['']);
    expect(t.constructor).toEqual(['yes']);
    expect(t.port).toEqual(['22']);
    expect(Object.keys(t)).toEqual(['__proto__', 'constructor', 'port']);
  });

  it('a sshd_config line `__proto__ x` or `toString y` is a setting of its own, and leaves the real ones alone', () => {
    const r = resolveSshdSettings((p) => (p === '/etc/ssh/sshd_config' ? '__proto__ x\ntoString y\nPermitRootLogin no\n' : null), () => [], '/etc/ssh/sshd_config');
    expect(Object.getPrototypeOf(r.settings)).toBeNull();
    expect(r.settings.__proto__).toMatchObject({ value: ['x'], line: 1, source: 'config' });
    expect(r.settings.tostring).toMatchObject({ value: ['y'], line: 2 });
    expect(r.settings.permitrootlogin).toMatchObject({ value: ['no'], line: 3 });
  });
});
