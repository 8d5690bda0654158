/**
 * Fake roots for the logins collector, with binary files written by the real tools: `utmpdump -r`
 * for utmp/wtmp/btmp, `gzip` for a rotation, the `sqlite3` CLI for wtmpdb and lastlog2.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LASTLOG_RECORD_SIZE } from '../../../src/collectors/logins/parse-lastlog.js';
import { UTMP_RECORD_SIZE } from '../../../src/collectors/logins/parse-utmp.js';
import { tmpDir } from '../../helpers/bundle.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/logins/root/', import.meta.url));
const UTMPDUMP = '/usr/bin/utmpdump';
const SQLITE3 = '/usr/bin/sqlite3';

/** Why a test that needs the real tools cannot run here; null when it can. */
export function missingTools(): string | null {
  if (!existsSync(UTMPDUMP)) return 'utmpdump (util-linux) is not installed at /usr/bin/utmpdump';
  if (!existsSync(SQLITE3)) return 'the sqlite3 CLI is not installed at /usr/bin/sqlite3';
  return null;
}

/** Binary records from a utmpdump text fixture, written by the real `utmpdump -r`. */
export function undump(fixture: string): Buffer {
  const r = spawnSync(UTMPDUMP, ['-r'], { input: readFileSync(path.join(FIXTURES, fixture)), maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`utmpdump -r failed: ${r.stderr.toString()}`);
  return r.stdout;
}

export function gzip(data: Buffer): Buffer {
  const r = spawnSync('gzip', ['-c', '-n'], { input: data });
  if (r.status !== 0) throw new Error(`gzip failed: ${r.stderr.toString()}`);
  return r.stdout;
}

/** A database made by the real sqlite3 CLI at `file`. */
export function sqlite(file: string, sql: string): void {
  const r = spawnSync(SQLITE3, [file], { input: sql });
  if (r.status !== 0) throw new Error(`sqlite3 failed: ${r.stderr.toString()}`);
}

export function put(root: string, rel: string, data: string | Buffer): string {
  const p = path.join(root, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, data);
  return p;
}

/** A sparse lastlog image: the record for uid N at N * 292. */
export function lastlogImage(entries: Array<{ uid: number; time: string; line: string; host: string }>): Buffer {
  const maxUid = Math.max(...entries.map((e) => e.uid));
  const buf = Buffer.alloc((maxUid + 1) * LASTLOG_RECORD_SIZE);
  for (const e of entries) {
    const off = e.uid * LASTLOG_RECORD_SIZE;
    buf.writeInt32LE(Date.parse(e.time) / 1000, off);
    buf.write(e.line, off + 4, 32, 'latin1');
    buf.write(e.host, off + 36, 256, 'latin1');
  }
  return buf;
}

export const PASSWD = 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\nbob:x:1001:1001::/home/bob:/bin/bash\n';

export const WTMPDB_SQL = `
CREATE TABLE wtmp(ID INTEGER PRIMARY KEY, Type INTEGER, User TEXT NOT NULL, Login INTEGER, Logout INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT) STRICT;
INSERT INTO wtmp VALUES(1, 1, 'reboot', 1709251200000000, NULL, '~', '6.1.0-18-amd64', NULL);
INSERT INTO wtmp VALUES(2, 3, 'root', 1709280000000000, 1709280600000000, 'ssh', '198.51.100.200', 'sshd');
`;

export const LASTLOG2_SQL = `
CREATE TABLE Lastlog2(Name TEXT PRIMARY KEY, Time INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT);
INSERT INTO Lastlog2 VALUES('root', 1709280000, 'ssh', '198.51.100.200', 'sshd');
`;

/** Index of mallory's login in wtmp.utmpdump.txt: the record a log cleaner wiped. */
export const WIPED_INDEX = 8;
/** Bytes cut from the end of wtmp.1: its last record (erin's login) is left partial. */
export const WTMP1_CUT = 200;

/**
 * The compromised box: root logged in over ssh from 203.0.113.50 (still in utmp), mallory's login
 * wiped from wtmp in place, wtmp.1 cut short, an older gzipped rotation, failed logins in btmp,
 * lastlog (with a uid that has no account any more), wtmpdb and lastlog2.
 */
export function buildCompromisedRoot(): string {
  const root = tmpDir('irt-logins-root-');
  put(root, 'etc/passwd', PASSWD);
  put(root, 'etc/hostname', 'victim\n');
  put(root, 'etc/os-release', 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_ID="12"\n');
  put(root, 'etc/machine-id', 'abc\n');
  put(root, 'etc/timezone', 'Etc/UTC\n');
  put(root, 'run/utmp', undump('utmp.utmpdump.txt'));
  mkdirSync(path.join(root, 'var'), { recursive: true });
  symlinkSync('../run', path.join(root, 'var/run'));
  const wtmp = Buffer.from(undump('wtmp.utmpdump.txt'));
  wtmp.fill(0, WIPED_INDEX * UTMP_RECORD_SIZE, (WIPED_INDEX + 1) * UTMP_RECORD_SIZE);
  put(root, 'var/log/wtmp', wtmp);
  const wtmp1 = undump('wtmp.1.utmpdump.txt');
  put(root, 'var/log/wtmp.1', wtmp1.subarray(0, wtmp1.length - WTMP1_CUT));
  put(root, 'var/log/wtmp.2.gz', gzip(undump('wtmp.2.utmpdump.txt')));
  put(root, 'var/log/btmp', undump('btmp.utmpdump.txt'));
  put(root, 'var/log/lastlog', lastlogImage([
    { uid: 0, time: '2024-03-01T09:00:00Z', line: 'pts/1', host: '203.0.113.50' },
    { uid: 1000, time: '2024-03-01T08:00:00Z', line: 'pts/0', host: '203.0.113.7' },
    { uid: 1234, time: '2024-02-15T04:00:00Z', line: 'pts/4', host: '192.0.2.66' },
  ]));
  mkdirSync(path.join(root, 'var/lib/wtmpdb'), { recursive: true });
  sqlite(path.join(root, 'var/lib/wtmpdb/wtmp.db'), WTMPDB_SQL);
  mkdirSync(path.join(root, 'var/lib/lastlog'), { recursive: true });
  sqlite(path.join(root, 'var/lib/lastlog/lastlog2.db'), LASTLOG2_SQL);
  return root;
}
