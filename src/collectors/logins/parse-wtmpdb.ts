/**
 * Readers for the SQLite login databases that replace wtmp and lastlog: wtmpdb
 * (/var/lib/wtmpdb/wtmp.db, thkukuk/wtmpdb) and lastlog2 (/var/lib/lastlog/lastlog2.db,
 * util-linux liblastlog2). They take the database bytes and use sql.js (SQLite compiled to
 * WebAssembly), so no native module and no sqlite3 binary is needed on the suspect box.
 *
 * The only filesystem access in this module is loadSqlJs() reading sql.js's own .wasm file
 * (embedded in a single-file build: src/assets.ts).
 *
 * Only the main database file is read: rows still in a -wal companion that was never
 * checkpointed are not seen (collect *.db-wal with the database). A database left in WAL mode
 * but checkpointed opens normally.
 */
import { isIP } from 'node:net';
import initSqlJs from 'sql.js';
import type { Database, SqlJsStatic, SqlValue } from 'sql.js';
import { readSqlWasm } from '../../assets.js';
import type { SessionRecord } from '../../model/logins.js';
import { isoFromMicros, isoMicros } from './parse-utmp.js';

/** wtmpdb's own Type numbers (include/wtmpdb.h); not the utmp ut_type values. */
export const WTMPDB_TYPE = { EMPTY: 0, BOOT_TIME: 1, RUNLEVEL: 2, USER_PROCESS: 3 } as const;

let sqlJs: Promise<SqlJsStatic> | null = null;

/** Initialise sql.js once (the wasm from the installed sql.js package, or the embedded copy) and cache it. */
export function loadSqlJs(): Promise<SqlJsStatic> {
  if (!sqlJs) {
    sqlJs = (async () => {
      const bytes = readSqlWasm();
      const wasmBinary = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      return initSqlJs({ wasmBinary });
    })();
    sqlJs.catch(() => {
      sqlJs = null; // let a later call retry instead of caching the failure
    });
  }
  return sqlJs;
}

function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.replace(/\s+/g, ' ').trim();
}

/** Open the bytes and check that `table` exists; every failure is one clear line naming the file. */
async function openTable(bytes: Uint8Array, file: string, table: string, kind: string): Promise<Database> {
  const SQL = await loadSqlJs();
  let db: Database;
  try {
    db = new SQL.Database(bytes);
  } catch (e) {
    throw new Error(`${file}: cannot open as a ${kind} SQLite database: ${oneLine(e)}`);
  }
  try {
    const res = db.exec(`SELECT name FROM sqlite_master WHERE type = 'table' AND lower(name) = lower('${table}')`);
    if (res.length === 0 || res[0].values.length === 0) {
      throw new Error(`no ${table} table`);
    }
  } catch (e) {
    db.close();
    throw new Error(`${file}: not a ${kind} database: ${oneLine(e)}`);
  }
  return db;
}

function query(db: Database, sql: string, file: string, kind: string): SqlValue[][] {
  try {
    const res = db.exec(sql);
    return res.length === 0 ? [] : res[0].values;
  } catch (e) {
    throw new Error(`${file}: cannot read the ${kind} database: ${oneLine(e)}`);
  }
}

/** An INTEGER column as a number; null for NULL or a value that is not an integer. */
function int(v: SqlValue): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : null;
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v.trim());
  return null;
}

function text(v: SqlValue): string {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return Buffer.from(v).toString('utf8');
}

/**
 * Sessions from a wtmpdb database, in Login order (ties by ID), as wtmpdb's `last` shows them:
 *  - Type 3 (USER_PROCESS): logout = Logout; a NULL Logout is 'crash' when a boot row with a later
 *    Login exists (logout = that boot's time, an upper bound), else 'still-logged-in' (logout null).
 *  - Type 1 (BOOT_TIME): a pseudo-session user "reboot" (as stored), line "system boot", host =
 *    RemoteHost (the kernel release), end 'reboot', logout = Logout (the shutdown) or null.
 *  - Other types (EMPTY, RUNLEVEL) and rows with a NULL Login are not sessions and are skipped.
 * wtmpdb has no pid: pid is 0. addr is RemoteHost when it is an IP literal, else null. A NULL TTY
 * or RemoteHost becomes "". The Service column (PAM service) has no SessionRecord field.
 * Throws an Error with one line naming `file` when the bytes are not a wtmpdb database.
 */
export async function readWtmpdb(db: Uint8Array, file: string): Promise<SessionRecord[]> {
  const kind = 'wtmpdb';
  const handle = await openTable(db, file, 'wtmp', kind);
  let rows: SqlValue[][];
  try {
    rows = query(
      handle,
      'SELECT ID, Type, User, Login, Logout, TTY, RemoteHost FROM wtmp ORDER BY Login ASC, ID ASC',
      file,
      kind,
    );
  } finally {
    handle.close();
  }

  type Row = { id: number; type: number | null; user: string; login: number; logout: number | null; tty: string; host: string };
  const parsed: Row[] = [];
  for (const r of rows) {
    const login = int(r[3]);
    if (login === null) continue;
    parsed.push({
      id: int(r[0]) ?? 0,
      type: int(r[1]),
      user: text(r[2]),
      login,
      logout: int(r[4]),
      tty: text(r[5]),
      host: text(r[6]),
    });
  }

  const out: SessionRecord[] = [];
  // Walk newest first (like wtmpdb's `last`) to know the nearest later boot of each session.
  let laterBoot: Row | null = null;
  for (let i = parsed.length - 1; i >= 0; i--) {
    const r = parsed[i];
    const base = {
      user: r.user,
      host: r.host,
      addr: isIP(r.host) ? r.host : null,
      pid: 0,
      login: isoFromMicros(r.login),
      source: 'wtmpdb',
      file,
    };
    if (r.type === WTMPDB_TYPE.USER_PROCESS) {
      if (r.logout !== null) {
        out.push({ ...base, line: r.tty, logout: isoFromMicros(r.logout), end: 'logout' });
      } else if (laterBoot && laterBoot.login > r.login) {
        out.push({ ...base, line: r.tty, logout: isoFromMicros(laterBoot.login), end: 'crash' });
      } else {
        out.push({ ...base, line: r.tty, logout: null, end: 'still-logged-in' });
      }
    } else if (r.type === WTMPDB_TYPE.BOOT_TIME) {
      out.push({
        ...base,
        line: 'system boot',
        logout: r.logout === null ? null : isoFromMicros(r.logout),
        end: 'reboot',
      });
      laterBoot = r;
    }
  }
  return out.reverse();
}

export interface Lastlog2Entry {
  /** Login name (the Name primary key). */
  user: string;
  /** Last login, ISO 8601 UTC (whole seconds). */
  time: string;
  /** Terminal of the last login. */
  line: string;
  /** Remote host of the last login. */
  host: string;
  /** PAM service of the last login (sshd, login, …). */
  service: string;
}

/**
 * Rows of a lastlog2 database (Lastlog2(Name, Time seconds, TTY, RemoteHost, Service)), ordered by
 * Name. Rows whose Time is NULL or 0 (never logged in / cleared) are skipped, as in parseLastlog.
 * Throws an Error with one line naming `file` when the bytes are not a lastlog2 database.
 */
export async function readLastlog2(db: Uint8Array, file = 'lastlog2.db'): Promise<Lastlog2Entry[]> {
  const kind = 'lastlog2';
  const handle = await openTable(db, file, 'Lastlog2', kind);
  let rows: SqlValue[][];
  try {
    rows = query(handle, 'SELECT Name, Time, TTY, RemoteHost, Service FROM Lastlog2 ORDER BY Name', file, kind);
  } finally {
    handle.close();
  }
  const out: Lastlog2Entry[] = [];
  for (const r of rows) {
    const sec = int(r[1]);
    if (sec === null || sec === 0) continue;
    out.push({ user: text(r[0]), time: isoMicros(sec, 0), line: text(r[2]), host: text(r[3]), service: text(r[4]) });
  }
  return out;
}
