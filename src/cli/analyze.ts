import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, Writable } from 'node:stream';
import zlib from 'node:zlib';
import { AuthAnalysis, type AuthSourceStats } from '../collectors/auth/analysis.js';
import { makeYearResolver, type YearResolver } from '../collectors/auth/parse-syslog.js';
import { readLineBatches, readLineBlocks, sortLogFiles } from '../collectors/auth/read-lines.js';
import { offsetForZone } from '../collectors/auth/timezone.js';
import { fileSignals } from '../collectors/logins/cross-check.js';
import { parseUtmp, UT, UTMP_RECORD_SIZE } from '../collectors/logins/parse-utmp.js';
import { pairSessions } from '../collectors/logins/sessions.js';
import { openRegular } from '../evidence/safe-open.js';
import { describeFsError } from '../host/rooted-fs.js';
import type { AuthAddressRow } from '../model/auth.js';
import type { KnownFacts } from '../model/facts.js';
import { metered, NO_PROGRESS, type Progress } from '../model/progress.js';
import { stderrProgress } from '../runner/progress-line.js';
import type { LoginTamperingSignal, SessionRecord, UtmpRecord } from '../model/logins.js';
import { CliError, EXIT } from '../model/errors.js';
import { numberFindings, type DraftFinding, type Finding } from '../model/finding.js';
import { loadPlaybook } from '../playbooks/loader.js';
import { safeJson, sanitizeForTerminal } from '../report/text.js';
import { RULES } from '../rules/index.js';
import { missingNeeds, runRule } from '../rules/types.js';
import { errnoCode } from '../host/errors.js';

export interface AnalyzeCliOptions {
  json: boolean;
  /** Year of the first line of RFC 3164 logs (no year in their stamps). */
  year?: number;
  /** Zone of stamps without one. */
  tz: string;
  /** Where thresholds come from. */
  playbook: string;
}

export type FileKind = 'syslog' | 'journal-json' | 'wtmp' | 'btmp';

/** One input file as the output describes it. */
export interface AnalyzedFile {
  file: string;
  kind: FileKind | null;
  /** Read through gzip (detected by its magic bytes, not the name). */
  gzip: boolean;
  /** syslog and journal-json: what the parser saw. */
  stats?: Omit<AuthSourceStats, 'source' | 'format'>;
  /** wtmp and btmp: records read, and what was odd about the file. */
  records?: number;
  trailingBytes?: number;
  zeroRecords?: number;
  /** The file was over the size cap for binary files: only its start was read. */
  truncated?: boolean;
  /** Why the file could not be read; the others were still analysed. */
  error?: string;
}

/** A login, from the auth log (sshd accepted it) or from wtmp (paired like `last`). */
export interface AnalyzedSession {
  source: 'auth-log' | 'wtmp';
  user: string | null;
  /** The remote address or host. */
  from: string | null;
  login: string;
  logout: string | null;
  /** wtmp: logout, still-logged-in, crash, …; auth-log: closed or null. */
  end: string | null;
  method: string | null;
  port: number | null;
  key: string | null;
  /** wtmp: the terminal. */
  line: string | null;
  pid: number | null;
  file: string;
  lineNo: number | null;
}

export interface AnalyzedAddress extends AuthAddressRow {
  /** Failed logins btmp holds for this address (a second count of the same attempts, kept apart). */
  btmpFailures: number;
}

export interface AnalyzeResult {
  /** Inputs that gave nothing: a file none of whose lines was understood, or no input with anything in it. */
  warnings: string[];
  files: AnalyzedFile[];
  addresses: AnalyzedAddress[];
  sessions: AnalyzedSession[];
  findings: Finding[];
}

/** Binary files (wtmp, btmp) are read whole, up to this. */
export const MAX_BINARY_BYTES = 256 * 1024 * 1024;
const HEAD_BYTES = 64 * 1024;
/** Rows shown per table; --json has them all. */
const TABLE_ROWS = 50;

/**
 * An input file, opened non-blocking without following a final link and kept only if fstat on the
 * descriptor says regular file: a FIFO or a link to /dev/zero among handed-over logs is named, not
 * waited on. Access times are kept.
 */
function openInput(file: string) {
  return openRegular(file, { noatime: true });
}

/** The first bytes of a file's content (gunzipped when it starts with the gzip magic). */
async function readHead(file: string): Promise<{ head: Buffer; gzip: boolean; mtime: Date }> {
  const { handle, stat: st } = await openInput(file);
  try {
    const buf = Buffer.alloc(Math.min(HEAD_BYTES, Math.max(st.size, 2)));
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    const raw = buf.subarray(0, bytesRead);
    if (raw.length < 2 || raw[0] !== 0x1f || raw[1] !== 0x8b) return { head: raw, gzip: false, mtime: st.mtime };
    const head = await collect(handle.createReadStream({ start: 0 }) as unknown as Readable, HEAD_BYTES, true);
    return { head: head.data, gzip: true, mtime: st.mtime };
  } finally {
    await handle.close().catch(() => {});
  }
}

/** Up to maxBytes of a stream's content (gunzipped if asked); a cut or damaged gzip keeps what came out. */
async function collect(source: Readable, maxBytes: number, gzip: boolean): Promise<{ data: Buffer; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      if (size + chunk.length > maxBytes) {
        chunks.push(chunk.subarray(0, maxBytes - size));
        size = maxBytes;
        truncated = true;
        done(new Error('cap'));
        return;
      }
      chunks.push(chunk);
      size += chunk.length;
      done();
    },
  });
  try {
    if (gzip) await pipeline(source, zlib.createGunzip({ finishFlush: zlib.constants.Z_SYNC_FLUSH }), sink);
    else await pipeline(source, sink);
  } catch (err) {
    if (!truncated && size === 0) throw err;
  }
  return { data: Buffer.concat(chunks), truncated };
}

/**
 * A utmp-format record at the start: ut_type 0-9 with its two padding bytes zero, a time before
 * 2100, and NUL bytes (which text logs do not hold). The size is not required to be a multiple of
 * 384: a damaged wtmp is exactly what should be read (login.log-tampering).
 */
export function looksLikeUtmp(head: Buffer): boolean {
  if (head.length < UTMP_RECORD_SIZE) return false;
  const type = head.readInt16LE(0);
  if (type < 0 || type > 9 || head[2] !== 0 || head[3] !== 0) return false;
  const sec = head.readInt32LE(340);
  if (sec < 0 || sec > 4_102_444_800) return false;
  return head.subarray(0, UTMP_RECORD_SIZE).includes(0);
}

/** What a file holds, from its first bytes. */
export function sniffKind(head: Buffer, name: string): FileKind {
  if (looksLikeUtmp(head)) return /btmp/.test(path.basename(name)) ? 'btmp' : 'wtmp';
  const text = head.toString('utf8');
  const first = text.split('\n').find((l) => l.trim() !== '');
  // journalctl -o json, json-pretty, json-seq (RS first), export (KEY=VALUE records, __CURSOR first).
  if (first !== undefined && /^\x1e?\s*\{/.test(first)) return 'journal-json';
  if (first !== undefined && /^__(?:CURSOR|REALTIME_TIMESTAMP)=/.test(first)) return 'journal-json';
  return 'syslog';
}

/** `--year Y`: the first line is in Y; later lines move to Y+1 at a December → January turn. */
export function yearResolverFor(year: number): YearResolver {
  return makeYearResolver(new Date(Date.UTC(year, 11, 31)), { clampToMtime: false });
}

function lineError(file: string, err: unknown): string {
  const code = errnoCode(err);
  if (code === 'ENOTREG') return (err as Error).message;
  return code && /^E[A-Z]+$/.test(code) ? describeFsError(err, file) : `${file}: ${(err as Error).message}`;
}

export interface AnalyzeOutcome {
  result: AnalyzeResult;
  errors: string[];
}

/** The analysis itself, without printing: files in, tallies, sessions and findings out. */
export async function analyzeFiles(files: string[], opts: Omit<AnalyzeCliOptions, 'json'>, progress: Progress = NO_PROGRESS): Promise<AnalyzeOutcome> {
  const utcOffset = offsetForZone(opts.tz);
  if (utcOffset === null) throw new CliError(`--tz ${JSON.stringify(opts.tz)}: not a time zone name this runtime knows (for example UTC, Europe/Berlin)`, EXIT.usage);
  const playbook = await loadPlaybook(opts.playbook);
  const errors: string[] = [];
  const described = new Map<string, AnalyzedFile>();
  const kinds = new Map<string, { kind: FileKind; gzip: boolean; mtime: Date }>();

  // Rotations oldest first, so "failures before a login" and sessions across files come out right.
  for (const file of sortLogFiles([...new Set(files)])) {
    try {
      const { head, gzip, mtime } = await readHead(file);
      const kind = sniffKind(head, file);
      kinds.set(file, { kind, gzip, mtime });
      described.set(file, { file, kind, gzip });
    } catch (err) {
      const line = lineError(file, err);
      errors.push(line);
      described.set(file, { file, kind: null, gzip: false, error: line });
    }
  }

  const analysis = new AuthAnalysis();
  // --year: one resolver for every syslog file, read oldest rotation first, so the year runs on
  // from one file into the next (auth.log.1 ends on Dec 31, auth.log starts on Jan 1 of Y+1).
  const givenYear = opts.year ? yearResolverFor(opts.year) : null;
  const textFiles: string[] = [];
  const wtmp: UtmpRecord[] = [];
  const btmp: UtmpRecord[] = [];
  const signals: LoginTamperingSignal[] = [];
  for (const [file, { kind, gzip, mtime }] of kinds) {
    const entry = described.get(file)!;
    try {
      if (kind === 'syslog' || kind === 'journal-json') {
        const { handle, stat } = await openInput(file);
        const stream = handle.createReadStream({ highWaterMark: 1 << 20 });
        // The file's bytes counted as they are read: the progress line of a person at a terminal.
        const source = progress === NO_PROGRESS ? stream : Readable.from(metered(stream, progress.start(`reading ${file}`, stat.size)), { objectMode: false });
        try {
          const stats = kind === 'syslog'
            ? await analysis.readSyslogBlocks(readLineBlocks(source), { source: file, yearResolver: givenYear ?? makeYearResolver(mtime), utcOffset })
            : await analysis.readJournal(readLineBatches(source), { source: file });
          const { source: _s, format: _f, ...rest } = stats;
          entry.stats = rest;
          textFiles.push(file);
        } finally {
          source.destroy();
          stream.destroy();
        }
      } else {
        const { handle } = await openInput(file);
        const { data, truncated } = await collect(handle.createReadStream() as unknown as Readable, MAX_BINARY_BYTES, gzip);
        const parsed = parseUtmp(data, file);
        const isBtmp = kind === 'btmp' || (parsed.records.length > 0 && parsed.records.every((r) => r.type === UT.LOGIN_PROCESS));
        entry.kind = isBtmp ? 'btmp' : 'wtmp';
        entry.records = parsed.records.length;
        entry.trailingBytes = truncated ? 0 : parsed.trailingBytes;
        entry.zeroRecords = parsed.zeroRecords.length;
        if (truncated) entry.truncated = true;
        (isBtmp ? btmp : wtmp).push(...parsed.records);
        signals.push(...fileSignals(parsed, { timeOrder: true, trailingBytesMeaningful: !truncated }));
      }
    } catch (err) {
      const line = lineError(file, err);
      errors.push(line);
      entry.error = line;
    }
  }

  const facts: KnownFacts = {};
  if (textFiles.length > 0) Object.assign(facts, analysis.facts(), { authEvidence: textFiles });
  const wtmpFiles = [...described.values()].filter((f) => f.kind === 'wtmp' && !f.error).map((f) => f.file);
  const utmpFiles = [...described.values()].filter((f) => (f.kind === 'wtmp' || f.kind === 'btmp') && !f.error).map((f) => f.file);
  let sessions: SessionRecord[] = [];
  if (wtmpFiles.length > 0) {
    sessions = pairSessions(wtmp, { source: 'wtmp' });
    facts.sessions = sessions;
  }
  if ([...described.values()].some((f) => f.kind === 'btmp' && !f.error)) facts.failedLogins = btmp;
  if (utmpFiles.length > 0) {
    facts.loginTampering = signals;
    // The login rules name a file's preserved copy: here that is the file itself.
    facts.loginCopies = Object.fromEntries(utmpFiles.map((f) => [f, f]));
  }

  const drafts: DraftFinding[] = [];
  for (const rule of RULES) {
    if (!rule.id.startsWith('auth.') && !rule.id.startsWith('login.')) continue;
    if (missingNeeds(rule, facts).length > 0) continue;
    for (const f of runRule(rule, facts, playbook.thresholds[rule.id] ?? rule.thresholds)) {
      // The login rules also point at bundle artifacts, which analyze does not write: only the files given remain.
      if (rule.id.startsWith('login.')) {
        const files = f.evidence.filter((e) => utmpFiles.includes(e));
        f.evidence = files.length > 0 ? files : utmpFiles;
      }
      drafts.push(f);
    }
  }

  const btmpByAddress = new Map<string, number>();
  for (const r of btmp) {
    const key = r.addr ?? r.host.trim();
    if (key) btmpByAddress.set(key, (btmpByAddress.get(key) ?? 0) + 1);
  }
  const addresses: AnalyzedAddress[] = (facts.authTally ?? []).map((r) => ({ ...r, btmpFailures: btmpByAddress.get(r.address) ?? 0 }));
  const known = new Set(addresses.map((a) => a.address));
  for (const [address, n] of [...btmpByAddress].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))) {
    if (!known.has(address)) addresses.push({ ...emptyRow(address), btmpFailures: n });
  }

  const out: AnalyzedSession[] = [
    ...(facts.authLogins ?? []).map((l): AnalyzedSession => ({
      source: 'auth-log', user: l.user, from: l.address, login: l.time, logout: l.logout, end: l.logout ? 'closed' : null,
      method: l.method, port: l.port, key: l.key, line: null, pid: l.pid, file: l.source, lineNo: l.lineNo,
    })),
    ...sessions.map((s): AnalyzedSession => ({
      source: 'wtmp', user: s.user, from: s.line === 'system boot' ? null : s.addr ?? (s.host || null), login: s.login, logout: s.logout, end: s.end,
      method: null, port: null, key: null, line: s.line, pid: s.pid, file: s.file, lineNo: null,
    })),
  ].sort((a, b) => (a.login < b.login ? -1 : a.login > b.login ? 1 : 0));

  const warnings: string[] = [];
  for (const f of described.values()) {
    const st = f.stats;
    if (!st || f.error || st.lines === 0 || st.events > 0) continue;
    if (st.notUnderstood > 0) {
      const by = Object.entries(st.notUnderstoodByProgram).slice(0, 3).map(([p, n]) => `${p} ${n}`).join(', ');
      warnings.push(`${f.file}: none of its ${st.lines} lines was understood (${st.notUnderstood} not understood: ${by}; ${st.ignored} ignored): not a log in a format this tool reads (docs/analyze.md lists them)`);
    } else {
      warnings.push(`${f.file}: ${st.lines} lines, none from sshd, Dropbear, sudo or su (all ${st.ignored} ignored)`);
    }
  }
  const yielded = [...described.values()].some((f) => (f.stats?.events ?? 0) > 0 || (f.records ?? 0) > 0);
  if (!yielded && [...described.values()].some((f) => !f.error)) warnings.push('no input yielded any event or record');
  const result: AnalyzeResult = {
    warnings,
    files: files.map((f) => described.get(f)!).filter((f, i, all) => all.indexOf(f) === i),
    addresses,
    sessions: out,
    findings: numberFindings(drafts),
  };
  return { result, errors };
}

function emptyRow(address: string): AuthAddressRow {
  return {
    address, isIp: true, failures: 0, firstFailure: null, lastFailure: null, failuresByMethod: {}, failuresInvalidUser: 0,
    invalidUsers: 0, invalidNames: [], invalidNamesDistinct: 0, users: [], distinctUsers: 0, distinctUsersExact: true, maxAttempts: 0, preauthDisconnects: 0,
    noIdentification: 0, kexFailures: 0, authTimeouts: 0, rootRefused: 0, firstRootRefused: null, lastRootRefused: null,
    keysBeforeLogin: 0, acceptedCount: 0, accepted: [], lastAccepted: null, firstSeen: null, lastSeen: null,
  };
}

/** `ir-triage analyze FILE…`: exit 0, or 1 when a file could not be read (the others are still analysed) or no input yielded anything. */
export async function runAnalyze(files: string[], opts: AnalyzeCliOptions): Promise<number> {
  const { result, errors } = await analyzeFiles(files, opts, stderrProgress(opts.json));
  for (const e of errors) process.stderr.write(`ir-triage: ${sanitizeForTerminal(e)}\n`);
  for (const w of result.warnings) process.stderr.write(`ir-triage: warning: ${sanitizeForTerminal(w)}\n`);
  // `analyze … | head`: a reader that leaves early is not an error.
  const quiet = (err: Error) => {
    if (errnoCode(err) !== 'EPIPE') process.stderr.write(`ir-triage: stdout: ${err.message}\n`);
  };
  process.stdout.on('error', quiet);
  await new Promise<void>((resolve) => process.stdout.write(opts.json ? safeJson(result) + '\n' : renderTables(result), () => resolve()));
  const yielded = result.files.some((f) => (f.stats?.events ?? 0) > 0 || (f.records ?? 0) > 0);
  return errors.length > 0 || !yielded ? EXIT.error : EXIT.ok;
}

/** Columns padded to their widest cell; every cell sanitised for the terminal. */
function table(head: string[], rows: unknown[][], right: Set<number> = new Set()): string[] {
  const cells = [head, ...rows.map((r) => r.map((c) => sanitizeForTerminal(c ?? '-')))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells.map((r) => '  ' + r.map((c, i) => (right.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd());
}

function more(total: number): string[] {
  return total > TABLE_ROWS ? [`  … and ${total - TABLE_ROWS} more (--json lists them all)`] : [];
}

export function renderTables(r: AnalyzeResult): string {
  const out: string[] = [];
  for (const w of r.warnings) out.push(`Warning: ${sanitizeForTerminal(w)}`);
  if (r.warnings.length) out.push('');
  out.push('Files');
  out.push(...table(['FILE', 'KIND', 'READ', 'EVENTS', 'FROM', 'TO', 'IGNORED', 'NOT UNDERSTOOD'], r.files.map((f) => {
    if (f.error) return [f.file, f.kind ?? '?', 'error', '', '', '', '', f.error];
    if (f.stats) {
      const by = Object.entries(f.stats.notUnderstoodByProgram).slice(0, 3).map(([p, n]) => `${p} ${n}`).join(', ');
      const unknown = f.stats.notUnderstood ? `${f.stats.notUnderstood}${by ? ` (${by})` : ''}` : '0';
      return [f.file, `${f.kind}${f.gzip ? ' (gz)' : ''}`, `${f.stats.lines} lines`, f.stats.events, f.stats.firstTime ?? '', f.stats.lastTime ?? '', f.stats.ignored, unknown];
    }
    const odd = [f.trailingBytes ? `${f.trailingBytes} trailing bytes` : '', f.zeroRecords ? `${f.zeroRecords} zeroed records` : '', f.truncated ? 'only the start read (cap)' : ''].filter(Boolean).join(', ');
    return [f.file, `${f.kind}${f.gzip ? ' (gz)' : ''}`, `${f.records ?? 0} records`, '', '', '', '', odd];
  }), new Set([3, 6])));

  out.push('', 'Addresses (failed ssh logins, most first; every column a kind of line, empty when none)');
  if (r.addresses.length === 0) out.push('  none');
  else {
    const n = (v: number) => (v ? v : '');
    out.push(...table(
      ['ADDRESS', 'FAILED', 'INVALID%', 'INVALID USER', 'ROOT REFUSED', 'PREAUTH CLOSED', 'NO IDENT', 'KEX FAILED', 'TIMEOUT', 'MAX TRIES', 'KEYS BEFORE LOGIN', 'ACCEPTED', 'BTMP', 'LAST SEEN', 'USERS TRIED'],
      r.addresses.slice(0, TABLE_ROWS).map((a) => [
        a.address, n(a.failures), a.failures ? `${Math.round((100 * a.failuresInvalidUser) / a.failures)}%` : '', n(a.invalidUsers),
        n(a.rootRefused), n(a.preauthDisconnects), n(a.noIdentification), n(a.kexFailures), n(a.authTimeouts), n(a.maxAttempts),
        n(a.keysBeforeLogin), n(a.acceptedCount), n(a.btmpFailures), a.lastSeen ?? '',
        [...a.users, ...a.invalidNames.filter((i) => !a.users.some((u) => u.user === i.user))].slice(0, 3).map((u) => `${u.user} ${u.count}`).join(', ') + (Math.max(a.distinctUsers, a.invalidNamesDistinct) > 3 ? ', …' : ''),
      ]),
      new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
    ));
    out.push(...more(r.addresses.length));
  }

  out.push('', 'Sessions (newest last)');
  if (r.sessions.length === 0) out.push('  none');
  else {
    out.push(...table(
      ['SOURCE', 'USER', 'FROM', 'METHOD', 'LOGIN', 'LOGOUT / END'],
      r.sessions.slice(-TABLE_ROWS).map((s) => [s.source, s.user ?? '?', s.from ?? '', s.method ?? s.line ?? '', s.login, s.logout ?? s.end ?? '']),
    ));
    out.push(...more(r.sessions.length));
  }

  out.push('', `Findings: ${r.findings.length}`);
  for (const f of r.findings) {
    out.push(`  ${f.id} ${f.severity.padEnd(13)} ${sanitizeForTerminal(f.title)}`);
    out.push(`      ${sanitizeForTerminal(f.detail)}`);
  }
  return out.join('\n') + '\n';
}
