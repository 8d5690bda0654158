import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loginCopyPath, loginsCollector } from '../../../src/collectors/logins/logins.js';
import { UTMP_RECORD_SIZE } from '../../../src/collectors/logins/parse-utmp.js';
import type { CollectContext } from '../../../src/collectors/types.js';
import { CaseStore } from '../../../src/evidence/store.js';
import { createHostContext, type HostOptions } from '../../../src/host/context.js';
import type { KnownFacts } from '../../../src/model/facts.js';
import type { SessionRecord, UtmpRecord } from '../../../src/model/logins.js';
import type { SourceStatus } from '../../../src/model/source.js';
import { extract, tmpDir } from '../../helpers/bundle.js';
import { isRoot, REPO, runCli } from '../../helpers/cli.js';
import { proc } from '../../helpers/records.js';
import { buildCompromisedRoot, gzip, missingTools, put, undump, WIPED_INDEX, WTMP1_CUT } from './fake-root.js';

const NEEDS_TOOLS = missingTools();

async function collect(root: string, opts: { maxFileBytes?: number; facts?: KnownFacts; host?: HostOptions } = {}) {
  const store = await CaseStore.create(tmpDir('irt-logins-out-'), 'T');
  const host = createHostContext({ root, mode: 'offline', procDir: null, ...opts.host });
  const ctx: CollectContext = {
    host,
    sink: store,
    facts: opts.facts ?? {},
    options: { sshPorts: [], maxFileBytes: opts.maxFileBytes ?? 64 * 1024 * 1024, maxCommandBytes: 1 << 20, commandTimeoutMs: 5000, toolLists: { names: [], hashes: [] } },
  };
  const result = await loginsCollector.collect(ctx);
  const jsonl = <T>(rel: string): T[] =>
    readFileSync(path.join(store.dir, rel), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);
  const source = (id: string): SourceStatus | undefined => result.sources.find((s) => s.id === id);
  return { store, result, facts: result.facts ?? {}, jsonl, source };
}

/** A user other than root can run the built tool only if every folder up to it is searchable. */
function readableByOthers(p: string): boolean {
  for (let dir = p; dir !== '/'; dir = path.dirname(dir)) {
    if ((statSync(dir).mode & 0o005) !== 0o005) return false;
  }
  return true;
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

describe('logins collector on a fake root (offline)', () => {
  it('reads utmp, wtmp and its rotations, btmp, lastlog, wtmpdb and lastlog2 into artifacts and facts', async (ctx) => {
    ctx.skip(NEEDS_TOOLS !== null, NEEDS_TOOLS ?? '');
    const root = buildCompromisedRoot();
    const { store, facts, jsonl, source, result } = await collect(root);

    // Every source has its status; nothing failed.
    expect(result.sources.filter((s) => s.status === 'error')).toEqual([]);
    expect(source('logins.utmp')).toMatchObject({ status: 'ok', path: '/run/utmp', detail: '6 records' });
    expect(source('logins.wtmp')).toMatchObject({ status: 'ok', path: '/var/log/wtmp', detail: '10 records, 1 zeroed' });
    expect(source('logins.wtmp.1')).toMatchObject({ status: 'ok', path: '/var/log/wtmp.1', detail: '4 records' });
    expect(source('logins.wtmp.2.gz')).toMatchObject({ status: 'ok', path: '/var/log/wtmp.2.gz', detail: '4 records' });
    expect(source('logins.btmp')).toMatchObject({ status: 'ok', path: '/var/log/btmp', detail: '3 records' });
    expect(source('logins.wtmpdb.wtmp.db')).toMatchObject({ status: 'ok', detail: '2 sessions' });
    expect(source('logins.lastlog')).toMatchObject({ status: 'ok', detail: '3 accounts with a last login' });
    expect(source('logins.lastlog2.db')).toMatchObject({ status: 'ok', detail: '1 accounts with a last login' });
    expect(source('logins.sshd-utmp')).toMatchObject({ status: 'skipped' });
    // Rotations are read oldest first.
    expect(result.sources.map((s) => s.id).filter((id) => id.startsWith('logins.wtmp'))).toEqual(['logins.wtmp.2.gz', 'logins.wtmp.1', 'logins.wtmp', 'logins.wtmpdb.wtmp.db']);

    // Sessions: utmp, wtmp (paired across rotations), wtmpdb; sorted by login.
    const sessions = jsonl<SessionRecord>('artifacts/sessions.jsonl');
    expect(sessions).toEqual(facts.sessions);
    expect(sessions.map((s) => s.login)).toEqual([...sessions.map((s) => s.login)].sort());
    const find = (user: string, source: string) => sessions.filter((s) => s.user === user && s.source === source);
    expect(find('dave', 'wtmp')).toEqual([
      { user: 'dave', line: 'pts/0', host: '203.0.113.9', addr: '203.0.113.9', pid: 3100, login: '2024-01-10T09:00:00.000000Z', logout: '2024-01-10T09:20:00.000000Z', end: 'logout', source: 'wtmp', file: '/var/log/wtmp.2.gz' },
    ]);
    // carol logged in in wtmp.1 and out in wtmp: one session across the rotation.
    expect(find('carol', 'wtmp')).toMatchObject([{ file: '/var/log/wtmp.1', logout: '2024-02-28T23:00:00.000000Z', end: 'logout' }]);
    // erin's login is the record cut in half at the end of wtmp.1; mallory's was zeroed.
    expect(sessions.some((s) => s.user === 'erin' || s.user === 'mallory')).toBe(false);
    const rootRemote = sessions.filter((s) => s.user === 'root' && s.host === '203.0.113.50');
    expect(rootRemote.map((s) => [s.source, s.file, s.end, s.logout])).toEqual([
      ['utmp', '/run/utmp', 'still-logged-in', null],
      ['wtmp', '/var/log/wtmp', 'still-logged-in', null],
    ]);
    expect(find('root', 'wtmpdb')).toMatchObject([{ host: '198.51.100.200', end: 'logout', file: '/var/lib/wtmpdb/wtmp.db' }]);

    // Failed logins: btmp, one record each.
    const failed = jsonl<UtmpRecord>('artifacts/failed-logins.jsonl');
    expect(failed.map((r) => [r.user, r.host, r.file])).toEqual([
      ['root', '203.0.113.66', '/var/log/btmp'],
      ['root', '203.0.113.66', '/var/log/btmp'],
      ['admin', '203.0.113.66', '/var/log/btmp'],
    ]);
    expect(facts.failedLogins).toEqual(failed);

    // Raw records: the current utmp, then wtmp oldest first, with their file positions.
    const raw = jsonl<UtmpRecord>('artifacts/utmp.jsonl');
    expect(raw).toHaveLength(6 + 4 + 4 + 10);
    expect(facts.utmp).toEqual(raw.slice(0, 6));
    expect(raw.filter((r) => r.file === '/var/log/wtmp').map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 9, 10]);

    // lastlog: every set record (uid 1234 has no account any more); lastlog2 by name.
    expect(jsonl('artifacts/lastlog.jsonl')).toEqual([
      { source: 'lastlog', file: '/var/log/lastlog', uid: 0, user: 'root', time: '2024-03-01T09:00:00.000000Z', line: 'pts/1', host: '203.0.113.50', service: null },
      { source: 'lastlog', file: '/var/log/lastlog', uid: 1000, user: 'alice', time: '2024-03-01T08:00:00.000000Z', line: 'pts/0', host: '203.0.113.7', service: null },
      { source: 'lastlog', file: '/var/log/lastlog', uid: 1234, user: null, time: '2024-02-15T04:00:00.000000Z', line: 'pts/4', host: '192.0.2.66', service: null },
      { source: 'lastlog2', file: '/var/lib/lastlog/lastlog2.db', uid: null, user: 'root', time: '2024-03-01T08:00:00.000000Z', line: 'ssh', host: '198.51.100.200', service: 'sshd' },
    ]);

    // Tampering: the record wiped in place, and wtmp.1 cut mid-record. Nothing else.
    expect(facts.loginTampering).toEqual([
      { kind: 'trailing-bytes', file: '/var/log/wtmp.1', detail: expect.stringContaining(`${UTMP_RECORD_SIZE - WTMP1_CUT} byte(s)`) },
      { kind: 'zero-records', file: '/var/log/wtmp', index: WIPED_INDEX, count: 1, inside: true, detail: `record ${WIPED_INDEX} is all zero bytes (wiped entry), after 2024-03-01T09:00:00.250000Z (record 7) and before 2024-03-01T09:45:00.000000Z (record 9)` },
    ]);

    // The originals, byte for byte, with the hashes the manifest will list.
    const copied = ['run/utmp', 'var/log/wtmp', 'var/log/wtmp.1', 'var/log/wtmp.2.gz', 'var/log/btmp', 'var/log/lastlog', 'var/lib/wtmpdb/wtmp.db', 'var/lib/lastlog/lastlog2.db'];
    expect(Object.keys(facts.loginCopies ?? {}).sort()).toEqual(copied.map((c) => `/${c}`).sort());
    for (const rel of copied) {
      const original = readFileSync(path.join(root, rel));
      const copy = readFileSync(path.join(store.dir, 'files/logins', rel));
      expect(copy.equals(original), rel).toBe(true);
      expect(store.files.get(`files/logins/${rel}`)?.sha256).toBe(sha256(original));
      expect(facts.loginCopies?.[`/${rel}`]).toBe(`files/logins/${rel}`);
    }

    // Timeline: one login row per session even when utmp and wtmp both hold it.
    const events = store.timelineEvents;
    expect(events.filter((e) => e.timestamp_desc === 'Login' && e.message.includes('root on pts/1 from 203.0.113.50'))).toHaveLength(1);
    expect(events.find((e) => e.timestamp_desc === 'Logout' && e.user === 'alice')).toMatchObject({ datetime: '2024-03-01T08:30:00.000000Z', source: 'wtmp', path: '/var/log/wtmp' });
    expect(events.filter((e) => e.timestamp_desc === 'Failed login').map((e) => [e.datetime, e.user, e.ip])).toEqual([
      ['2024-03-01T08:59:00.000000Z', 'root', '203.0.113.66'],
      ['2024-03-01T08:59:02.000000Z', 'root', '203.0.113.66'],
      ['2024-03-01T08:59:04.500000Z', 'admin', '203.0.113.66'],
    ]);
    for (const e of events) expect(Number.isNaN(Date.parse(e.datetime)), e.message).toBe(false);
  });

  it('a root with none of the files: every source skipped as not present, empty artifacts, no error', async () => {
    const root = tmpDir('irt-logins-empty-');
    const { store, facts, result } = await collect(root);
    expect(result.sources.filter((s) => s.status === 'error')).toEqual([]);
    const skipped = result.sources.filter((s) => s.status === 'skipped');
    expect(skipped.map((s) => s.id).sort()).toEqual(['logins.btmp', 'logins.lastlog', 'logins.lastlog2.db', 'logins.sshd-utmp', 'logins.utmp', 'logins.wtmp', 'logins.wtmpdb'].sort());
    for (const s of skipped) if (s.id !== 'logins.sshd-utmp') expect(s).toMatchObject({ reason: 'not present' });
    expect(facts).toMatchObject({ sessions: [], failedLogins: [], loginTampering: [], loginCopies: {} });
    expect(facts.utmp).toBeUndefined();
    for (const a of ['sessions', 'failed-logins', 'utmp', 'lastlog']) expect(readFileSync(path.join(store.dir, `artifacts/${a}.jsonl`), 'utf8')).toBe('');
    expect(existsSync(path.join(store.dir, 'files'))).toBe(false);
  });

  it('a file it cannot read is an error with one line; a log linked to /dev/null is an error and a signal', async (ctx) => {
    ctx.skip(NEEDS_TOOLS !== null, NEEDS_TOOLS ?? '');
    const root = tmpDir('irt-logins-bad-');
    mkdirSync(path.join(root, 'var/log'), { recursive: true });
    symlinkSync('/dev/null', path.join(root, 'var/log/wtmp'));
    symlinkSync('btmp', path.join(root, 'var/log/btmp')); // a link to itself: ELOOP
    put(root, 'var/log/wtmp.1', undump('wtmp.1.utmpdump.txt').subarray(0, 2 * UTMP_RECORD_SIZE));
    put(root, 'var/log/wtmp.2.gz', Buffer.from('this is not gzip data at all'));
    put(root, 'var/log/wtmp.3.xz', Buffer.from('xz bytes'));
    put(root, 'var/lib/wtmpdb/wtmp.db', Buffer.from('not a database, just text '.repeat(50)));
    const { facts, source, store } = await collect(root);

    expect(source('logins.wtmp')).toEqual({ id: 'logins.wtmp', path: '/var/log/wtmp', status: 'error', message: '/var/log/wtmp: a symbolic link to /dev/null, not a log file: not read' });
    expect(source('logins.btmp')).toEqual({ id: 'logins.btmp', path: '/var/log/btmp', status: 'error', message: 'ELOOP: /var/log/btmp: too many symbolic links' });
    expect(source('logins.wtmp.2.gz')).toMatchObject({ status: 'error', message: expect.stringMatching(/^\/var\/log\/wtmp\.2\.gz: not a gzip file: /) });
    expect(source('logins.wtmp.3.xz')).toMatchObject({ status: 'error', message: '/var/log/wtmp.3.xz: compressed with xz, which is not read; the file is copied' });
    expect(source('logins.wtmpdb.wtmp.db')).toMatchObject({ status: 'error', message: '/var/lib/wtmpdb/wtmp.db: not a wtmpdb database: file is not a database' });
    // What could be read still was.
    expect(source('logins.wtmp.1')).toMatchObject({ status: 'ok', detail: '2 records' });
    expect(facts.sessions?.map((s) => s.user)).toEqual(['reboot', 'root']);
    for (const s of [source('logins.wtmp'), source('logins.btmp')]) expect((s as { message: string }).message).not.toContain('\n');
    expect(facts.loginTampering).toEqual([{ kind: 'not-a-file', file: '/var/log/wtmp', detail: '/var/log/wtmp is a symbolic link to /dev/null: nothing written to it is kept' }]);
    expect(readFileSync(path.join(store.dir, 'files/logins/var/log/wtmp.3.xz'), 'utf8')).toBe('xz bytes');
  });

  it('a gzip rotation cut short: what came before the cut is read, and its partial last record is no signal', async (ctx) => {
    ctx.skip(NEEDS_TOOLS !== null, NEEDS_TOOLS ?? '');
    const root = tmpDir('irt-logins-gzcut-');
    const whole = gzip(undump('wtmp.utmpdump.txt'));
    const cut = whole.subarray(0, Math.floor(whole.length * 0.6));
    // The oracle: zlib's own partial inflate of the same bytes.
    const partial = gunzipSync(cut, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    expect(partial.length % UTMP_RECORD_SIZE).not.toBe(0);
    put(root, 'var/log/wtmp.1.gz', cut);
    const { facts, source, jsonl } = await collect(root);
    const records = Math.floor(partial.length / UTMP_RECORD_SIZE);
    expect(records).toBeGreaterThan(0);
    expect(source('logins.wtmp.1.gz')).toMatchObject({ status: 'ok', detail: `${records} records; the gzip stream ends early (damaged or cut): what came before was read` });
    expect(jsonl<UtmpRecord>('artifacts/utmp.jsonl').map((r) => r.index)).toEqual([...Array(records).keys()]);
    expect(facts.loginTampering).toEqual([]);
  });

  it('a file without read permission is an EACCES error (as root: the real CLI run as nobody)', async (ctx) => {
    const root = tmpDir('irt-logins-eacces-');
    const btmp = put(root, 'var/log/btmp', Buffer.alloc(UTMP_RECORD_SIZE, 1));
    chmodSync(btmp, 0o000);
    const expected = { id: 'logins.btmp', path: '/var/log/btmp', status: 'error', message: 'EACCES: /var/log/btmp: permission denied' };
    if (!isRoot) {
      const { source } = await collect(root);
      expect(source('logins.btmp')).toEqual(expected);
      return;
    }
    // Root reads anything: drop to nobody, as the e2e tests do, to see the refusal.
    ctx.skip(!readableByOthers(REPO), `${REPO} is not readable by other users, so nobody cannot run the built tool`);
    for (const dir of [root, path.join(root, 'var'), path.join(root, 'var/log')]) chmodSync(dir, 0o755);
    const out = tmpDir('irt-logins-eacces-out-');
    chmodSync(out, 0o777);
    const r = await runCli(['collect', '--root', root, '--out', out, '--case', 'EACCES', '--json'], {
      prefix: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'],
      env: { ...process.env, HOME: out },
    });
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.partial).toBe(true);
    const manifest = JSON.parse(readFileSync(path.join(extract(summary.bundle), 'manifest.json'), 'utf8'));
    expect(manifest.sources.find((s: SourceStatus) => s.id === 'logins.btmp')).toEqual(expected);
    expect(manifest.partialReasons.join('; ')).toContain('logins.btmp');
  });

  it('over the cap: the newest whole records are read and copied, and the cut is recorded', async (ctx) => {
    ctx.skip(NEEDS_TOOLS !== null, NEEDS_TOOLS ?? '');
    const root = tmpDir('irt-logins-cap-');
    const wtmp = Buffer.concat([undump('wtmp.utmpdump.txt'), Buffer.alloc(50, 0x41)]); // 11 records, then 50 stray bytes
    put(root, 'var/log/wtmp', wtmp);
    put(root, 'etc/passwd', 'root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n');
    const lastlog = Buffer.alloc(5000 * 292);
    lastlog.writeInt32LE(1709280000, 0); // root
    lastlog.writeInt32LE(1709280000, 1000 * 292); // alice
    lastlog.writeInt32LE(1709280000, 4999 * 292); // a uid with no account: not looked at
    put(root, 'var/log/lastlog', lastlog);
    const cap = 3 * UTMP_RECORD_SIZE;
    const { facts, source, store, jsonl } = await collect(root, { maxFileBytes: cap });

    const start = Math.ceil((wtmp.length - cap) / UTMP_RECORD_SIZE) * UTMP_RECORD_SIZE;
    expect(start).toBe(9 * UTMP_RECORD_SIZE);
    expect(source('logins.wtmp')).toMatchObject({ status: 'ok', detail: `2 records; ${wtmp.length} bytes: only the newest ${wtmp.length - start} read and copied, from byte ${start} (the cap)` });
    expect(jsonl<UtmpRecord>('artifacts/utmp.jsonl').map((r) => [r.index, r.user, r.line])).toEqual([[9, '', 'pts/2'], [10, 'bob', 'pts/3']]);
    expect(readFileSync(path.join(store.dir, 'files/logins/var/log/wtmp')).equals(wtmp.subarray(start))).toBe(true);
    // The stray bytes at the real end of the file still count.
    expect(facts.loginTampering).toMatchObject([{ kind: 'trailing-bytes', file: '/var/log/wtmp' }]);

    // lastlog looks huge: only the uids in /etc/passwd are read, by seeking; no copy.
    expect(jsonl<{ uid: number; user: string }>('artifacts/lastlog.jsonl').map((e) => [e.uid, e.user])).toEqual([[0, 'root'], [1000, 'alice']]);
    expect(source('logins.lastlog')).toMatchObject({ status: 'ok', detail: expect.stringContaining('only the 2 uids of /etc/passwd read, not copied') });
    expect(existsSync(path.join(store.dir, 'files/logins/var/log/lastlog'))).toBe(false);
  });
});

describe('logins collector live cross-checks (fake /proc)', () => {
  it('flags a utmp session whose process is gone and an sshd pty session utmp does not list, re-checked against /proc', async (ctx) => {
    ctx.skip(NEEDS_TOOLS !== null, NEEDS_TOOLS ?? '');
    const root = tmpDir('irt-logins-live-');
    put(root, 'run/utmp', undump('utmp.utmpdump.txt')); // root pts/1 pid 1200, bob pts/3 pid 1300
    const boxSshd = put(root, 'usr/sbin/sshd', 'the box\'s own sshd');
    const shmSshd = put(root, 'dev/shm/.x/sshd', 'a scanner named sshd');
    const procDir = tmpDir('irt-logins-proc-');
    put(procDir, '1300/stat', '1300 (bash) S 1 1300 1300 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0\n'); // bob's session started after the process list
    const live = (pid: number, title: string, exeLink: string | null, fds: string[] = []) => {
      put(procDir, `${pid}/cmdline`, `${title}\0`);
      put(procDir, `${pid}/stat`, `${pid} (sshd) S 1 ${pid} ${pid} 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0\n`);
      // Live, /proc/PID/exe leads to the very file the process runs: here, a file of the fake root.
      if (exeLink) symlinkSync(exeLink, path.join(procDir, `${pid}/exe`));
      mkdirSync(path.join(procDir, `${pid}/fd`));
      fds.forEach((t, i) => symlinkSync(t, path.join(procDir, `${pid}/fd/${i}`)));
    };
    live(2100, 'sshd-session: mallory@pts/4', shmSshd, ['/dev/null', '/dev/ptmx', '/dev/pts/4']); // holds its terminal
    live(2400, 'sshd: root@pts/2', shmSshd, ['/dev/null', '/dev/pts/9']); // a title only, and a terminal that is not pts/2
    live(2500, 'sshd: carol@pts/5', shmSshd); // claims the packaged path, but runs another file
    live(2600, 'sshd: dave@pts/6', boxSshd); // the system's sshd, holding only ptmx
    const processes = [
      proc({ pid: 2000, comm: 'sshd-session', argv: ['sshd-session: bob@pts/3'], exe: '/usr/lib/openssh/sshd-session', user: 'bob', uid: 1001 }),
      proc({ pid: 2100, comm: 'sshd-session', argv: ['sshd-session: mallory@pts/4'], exe: '/dev/shm/.x/sshd', user: 'mallory', uid: 1002 }),
      proc({ pid: 2200, comm: 'sshd', argv: ['sshd: ghost@pts/7'], exe: '/usr/sbin/sshd' }), // ended before the re-check
      proc({ pid: 2300, comm: 'sshd', argv: ['sshd: alice@notty'], exe: '/usr/sbin/sshd' }), // no pty, no utmp record expected
      proc({ pid: 2400, comm: 'sshd', argv: ['sshd: root@pts/2'], exe: '/dev/shm/.x/sshd' }),
      proc({ pid: 2500, comm: 'sshd', argv: ['sshd: carol@pts/5'], exe: '/usr/sbin/sshd' }),
      proc({ pid: 2600, comm: 'sshd', argv: ['sshd: dave@pts/6'], exe: '/usr/sbin/sshd' }),
    ];
    const { facts, source } = await collect(root, { facts: { processes }, host: { mode: 'live', procDir } });

    expect(facts.sessions?.map((s) => [s.user, s.line, s.end])).toEqual([
      ['root', 'pts/1', 'gone'],
      ['bob', 'pts/3', 'still-logged-in'],
    ]);
    expect(facts.loginTampering).toEqual([
      { kind: 'utmp-gone', file: '/run/utmp', pid: 1200, user: 'root', line: 'pts/1', detail: '/run/utmp lists root on pts/1 from 203.0.113.50 since 2024-03-01T09:00:00.250000Z (pid 1200), but no process 1200 is running' },
      {
        kind: 'sshd-without-utmp', file: '/run/utmp', pid: 2100, user: 'mallory', line: 'pts/4',
        detail: '"sshd-session: mallory@pts/4" (pid 2100, /dev/shm/.x/sshd) holds /dev/pts/4 open, with a session for mallory on pts/4, but /run/utmp has no record of mallory on pts/4',
      },
      {
        kind: 'sshd-without-utmp', file: '/run/utmp', pid: 2600, user: 'dave', line: 'pts/6',
        detail: '"sshd: dave@pts/6" (pid 2600, /usr/sbin/sshd) runs the system\'s /usr/sbin/sshd (same device and inode), with a session for dave on pts/6, but /run/utmp has no record of dave on pts/6',
      },
    ]);
    expect(source('logins.sshd-utmp')).toMatchObject({
      status: 'ok',
      detail: "6 sshd pty session(s) compared with /run/utmp (4 with the title only, neither the system's sshd nor holding the terminal it names: no utmp record expected of them)",
    });
  });

  it('with no utmp file the sshd check is skipped, not guessed', async () => {
    const root = tmpDir('irt-logins-noutmp-');
    const procDir = tmpDir('irt-logins-proc-');
    const processes = [proc({ pid: 2100, comm: 'sshd-session', argv: ['sshd-session: mallory@pts/4'] })];
    const { facts, source } = await collect(root, { facts: { processes }, host: { mode: 'live', procDir } });
    expect(facts.loginTampering).toEqual([]);
    expect(source('logins.sshd-utmp')).toMatchObject({ status: 'skipped', reason: 'no utmp to compare the sshd sessions with' });
  });
});

describe('ir-triage collect --root on a compromised image (the real CLI)', () => {
  it('finds the remote root login and the wiped wtmp record, and the bundle verifies', async (ctx) => {
    ctx.skip(NEEDS_TOOLS !== null, NEEDS_TOOLS ?? '');
    const root = buildCompromisedRoot();
    const out = tmpDir('irt-logins-e2e-');
    const r = await runCli(['collect', '--root', root, '--out', out, '--case', 'LOGINS', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    const caseDir = extract(summary.bundle);
    const manifest = JSON.parse(readFileSync(path.join(caseDir, 'manifest.json'), 'utf8'));
    expect(manifest.partialReasons.filter((m: string) => !m.startsWith('not run as root'))).toEqual([]);
    expect(summary.partial).toBe(!isRoot);
    const logins = summary.findings.filter((f: { rule: string }) => f.rule.startsWith('login.'));
    expect(logins.map((f: { rule: string; severity: string; subject: { ip?: string; path?: string } }) => [f.rule, f.severity, f.subject.ip ?? f.subject.path])).toEqual([
      ['login.log-tampering', 'critical', '/var/log/wtmp'],
      ['login.log-tampering', 'high', '/var/log/wtmp.1'],
      ['login.root-remote', 'high', '192.0.2.99'],
      ['login.root-remote', 'high', '198.51.100.200'],
      ['login.root-remote', 'high', '203.0.113.50'],
    ]);
    const remote = logins.find((f: { subject: { ip?: string } }) => f.subject.ip === '203.0.113.50');
    expect(remote.title).toBe('root logged in from 203.0.113.50, no logout recorded');
    expect(remote.evidence).toEqual(['artifacts/sessions.jsonl', 'files/logins/run/utmp', 'files/logins/var/log/wtmp']);

    const v = await runCli(['verify', summary.bundle]);
    expect(v.code).toBe(0);
    execFileSync('sha256sum', ['--quiet', '-c', 'SHA256SUMS'], { cwd: caseDir });
    expect(readFileSync(path.join(caseDir, loginCopyPath('/var/log/wtmp'))).equals(readFileSync(path.join(root, 'var/log/wtmp')))).toBe(true);
    expect(readdirSync(path.join(caseDir, 'artifacts')).sort()).toEqual(expect.arrayContaining(['failed-logins.jsonl', 'lastlog.jsonl', 'sessions.jsonl', 'utmp.jsonl']));
    expect(manifest.sources.filter((s: { status: string }) => s.status === 'error')).toEqual([]);
    const timeline = readFileSync(path.join(caseDir, 'timeline.csv'), 'utf8');
    expect(timeline).toMatch(/failed login: admin on ssh:notty from 203\.0\.113\.66 \[btmp\],2024-03-01T08:59:04\.500000Z,Failed login,/);
  });
});
