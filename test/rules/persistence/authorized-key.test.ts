import { runRule } from '../../../src/rules/types.js';
import { describe, expect, it } from 'vitest';
import type { AuthLoginRecord } from '../../../src/model/auth.js';
import type { KnownFacts } from '../../../src/model/facts.js';
import { authorizedKey } from '../../../src/rules/persistence/authorized-key.js';
import { key, meta, NEW, WINDOW } from '../account/facts.js';

const detect = (facts: KnownFacts) => runRule(authorizedKey, { window: WINDOW, ...facts }, {});

describe('persistence.authorized-key', () => {
  it('is silent on old keys without options, locks or list hits', () => {
    expect(detect({ authorizedKeys: [key({ user: 'alice' }), key({ user: 'root', uid: 0, file: '/root/.ssh/authorized_keys', options: [{ name: 'no-pty', value: null, known: true }] })] })).toEqual([]);
    // from= limits a normal user's key: an administrator's habit, not a sign.
    expect(detect({ authorizedKeys: [key({ user: 'alice', options: [{ name: 'from', value: '10.0.0.0/8', known: true }] })] })).toEqual([]);
  });

  it('critical for a known-bad key, naming user, file, line, type, fingerprint and comment', () => {
    const [f] = detect({ authorizedKeys: [key({ user: 'root', uid: 0, file: '/root/.ssh/authorized_keys', line: 3, type: 'ssh-rsa', bits: 2048, fingerprint: 'SHA256:MkYY9qiVsFGBC5WkjoClCkwEFW5iSjcGQF7m4n4H7Cw', comment: 'mdrfckr', knownBad: [{ field: 'comment', value: 'mdrfckr', description: 'Outlaw (dota) kit key comment', list: 'keys.txt:20' }] })] });
    expect(f).toMatchObject({
      rule: 'persistence.authorized-key',
      severity: 'critical',
      title: 'Known SSH kit key for root: /root/.ssh/authorized_keys:3 (RSA SHA256:MkYY9qiVsFGBC5WkjoClCkwEFW5iSjcGQF7m4n4H7Cw, "mdrfckr")',
      subject: { user: 'root', path: '/root/.ssh/authorized_keys', line: 3, fingerprint: 'SHA256:MkYY9qiVsFGBC5WkjoClCkwEFW5iSjcGQF7m4n4H7Cw', comment: 'mdrfckr' },
      evidence: ['artifacts/authorized-keys.jsonl', 'files/ssh-keys/root/.ssh/authorized_keys'],
    });
    expect(f.detail).toContain('keys.txt:20: comment mdrfckr — Outlaw (dota) kit key comment');
  });

  it.each([
    ['mtime', { mtime: NEW }, 'modified 2026-03-05'],
    ['ctime', { ctime: NEW }, 'inode changed 2026-03-05'],
    ['birth', { birth: NEW }, 'created 2026-03-05'],
  ])('high when the file %s is in the window', (_, times, text) => {
    const [f] = detect({ authorizedKeys: [key({ user: 'alice', fileMeta: meta({ path: '/home/alice/.ssh/authorized_keys', ...times }) })] });
    expect(f.severity).toBe('high');
    expect(f.title).toMatch(/^Authorized key added or changed in the incident window for alice: /);
    expect(f.detail).toContain(text);
    expect(f.detail).toContain(WINDOW.reason);
  });

  it('forced commands, environment, root pinned with from=, chattr locks', () => {
    const found = detect({
      authorizedKeys: [
        key({ user: 'a', options: [{ name: 'command', value: '/tmp/.x/run', known: true }] }),
        key({ user: 'b', options: [{ name: 'environment', value: 'LD_PRELOAD=/tmp/x.so', known: true }] }),
        key({ user: 'root', uid: 0, options: [{ name: 'from', value: '203.0.113.7', known: true }] }),
        key({ user: 'c', fileAttributes: { flags: '----i---------e-------', immutable: true, appendOnly: false, note: null } }),
        key({ user: 'd', dirAttributes: { flags: '-----a--------e-------', immutable: false, appendOnly: true, note: null } }),
      ],
    });
    expect(found.map((f) => [f.subject.user, f.severity])).toEqual([['a', 'high'], ['b', 'high'], ['root', 'high'], ['c', 'high'], ['d', 'high']]);
    expect(found[0].detail).toContain('command="/tmp/.x/run"');
    expect(found[1].detail).toContain('environment="LD_PRELOAD=/tmp/x.so"');
    expect(found[2].detail).toContain('from="203.0.113.7"');
    expect(found[3].detail).toContain('the file is immutable (chattr +i)');
    expect(found[4].detail).toContain('is append-only (chattr +a)');
  });

  it('medium for a line sshd refuses or a file it does not read; lines with no key are not judged', () => {
    const opts = [{ name: 'command', value: 'x', known: true }];
    const found = detect({ authorizedKeys: [key({ user: 'a', options: opts, error: 'unsupported option "bogus"' }), key({ user: 'b', options: opts, inUse: false }), key({ user: 'c', type: null, fingerprint: null, options: opts })] });
    expect(found.map((f) => [f.subject.user, f.severity])).toEqual([['a', 'medium'], ['b', 'medium']]);
    expect(found[0].detail).toContain('sshd would refuse this line');
    expect(found[1].detail).toContain('does not read this file');
  });

  it('control characters in a comment are made visible and long comments cut', () => {
    const [f] = detect({ authorizedKeys: [key({ user: 'a', comment: `\u001b[31mred\u202e${'x'.repeat(200)}`, fileMeta: meta({ path: '/home/a/.ssh/authorized_keys', mtime: NEW }) })] });
    expect(f.title).toContain('"\\x1b[31mred\\x202e');
    expect(f.title).not.toMatch(/[\u001b\u202e]/);
    expect(f.title.length).toBeLessThan(220);
    // The subject keeps the raw value: the report escapes it where it is shown.
    expect(f.subject.comment).toContain('\u001b');
  });

  it('names the auth log logins made with the key', () => {
    const login = { time: '2026-03-06T01:02:03.000Z', user: 'alice', address: '198.51.100.9', key: 'ED25519 SHA256:O+rejNZlBi8rCevgMMDoXYDj+t8YU35h3RXccFr+fgg' } as AuthLoginRecord;
    const [f] = detect({ authorizedKeys: [key({ user: 'alice', fileMeta: meta({ path: '/home/alice/.ssh/authorized_keys', mtime: NEW }) })], authLogins: [login] });
    expect(f.detail).toContain('1 accepted login(s) with this key, from 198.51.100.9; the latest at 2026-03-06T01:02:03.000Z as alice');
  });
});
