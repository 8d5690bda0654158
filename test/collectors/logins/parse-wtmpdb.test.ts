import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSqlJs, readLastlog2, readWtmpdb } from '../../../src/collectors/logins/parse-wtmpdb.js';
import type { SessionRecord } from '../../../src/model/logins.js';

const SQLITE3 = '/usr/bin/sqlite3';
const hasSqlite3 = existsSync(SQLITE3);
const NO_SQLITE3 = 'the sqlite3 CLI is not installed at /usr/bin/sqlite3';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ir-triage-wtmpdb-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Create a database with the real sqlite3 CLI and return its bytes. */
function sqlite(name: string, sql: string): Uint8Array {
  const path = join(dir, name);
  const r = spawnSync(SQLITE3, [path], { input: sql });
  if (r.status !== 0) throw new Error(`sqlite3 failed: ${r.stderr.toString()}`);
  return new Uint8Array(readFileSync(path));
}

// The schema wtmpdb creates (lib/sqlite.c), STRICT as upstream.
const WTMP_SCHEMA =
  'CREATE TABLE IF NOT EXISTS wtmp(ID INTEGER PRIMARY KEY, Type INTEGER, User TEXT NOT NULL, Login INTEGER, Logout INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT) STRICT;';
const LASTLOG2_SCHEMA =
  'CREATE TABLE IF NOT EXISTS Lastlog2(Name TEXT PRIMARY KEY, Time INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT);';

// Rows inserted out of Login order on purpose; times in microseconds.
const WTMP_ROWS = `
INSERT INTO wtmp VALUES(4, 1, 'reboot', 1704153600000000, NULL, '~', '6.1.0-18-amd64', NULL);
INSERT INTO wtmp VALUES(1, 1, 'reboot', 1704067200000000, 1704114000000000, '~', '6.1.0-18-amd64', NULL);
INSERT INTO wtmp VALUES(2, 3, 'alice', 1704096000123456, 1704101415654321, 'pts/0', '203.0.113.7', 'sshd');
INSERT INTO wtmp VALUES(3, 3, 'bob', 1704099600000001, NULL, 'ssh', '2001:db8::7', 'sshd');
INSERT INTO wtmp VALUES(5, 3, 'carol', 1704157200000000, NULL, 'pts/1', 'host.example.net', 'sshd');
INSERT INTO wtmp VALUES(6, 2, 'runlevel', 1704153605000000, NULL, '~', NULL, NULL);
INSERT INTO wtmp VALUES(7, 3, 'dave', 1704160800000000, 1704160860000000, NULL, NULL, 'login');
`;

describe('readWtmpdb', () => {
  it('reads sessions with microsecond times, an open session, a crash and boot rows', async (ctx) => {
    ctx.skip(!hasSqlite3, NO_SQLITE3);
    const db = sqlite('wtmp.db', WTMP_SCHEMA + WTMP_ROWS);
    const f = 'var/lib/wtmpdb/wtmp.db';
    const sessions = await readWtmpdb(db, f);
    expect(sessions).toEqual<SessionRecord[]>([
      { user: 'reboot', line: 'system boot', host: '6.1.0-18-amd64', addr: null, pid: 0, login: '2024-01-01T00:00:00.000000Z', logout: '2024-01-01T13:00:00.000000Z', end: 'reboot', source: 'wtmpdb', file: f },
      { user: 'alice', line: 'pts/0', host: '203.0.113.7', addr: '203.0.113.7', pid: 0, login: '2024-01-01T08:00:00.123456Z', logout: '2024-01-01T09:30:15.654321Z', end: 'logout', source: 'wtmpdb', file: f },
      // Never closed and a later boot exists: crash, bounded by that boot.
      { user: 'bob', line: 'ssh', host: '2001:db8::7', addr: '2001:db8::7', pid: 0, login: '2024-01-01T09:00:00.000001Z', logout: '2024-01-02T00:00:00.000000Z', end: 'crash', source: 'wtmpdb', file: f },
      { user: 'reboot', line: 'system boot', host: '6.1.0-18-amd64', addr: null, pid: 0, login: '2024-01-02T00:00:00.000000Z', logout: null, end: 'reboot', source: 'wtmpdb', file: f },
      // Never closed and no later boot: still logged in. A host name is not an address.
      { user: 'carol', line: 'pts/1', host: 'host.example.net', addr: null, pid: 0, login: '2024-01-02T01:00:00.000000Z', logout: null, end: 'still-logged-in', source: 'wtmpdb', file: f },
      { user: 'dave', line: '', host: '', addr: null, pid: 0, login: '2024-01-02T02:00:00.000000Z', logout: '2024-01-02T02:01:00.000000Z', end: 'logout', source: 'wtmpdb', file: f },
    ]);
  });

  it('reads a database left in WAL mode', async (ctx) => {
    ctx.skip(!hasSqlite3, NO_SQLITE3);
    const db = sqlite('wal.db', `PRAGMA journal_mode=WAL;${WTMP_SCHEMA}${WTMP_ROWS}`);
    expect(db[18]).toBe(2); // file format: WAL
    const sessions = await readWtmpdb(db, 'wal.db');
    expect(sessions.map((s) => [s.user, s.end])).toEqual([
      ['reboot', 'reboot'], ['alice', 'logout'], ['bob', 'crash'], ['reboot', 'reboot'], ['carol', 'still-logged-in'], ['dave', 'logout'],
    ]);
  });

  it('an empty wtmp table gives no sessions', async (ctx) => {
    ctx.skip(!hasSqlite3, NO_SQLITE3);
    expect(await readWtmpdb(sqlite('empty-wtmp.db', WTMP_SCHEMA), 'empty-wtmp.db')).toEqual([]);
  });

  it('a garbage file is one clear error line naming the file', async () => {
    const garbage = new Uint8Array(Buffer.from('this is not a sqlite database, just text '.repeat(40)));
    const err = await readWtmpdb(garbage, 'var/lib/wtmpdb/wtmp.db').then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    const msg = (err as Error).message;
    expect(msg).toBe('var/lib/wtmpdb/wtmp.db: not a wtmpdb database: file is not a database');
    expect(msg).not.toContain('\n');
  });

  it('a SQLite database without a wtmp table is a clear error', async (ctx) => {
    ctx.skip(!hasSqlite3, NO_SQLITE3);
    const other = sqlite('other.db', 'CREATE TABLE t(a); INSERT INTO t VALUES(1);');
    await expect(readWtmpdb(other, 'other.db')).rejects.toThrow('other.db: not a wtmpdb database: no wtmp table');
    // An empty file opens as an empty database: no table either.
    await expect(readWtmpdb(new Uint8Array(0), 'zero.db')).rejects.toThrow('zero.db: not a wtmpdb database: no wtmp table');
  });

  it('a wtmp table with other columns is a clear error', async (ctx) => {
    ctx.skip(!hasSqlite3, NO_SQLITE3);
    const db = sqlite('odd.db', 'CREATE TABLE wtmp(ID INTEGER PRIMARY KEY, User TEXT);');
    await expect(readWtmpdb(db, 'odd.db')).rejects.toThrow(/^odd\.db: cannot read the wtmpdb database: no such column: Type$/);
  });

  it('a truncated database is a clear error, not a crash', async (ctx) => {
    ctx.skip(!hasSqlite3, NO_SQLITE3);
    const rows = Array.from({ length: 400 }, (_, i) =>
      `INSERT INTO wtmp VALUES(${i + 10}, 3, 'user${i}', ${1704096000000000 + i * 1000000}, NULL, 'pts/${i}', '192.0.2.${i % 250}', 'sshd');`).join('\n');
    const db = sqlite('big.db', WTMP_SCHEMA + rows);
    expect(db.length).toBeGreaterThan(8192);
    const cut = db.subarray(0, 4096 + 100);
    await expect(readWtmpdb(cut, 'big.db')).rejects.toThrow(/^big\.db: /);
  });

  it('loadSqlJs is initialised once', async () => {
    const a = loadSqlJs();
    const b = loadSqlJs();
    expect(a).toBe(b);
    expect(typeof (await a).Database).toBe('function');
  });
});

describe('readLastlog2', () => {
  it('reads one row per user, times in seconds, skipping Time 0 and NULL', async (ctx) => {
    ctx.skip(!hasSqlite3, NO_SQLITE3);
    const db = sqlite('lastlog2.db', `${LASTLOG2_SCHEMA}
INSERT INTO Lastlog2 VALUES('root', 1704067200, 'tty1', '', 'login');
INSERT INTO Lastlog2 VALUES('alice', 1704096000, 'pts/0', '203.0.113.7', 'sshd');
INSERT INTO Lastlog2 VALUES('nobody', 0, NULL, NULL, NULL);
INSERT INTO Lastlog2 VALUES('zed', NULL, 'pts/3', NULL, NULL);
INSERT INTO Lastlog2 VALUES('bob', 1704164645, 'ssh', '2001:db8::7', NULL);
`);
    expect(await readLastlog2(db, 'var/lib/lastlog/lastlog2.db')).toEqual([
      { user: 'alice', time: '2024-01-01T08:00:00.000000Z', line: 'pts/0', host: '203.0.113.7', service: 'sshd' },
      { user: 'bob', time: '2024-01-02T03:04:05.000000Z', line: 'ssh', host: '2001:db8::7', service: '' },
      { user: 'root', time: '2024-01-01T00:00:00.000000Z', line: 'tty1', host: '', service: 'login' },
    ]);
  });

  it('a wtmpdb database is not a lastlog2 database', async (ctx) => {
    ctx.skip(!hasSqlite3, NO_SQLITE3);
    const db = sqlite('wtmp-as-ll2.db', WTMP_SCHEMA);
    await expect(readLastlog2(db, 'x.db')).rejects.toThrow('x.db: not a lastlog2 database: no Lastlog2 table');
    await expect(readLastlog2(new Uint8Array(Buffer.from('garbage'.repeat(100))))).rejects.toThrow(
      'lastlog2.db: not a lastlog2 database: file is not a database',
    );
  });
});
