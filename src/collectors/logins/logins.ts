import { isIP } from 'node:net';
import path from 'node:path';
import { describeFsError } from '../../host/rooted-fs.js';
import type { LoginTamperingSignal, SessionRecord, UtmpRecord } from '../../model/logins.js';
import type { ProcessRecord } from '../../model/processes.js';
import { packagedSshdPath } from '../../model/sshd-exes.js';
import type { TimelineEvent } from '../../model/sink.js';
import { sourceError, sourceOk, sourceSkipped, type SourceStatus } from '../../model/source.js';
import { defineCollector, type CollectContext } from '../types.js';
import { fileSignals, offsetIndexes, orderRotations, ptyLineOf, sshdPtySession, sshdWithoutUtmp, unsupportedCompression, utmpGoneSignals, utmpSessions, type SessionWitness } from './cross-check.js';
import { LASTLOG_RECORD_SIZE, parseLastlog } from './parse-lastlog.js';
import { parseUtmp, UTMP_RECORD_SIZE, type ParsedUtmp } from './parse-utmp.js';
import { readLastlog2, readWtmpdb } from './parse-wtmpdb.js';
import { fileShape, readLoginFile, readRange } from './read-login-file.js';
import { pairSessions } from './sessions.js';
import { userNames } from '../../model/passwd.js';
import { errorCode } from '../../host/errors.js';

/** Default paths, as seen inside the root. */
export const LOGIN_PATHS = {
  utmp: ['/run/utmp', '/var/run/utmp'],
  logDir: '/var/log',
  lastlog: '/var/log/lastlog',
  wtmpdbDir: '/var/lib/wtmpdb',
  wtmpdbLegacy: '/var/log/wtmp.db',
  lastlog2: '/var/lib/lastlog/lastlog2.db',
  passwd: '/etc/passwd',
} as const;

/** Where the raw copies go in the bundle. */
export const COPY_DIR = 'files/logins';

/** One line of artifacts/lastlog.jsonl: the last login of an account, from lastlog or lastlog2. */
export interface LastLoginRecord {
  /** lastlog (the sparse file, by uid) or lastlog2 (the SQLite database, by name). */
  source: 'lastlog' | 'lastlog2';
  /** File it came from, as seen inside the root. */
  file: string;
  /** uid (lastlog only); null for lastlog2. */
  uid: number | null;
  /** Account name: lastlog2's own, or the uid's name in /etc/passwd (null when no account has that uid any more). */
  user: string | null;
  /** Last login, ISO 8601 UTC. */
  time: string;
  line: string;
  host: string;
  /** PAM service (lastlog2 only). */
  service: string | null;
}

/** A file name from the box, safe in a source id or a bundle path (no escapes, no separators). */
function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._+-]/g, '_');
}

/** A source id per file: logins.wtmp, logins.wtmp.1, logins.btmp.2.gz, logins.utmp, logins.wtmpdb.wtmp.db… */
export function loginSourceId(file: string): string {
  const name = safeName(path.posix.basename(file));
  if (name === 'utmp') return 'logins.utmp';
  if (path.posix.dirname(file) === LOGIN_PATHS.wtmpdbDir) return `logins.wtmpdb.${name}`;
  return `logins.${name}`;
}

/** The bundle path of a file's copy: files/logins/var/log/wtmp.1, names made safe. */
export function loginCopyPath(file: string): string {
  const parts = file.split('/').filter((p) => p !== '' && p !== '.' && p !== '..');
  return [COPY_DIR, ...parts.map(safeName)].join('/');
}

/** One clear line: the errno form for filesystem errors, the message (which names the file) otherwise. */
function errorLine(err: unknown, file: string): string {
  const code = errorCode(err);
  if (code !== 'EUNKNOWN' && /^E[A-Z]+$/.test(code)) return describeFsError(err, file);
  const msg = (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim();
  return msg.includes(file) ? msg : `${file}: ${msg}`;
}

/** What one run gathers as it goes. */
class LoginRun {
  readonly sources: SourceStatus[] = [];
  readonly signals: LoginTamperingSignal[] = [];
  readonly copies: Record<string, string> = {};
  readonly maxBytes: number;

  constructor(readonly ctx: CollectContext) {
    this.maxBytes = ctx.options.maxFileBytes;
  }

  /** Preserves the bytes that were read (not a second read: on a live box the file may have grown). */
  async copy(file: string, bytes: Uint8Array): Promise<void> {
    const rel = loginCopyPath(file);
    try {
      await this.ctx.sink.writeFile(rel, bytes);
      this.copies[file] = rel;
    } catch (err) {
      this.sources.push(sourceError(`${loginSourceId(file)}.copy`, `could not copy ${file} into ${rel}: ${(err as Error).message}`, file));
    }
  }

  /**
   * The checks every file gets before it is read. Returns false (with its source recorded) when
   * it is not there (skipped: optional files are often absent, such as wtmpdb on Debian 12), not a
   * file, compressed in a way we do not read, or the run was interrupted.
   */
  async readable(file: string): Promise<boolean> {
    const id = loginSourceId(file);
    if (this.ctx.host.signal.aborted) {
      this.sources.push(sourceSkipped(id, 'interrupted before it was read', file));
      return false;
    }
    let shape;
    try {
      shape = await fileShape(this.ctx.host.fs, file);
    } catch (err) {
      this.sources.push(sourceError(id, errorLine(err, file), file));
      return false;
    }
    if (shape.kind === 'missing') {
      this.sources.push(sourceSkipped(id, 'not present', file));
      return false;
    }
    if (shape.kind === 'not-a-file') {
      this.signals.push({ kind: 'not-a-file', file, detail: `${file} is ${shape.description}: nothing written to it is kept` });
      this.sources.push(sourceError(id, `${file}: ${shape.description}, not a log file: not read`, file));
      return false;
    }
    const compression = unsupportedCompression(file);
    if (compression) {
      try {
        const { data, truncated } = await this.ctx.host.fs.readFile(file, this.maxBytes);
        await this.copy(file, data);
        this.sources.push(sourceError(id, `${file}: compressed with ${compression}, which is not read; the file is copied${truncated ? ' (cut at the cap)' : ''}`, file));
      } catch (err) {
        this.sources.push(sourceError(id, errorLine(err, file), file));
      }
      return false;
    }
    return true;
  }

  /** A utmp-format file (utmp, wtmp, btmp, rotations): parsed, copied, checked for tampering. */
  async readUtmpFormat(file: string, opts: { timeOrder: boolean }): Promise<ParsedUtmp | null> {
    if (!(await this.readable(file))) return null;
    const id = loginSourceId(file);
    let read;
    try {
      read = await readLoginFile(this.ctx.host.fs, file, this.maxBytes, UTMP_RECORD_SIZE, this.ctx.host.signal);
    } catch (err) {
      this.sources.push(sourceError(id, errorLine(err, file), file));
      return null;
    }
    await this.copy(file, read.raw);
    const parsed = offsetIndexes(parseUtmp(read.data, file), read.startByte / UTMP_RECORD_SIZE);
    this.signals.push(...fileSignals(parsed, { timeOrder: opts.timeOrder, trailingBytesMeaningful: !read.endedEarly }));
    const zeroed = parsed.zeroRecords.length ? `, ${parsed.zeroRecords.length} zeroed` : '';
    this.sources.push(sourceOk(id, file, `${parsed.records.length} records${zeroed}${read.cut ? `; ${read.cut}` : ''}`));
    return parsed;
  }

  /** A SQLite database (wtmpdb, lastlog2), whole or not at all, copied with its -wal/-shm/-journal companions. */
  async readDatabase(file: string): Promise<{ bytes: Uint8Array; note: string } | null> {
    if (!(await this.readable(file))) return null;
    const id = loginSourceId(file);
    let bytes: Buffer;
    try {
      const r = await this.ctx.host.fs.readFile(file, this.maxBytes);
      if (r.truncated) {
        this.sources.push(sourceError(id, `${file}: larger than the ${this.maxBytes}-byte cap: not read (raise --max-file-bytes)`, file));
        return null;
      }
      bytes = r.data;
    } catch (err) {
      this.sources.push(sourceError(id, errorLine(err, file), file));
      return null;
    }
    await this.copy(file, bytes);
    const notes: string[] = [];
    for (const suffix of ['-wal', '-shm', '-journal']) {
      const companion = file + suffix;
      try {
        if ((await fileShape(this.ctx.host.fs, companion)).kind !== 'file') continue;
        const r = await this.ctx.host.fs.readFile(companion, this.maxBytes);
        await this.copy(companion, r.data);
        notes.push(suffix === '-wal' ? `${companion} copied: rows still in it (not checkpointed) are not read` : `${companion} copied`);
      } catch (err) {
        this.sources.push(sourceError(`${id}${suffix}`, errorLine(err, companion), companion));
      }
    }
    return { bytes, note: notes.join('; ') };
  }
}

async function readPasswd(run: LoginRun): Promise<Map<number, string> | null> {
  try {
    const text = await run.ctx.host.fs.readTextIfExists(LOGIN_PATHS.passwd);
    return text === null ? null : userNames(text);
  } catch (err) {
    run.sources.push(sourceError('logins.passwd', describeFsError(err, LOGIN_PATHS.passwd), LOGIN_PATHS.passwd));
    return null;
  }
}

/**
 * /var/log/lastlog. Small enough (under the cap): read whole, copied, every set record kept (a uid
 * with no account any more is a deleted account that once logged in). Larger (it is sparse: one
 * high uid makes it look huge): only the records of the uids in /etc/passwd, by seeking; not copied.
 */
async function readLastlog(run: LoginRun, users: Map<number, string> | null): Promise<LastLoginRecord[]> {
  const file = LOGIN_PATHS.lastlog;
  const id = loginSourceId(file);
  if (!(await run.readable(file))) return [];
  const toRecord = (e: { uid: number; time: string; line: string; host: string }): LastLoginRecord => ({
    source: 'lastlog', file, uid: e.uid, user: users?.get(e.uid) ?? null, time: e.time, line: e.line, host: e.host, service: null,
  });
  try {
    const handle = await run.ctx.host.fs.open(file);
    try {
      const sizeBytes = (await handle.stat()).size;
      if (sizeBytes <= run.maxBytes) {
        const data = await readRange(handle, 0, sizeBytes);
        await run.copy(file, data);
        const out = parseLastlog(data).map(toRecord);
        run.sources.push(sourceOk(id, file, `${out.length} accounts with a last login`));
        return out;
      }
      if (!users) {
        run.sources.push(sourceError(id, `${file}: ${sizeBytes} bytes, over the cap, and no /etc/passwd to pick the uids to read`, file));
        return [];
      }
      const out: LastLoginRecord[] = [];
      const buf = Buffer.alloc(LASTLOG_RECORD_SIZE);
      for (const uid of [...users.keys()].sort((a, b) => a - b)) {
        const offset = uid * LASTLOG_RECORD_SIZE;
        if (offset + LASTLOG_RECORD_SIZE > sizeBytes) continue;
        const { bytesRead } = await handle.read(buf, 0, LASTLOG_RECORD_SIZE, offset);
        if (bytesRead < LASTLOG_RECORD_SIZE) continue;
        for (const e of parseLastlog(buf)) out.push(toRecord({ ...e, uid }));
      }
      run.sources.push(sourceOk(id, file, `${out.length} accounts with a last login; a sparse ${sizeBytes}-byte file over the cap: only the ${users.size} uids of /etc/passwd read, not copied`));
      return out;
    } finally {
      await handle.close();
    }
  } catch (err) {
    run.sources.push(sourceError(id, errorLine(err, file), file));
    return [];
  }
}

async function readLastlog2File(run: LoginRun): Promise<LastLoginRecord[]> {
  const file = LOGIN_PATHS.lastlog2;
  const db = await run.readDatabase(file);
  if (!db) return [];
  try {
    const out = (await readLastlog2(db.bytes, file)).map((e): LastLoginRecord => ({ source: 'lastlog2', file, uid: null, user: e.user, time: e.time, line: e.line, host: e.host, service: e.service }));
    run.sources.push(sourceOk(loginSourceId(file), file, `${out.length} accounts with a last login${db.note ? `; ${db.note}` : ''}`));
    return out;
  } catch (err) {
    run.sources.push(sourceError(loginSourceId(file), errorLine(err, file), file));
    return [];
  }
}

async function readWtmpdbFiles(run: LoginRun): Promise<SessionRecord[]> {
  const fs = run.ctx.host.fs;
  let files: string[] = [];
  try {
    files = await fs.list(LOGIN_PATHS.wtmpdbDir, 'wtmp*.db');
  } catch (err) {
    run.sources.push(sourceError('logins.wtmpdb', describeFsError(err, LOGIN_PATHS.wtmpdbDir), LOGIN_PATHS.wtmpdbDir));
  }
  if (files.length === 0) run.sources.push(sourceSkipped('logins.wtmpdb', 'not present', `${LOGIN_PATHS.wtmpdbDir}/wtmp.db`));
  // The database's old place; most systems never had it, so its absence is not worth a line.
  if ((await fileShape(fs, LOGIN_PATHS.wtmpdbLegacy).catch(() => ({ kind: 'file' as const }))).kind !== 'missing') files.push(LOGIN_PATHS.wtmpdbLegacy);
  const sessions: SessionRecord[] = [];
  for (const file of files) {
    const db = await run.readDatabase(file);
    if (!db) continue;
    try {
      const found = await readWtmpdb(db.bytes, file);
      sessions.push(...found);
      run.sources.push(sourceOk(loginSourceId(file), file, `${found.length} sessions${db.note ? `; ${db.note}` : ''}`));
    } catch (err) {
      run.sources.push(sourceError(loginSourceId(file), errorLine(err, file), file));
    }
  }
  return sessions;
}

/** Reads a log and its rotations, oldest first. */
async function readRotated(run: LoginRun, base: 'wtmp' | 'btmp'): Promise<UtmpRecord[]> {
  const live = `${LOGIN_PATHS.logDir}/${base}`;
  let listed: string[] = [];
  try {
    listed = await run.ctx.host.fs.list(LOGIN_PATHS.logDir, `${base}*`);
  } catch (err) {
    run.sources.push(sourceError(`logins.${base}`, describeFsError(err, LOGIN_PATHS.logDir), LOGIN_PATHS.logDir));
    return [];
  }
  const files = orderRotations(listed, base);
  if (!files.includes(live)) files.push(live); // recorded as skipped: not present
  const records: UtmpRecord[] = [];
  for (const file of files) {
    const parsed = await run.readUtmpFormat(file, { timeOrder: true });
    if (parsed) records.push(...parsed.records);
  }
  return records;
}

async function readCurrentUtmp(run: LoginRun): Promise<{ file: string; records: UtmpRecord[] } | null> {
  const [first, second] = LOGIN_PATHS.utmp;
  let file: string = first;
  const shape = await fileShape(run.ctx.host.fs, first).catch(() => null);
  if (shape?.kind === 'missing' && (await fileShape(run.ctx.host.fs, second).catch(() => null))?.kind !== 'missing') file = second;
  // utmp slots are rewritten in place: their order is not time order.
  const parsed = await run.readUtmpFormat(file, { timeOrder: false });
  return parsed ? { file, records: parsed.records } : null;
}

/** Alive now, by /proc: closes the race with a session that started after the process list was read. */
async function isAlive(run: LoginRun, pid: number): Promise<boolean> {
  const proc = run.ctx.host.proc;
  if (!proc || pid <= 0) return false;
  try {
    await proc.readText(`${pid}/stat`);
    return true;
  } catch {
    return false;
  }
}

/**
 * What backs the sshd title of process `pid` (see SessionWitness): its executable, named as the
 * process list saw it, is a packaged sshd path and is that very file (device and inode through
 * /proc/PID/exe against the box's own copy); and the /dev/pts terminals among its open fds.
 */
async function sessionWitness(run: LoginRun, p: ProcessRecord): Promise<SessionWitness> {
  const proc = run.ctx.host.proc!;
  let systemSshd: string | null = null;
  const packaged = p.exe && !p.exeDeleted ? packagedSshdPath(p.exe) : null;
  if (packaged) {
    try {
      const [running, installed] = await Promise.all([proc.stat(`${p.pid}/exe`), run.ctx.host.fs.stat(packaged)]);
      if (running.dev === installed.dev && running.ino === installed.ino) systemSshd = packaged;
    } catch {
      // The process ended, or either file is unreadable: nothing proves it is the system's sshd.
    }
  }
  const heldLines: string[] = [];
  let fds: string[] = [];
  try {
    fds = await proc.readdir(`${p.pid}/fd`);
  } catch {
    // Gone, or not ours to read: it holds nothing we can see.
  }
  for (const fd of fds) {
    try {
      const line = ptyLineOf(await proc.readlink(`${p.pid}/fd/${fd}`));
      if (line && !heldLines.includes(line)) heldLines.push(line);
    } catch {
      // The fd closed meanwhile.
    }
  }
  return { systemSshd, heldLines };
}

async function titleNow(run: LoginRun, pid: number): Promise<string | null> {
  try {
    return (await run.ctx.host.proc!.readText(`${pid}/cmdline`)).split('\0')[0].trimEnd();
  } catch {
    return null;
  }
}

function sessionEvents(sessions: SessionRecord[]): TimelineEvent[] {
  const out: TimelineEvent[] = [];
  for (const s of sessions) {
    const base = { source: s.source, user: s.user, ip: s.addr, pid: s.pid || null, path: s.file };
    if (s.line === 'system boot') {
      out.push({ ...base, user: null, datetime: s.login, timestamp_desc: 'Boot', message: `system boot (kernel ${s.host || '?'}) [${s.source}]` });
      continue;
    }
    const who = `${s.user} on ${s.line || '?'}${s.host ? ` from ${s.host}` : ''}`;
    out.push({ ...base, datetime: s.login, timestamp_desc: 'Login', message: `login: ${who} [${s.source}]` });
    if (s.end === 'logout' && s.logout) out.push({ ...base, datetime: s.logout, timestamp_desc: 'Logout', message: `logout: ${who} [${s.source}]` });
  }
  return out;
}

function failedLoginEvents(records: UtmpRecord[]): TimelineEvent[] {
  return records.map((r) => ({
    datetime: r.time,
    timestamp_desc: 'Failed login',
    message: `failed login: ${r.user || '?'} on ${r.line || '?'}${r.host ? ` from ${r.host}` : ''} [btmp]`,
    source: 'btmp',
    user: r.user || null,
    ip: r.addr ?? (isIP(r.host) ? r.host : null),
    pid: r.pid || null,
    path: r.file,
  }));
}

function lastLoginEvents(records: LastLoginRecord[]): TimelineEvent[] {
  return records.map((r) => ({
    datetime: r.time,
    timestamp_desc: 'Last login',
    message: `last login of ${r.user ?? `uid ${r.uid}`} on ${r.line || '?'}${r.host ? ` from ${r.host}` : ''} [${r.source}]`,
    source: r.source,
    user: r.user,
    ip: isIP(r.host) ? r.host : null,
    path: r.file,
  }));
}

/** The same session seen in utmp and wtmp gives one timeline row, not two. */
function dedupeEvents(events: TimelineEvent[]): TimelineEvent[] {
  const seen = new Set<string>();
  return events.filter((e) => {
    const key = `${e.timestamp_desc}|${e.datetime}|${e.message.replace(/ \[[a-z0-9]+\]$/, '')}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export const loginsCollector = defineCollector({
  id: 'logins',
  title: 'Login records: utmp, wtmp, btmp, lastlog, wtmpdb',
  description: 'Who is logged in and who was, read from the raw utmp, wtmp and btmp files (rotations and .gz included), lastlog, wtmpdb and lastlog2, copied byte for byte and checked for signs of editing.',
  liveOnly: false,
  needsRoot: true,
  artifacts: ['artifacts/sessions.jsonl', 'artifacts/failed-logins.jsonl', 'artifacts/utmp.jsonl', 'artifacts/lastlog.jsonl', `${COPY_DIR}/`],
  provides: ['sessions', 'utmp', 'failedLogins', 'loginTampering', 'loginCopies'],
  reads: ['processes'],
  async collect(ctx) {
    const run = new LoginRun(ctx);
    // Offline (or without the processes collector) liveness is unknown: open sessions stay "still logged in".
    const processes = ctx.facts.processes ?? null;
    const livePids = processes ? new Set(processes.map((p) => p.pid)) : null;

    const utmp = await readCurrentUtmp(run);
    const wtmp = await readRotated(run, 'wtmp');
    const btmp = await readRotated(run, 'btmp');
    const wtmpdbSessions = await readWtmpdbFiles(run);
    const users = await readPasswd(run);
    const lastLogins = [...(await readLastlog(run, users)), ...(await readLastlog2File(run))];

    const sessions = [
      ...(utmp ? utmpSessions(utmp.records, livePids) : []),
      ...pairSessions(wtmp, { source: 'wtmp', now: ctx.host.now(), livePids }),
      ...wtmpdbSessions,
    ];
    for (const s of sessions) {
      if (s.end === 'gone' && (await isAlive(run, s.pid))) s.end = 'still-logged-in';
    }
    sessions.sort((a, b) => (a.login < b.login ? -1 : a.login > b.login ? 1 : 0));

    // The live cross-checks: utmp against the running processes.
    if (!processes || !ctx.host.proc) {
      run.sources.push(sourceSkipped('logins.sshd-utmp', 'needs the running system: no process list (offline, or processes did not run)'));
    } else if (!utmp) {
      run.sources.push(sourceSkipped('logins.sshd-utmp', 'no utmp to compare the sshd sessions with'));
    } else {
      run.signals.push(...utmpGoneSignals(sessions));
      const witnesses = new Map<number, SessionWitness>();
      for (const p of processes) if (sshdPtySession(p.argv[0] ?? '')) witnesses.set(p.pid, await sessionWitness(run, p));
      const candidates = sshdWithoutUtmp(processes, utmp.records, utmp.file, (pid) => witnesses.get(pid));
      for (const s of candidates) {
        // Still the same session a moment later? One that just ended has no utmp record either.
        const title = await titleNow(run, s.pid!);
        const again = title ? sshdPtySession(title) : null;
        if (again && again.user === s.user && again.lines.includes(s.line!)) run.signals.push(s);
      }
      const unbacked = processes.filter((p) => {
        const w = witnesses.get(p.pid);
        return w && !w.systemSshd && !sshdPtySession(p.argv[0] ?? '')!.lines.some((l) => w.heldLines.includes(l));
      }).length;
      const note = unbacked ? ` (${unbacked} with the title only, neither the system's sshd nor holding the terminal it names: no utmp record expected of them)` : '';
      run.sources.push(sourceOk('logins.sshd-utmp', utmp.file, `${witnesses.size} sshd pty session(s) compared with ${utmp.file}${note}`));
    }

    await ctx.sink.writeJsonl('artifacts/sessions.jsonl', sessions);
    await ctx.sink.writeJsonl('artifacts/failed-logins.jsonl', btmp);
    await ctx.sink.writeJsonl('artifacts/utmp.jsonl', [...(utmp?.records ?? []), ...wtmp]);
    await ctx.sink.writeJsonl('artifacts/lastlog.jsonl', lastLogins);
    ctx.sink.timeline(dedupeEvents([...sessionEvents(sessions), ...failedLoginEvents(btmp), ...lastLoginEvents(lastLogins)]));

    run.sources.push(sourceOk('logins', 'artifacts/sessions.jsonl', `${sessions.length} sessions, ${btmp.length} failed logins, ${run.signals.length} tampering signal(s)`));
    return {
      facts: {
        sessions,
        ...(utmp ? { utmp: utmp.records } : {}),
        failedLogins: btmp,
        loginTampering: run.signals,
        loginCopies: run.copies,
      },
      sources: run.sources,
    };
  },
});
