import { runRule } from '../../../src/rules/types.js';
import { describe, expect, it } from 'vitest';
import type { AuthAddressRow } from '../../../src/model/auth.js';
import type { KnownFacts } from '../../../src/model/facts.js';
import { keysFilePlace, weakConfig } from '../../../src/rules/sshd/weak-config.js';
import { sshd } from '../account/facts.js';

const detect = (facts: KnownFacts) => runRule(weakConfig, facts, {});
const rows = (f: ReturnType<typeof detect>) => f.map((x) => [x.severity, x.subject.setting, x.subject.value, x.subject.match]);

describe('sshd.weak-config', () => {
  it('is silent on a hardened configuration and on a box without sshd_config', () => {
    expect(detect({ sshdConfig: sshd({}) })).toEqual([]);
    expect(detect({ sshdConfig: sshd({ permitrootlogin: ['yes'] }, { missing: true }) })).toEqual([]);
  });

  it('informational hardening advice: root and password logins, empty passwords, user environment', () => {
    const found = detect({ sshdConfig: sshd({ permitrootlogin: ['Yes'], passwordauthentication: ['yes'], permitemptypasswords: ['yes'], permituserenvironment: ['LD_PRELOAD'] }) });
    expect(rows(found)).toEqual([
      ['informational', 'permitrootlogin', 'yes', null],
      ['informational', 'passwordauthentication', 'yes', null],
      ['informational', 'permitemptypasswords', 'yes', null],
      ['informational', 'permituserenvironment', 'LD_PRELOAD', null],
    ]);
    expect(found[0].title).toBe('sshd permitrootlogin yes (/etc/ssh/sshd_config:1)');
  });

  it('names the brute force when the auth log shows one', () => {
    const row = { address: '203.0.113.5', failures: 40, failuresByMethod: { password: 40 } } as unknown as AuthAddressRow;
    const [f] = detect({ sshdConfig: sshd({ passwordauthentication: ['yes'] }), authTally: [row] });
    expect(f.detail).toContain('1 address(es) with 10 or more failed logins: this box is being brute-forced');
  });

  it('high for keys files outside the homes (Ebury /proc/self/environ, /tmp), medium for a keys command', () => {
    const found = detect({ sshdConfig: sshd({ authorizedkeysfile: ['.ssh/authorized_keys', '%h/.ssh/k2', '/proc/self/environ', '/etc/ssh/keys/%u'], authorizedkeyscommand: ['/usr/local/bin/.ak', '%u'] }) });
    expect(rows(found)).toEqual([
      ['high', 'authorizedkeysfile', '/proc/self/environ', null],
      ['high', 'authorizedkeysfile', '/etc/ssh/keys/%u', null],
      ['medium', 'authorizedkeyscommand', '/usr/local/bin/.ak %u', null],
    ]);
    expect(found[0].detail).toMatch(/Ebury/);
    expect(found[1].detail).toMatch(/outside the users' home folders/);
  });

  it('judges each Match block, naming its criteria', () => {
    const config = sshd({}, { matchBlocks: [{ criteria: 'Address 203.0.113.7', file: '/etc/ssh/sshd_config', line: 40, settings: [{ keyword: 'permitrootlogin', value: ['yes'], file: '/etc/ssh/sshd_config', line: 41 }, { keyword: 'authorizedkeysfile', value: ['/dev/shm/.k'], file: '/etc/ssh/sshd_config', line: 42 }] }] });
    const found = detect({ sshdConfig: config });
    expect(rows(found)).toEqual([
      ['informational', 'permitrootlogin', 'yes', 'Address 203.0.113.7'],
      ['high', 'authorizedkeysfile', '/dev/shm/.k', 'Address 203.0.113.7'],
    ]);
    expect(found[1].title).toBe('sshd authorizedkeysfile /dev/shm/.k for connections matching "Match Address 203.0.113.7" (/etc/ssh/sshd_config:42)');
  });

  it('reports where sshd -T and the files disagree', () => {
    const [f] = detect({ sshdConfig: sshd({}, { sshdT: {}, disagreements: [{ keyword: 'passwordauthentication', files: 'no', sshdT: 'yes' }] }) });
    expect(f).toMatchObject({ severity: 'informational', title: 'sshd -T and the config files disagree on passwordauthentication', evidence: ['artifacts/sshd-config.json', 'commands/sshd-T.txt'] });
  });

  it.each([
    ['.ssh/authorized_keys', false, null],
    ['%h/.ssh/authorized_keys', false, null],
    ['/proc/self/environ', true, '/proc'],
    ['/tmp/k', true, '/tmp'],
    ['/var/tmp/k', true, '/var/tmp'],
    ['/dev/shm/k', true, '/dev/shm'],
    ['/run/user/0/k', true, '/run/user'],
    ['/etc/ssh/authorized_keys/%u', true, null],
    ['/tmpfoo/k', true, null],
  ])('%s: outside %s, under %s', (p, outside, pseudo) => {
    expect(keysFilePlace(p)).toEqual({ outside, pseudo });
  });
});
