import { runRule } from '../../../src/rules/types.js';
import { describe, expect, it } from 'vitest';
import type { KnownFacts } from '../../../src/model/facts.js';
import { emptyPassword } from '../../../src/rules/account/empty-password.js';
import { newAccount } from '../../../src/rules/account/new.js';
import { uid0 } from '../../../src/rules/account/uid0.js';
import { account, key, meta, NEW, NEW_DAY, sshd, WINDOW } from './facts.js';

const base = (facts: KnownFacts): KnownFacts => ({ window: WINDOW, ...facts });

describe('account.uid0', () => {
  it('fires for every uid-0 account but root, critical, never quoting a hash', () => {
    const found = runRule(uid0, base({ accounts: [account({ user: 'root', uid: 0, home: '/root' }), account({ user: 'toor', uid: 0, line: 9 }), account({ user: 'alice' })] }), {});
    expect(found.map((f) => [f.severity, f.subject.user, f.subject.line])).toEqual([['critical', 'toor', 9]]);
    expect(found[0].detail).toContain('a password is set (yescrypt), last changed 2025-06-01');
  });

  it('is silent when root is the only uid 0', () => {
    expect(runRule(uid0, base({ accounts: [account({ user: 'root', uid: 0 })] }), {})).toEqual([]);
  });
});

describe('account.new', () => {
  it('fires on a home folder born in the window: high with a password or a privileged group', () => {
    const found = runRule(newAccount, 
      base({
        accounts: [
          account({ user: 'mallory', homeMeta: meta({ path: '/home/mallory', type: 'dir', birth: NEW }), privilegedGroups: ['sudo'], groups: ['mallory', 'sudo'] }),
          account({ user: 'keyonly', homeMeta: meta({ path: '/home/keyonly', type: 'dir', birth: NEW }), shadow: null, passwdField: 'shadow' }),
          account({ user: 'lockedout', homeMeta: meta({ path: '/home/lockedout', type: 'dir', birth: NEW }), shadow: { ...account({ user: 'x' }).shadow!, state: 'locked' } }),
        ],
        authorizedKeys: [key({ user: 'keyonly' })],
      }),
      {},
    );
    expect(found.map((f) => [f.subject.user, f.severity])).toEqual([['mallory', 'high'], ['keyonly', 'high'], ['lockedout', 'medium']]);
    expect(found[0].title).toBe('Account mallory created in the incident window (in sudo)');
    expect(found[0].detail).toContain(`its home folder /home/mallory was created ${NEW}`);
  });

  it('a password set in the window counts only when no older home folder says otherwise', () => {
    const changed = { ...account({ user: 'x' }).shadow!, lastChangeDay: NEW_DAY, lastChange: '2026-03-05' };
    const found = runRule(newAccount, base({ accounts: [account({ user: 'nohome', shadow: changed, homeMeta: null }), account({ user: 'oldhome', shadow: changed })] }), {});
    expect(found.map((f) => f.subject.user)).toEqual(['nohome']);
    expect(found[0].detail).toContain('its password was set on 2026-03-05 (/etc/shadow)');
  });

  it('ignores service accounts without a login shell, and everything before the window', () => {
    const found = runRule(newAccount, 
      base({ accounts: [account({ user: 'postgres', shell: '/usr/sbin/nologin', loginShell: false, homeMeta: meta({ path: '/var/lib/postgresql', type: 'dir', birth: NEW }) }), account({ user: 'alice' })] }),
      {},
    );
    expect(found).toEqual([]);
  });

  it('a privileged account without a login shell still counts', () => {
    const found = runRule(newAccount, base({ accounts: [account({ user: 'svc', shell: '/usr/sbin/nologin', loginShell: false, privilegedGroups: ['wheel'], homeMeta: meta({ path: '/home/svc', type: 'dir', birth: NEW }) })] }), {});
    expect(found.map((f) => [f.subject.user, f.severity])).toEqual([['svc', 'high']]);
  });
});

describe('account.empty-password', () => {
  const empty = { ...account({ user: 'x' }).shadow!, state: 'empty' as const, algorithm: null, line: 4 };

  it('high for an empty password; critical when sshd accepts empty passwords', () => {
    const accounts = [account({ user: 'guest', shell: '/bin/sh', shadow: empty })];
    expect(runRule(emptyPassword, base({ accounts }), {}).map((f) => [f.severity, f.subject.path, f.subject.line])).toEqual([['high', '/etc/shadow', 4]]);
    const open = sshd({ permitemptypasswords: ['yes'], passwordauthentication: ['yes'] });
    const [f] = runRule(emptyPassword, base({ accounts, sshdConfig: open }), {});
    expect(f.severity).toBe('critical');
    expect(f.title).toBe('Account guest has an empty password and sshd accepts it');
    // PermitEmptyPasswords yes but no password methods: sshd still asks nothing it could accept.
    expect(runRule(emptyPassword, base({ accounts, sshdConfig: sshd({ permitemptypasswords: ['yes'] }) }), {})[0].severity).toBe('high');
  });

  it('an empty field in /etc/passwd with no shadow entry counts; locked, no-login and expired accounts do not', () => {
    const found = runRule(emptyPassword, 
      base({
        accounts: [
          account({ user: 'oldstyle', shadow: null, passwdField: 'empty', line: 7 }),
          account({ user: 'daemon', loginShell: false, shell: '/usr/sbin/nologin', shadow: empty }),
          account({ user: 'gone', shadow: { ...empty, expired: true } }),
          account({ user: 'alice' }),
        ],
      }),
      {},
    );
    expect(found.map((f) => [f.subject.user, f.subject.path, f.subject.line])).toEqual([['oldstyle', '/etc/passwd', 7]]);
  });
});
