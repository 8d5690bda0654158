import { createHash } from 'node:crypto';
import path from 'node:path';
import { describeFsError, readHandle, type BigIntStats } from '../../host/rooted-fs.js';
import { errorCode } from '../../host/errors.js';
import { refuseSecret } from '../../host/secrets.js';
import type { HistoryCommand, HistoryFile, HistoryFormat, HistorySessionRef, HistorySetting } from '../../model/activity.js';
import type { AuthLoginRecord } from '../../model/auth.js';
import type { SessionRecord } from '../../model/logins.js';
import type { TimelineEvent } from '../../model/sink.js';
import { sourceError, sourceOk, sourceSkipped, type SourceStatus } from '../../model/source.js';
import { copyPath, listFiles, readHomes, type Home } from '../persistence/files.js';
import { analyzeCommand } from '../persistence/parse-command.js';
import { loadNameIocs, matchCommand } from '../persistence/tools.js';
import { HOME_SHELL_FILES, SYSTEM_SHELL_FILES } from '../startup-files/startup-files.js';
import { defineCollector, type CollectContext } from '../types.js';
import { classifyCommand, learn, newFileState, withCwd } from './classify.js';
import { HISTORY_FILES, MAX_ENTRIES, parseHistory } from './parse-history.js';
import { parseHistorySettings } from './parse-settings.js';

/** Bytes read (and copied) of one history file: a sparse 1 GB history is read only this far. */
export const MAX_HISTORY_BYTES = 16 * 1024 * 1024;
/** Bytes read of one start-up file for its history settings. */
const MAX_STARTUP_BYTES = 1024 * 1024;
const SOURCE = 'shell-history';

function iso(ns: bigint): string {
  return new Date(Number(ns / 1000000n)).toISOString();
}

function times(st: BigIntStats): Pick<HistoryFile, 'size' | 'mode' | 'uid' | 'mtime' | 'ctime' | 'btime'> {
  return { size: Number(st.size), mode: Number(st.mode) & 0o7777, uid: Number(st.uid), mtime: iso(st.mtimeNs), ctime: iso(st.ctimeNs), btime: st.birthtimeNs > 0n ? iso(st.birthtimeNs) : null };
}

/** A session of one account that a command's time falls in. */
interface Span {
  ref: HistorySessionRef;
  from: number;
  to: number;
}

/** Every session per account: wtmp sessions and accepted ssh logins (open-ended when the end is unknown). */
export function sessionSpans(sessions: readonly SessionRecord[] | undefined, logins: readonly AuthLoginRecord[] | undefined): Map<string, Span[]> {
  const out = new Map<string, Span[]>();
  const add = (user: string, s: Span) => {
    if (!Number.isFinite(s.from)) return;
    const list = out.get(user) ?? [];
    list.push(s);
    out.set(user, list);
  };
  for (const s of sessions ?? []) {
    if (!s.user || s.user === 'reboot' || s.user === 'shutdown' || s.user === 'runlevel') continue;
    add(s.user, { ref: { source: 'wtmp', user: s.user, login: s.login, logout: s.logout, address: s.addr ?? (s.host || null), line: s.line || null }, from: Date.parse(s.login), to: s.logout ? Date.parse(s.logout) : Infinity });
  }
  for (const l of logins ?? []) {
    if (!l.user) continue;
    add(l.user, { ref: { source: 'auth-log', user: l.user, login: l.time, logout: l.logout, address: l.address, line: null }, from: Date.parse(l.time), to: l.logout ? Date.parse(l.logout) : Infinity });
  }
  return out;
}

/** The session open at `timeMs`: the latest login before it whose end (if known) is after it; wtmp first on a tie. */
export function sessionAt(spans: readonly Span[] | undefined, timeMs: number): HistorySessionRef | null {
  let best: Span | null = null;
  for (const s of spans ?? []) {
    if (s.from > timeMs || s.to < timeMs) continue;
    if (!best || s.from > best.from || (s.from === best.from && s.ref.source === 'wtmp' && best.ref.source !== 'wtmp')) best = s;
  }
  return best?.ref ?? null;
}

interface Run {
  ctx: CollectContext<'sessions' | 'authLogins'>;
  sources: SourceStatus[];
  files: HistoryFile[];
  commands: HistoryCommand[];
  timeline: TimelineEvent[];
  spans: Map<string, Span[]>;
  iocs: Awaited<ReturnType<typeof loadNameIocs>>;
}

async function readHistory(run: Run, home: Home, name: string, format: HistoryFormat): Promise<void> {
  const inside = path.posix.join(home.home, name);
  const fs = run.ctx.host.fs;
  let lst: BigIntStats;
  try {
    lst = await fs.lstat(inside, { bigint: true });
  } catch (err) {
    const code = errorCode(err);
    if (code !== 'ENOENT' && code !== 'ENOTDIR') run.sources.push(sourceError(SOURCE, describeFsError(err, inside), inside));
    return;
  }
  const base: HistoryFile = {
    path: inside, user: home.user, accountUid: home.uid, format, type: 'file', linkTarget: null, ...times(lst),
    sha256: null, copy: null, truncated: false, entries: 0, entriesLeftOut: 0, firstTime: null, lastTime: null, timesBackwards: 0, notRead: null,
  };
  if (lst.isSymbolicLink()) {
    // Never followed: a history linked to /dev/null keeps nothing, one linked to /etc/shadow must not be read.
    const target = await fs.readlink(inside).catch(() => null);
    run.files.push({ ...base, type: 'link', linkTarget: target, notRead: `a symbolic link to ${target ?? '(unreadable)'}: recorded, not followed` });
    return;
  }
  if (!lst.isFile()) {
    run.files.push({ ...base, type: 'other', notRead: 'not a regular file (a FIFO, device or folder): not read' });
    return;
  }
  let data: Buffer;
  let truncated: boolean;
  let st: BigIntStats;
  try {
    const handle = await fs.open(inside);
    try {
      st = await handle.stat({ bigint: true });
      if (!st.isFile()) {
        run.files.push({ ...base, type: 'other', notRead: 'replaced by something that is not a regular file while it was opened: not read' });
        return;
      }
      ({ data, truncated } = await readHandle(handle, Math.min(MAX_HISTORY_BYTES, run.ctx.options.maxFileBytes)));
    } finally {
      await handle.close();
    }
    refuseSecret(inside, data);
  } catch (err) {
    const code = errorCode(err);
    const why = describeFsError(err, inside);
    run.files.push({ ...base, notRead: why });
    if (code === 'ELINKOUT' || code === 'ESECRET') run.sources.push(sourceSkipped(SOURCE, why, inside));
    else run.sources.push(sourceError(SOURCE, why, inside));
    return;
  }
  const file: HistoryFile = { ...base, ...times(st), sha256: createHash('sha256').update(data).digest('hex'), truncated };
  const rel = copyPath(inside, 'files/history');
  try {
    if (!run.ctx.sink.has(rel)) await run.ctx.sink.writeFile(rel, data);
    file.copy = rel;
  } catch (err) {
    run.sources.push(sourceError(SOURCE, `${inside}: could not copy into the case: ${(err as Error).message}`, inside));
  }
  if (truncated) run.sources.push(sourceOk(SOURCE, inside, `read and copied up to the cap of ${Math.min(MAX_HISTORY_BYTES, run.ctx.options.maxFileBytes)} bytes of ${file.size}: the rest was left out`));
  const parsed = parseHistory(format, data, MAX_ENTRIES);
  file.entries = parsed.entries.length;
  file.entriesLeftOut = parsed.leftOut;
  if (parsed.leftOut > 0) run.sources.push(sourceOk(SOURCE, inside, `${parsed.leftOut} entries past the cap of ${MAX_ENTRIES} left out`));
  let prev: number | null = null;
  const state = newFileState();
  for (const e of parsed.entries) {
    const time = e.time === null ? null : new Date(e.time * 1000).toISOString();
    if (e.time !== null) {
      if (prev !== null && e.time < prev) file.timesBackwards++;
      prev = e.time;
      if (!file.firstTime || time! < file.firstTime) file.firstTime = time;
      if (!file.lastTime || time! > file.lastTime) file.lastTime = time;
    }
    // Each line is read after the `cd` of the lines before it, so `./kit` after `cd /dev/shm/.x` names the kit's path.
    const analysis = e.kind === 'command' ? analyzeCommand(withCwd(e.text, state), { home: home.home }) : null;
    const signals = e.kind === 'command' ? classifyCommand(e.text, state, home.home) : [];
    if (e.kind === 'command') learn(e.text, state, home.home, e.line);
    const toolHits = e.kind === 'file-opened' || e.kind === 'search' ? [] : matchCommand(run.iocs, e.text, analysis);
    const session = e.time === null ? null : sessionAt(run.spans.get(home.user), e.time * 1000);
    const cmd: HistoryCommand = { file: inside, line: e.line, user: home.user, format, kind: e.kind, text: e.text, time, timeSource: e.time === null ? 'none' : 'stamp', ...(e.durationSeconds !== undefined ? { durationSeconds: e.durationSeconds } : {}), session, analysis, toolHits, signals };
    run.commands.push(cmd);
    const what = e.kind === 'file-opened' ? 'opened file' : e.kind === 'search' ? 'searched' : 'ran';
    const inSession = session ? ` (session ${session.login}${session.address ? ` from ${session.address}` : ''})` : '';
    run.timeline.push({
      datetime: time ?? file.mtime,
      timestamp_desc: time ? 'Command time (history stamp)' : 'History file modified (entry typed at or before)',
      message: `${home.user} ${what} [${format} ${inside}:${e.line}]${inSession}: ${e.text.length > 300 ? `${e.text.slice(0, 299)}…` : e.text}`,
      source: SOURCE,
      user: home.user,
      ip: session?.address ?? null,
      path: inside,
    });
  }
  run.files.push(file);
}

async function readSettings(run: Run, homes: Home[]): Promise<HistorySetting[]> {
  const out: HistorySetting[] = [];
  const one = async (file: string, user: string | null) => {
    try {
      const text = await run.ctx.host.fs.readTextIfExists(file, MAX_STARTUP_BYTES);
      if (text === null) return;
      refuseSecret(file, text);
      out.push(...parseHistorySettings(text, file, user));
    } catch (err) {
      const code = errorCode(err);
      if (code === 'EISDIR') return;
      if (code === 'ELINKOUT' || code === 'ESECRET') run.sources.push(sourceSkipped(`${SOURCE}.settings`, describeFsError(err, file), file));
      else run.sources.push(sourceError(`${SOURCE}.settings`, describeFsError(err, file), file));
    }
  };
  for (const f of SYSTEM_SHELL_FILES) await one(f, null);
  for (const f of await listFiles(run.ctx, '/etc/profile.d', `${SOURCE}.settings`, run.sources)) await one(f, null);
  for (const h of homes) for (const name of HOME_SHELL_FILES) await one(path.posix.join(h.home, name), h.user);
  return out;
}

/** shell-history: every account's shell and tool histories, as commands tied to the sessions they were typed in. */
export const shellHistoryCollector = defineCollector({
  id: 'shell-history',
  title: 'Shell histories',
  description: "Every account's shell and tool histories (bash with #epoch stamps, zsh extended history, fish, ash/sh, python, mysql, psql, less, vim marks): each entry a record and a timeline row tied to the ssh session open at its time; the files copied into the case, links recorded and never followed; HISTFILE/HISTSIZE settings of the start-up files.",
  liveOnly: false,
  needsRoot: true,
  artifacts: ['artifacts/history-files.jsonl', 'artifacts/history-commands.jsonl', 'artifacts/history-settings.jsonl', 'files/history/'],
  provides: ['historyFiles', 'historyCommands', 'historySettings'],
  reads: ['sessions', 'authLogins'],
  async collect(ctx) {
    const sources: SourceStatus[] = [];
    const run: Run = { ctx, sources, files: [], commands: [], timeline: [], spans: sessionSpans(ctx.facts.sessions, ctx.facts.authLogins), iocs: await loadNameIocs(ctx, SOURCE, sources) };
    const homes = await readHomes(ctx, SOURCE, sources);
    for (const h of homes) {
      if (ctx.host.signal.aborted) break;
      for (const f of HISTORY_FILES) await readHistory(run, h, f.name, f.format);
    }
    const settings = await readSettings(run, homes);
    await ctx.sink.writeJsonl('artifacts/history-files.jsonl', run.files);
    await ctx.sink.writeJsonl('artifacts/history-commands.jsonl', run.commands);
    await ctx.sink.writeJsonl('artifacts/history-settings.jsonl', settings);
    ctx.sink.timeline(run.timeline);
    const stamped = run.commands.filter((c) => c.time !== null).length;
    const inSession = run.commands.filter((c) => c.session !== null).length;
    sources.push(sourceOk(SOURCE, undefined, `${homes.length} home(s), ${run.files.length} history file(s), ${run.commands.length} entries (${stamped} with a time, ${inSession} tied to a session), ${settings.length} history setting(s)`));
    return { facts: { historyFiles: run.files, historyCommands: run.commands, historySettings: settings }, sources };
  },
});
