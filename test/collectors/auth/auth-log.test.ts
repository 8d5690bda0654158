import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { authLogCollector, JOURNAL_MATCHES, JOURNAL_MAX_BYTES, makeAuthLogCollector, tailStart, YEAR_GUESSED_SUFFIX } from '../../../src/collectors/auth/auth-log.js';
import type { AuthLogEvent } from '../../../src/collectors/auth/events.js';
import type { CollectContext } from '../../../src/collectors/types.js';
import { CaseStore } from '../../../src/evidence/store.js';
import type { Exec } from '../../../src/host/context.js';
import { createHostContext, type HostOptions } from '../../../src/host/context.js';
import type { AuthAddressRow } from '../../../src/model/auth.js';
import type { SourceStatus } from '../../../src/model/source.js';
import { tmpDir } from '../../helpers/bundle.js';
import { replayExec } from '../../helpers/fake-proc.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/auth');
const BRUTE = 3000;

function put(root: string, rel: string, data: string | Buffer, mtime?: string): string {
  const p = path.join(root, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, data);
  if (mtime) utimesSync(p, new Date(mtime), new Date(mtime));
  return p;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * A Debian box in Berlin (RFC 3164 stamps in local time) with three rotations: the oldest
 * gzipped, across New Year. 198.51.100.9 brute-forces root 3,000 times over the three files;
 * 203.0.113.5 fails 12 times as deploy, then gets in; alice logs in with a key and uses sudo.
 */
function buildRoot(): { root: string; oldestGz: Buffer } {
  const root = tmpDir('irt-auth-root-');
  put(root, 'etc/timezone', 'Europe/Berlin\n');
  const failures = (n: number, day: string, firstPid: number) =>
    Array.from({ length: n }, (_, i) => `${day} 0${3 + Math.floor(i / 3600)}:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')} web1 sshd[${firstPid + i}]: Failed password for root from 198.51.100.9 port ${40000 + (i % 20000)} ssh2`);
  const oldest = [
    'Dec 30 23:59:58 web1 CRON[100]: pam_unix(cron:session): session opened for user root by (uid=0)',
    ...failures(1000, 'Dec 31', 1000),
  ].join('\n') + '\n';
  const oldestGz = gzipSync(Buffer.from(oldest));
  put(root, 'var/log/auth.log.2.gz', oldestGz, '2025-01-01T00:10:00Z');
  put(root, 'var/log/auth.log.1', [
    ...failures(1000, 'Jan  1', 5000),
    'Jan  1 09:00:00 web1 sshd[7000]: Accepted publickey for alice from 192.0.2.10 port 50000 ssh2: ED25519 SHA256:AAAAC3NzaC1lZDI1NTE5AAAAI',
    'Jan  1 09:00:00 web1 sshd[7000]: pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)',
    'Jan  1 09:01:00 web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id',
    'Jan  1 09:30:00 web1 sshd[7000]: pam_unix(sshd:session): session closed for user alice',
  ].join('\n') + '\n', '2025-01-07T00:00:00Z');
  const deploy = Array.from({ length: 12 }, (_, i) => [
    `Jul 14 10:00:${String(10 + i).padStart(2, '0')} web1 sshd[${9000 + i}]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.5  user=deploy`,
    `Jul 14 10:00:${String(10 + i).padStart(2, '0')} web1 sshd[${9000 + i}]: Failed password for deploy from 203.0.113.5 port ${50000 + i} ssh2`,
  ]).flat();
  put(root, 'var/log/auth.log', [
    ...failures(1000, 'Jul 13', 20000),
    ...deploy,
    'Jul 14 10:01:00 web1 sshd[9100]: Accepted password for deploy from 203.0.113.5 port 50100 ssh2',
    'Jul 14 10:01:00 web1 sshd[9100]: pam_unix(sshd:session): session opened for user deploy(uid=1001) by (uid=0)',
    'Jul 14 10:09:00 web1 sshd[9100]: pam_unix(sshd:session): session closed for user deploy',
    'Jul 14 10:10:00 web1 systemd-logind[400]: Removed session 12.',
  ].join('\n') + '\n', '2025-07-14T12:00:00Z');
  return { root, oldestGz };
}

async function collect(root: string, opts: { host?: HostOptions; maxFileBytes?: number; maxLogBytes?: number; eventsMaxBytes?: number; timeline?: 'aggregate' | 'day' | 'full' } = {}) {
  const store = await CaseStore.create(tmpDir('irt-auth-out-'), 'T');
  const host = createHostContext({ root, mode: 'offline', procDir: null, ...opts.host });
  const ctx: CollectContext = {
    host,
    sink: store,
    facts: {},
    options: { sshPorts: [], maxFileBytes: opts.maxFileBytes ?? 64 * 1024 * 1024, maxCommandBytes: 1 << 20, commandTimeoutMs: 5000, toolLists: { names: [], hashes: [] }, timeline: opts.timeline ?? 'full', ...(opts.maxLogBytes ? { maxLogBytes: opts.maxLogBytes } : {}) },
  };
  const collector = opts.eventsMaxBytes ? makeAuthLogCollector({ eventsMaxBytes: opts.eventsMaxBytes }) : authLogCollector;
  const result = await collector.collect(ctx);
  const file = (rel: string) => readFileSync(path.join(store.dir, rel));
  const jsonl = <T>(rel: string): T[] => file(rel).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);
  const source = (id: string): SourceStatus | undefined => result.sources.find((s) => s.id === id);
  return { store, result, facts: result.facts ?? {}, file, jsonl, source };
}

describe('auth-log collector on a fake root', () => {
  it('reads every rotation oldest first, .gz included, into events, a tally and the facts', async () => {
    const { root, oldestGz } = buildRoot();
    const { result, facts, jsonl, source, file, store } = await collect(root);
    expect(result.sources.filter((s) => s.status === 'error')).toEqual([]);
    expect(result.sources.map((s) => s.id)).toEqual(['auth-log.auth.log.2.gz', 'auth-log.auth.log.1', 'auth-log.auth.log', 'auth-log']);
    expect(source('auth-log.auth.log.2.gz')).toMatchObject({ status: 'ok', path: '/var/log/auth.log.2.gz' });
    expect((source('auth-log.auth.log.2.gz') as { detail: string }).detail).toMatch(/^1001 lines, 1000 auth events, .*; 1 ignored \(known, not about a login\); copied to files\/logs\/var\/log\/auth.log.2.gz$/);

    const events = jsonl<AuthLogEvent>('artifacts/auth-events.jsonl');
    expect(events.map((e) => e.source).filter((s, i, all) => s !== all[i - 1])).toEqual(['/var/log/auth.log.2.gz', '/var/log/auth.log.1', '/var/log/auth.log']);
    expect(events.filter((e) => e.kind === 'failed')).toHaveLength(BRUTE + 12);
    // Berlin local time: UTC+1 in winter, UTC+2 in summer; the year from each file's mtime, across New Year.
    expect(events.find((e) => e.source === '/var/log/auth.log.2.gz')!.time).toBe('2024-12-31T02:00:00.000Z');
    expect(events.find((e) => e.source === '/var/log/auth.log.1')!.time).toBe('2025-01-01T02:00:00.000Z');
    expect(events.find((e) => e.kind === 'accepted' && e.user === 'deploy')!.time).toBe('2025-07-14T08:01:00.000Z');
    // The PAM line reports the same attempt as the Failed line after it: written, but covered.
    expect(events.filter((e) => e.kind === 'pam-failure').every((e) => e.covered === true)).toBe(true);

    const tally = JSON.parse(file('artifacts/auth-tally.json').toString()) as AuthAddressRow[];
    expect(tally).toEqual(facts.authTally);
    expect(tally.map((r) => [r.address, r.failures])).toEqual([['198.51.100.9', BRUTE], ['203.0.113.5', 12], ['192.0.2.10', 0]]);
    expect(tally[0]).toMatchObject({ firstFailure: '2024-12-31T02:00:00.000Z', lastFailure: '2025-07-13T01:16:39.000Z', users: [{ user: 'root', count: BRUTE }] });

    expect(facts.authLogins!.map((l) => [l.user, l.address, l.failuresFromAddress.count, l.logout])).toEqual([
      ['alice', '192.0.2.10', 0, '2025-01-01T08:30:00.000Z'],
      ['deploy', '203.0.113.5', 12, '2025-07-14T08:09:00.000Z'],
    ]);
    expect(facts.authRootLogins).toEqual([]);
    expect(facts.authEvidence).toEqual([
      'artifacts/auth-tally.json', 'artifacts/auth-events.jsonl',
      'files/logs/var/log/auth.log.2.gz', 'files/logs/var/log/auth.log.1', 'files/logs/var/log/auth.log',
    ]);

    // The originals, byte for byte (the .gz as it was, compressed).
    expect(sha256(file('files/logs/var/log/auth.log.2.gz'))).toBe(sha256(oldestGz));
    expect(file('files/logs/var/log/auth.log')).toEqual(readFileSync(path.join(root, 'var/log/auth.log')));

    const stats = JSON.parse(file('artifacts/auth-log-stats.json').toString());
    expect(stats.timezone).toMatchObject({ zone: 'Europe/Berlin', from: '/etc/timezone', known: true });
    expect(stats.sources.map((s: { unknownByProgram: object }) => s.unknownByProgram)).toEqual([{ CRON: 1 }, {}, { 'systemd-logind': 1 }]);
    expect(store.has('artifacts/auth-log-stats.json')).toBe(true);
  });

  it('puts every auth event with a time on the timeline, each failure of a brute force included', async () => {
    const { root } = buildRoot();
    const { store, jsonl } = await collect(root);
    const events = jsonl<AuthLogEvent>('artifacts/auth-events.jsonl').filter((e) => e.time !== '');
    const rows = store.timelineEvents.filter((e) => e.source === 'auth-log');
    expect(rows).toHaveLength(events.length);
    // RFC 3164 stamps: no year in the line, so every row says its year was guessed.
    const failed = (ip: string) => rows.filter((e) => e.timestamp_desc === 'Auth: failed login (year guessed)' && e.ip === ip);
    expect(failed('198.51.100.9')).toHaveLength(BRUTE);
    expect(failed('203.0.113.5')).toHaveLength(12);
    expect(failed('198.51.100.9')[0]).toEqual({
      datetime: '2024-12-31T02:00:00.000Z', message: 'sshd[1000]: Failed password for root from 198.51.100.9 port 40000 ssh2 [/var/log/auth.log.2.gz:2]',
      timestamp_desc: 'Auth: failed login (year guessed)', source: 'auth-log', user: 'root', ip: '198.51.100.9', pid: 1000, path: '/var/log/auth.log.2.gz',
    });
    expect(events.every((e) => e.yearGuessed === true)).toBe(true);
    expect(rows.filter((e) => e.timestamp_desc === 'Auth: accepted login (year guessed)').map((e) => e.user)).toEqual(['alice', 'deploy']);
    expect(rows.filter((e) => e.timestamp_desc === 'Auth: sudo (year guessed)').map((e) => e.message)).toEqual(['sudo: alice as root: /usr/bin/id [/var/log/auth.log.1:1003]']);
  });

  it('gives an address with a single failure a single timeline row', async () => {
    const root = tmpDir('irt-auth-one-');
    put(root, 'etc/timezone', 'UTC\n');
    put(root, 'var/log/auth.log', 'Mar  1 10:00:00 h sshd[5]: Failed password for root from 192.0.2.99 port 1 ssh2\n', '2024-03-02T00:00:00Z');
    const { store } = await collect(root);
    expect(store.timelineEvents.map((e) => [e.timestamp_desc, e.datetime, e.message])).toEqual([
      ['Auth: failed login (year guessed)', '2024-03-01T10:00:00.000Z', 'sshd[5]: Failed password for root from 192.0.2.99 port 1 ssh2 [/var/log/auth.log:1]'],
    ]);
  });

  it('warns in the manifest when no line of a log is understood, and counts not understood apart from ignored', async () => {
    const root = tmpDir('irt-auth-garbage-');
    put(root, 'etc/timezone', 'UTC\n');
    // auth.log.1: a format nobody reads; auth.log: an ordinary quiet box (cron only, all known and ignored).
    put(root, 'var/log/auth.log.1', ['10:00:01 | login attempt root 192.0.2.5', '10:00:02 | login attempt root 192.0.2.5', 'garbage \u0007 line'].join('\n') + '\n', '2024-03-01T00:00:00Z');
    put(root, 'var/log/auth.log', 'Mar  1 10:17:01 h CRON[77]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)\n', '2024-03-02T00:00:00Z');
    const { source, file } = await collect(root);
    expect(source('auth-log.auth.log.1')).toMatchObject({ status: 'ok', path: '/var/log/auth.log.1', warning: expect.stringMatching(/^none of its 3 lines was understood \(3 not understood: \(unparsed\) 3; 0 ignored\)/) });
    expect(source('auth-log.auth.log')).not.toHaveProperty('warning');
    const stats = JSON.parse(file('artifacts/auth-log-stats.json').toString());
    expect(stats.lines).toEqual({ total: 4, notUnderstood: 3, ignored: 1, sourcesNothingUnderstood: ['/var/log/auth.log.1'] });
    expect(stats.sources.map((s: { notUnderstood: number; ignored: number }) => [s.notUnderstood, s.ignored])).toEqual([[3, 0], [0, 1]]);
  });

  it('marks the events and rows whose year was guessed, and only those', async () => {
    const root = tmpDir('irt-auth-year-');
    put(root, 'etc/timezone', 'UTC\n');
    put(root, 'var/log/auth.log', [
      'Mar  1 10:00:00 h sshd[5]: Failed password for root from 192.0.2.99 port 1 ssh2',
      '2024-03-01T10:00:01.000000+00:00 h sshd[6]: Failed password for root from 192.0.2.99 port 2 ssh2',
      '<38>1 2024-03-01T10:00:02Z h sshd 7 - - Failed password for root from 192.0.2.99 port 3 ssh2',
    ].join('\n') + '\n', '2024-03-02T00:00:00Z');
    const { store, jsonl } = await collect(root);
    expect(jsonl<AuthLogEvent>('artifacts/auth-events.jsonl').map((e) => [e.pid, e.yearGuessed ?? false])).toEqual([[5, true], [6, false], [7, false]]);
    expect(store.timelineEvents.map((e) => [e.pid, e.timestamp_desc])).toEqual([
      [5, 'Auth: failed login (year guessed)'], [6, 'Auth: failed login'], [7, 'Auth: failed login'],
    ]);
  });

  it('copies the auth logs whole under --max-log-bytes, whatever --max-file-bytes (the cap of other copies) says', async () => {
    const { root } = buildRoot();
    const { source, file, facts, store } = await collect(root, { maxFileBytes: 1000 });
    expect((source('auth-log.auth.log') as { detail: string }).detail).toMatch(/copied to files\/logs\/var\/log\/auth.log$/);
    expect(file('files/logs/var/log/auth.log').equals(readFileSync(path.join(root, 'var/log/auth.log')))).toBe(true);
    expect(store.copiesCut).toEqual([]);
    expect(facts.authTally![0].failures).toBe(BRUTE);
  });

  it('caps the events artifact: past the cap only logins, sessions, sudo and su, and the cap is recorded', async () => {
    const { root } = buildRoot();
    const { jsonl, source, file, facts } = await collect(root, { eventsMaxBytes: 200_000 });
    const events = jsonl<AuthLogEvent>('artifacts/auth-events.jsonl');
    expect(file('artifacts/auth-events.jsonl').length).toBeLessThanOrEqual(400_000);
    expect(events.filter((e) => e.kind === 'failed').length).toBeLessThan(BRUTE);
    // The later logins, sessions and sudo are still there.
    expect(events.filter((e) => e.kind === 'accepted').map((e) => e.user)).toEqual(['alice', 'deploy']);
    expect(events.filter((e) => e.kind === 'sudo')).toHaveLength(1);
    const detail = (source('auth-log') as { detail: string }).detail;
    expect(detail).toMatch(new RegExp(`^${events.length} events written, ${BRUTE + 12 + 12 + 6 + 1 - events.length} more not \\(the 200000-byte cap of artifacts/auth-events.jsonl`));
    const stats = JSON.parse(file('artifacts/auth-log-stats.json').toString());
    expect(stats.events).toMatchObject({ written: events.length, capBytes: 200_000 });
    // The rules still see every failure.
    expect(facts.authTally![0].failures).toBe(BRUTE);
  });

  it('records what is not a log file as an error and reads the rest', async () => {
    const { root } = buildRoot();
    mkdirSync(path.join(root, 'var/log/secure'));
    const { source, facts } = await collect(root);
    expect(source('auth-log.secure')).toMatchObject({ status: 'error', message: '/var/log/secure is not a regular file (a folder): nothing in it was read' });
    expect(facts.authTally![0].failures).toBe(BRUTE);
  });

  it('copies a rotation compressed with something other than gzip and says it was not read', async () => {
    const { root } = buildRoot();
    put(root, 'var/log/auth.log.3.xz', 'not really xz');
    const { source, file } = await collect(root);
    expect(source('auth-log.auth.log.3.xz')).toMatchObject({ status: 'skipped', reason: 'compressed with xz, which is not read; copied to files/logs/var/log/auth.log.3.xz' });
    expect(file('files/logs/var/log/auth.log.3.xz').toString()).toBe('not really xz');
  });

  it('never follows a log link out of the root', async () => {
    const root = tmpDir('irt-auth-link-');
    put(root, 'etc/timezone', 'UTC\n');
    mkdirSync(path.join(root, 'var/log'), { recursive: true });
    // Inside the root, /etc/shadow does not exist: the link must not reach the examiner's own file.
    symlinkSync('/etc/shadow', path.join(root, 'var/log/auth.log'));
    const { source } = await collect(root);
    expect(source('auth-log.auth.log')).toMatchObject({ status: 'error', message: 'ENOENT: /var/log/auth.log: no such file' });
  });
});

describe('auth-log collector without auth log files: the journal', () => {
  const journal = readFileSync(path.join(FIXTURES, 'journal-openssh-9.8.json'));
  const LIVE = ['journalctl', '-o', 'json', '--no-pager', '--all', ...JOURNAL_MATCHES].join(' ');

  it('live: runs journalctl -o json for the sshd, sudo and su processes, keeps its output and reads it', async () => {
    const root = tmpDir('irt-auth-journal-');
    mkdirSync(path.join(root, 'var/log/journal'), { recursive: true });
    const unexpected: string[] = [];
    const { source, facts, file } = await collect(root, { host: { mode: 'live', exec: replayExec({ [LIVE]: journal.toString() }, unexpected) } });
    expect(unexpected).toEqual([]);
    expect(source('auth-log.journal')).toMatchObject({ status: 'ok', path: 'commands/journalctl-auth-json.txt' });
    expect(file('commands/journalctl-auth-json.txt')).toEqual(journal);
    expect(JSON.parse(file('commands/journalctl-auth-json.json').toString()).argv).toEqual(LIVE.split(' '));
    expect(facts.authTally!.map((r) => [r.address, r.failures])).toEqual([['203.0.113.77', 12], ['203.0.113.78', 1]]);
    // The session closed record of the accepted login's pid gives its end.
    const closed = journal.toString().split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((r) => r.MESSAGE === 'pam_unix(sshd:session): session closed for user ubuntu');
    const closedAt = new Date(Number(BigInt(closed.__REALTIME_TIMESTAMP) / 1000n)).toISOString();
    expect(facts.authLogins!.map((l) => [l.user, l.address, l.failuresFromAddress.count, l.logout])).toEqual([['ubuntu', '203.0.113.77', 12, closedAt]]);
    expect(facts.authEvidence).toContain('commands/journalctl-auth-json.txt');
  });

  it('offline: names the image\'s journal files one by one, never a link out of the root', async () => {
    const root = tmpDir('irt-auth-image-');
    put(root, 'var/log/journal/5c2e0b1a/system.journal', 'journal bytes');
    put(root, 'var/log/journal/5c2e0b1a/user-1000.journal~', 'journal bytes');
    symlinkSync('/var/log/journal', path.join(root, 'var/log/journal/5c2e0b1a/planted.journal'));
    const argv = ['journalctl', '--file', path.join(root, 'var/log/journal/5c2e0b1a/system.journal'), '--file', path.join(root, 'var/log/journal/5c2e0b1a/user-1000.journal~'), '-o', 'json', '--no-pager', '--all', ...JOURNAL_MATCHES].join(' ');
    const unexpected: string[] = [];
    const { source, facts } = await collect(root, { host: { exec: replayExec({ [argv]: journal.toString() }, unexpected) } });
    expect(unexpected).toEqual([]);
    expect(source('auth-log.journal')).toMatchObject({ status: 'ok' });
    expect(facts.authLogins).toHaveLength(1);
  });

  it('offline: a journal folder that is a link in the image is followed inside the image', async () => {
    const root = tmpDir('irt-auth-jlink-');
    put(root, 'srv/journal/5c2e0b1a/system.journal', 'journal bytes');
    mkdirSync(path.join(root, 'var/log'), { recursive: true });
    symlinkSync('/srv/journal', path.join(root, 'var/log/journal'));
    const argv = ['journalctl', '--file', path.join(root, 'srv/journal/5c2e0b1a/system.journal'), '-o', 'json', '--no-pager', '--all', ...JOURNAL_MATCHES].join(' ');
    const unexpected: string[] = [];
    await collect(root, { host: { exec: replayExec({ [argv]: journal.toString() }, unexpected) } });
    expect(unexpected).toEqual([]);
  });

  it('a journalctl that fails or is cut is an error naming why; what it printed is still read', async () => {
    const root = tmpDir('irt-auth-cut-');
    mkdirSync(path.join(root, 'var/log/journal'), { recursive: true });
    const exec: Exec = async (spec) => ({
      name: spec.name, argv: spec.argv, startedAt: new Date(0).toISOString(), durationMs: 1, exitCode: null, signal: 'SIGTERM',
      timedOut: true, truncated: true, notInstalled: false, error: 'timed out after 20000 ms', stdout: journal.subarray(0, journal.indexOf('\n') + 1), stderr: '',
    });
    const { source, facts } = await collect(root, { host: { mode: 'live', exec } });
    expect(source('auth-log.journal')).toMatchObject({ status: 'error' });
    expect((source('auth-log.journal') as { message: string }).message).toMatch(/^timed out after 20000 ms; output cut at 268435456 bytes: newer records may be missing \(1 lines/);
    expect(facts.authTally).toEqual([]);
  });

  it('asks for the newest part of a journal longer than the cap, and records the cut in copiesCut', async () => {
    const root = tmpDir('irt-auth-tail-');
    mkdirSync(path.join(root, 'var/log/journal'), { recursive: true });
    const specs: Array<{ maxBytes?: number; keep?: string }> = [];
    const kept = journal.subarray(journal.indexOf('\n') + 1);
    const exec: Exec = async (spec) => {
      specs.push(spec);
      return {
        name: spec.name, argv: spec.argv, startedAt: new Date(0).toISOString(), durationMs: 1, exitCode: 0, signal: null, timedOut: false, truncated: true,
        tailCut: { size: 5_000_000, fromByte: 5_000_000 - kept.length, fromLine: 9001, atLineStart: true }, notInstalled: false, error: null, stdout: kept, stderr: '',
      };
    };
    const { source, store } = await collect(root, { host: { mode: 'live', exec } });
    expect(specs).toEqual([expect.objectContaining({ maxBytes: JOURNAL_MAX_BYTES, keep: 'tail' })]);
    expect((source('auth-log.journal') as { message: string }).message).toMatch(
      new RegExp(`^output of 5000000 bytes cut to its newest ${kept.length} \\(the 268435456-byte cap\\): records before line 9001 were neither kept nor read`),
    );
    expect(store.copiesCut).toEqual([{
      path: 'commands/journalctl-auth-json.txt', source: LIVE, size: 5_000_000, kept: 'tail', fromByte: 5_000_000 - kept.length, fromLine: 9001, atLineStart: true,
      keptBytes: kept.length, droppedBytes: 5_000_000 - kept.length, cap: JOURNAL_MAX_BYTES, option: 'the journal export cap (fixed)',
    }]);
  });

  it('journalctl not installed: skipped, not an error', async () => {
    const root = tmpDir('irt-auth-nojctl-');
    mkdirSync(path.join(root, 'var/log/journal'), { recursive: true });
    const exec: Exec = async (spec) => ({
      name: spec.name, argv: spec.argv, startedAt: new Date(0).toISOString(), durationMs: 1, exitCode: null, signal: null,
      timedOut: false, truncated: false, notInstalled: true, error: 'journalctl: not installed', stdout: Buffer.alloc(0), stderr: '',
    });
    const { source } = await collect(root, { host: { mode: 'live', exec } });
    expect(source('auth-log.journal')).toMatchObject({ status: 'skipped', reason: 'journalctl is not installed' });
  });

  it('no auth log and no journal: skipped, with no artifacts, no facts and no command run', async () => {
    const root = tmpDir('irt-auth-empty-');
    const unexpected: string[] = [];
    const { result, store } = await collect(root, { host: { exec: replayExec({}, unexpected) } });
    expect(unexpected).toEqual([]);
    expect(result.sources).toEqual([{ id: 'auth-log', status: 'skipped', reason: 'no /var/log/auth.log* or /var/log/secure* and no systemd journal' }]);
    expect(result.facts).toBeUndefined();
    expect([...store.files.keys()]).toEqual([]);
  });
});

describe('--timeline aggregate (the default) and day', () => {
  it('day: one row per address and UTC day, whose counts add up to the events of --timeline full', async () => {
    const { root } = buildRoot();
    const full = await collect(root, { timeline: 'full' });
    const agg = await collect(root, { timeline: 'day' });
    const fullEvents = full.jsonl<AuthLogEvent>('artifacts/auth-events.jsonl').filter((e) => e.time !== '');
    const attemptKinds = new Set(['failed', 'invalid-user', 'max-attempts', 'preauth-disconnect', 'pam-failure', 'no-identification', 'kex-failed', 'auth-timeout']);
    const rows = agg.store.timelineEvents.filter((e) => e.source === 'auth-log');
    const aggregate = rows.filter((e) => e.count != null);
    expect(aggregate.every((r) => r.timestamp_desc === 'Auth: failed and pre-auth attempts (per address, day)')).toBe(true);
    expect(aggregate.reduce((n, r) => n + r.count!, 0)).toBe(fullEvents.filter((e) => attemptKinds.has(e.kind)).length);
    expect(rows.length - aggregate.length).toBe(fullEvents.filter((e) => !attemptKinds.has(e.kind)).length);
    // 198.51.100.9: 1,000 failures on each of three days (one per file), one row a day.
    const brute = aggregate.filter((r) => r.ip === '198.51.100.9');
    expect(brute.map((r) => [r.datetime, r.lastDatetime, r.count])).toEqual([
      ['2024-12-31T02:00:00.000Z', '2024-12-31T02:16:39.000Z', 1000],
      ['2025-01-01T02:00:00.000Z', '2025-01-01T02:16:39.000Z', 1000],
      ['2025-07-13T01:00:00.000Z', '2025-07-13T01:16:39.000Z', 1000],
    ]);
    expect(brute[0]).toMatchObject({ user: 'root', pid: null, path: '/var/log/auth.log.2.gz' });
    expect(brute[0].message).toBe('1000 attempts from 198.51.100.9 on 2024-12-31, 1000 failed (password 1000) as root 1000: failed 1000 [/var/log/auth.log.2.gz:2-1001]');
    // Each row: one address, one day.
    for (const r of aggregate) expect(r.datetime.slice(0, 10)).toBe(r.lastDatetime!.slice(0, 10));
    expect(new Set(aggregate.map((r) => `${r.ip} ${r.datetime.slice(0, 10)}`)).size).toBe(aggregate.length);
    // Logins, sessions and sudo are never aggregated; the facts are the same as in full mode.
    expect(rows.filter((e) => e.timestamp_desc === `Auth: accepted login${YEAR_GUESSED_SUFFIX}`).map((e) => e.user)).toEqual(['alice', 'deploy']);
    expect(agg.facts.authTally).toEqual(full.facts.authTally);
    expect(agg.facts.authLogins).toEqual(full.facts.authLogins);
    expect((agg.source('auth-log') as { detail: string }).detail).toMatch(/failed and pre-auth attempt events as \d+ timeline rows per address and day/);
  });

  it('aggregate: collapses attempts into rows per address, user and minute whose counts add up to the events of --timeline full', async () => {
    const { root } = buildRoot();
    const full = await collect(root, { timeline: 'full' });
    const agg = await collect(root, { timeline: 'aggregate' });
    const fullEvents = full.jsonl<AuthLogEvent>('artifacts/auth-events.jsonl').filter((e) => e.time !== '');
    const attemptKinds = new Set(['failed', 'invalid-user', 'max-attempts', 'preauth-disconnect', 'pam-failure', 'no-identification', 'kex-failed', 'auth-timeout']);
    const rows = agg.store.timelineEvents.filter((e) => e.source === 'auth-log');
    const aggregate = rows.filter((e) => e.count != null);
    // Every attempt event is in exactly one row's count; the rest stay one row each.
    expect(aggregate.reduce((n, r) => n + r.count!, 0)).toBe(fullEvents.filter((e) => attemptKinds.has(e.kind)).length);
    expect(rows.length - aggregate.length).toBe(fullEvents.filter((e) => !attemptKinds.has(e.kind)).length);
    // 198.51.100.9 fails once a second: one row a minute, 60 attempts each (1,000 a file: 17 minutes, the last with 40).
    const brute = aggregate.filter((r) => r.ip === '198.51.100.9');
    expect(brute.reduce((n, r) => n + r.count!, 0)).toBe(BRUTE);
    expect(brute).toHaveLength(3 * 17);
    expect(brute[0]).toMatchObject({
      datetime: '2024-12-31T02:00:00.000Z', lastDatetime: '2024-12-31T02:00:59.000Z', count: 60, user: 'root', path: '/var/log/auth.log.2.gz',
      timestamp_desc: 'Auth: failed and pre-auth attempts (per address, user, minute)',
    });
    expect(brute[0].message).toBe('60 attempts from 198.51.100.9 as root, 60 failed (password 60): failed 60 [/var/log/auth.log.2.gz:2-61]');
    // Each row: one address, one user, one minute.
    for (const r of aggregate) expect(r.datetime.slice(0, 16)).toBe(r.lastDatetime!.slice(0, 16));
    // Logins, sessions and sudo are never aggregated.
    // (The stamps have no year: each description says it was guessed.)
    expect(rows.filter((e) => e.timestamp_desc === `Auth: accepted login${YEAR_GUESSED_SUFFIX}`).map((e) => e.user)).toEqual(['alice', 'deploy']);
    expect(rows.filter((e) => e.timestamp_desc === `Auth: sudo${YEAR_GUESSED_SUFFIX}`)).toHaveLength(1);
    // The tally, the logins and the rules' facts are the same in both modes.
    expect(agg.facts.authTally).toEqual(full.facts.authTally);
    expect(agg.facts.authLogins).toEqual(full.facts.authLogins);
  });

  it('keeps per-minute totals in auth-events.jsonl instead of every attempt, and says so', async () => {
    const { root } = buildRoot();
    const full = await collect(root, { timeline: 'full' });
    const agg = await collect(root, { timeline: 'aggregate' });
    const events = agg.jsonl<{ kind: string; count?: number; failures?: number; user?: string }>('artifacts/auth-events.jsonl');
    const minutes = events.filter((e) => e.kind === 'attempts-minute');
    expect(minutes.reduce((n, m) => n + m.failures!, 0)).toBe(full.facts.authTally!.reduce((n, r) => n + r.failures, 0));
    expect(events.filter((e) => e.kind === 'failed')).toEqual([]);
    expect(events.filter((e) => e.kind === 'accepted').map((e) => e.user)).toEqual(['alice', 'deploy']);
    const stats = JSON.parse(agg.file('artifacts/auth-log-stats.json').toString());
    expect(stats.timeline.mode).toBe('aggregate');
    expect(stats.events).toMatchObject({ mode: 'aggregate', attemptEvents: stats.timeline.aggregatedEvents, minuteRecords: minutes.length });
    expect((agg.source('auth-log') as { detail: string }).detail).toMatch(/failed and pre-auth attempt events as \d+ timeline rows per address, user and minute/);
  });

  it('gives the lines of a connection that name no user or address the ones its other lines named', async () => {
    const root = tmpDir('irt-auth-conn-');
    put(root, 'etc/timezone', 'UTC\n');
    put(root, 'var/log/auth.log', [
      'Mar  1 10:00:01 h sshd[5]: Invalid user admin from 192.0.2.7 port 4000',
      'Mar  1 10:00:01 h sshd[5]: pam_unix(sshd:auth): check pass; user unknown',
      'Mar  1 10:00:01 h sshd[5]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.7',
      'Mar  1 10:00:03 h sshd[5]: Failed password for invalid user admin from 192.0.2.7 port 4000 ssh2',
      'Mar  1 10:00:04 h sshd[5]: Received disconnect from 192.0.2.7 port 4000:11: Bye Bye [preauth]',
      'Mar  1 10:00:04 h sshd[5]: Disconnected from invalid user admin 192.0.2.7 port 4000 [preauth]',
    ].join('\n') + '\n', '2024-03-02T00:00:00Z');
    const { store } = await collect(root, { timeline: 'aggregate' });
    const rows = store.timelineEvents.filter((e) => e.source === 'auth-log');
    expect(rows.map((r) => [r.ip, r.user, r.count])).toEqual([['192.0.2.7', 'admin', 6]]);
    const day = (await collect(root, { timeline: 'day' })).store.timelineEvents.filter((e) => e.source === 'auth-log');
    expect(day.map((r) => [r.ip, r.user, r.count])).toEqual([['192.0.2.7', 'admin', 6]]);
    expect(day[0].message).toMatch(/^6 attempts from 192\.0\.2\.7 on 2024-03-01, 1 failed \(password 1\) as invalid user admin 6: /);
  });
});

describe('log copies over --max-log-bytes', () => {
  it('keep the end of a plain log from a line start and the start of a gzip rotation, each cut recorded; every line is still read', async () => {
    const { root, oldestGz } = buildRoot();
    const whole = await collect(root);
    const cap = 2000;
    expect(oldestGz.length).toBeGreaterThan(cap);
    const { store, facts, file, source } = await collect(root, { maxLogBytes: cap });
    // The compressed rotation keeps its start (a gzip stream is read from its beginning).
    expect(file('files/logs/var/log/auth.log.2.gz').equals(oldestGz.subarray(0, cap))).toBe(true);
    // The plain ones keep their end, from a line start.
    for (const name of ['auth.log.1', 'auth.log']) {
      const log = readFileSync(path.join(root, 'var/log', name));
      const copy = file(`files/logs/var/log/${name}`);
      expect(copy.length).toBeLessThanOrEqual(cap);
      expect(copy.length).toBeGreaterThan(cap - 200);
      expect(copy.equals(log.subarray(log.length - copy.length))).toBe(true);
      expect(log[log.length - copy.length - 1]).toBe(0x0a);
    }
    const log = readFileSync(path.join(root, 'var/log/auth.log'));
    const copy = file('files/logs/var/log/auth.log');
    const fromByte = log.length - copy.length;
    const fromLine = log.subarray(0, fromByte).toString('latin1').split('\n').length;
    expect(store.copiesCut.map((c) => [c.path, c.kept])).toEqual([
      ['files/logs/var/log/auth.log.2.gz', 'head'], ['files/logs/var/log/auth.log.1', 'tail'], ['files/logs/var/log/auth.log', 'tail'],
    ]);
    expect(store.copiesCut[2]).toEqual({
      path: 'files/logs/var/log/auth.log', source: '/var/log/auth.log', size: log.length, kept: 'tail', fromByte, fromLine, atLineStart: true,
      keptBytes: copy.length, droppedBytes: fromByte, cap, option: '--max-log-bytes',
    });
    expect(store.copiesCut[0]).toMatchObject({ size: oldestGz.length, fromByte: 0, fromLine: 1, keptBytes: cap, droppedBytes: oldestGz.length - cap });
    expect((source('auth-log.auth.log') as { detail: string }).detail).toContain(`copied to files/logs/var/log/auth.log (its last ${copy.length} of ${log.length} bytes, from line ${fromLine};`);
    expect((source('auth-log.auth.log.2.gz') as { detail: string }).detail).toContain(`(its first ${cap} of ${oldestGz.length} bytes (compressed: a gzip stream is read from its start)`);
    // Only the copies are cut: what was read is the same.
    expect(facts.authTally).toEqual(whole.facts.authTally);
    expect(facts.authLogins).toEqual(whole.facts.authLogins);
    expect(whole.store.copiesCut).toEqual([]);
  });

  it('tailStart: the first line that starts in the last cap bytes, its number, or mid-line when no line starts there', async () => {
    const dir = tmpDir('irt-tail-');
    const at = async (text: string, cap: number) => {
      const p = path.join(dir, 'f');
      writeFileSync(p, text);
      const h = await open(p);
      try {
        return await tailStart(h, Buffer.byteLength(text), cap);
      } finally {
        await h.close();
      }
    };
    // 'aaaa\nbbbb\ncccc\n': lines start at 0, 5, 10.
    expect(await at('aaaa\nbbbb\ncccc\n', 10)).toEqual({ fromByte: 5, fromLine: 2, atLineStart: true });
    expect(await at('aaaa\nbbbb\ncccc\n', 9)).toEqual({ fromByte: 10, fromLine: 3, atLineStart: true });
    expect(await at('aaaa\nbbbb\ncccc\n', 6)).toEqual({ fromByte: 10, fromLine: 3, atLineStart: true });
    expect(await at('aaaa\nbbbb\ncccc', 5)).toEqual({ fromByte: 10, fromLine: 3, atLineStart: true });
    // The last line alone is longer than the cap: the copy starts inside it.
    expect(await at('aaaa\nbbbb\ncccc\n', 4)).toEqual({ fromByte: 11, fromLine: 3, atLineStart: false });
    expect(await at('x'.repeat(3_000_000), 1000)).toEqual({ fromByte: 2_999_000, fromLine: 1, atLineStart: false });
    // Newlines counted across reads of 1 MiB.
    const big = 'l'.repeat(99) + '\n';
    expect(await at(big.repeat(30_000), 100 * 10)).toEqual({ fromByte: 100 * 29_990, fromLine: 29_991, atLineStart: true });
  });
});
