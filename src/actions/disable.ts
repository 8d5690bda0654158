/**
 * disable: neutralises what would bring the intruder back, one item at a time, never deleting
 * anything. A line of a crontab, start-up file, /etc/environment, /etc/ld.so.preload or
 * authorized_keys is commented out; a cron.{hourly,…} script or at job loses its execute bit
 * (run-parts and atd skip it); a systemd unit (and the timers that start it) is disabled:
 * `systemctl disable --now` on a live box run by systemd, its .wants/.requires links removed
 * otherwise. Before any change the file is copied into the case and re-checked against what the
 * collection saw (sha256, device and inode): a file that changed since is refused. The undo
 * record puts back every byte, mode and link (`ir-triage restore`).
 */
import { createHash } from 'node:crypto';
import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';
import { closeSync, fchmodSync, fchownSync, fstatSync, fsyncSync, lstatSync, openSync, readlinkSync, readSync as readSyncFd, renameSync, symlinkSync, unlinkSync, writeSync } from 'node:fs';
import { commandOk } from '../host/exec.js';
import { atPath, chmodFd, checkName, closeQuietly, components, fstatBig, mkdirAt, openDirNoFollow, openPathAt } from '../host/fd-path.js';
import type { KnownFacts } from '../model/facts.js';
import type { PersistenceFile } from '../model/persistence.js';
import { nextRecordPath, octal, RECORD_VERSION, refusedPlan, refuseApply, shellQuote, writeRecord, type UndoRecordBase } from './common.js';
import type { ActionContext, ActionPlan, ActionResult, PlannedChange } from './types.js';
import { errnoCode } from '../host/errors.js';

export type DisableMethod = 'comment-line' | 'chmod-x' | 'unit';

/** What the guided run hands in: `line:N:PATH`, `exec:PATH` or `unit:PATH` (the path last: it may hold colons). */
export interface DisableTarget {
  method: DisableMethod;
  path: string;
  line: number | null;
}

export function formatTarget(t: DisableTarget): string {
  if (t.method === 'comment-line') return `line:${t.line}:${t.path}`;
  return `${t.method === 'chmod-x' ? 'exec' : 'unit'}:${t.path}`;
}

export function parseTarget(s: string): DisableTarget | null {
  const line = /^line:(\d+):(\/.*)$/s.exec(s);
  if (line) return { method: 'comment-line', path: line[2], line: Number(line[1]) };
  const other = /^(exec|unit):(\/.*)$/s.exec(s);
  if (other) return { method: other[1] === 'exec' ? 'chmod-x' : 'unit', path: other[2], line: null };
  return null;
}

/** A file as the plan (or the apply) saw it. */
export interface FileState {
  sha256: string;
  size: number;
  dev: string;
  ino: string;
  mode: number;
  uid: number;
  gid: number;
}

export interface UnitLink {
  /** The link, as seen inside the root. */
  link: string;
  /** The same on this machine. */
  hostLink: string;
  /** readlink of it, exactly, to recreate it. */
  target: string;
}

export interface UnitToDisable {
  name: string;
  /** The unit file, inside the root. */
  path: string;
  scope: 'system' | 'user';
  links: UnitLink[];
}

export interface DisableData {
  target: string;
  method: DisableMethod;
  /** As seen inside the root. */
  path: string;
  /** The real file on this machine (links resolved inside the root). */
  hostPath: string;
  state: FileState;
  /** Where the state checked against comes from: the collection's hash, the ssh-keys collector's times, or only this plan. */
  checkedAgainst: 'collection' | 'plan';
  line: number | null;
  before: string | null;
  after: string | null;
  /** What is put before the line: `#`, or `: #` in shell files. */
  prefix: string | null;
  modeAfter: number | null;
  units: UnitToDisable[];
  /** systemctl disable --now is used (live, booted with systemd, system units). */
  systemctl: boolean;
}

export interface DisableRecord extends UndoRecordBase {
  action: 'disable';
  method: DisableMethod;
  path: string;
  hostPath: string;
  /** The copy taken right before the change. */
  copy: { path: string; sha256: string; size: number; truncated: boolean } | null;
  /** The file before, and after the change (what undo expects to find). */
  before: FileState;
  after: FileState | null;
  line: number | null;
  /** The line as text (bytes that are not UTF-8 show as U+FFFD here; the file itself keeps them). */
  lineBefore: string | null;
  lineAfter: string | null;
  /** The bytes put before the line, taken off again by undo. */
  prefix: string | null;
  modeBefore: number | null;
  modeAfter: number | null;
  units: Array<UnitToDisable & { wasActive: boolean | null; removed: string[] }>;
  systemctl: boolean;
  outcome: string;
}

/** systemd's unit name grammar: letters, digits, `:_.\\-`, at most one @ (a template or an instance), a known type; 255 bytes at most; never an option. */
const UNIT_NAME = /^[A-Za-z0-9:_.\\-]+(?:@[A-Za-z0-9:_.\\-]*)?\.(?:service|socket|device|mount|automount|swap|target|path|timer|slice|scope)$/;

export function isUnitName(name: unknown): name is string {
  return typeof name === 'string' && name.length <= 255 && !name.startsWith('-') && !name.startsWith('.') && UNIT_NAME.test(name);
}

/** Where systemd reads units and enablement links from (inside the root): system folders, /etc/systemd/user and a home's user folders. */
const SYSTEM_UNIT_DIRS = ['/etc/systemd/system', '/run/systemd/system', '/usr/local/lib/systemd/system', '/usr/lib/systemd/system', '/lib/systemd/system', '/etc/systemd/user', '/usr/lib/systemd/user'];

export function isUnitDir(dir: string): boolean {
  return SYSTEM_UNIT_DIRS.includes(dir) || /^\/(?:[^/\0\n]+\/)*[^/\0\n]+\/(?:\.config|\.local\/share)\/systemd\/user$/.test(dir);
}

/** Shell files get `: #` (a no-op command, so an if/then block that held only this line stays valid); other formats `#`. */
const SHELL_KINDS = new Set(['shell-startup', 'rc-local', 'init-script', 'cron-script', 'at-job']);

export function commentPrefix(shell: boolean): string {
  return shell ? ': #' : '#';
}

export function commentOut(line: string, shell: boolean): string {
  return `${commentPrefix(shell)}${line}`;
}

/** The line disable writes, and whether the line can be undone from it. */
function isCommented(line: string): boolean {
  return /^\s*(?::\s*)?#/.test(line);
}

function clip(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function sha(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function collected(facts: KnownFacts, inside: string): PersistenceFile | null {
  return (facts.persistenceFiles ?? []).find((f) => f.path === inside) ?? null;
}

async function realPath(ctx: ActionContext, inside: string): Promise<string> {
  return ctx.host.fs.isHostRoot ? fsp.realpath(path.resolve('/', inside)) : ctx.host.fs.resolve(inside);
}

/** Reads the file through a descriptor that never follows a final link: its bytes and state. */
async function readState(hostPath: string): Promise<{ data: Buffer; state: FileState }> {
  const fh = await fsp.open(hostPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const st = await fh.stat({ bigint: true });
    if (!st.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTREG' });
    const data = await fh.readFile();
    return { data, state: { sha256: sha(data), size: data.length, dev: String(st.dev), ino: String(st.ino), mode: Number(st.mode) & 0o7777, uid: Number(st.uid), gid: Number(st.gid) } };
  } finally {
    await fh.close();
  }
}

/** Why the file is not the one collected (or planned), or null when it is. */
function changedSince(now: FileState, then: { sha256: string; dev: string; ino: string }, when: string): string | null {
  if (now.sha256 !== then.sha256) return `its content changed since ${when} (sha256 ${then.sha256.slice(0, 12)}… then, ${now.sha256.slice(0, 12)}… now)`;
  if (now.dev !== then.dev || now.ino !== then.ino) return `it was replaced since ${when} (inode ${then.ino} then, ${now.ino} now)`;
  return null;
}

/**
 * The byte range of 1-based line n (without its newline), or null when there is no such line.
 * Lines are cut on bytes, never decoded and re-encoded: a file with bytes that are not UTF-8
 * (an intruder's, or Latin-1 comments) keeps every other byte as it was.
 */
export function lineRange(data: Buffer, n: number): { start: number; end: number } | null {
  let start = 0;
  for (let i = 1; i < n; i++) {
    const nl = data.indexOf(0x0a, start);
    if (nl < 0) return null;
    start = nl + 1;
  }
  if (start >= data.length) return null;
  const nl = data.indexOf(0x0a, start);
  return { start, end: nl < 0 ? data.length : nl };
}

/** The file with `prefix` put before line n (or taken off it, with remove). */
export function withPrefix(data: Buffer, n: number, prefix: string, remove = false): Buffer | null {
  const r = lineRange(data, n);
  if (!r) return null;
  const p = Buffer.from(prefix, 'utf8');
  if (remove) {
    if (!data.subarray(r.start, r.end).subarray(0, p.length).equals(p)) return null;
    return Buffer.concat([data.subarray(0, r.start), data.subarray(r.start + p.length)]);
  }
  return Buffer.concat([data.subarray(0, r.start), p, data.subarray(r.start)]);
}

/** Is this a live box run by systemd (so systemctl can stop what it disables)? */
function systemdRunning(ctx: ActionContext): Promise<boolean> {
  if (ctx.host.mode !== 'live' || !ctx.host.fs.isHostRoot) return Promise.resolve(false);
  return fsp.stat('/run/systemd/system').then((s) => s.isDirectory(), () => false);
}

async function readLinkInside(ctx: ActionContext, inside: string): Promise<{ host: string; target: string } | null> {
  try {
    const parent = await realPath(ctx, path.posix.dirname(inside));
    const host = path.join(parent, path.posix.basename(inside));
    const st = await fsp.lstat(host);
    if (!st.isSymbolicLink()) return null;
    return { host, target: await fsp.readlink(host) };
  } catch {
    return null;
  }
}

/** The unit and the timers that start it, with their enablement links as they are now. */
async function unitsToDisable(ctx: ActionContext, inside: string): Promise<UnitToDisable[] | string> {
  const units = ctx.facts.systemdUnits ?? [];
  const u = units.find((x) => x.path === inside || x.dropIns.includes(inside) || x.environment.some((e) => e.file === inside));
  if (!u) return `${inside} is not a unit the systemd-units collector recorded`;
  const timers = units.filter((x) => x.timer && x.timer.unit === u.name && x.scope === u.scope && x.owner === u.owner);
  const out: UnitToDisable[] = [];
  for (const x of [u, ...timers]) {
    // The name goes to systemctl: a name outside systemd's grammar (an option, a shell word) is never passed on.
    if (!isUnitName(x.name)) return `${JSON.stringify(x.name)} is not a valid systemd unit name: refused`;
    const links: UnitLink[] = [];
    for (const l of x.wantedBy) {
      const r = await readLinkInside(ctx, l);
      if (r) links.push({ link: l, hostLink: r.host, target: r.target });
    }
    out.push({ name: x.name, path: x.path, scope: x.scope, links });
  }
  return out;
}

/**
 * Plans one disable: reads the file now, compares it with the collection (refused when it
 * changed), and lists the exact change: the line before and after, the mode, or the links and
 * systemctl command. Read-only.
 */
export async function planDisable(ctx: ActionContext, target: string): Promise<ActionPlan<DisableData>> {
  const t = parseTarget(target);
  const empty: DisableData = { target, method: 'comment-line', path: target, hostPath: target, state: { sha256: '', size: 0, dev: '', ino: '', mode: 0, uid: 0, gid: 0 }, checkedAgainst: 'plan', line: null, before: null, after: null, prefix: null, modeAfter: null, units: [], systemctl: false };
  if (!t) return refusedPlan('disable', target, `${target}: not a disable target (line:N:PATH, exec:PATH or unit:PATH)`, empty);
  let hostPath: string;
  let data: Buffer;
  let state: FileState;
  try {
    hostPath = await realPath(ctx, t.path);
    ({ data, state } = await readState(hostPath));
  } catch (err) {
    const code = errnoCode(err);
    const why = code === 'ENOENT' ? 'no such file' : code === 'ELOOP' ? 'a symbolic link where a file was expected' : code === 'ENOTREG' ? 'not a regular file' : code ?? String(err);
    return refusedPlan('disable', t.path, `${t.path}: ${why}`, { ...empty, method: t.method, path: t.path });
  }
  const base: DisableData = { ...empty, target, method: t.method, path: t.path, hostPath, state, line: t.line };
  const seen = collected(ctx.facts, t.path);
  const warnings: string[] = [];
  if (seen) {
    base.checkedAgainst = 'collection';
    const changed = changedSince(state, seen, 'the collection');
    if (changed) return refusedPlan('disable', t.path, `${t.path}: ${changed}: refused, so that no change made since is lost; collect again and look at the file first`, base);
  } else {
    const key = (ctx.facts.authorizedKeys ?? []).find((k) => k.file === t.path);
    if (key) {
      // The ssh-keys collector keeps the file's times and size, not a hash: any write since moves them.
      base.checkedAgainst = 'collection';
      const st = await fsp.stat(hostPath);
      const m = key.fileMeta;
      if (st.size !== m.size || st.mtime.toISOString() !== m.mtime || st.ctime.toISOString() !== m.ctime) {
        return refusedPlan('disable', t.path, `${t.path} changed since the collection (size ${m.size}, modified ${m.mtime}, changed ${m.ctime} then; ${st.size}, ${st.mtime.toISOString()}, ${st.ctime.toISOString()} now): refused, so that no change made since is lost; collect again and look at the file first`, base);
      }
    } else warnings.push(`${t.path} was not read by the collectors: it is checked against this plan only (sha256 ${state.sha256.slice(0, 12)}…).`);
  }
  const kind = seen?.kind ?? null;
  const changes: PlannedChange[] = [{ op: 'copy', target: t.path, detail: `${state.size} bytes → files/persistence/disable-N/ in the case, hashed (sha256)` }];
  let summary: string;
  if (t.method === 'comment-line') {
    const n = t.line!;
    const range = n >= 1 ? lineRange(data, n) : null;
    if (!range) return refusedPlan('disable', t.path, `${t.path} has no line ${n}`, base);
    const before = data.subarray(range.start, range.end).toString('utf8');
    if (isCommented(before)) return refusedPlan('disable', t.path, `${t.path} line ${n} is already a comment`, base);
    const shell = kind !== null && SHELL_KINDS.has(kind);
    if (shell && /\\\r?$/.test(before)) return refusedPlan('disable', t.path, `${t.path} line ${n} continues on the next line (ends with \\): commenting out one part would change what the rest means; edit it by hand`, base);
    if (before.includes('\r') && !before.endsWith('\r')) return refusedPlan('disable', t.path, `${t.path} line ${n} holds a carriage return inside it: edit it by hand`, base);
    const after = commentOut(before, shell);
    base.before = before;
    base.after = after;
    base.prefix = commentPrefix(shell);
    changes.push({ op: 'comment', target: `${t.path}:${n}`, detail: `${JSON.stringify(before)} → ${JSON.stringify(after)}` });
    changes.push({ op: 'replace', target: t.path, detail: `written to a new file beside it with the same owner ${state.uid}:${state.gid} and mode ${octal(state.mode)}, then renamed over it (cron and sshd see a whole file, never half of one)` });
    // The summary is printed whole (the change table cuts long cells): it carries the exact change.
    summary = `comment out ${t.path} line ${n}: ${JSON.stringify(clip(before))} → ${JSON.stringify(clip(after))}`;
    if (kind === 'cron-spool' || kind === 'crontab' || kind === 'cron.d') warnings.push('cron notices the change at its next minute; a job already running goes on: freeze or kill it.');
  } else if (t.method === 'chmod-x') {
    if ((state.mode & 0o111) === 0) return refusedPlan('disable', t.path, `${t.path} has no execute bit (${octal(state.mode)}): run-parts and atd already skip it`, base);
    base.modeAfter = state.mode & ~0o111;
    changes.push({ op: 'chmod', target: t.path, detail: `${octal(state.mode)} → ${octal(base.modeAfter)} (run-parts and atd skip a file that is not executable)` });
    summary = `chmod a-x ${t.path}`;
  } else {
    const units = await unitsToDisable(ctx, t.path);
    if (typeof units === 'string') return refusedPlan('disable', t.path, units, base);
    base.units = units;
    base.systemctl = (await systemdRunning(ctx)) && units.every((u) => u.scope === 'system');
    if (base.systemctl) changes.push({ op: 'systemctl', target: units.map((u) => u.name).join(' '), detail: shellQuote(['systemctl', 'disable', '--now', '--', ...units.map((u) => u.name)]) });
    for (const u of units) for (const l of u.links) changes.push({ op: base.systemctl ? 'unlink (if left)' : 'unlink', target: l.link, detail: `→ ${l.target} (the link is recorded and recreated by undo)` });
    if (units.every((u) => u.links.length === 0) && !base.systemctl) {
      return refusedPlan('disable', t.path, `${units.map((u) => u.name).join(', ')}: no .wants/.requires link enables it, so there is nothing to disable here (it starts only when another unit or a person starts it); stop it by hand if it runs`, base);
    }
    if (!base.systemctl) warnings.push(ctx.host.mode === 'live' ? 'systemd does not run this box (or these are user units): the links are removed but a running service is not stopped: freeze or kill it.' : 'An image: the links are removed in it; nothing runs to be stopped.');
    summary = `disable ${units.map((u) => u.name).join(', ')}`;
  }
  warnings.push('Nothing is deleted: the undo record (ir-triage restore) puts back every byte, mode and link.');
  return { action: 'disable', summary, changes, warnings, refused: null, data: base };
}

/** Writes content to a new file beside `hostPath` with the same owner and mode, then renames it over. */
async function replaceFile(hostPath: string, content: Buffer, st: FileState): Promise<void> {
  const tmp = path.join(path.dirname(hostPath), `.${path.basename(hostPath)}.ir-triage-${process.pid}`);
  const fh = await fsp.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    await fh.chown(st.uid, st.gid).catch((err: unknown) => {
      if (errnoCode(err) !== 'EPERM') throw err;
    });
    await fh.chmod(st.mode);
    await fh.writeFile(content);
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => {});
    await fsp.unlink(tmp).catch(() => {});
    throw err;
  }
  await fh.close();
  try {
    await fsp.rename(tmp, hostPath);
  } catch (err) {
    await fsp.unlink(tmp).catch(() => {});
    throw err;
  }
}

function explain(err: unknown): string {
  const code = errnoCode(err);
  if (code === 'EPERM') return 'EPERM: the file or its folder is immutable or append-only (lsattr shows i or a): preserve it, chattr -ia it, and try again';
  return code ?? String(err);
}

async function runSystemctl(ctx: ActionContext, args: string[]): Promise<{ ok: boolean; text: string }> {
  // is-active exits 3 for an inactive unit: that is an answer, not a failure.
  const r = await ctx.host.exec({ name: `systemctl-${args[0]}`, argv: ['systemctl', ...args], timeoutMs: 60_000, maxBytes: 1024 * 1024 });
  const text = `${r.stdout.toString('utf8')}${r.stderr}${r.error ?? ''}`.trim();
  return { ok: commandOk(r), text };
}

/**
 * Applies a disable plan: re-reads the file (refused if it changed since the plan), copies it into
 * the case, makes the one change, and writes the undo record.
 */
export async function applyDisable(ctx: ActionContext, plan: ActionPlan<DisableData>): Promise<ActionResult> {
  if (plan.refused) return refuseApply(ctx, plan, plan.refused);
  const d = plan.data;
  let now: { data: Buffer; state: FileState };
  try {
    if ((await realPath(ctx, d.path)) !== d.hostPath) return refuseApply(ctx, plan, `${d.path} now resolves elsewhere than at the plan`);
    now = await readState(d.hostPath);
  } catch (err) {
    return refuseApply(ctx, plan, `${d.path}: ${explain(err)} since the plan`);
  }
  const changed = changedSince(now.state, d.state, 'the plan');
  if (changed) return refuseApply(ctx, plan, `${d.path}: ${changed}: nothing was changed`);

  const rel = nextRecordPath(ctx.sink, 'disable');
  const n = /-(\d+)\.json$/.exec(rel)![1];
  const copyRel = `files/persistence/disable-${n}/${d.path.replace(/^\/+/, '').split('/').map((c) => (/^[A-Za-z0-9._@+=,~-]{1,200}$/.test(c) && c !== '..' ? c : `${c.replace(/[^A-Za-z0-9._@+=,~-]/g, '_').slice(0, 100)}~${sha(Buffer.from(c)).slice(0, 12)}`)).join('/')}`;
  let copy: DisableRecord['copy'];
  try {
    const stored = await ctx.sink.writeFile(copyRel, now.data);
    copy = { path: stored.path, sha256: stored.sha256, size: stored.size, truncated: false };
  } catch (err) {
    return refuseApply(ctx, plan, `could not copy ${d.path} into the case (${(err as Error).message}): nothing was changed`);
  }
  const record: DisableRecord = {
    action: 'disable',
    version: RECORD_VERSION,
    appliedAt: ctx.host.now().toISOString(),
    record: rel,
    summary: plan.summary,
    method: d.method,
    path: d.path,
    hostPath: d.hostPath,
    copy,
    before: now.state,
    after: null,
    line: d.line,
    lineBefore: d.before,
    lineAfter: d.after,
    prefix: d.prefix,
    modeBefore: d.method === 'chmod-x' ? now.state.mode : null,
    modeAfter: d.modeAfter,
    units: [],
    systemctl: d.systemctl,
    outcome: '',
  };
  const applied: ActionResult['applied'] = [];
  let ok = true;
  try {
    if (d.method === 'comment-line') {
      const content = withPrefix(now.data, d.line!, d.prefix!);
      if (!content) throw Object.assign(new Error(`line ${d.line} is gone`), { code: 'ECHANGED' });
      await replaceFile(d.hostPath, content, now.state);
      record.after = (await readState(d.hostPath)).state;
      record.outcome = `line ${d.line} commented out`;
      applied.push({ target: `${d.path}:${d.line}`, ok: true, detail: `${JSON.stringify(d.before)} → ${JSON.stringify(d.after)}` });
    } else if (d.method === 'chmod-x') {
      const fh = await fsp.open(d.hostPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      try {
        const st = await fh.stat({ bigint: true });
        if (String(st.ino) !== now.state.ino || String(st.dev) !== now.state.dev) throw Object.assign(new Error('replaced during the apply'), { code: 'ECHANGED' });
        await fh.chmod(d.modeAfter!);
      } finally {
        await fh.close();
      }
      record.after = { ...now.state, mode: d.modeAfter! };
      record.outcome = `chmod ${octal(now.state.mode)} → ${octal(d.modeAfter!)}`;
      applied.push({ target: d.path, ok: true, detail: record.outcome });
    } else {
      record.after = now.state;
      if (d.systemctl) {
        for (const u of d.units) {
          const active = await runSystemctl(ctx, ['is-active', '--', u.name]);
          record.units.push({ ...u, wasActive: active.text.split('\n')[0] === 'active', removed: [] });
        }
        const r = await runSystemctl(ctx, ['disable', '--now', '--', ...d.units.map((u) => u.name)]);
        applied.push({ target: d.units.map((u) => u.name).join(' '), ok: r.ok, detail: `systemctl disable --now: ${r.ok ? 'done' : `failed: ${r.text.slice(0, 300)}`}` });
        ok &&= r.ok;
      } else for (const u of d.units) record.units.push({ ...u, wasActive: null, removed: [] });
      for (const u of record.units) {
        for (const l of u.links) {
          const st = await fsp.lstat(l.hostLink).catch(() => null);
          if (!st) {
            u.removed.push(l.link);
            applied.push({ target: l.link, ok: true, detail: d.systemctl ? 'removed by systemctl' : 'already gone' });
            continue;
          }
          if (!st.isSymbolicLink() || (await fsp.readlink(l.hostLink)) !== l.target) {
            applied.push({ target: l.link, ok: false, detail: 'changed since the plan: left alone' });
            ok = false;
            continue;
          }
          await fsp.unlink(l.hostLink);
          u.removed.push(l.link);
          applied.push({ target: l.link, ok: true, detail: `link to ${l.target} removed` });
        }
      }
      record.outcome = `${record.units.reduce((k, u) => k + u.removed.length, 0)} link(s) removed${d.systemctl ? ', systemctl disable --now run' : ''}`;
    }
  } catch (err) {
    const why = errnoCode(err) === 'ECHANGED' ? (err as Error).message : explain(err);
    record.outcome = `failed: ${why}`;
    ok = false;
    applied.push({ target: d.path, ok: false, detail: why });
  }
  await writeRecord(ctx.sink, rel, record);
  // Our own change is known: a second item of the same file (two lines of one crontab) is planned against it, not refused.
  const seen = collected(ctx.facts, d.path);
  if (seen && record.after) Object.assign(seen, { sha256: record.after.sha256, size: record.after.size, dev: record.after.dev, ino: record.after.ino, mode: record.after.mode });
  ctx.custody('action-applied', {
    action: 'disable',
    summary: plan.summary,
    method: d.method,
    path: d.path,
    line: d.line,
    record: rel,
    copy: copy?.path ?? null,
    sha256Before: now.state.sha256,
    sha256After: record.after?.sha256 ?? null,
    outcome: record.outcome,
    ok,
  });
  return {
    ok,
    message: ok ? `disabled: ${plan.summary} (${record.outcome}); the file before the change is ${copy?.path}` : `disable of ${plan.summary} not done: ${record.outcome}`,
    undoRecord: rel,
    applied,
  };
}

export interface UndoDisableOptions {
  /** Put the original back even when the file changed since the disable (the later changes are lost, and kept in the undo case). */
  force?: boolean;
  /**
   * The file as an earlier undo of the same batch will leave it: two lines disabled in one file
   * are undone last first, and a dry run plans the second against the first's result.
   */
  assume?: Buffer;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

function checkState(s: unknown, what: string): void {
  const x = s as Partial<FileState> | null;
  if (!x || typeof x !== 'object' || typeof x.sha256 !== 'string' || !SHA256_HEX.test(x.sha256) || typeof x.dev !== 'string' || !/^\d+$/.test(x.dev) || typeof x.ino !== 'string' || !/^\d+$/.test(x.ino)) throw new Error(`disable record with a malformed ${what}`);
  if (!Number.isInteger(x.mode) || x.mode! < 0 || x.mode! > 0o7777 || !Number.isInteger(x.uid) || !Number.isInteger(x.gid) || !Number.isInteger(x.size)) throw new Error(`disable record with a malformed ${what}`);
}

function plainAbsolute(p: unknown): boolean {
  if (typeof p !== 'string' || !path.isAbsolute(p)) return false;
  try {
    return components(p).length > 0;
  } catch {
    return false;
  }
}

/**
 * A disable record as undo accepts it: a plain path (no ., .., empty parts), the file's states
 * complete, and only a change disable can have made: a `#` or `: #` put before one line, execute
 * bits taken away, or enablement links removed from a .wants/.requires folder of a unit folder,
 * each naming the unit it enables (systemd's grammar) and pointing at a unit file in a unit folder.
 */
export function checkDisableRecord(record: unknown): DisableRecord {
  const r = record as Partial<DisableRecord> | null;
  if (!r || typeof r !== 'object' || r.action !== 'disable') throw new Error('not a disable record');
  if (r.version !== RECORD_VERSION) throw new Error(`disable record version ${String(r.version)}: this ir-triage reads version ${RECORD_VERSION}`);
  if (!['comment-line', 'chmod-x', 'unit'].includes(String(r.method))) throw new Error(`disable record with an unknown method ${String(r.method)}`);
  if (!plainAbsolute(r.hostPath) || !plainAbsolute(r.path) || !r.before || typeof r.before.sha256 !== 'string') throw new Error('disable record without a file');
  // With a movable root, the file on this machine is the root followed by the path inside it.
  if (r.hostPath !== r.path && !r.hostPath!.endsWith(r.path!)) throw new Error('disable record whose file on this machine is not the file it names');
  if (typeof r.outcome !== 'string' || typeof r.record !== 'string' || typeof r.summary !== 'string') throw new Error('disable record without its outcome');
  if (r.method !== 'unit' || r.after) checkState(r.before, 'file state');
  if (r.after) checkState(r.after, 'file state');
  if (r.method === 'comment-line') {
    if (!Number.isInteger(r.line) || r.line! < 1 || typeof r.lineBefore !== 'string' || typeof r.lineAfter !== 'string') throw new Error('disable record without its line');
    // Undo only takes off what disable put on: a comment marker, before exactly the recorded line.
    if (r.prefix !== undefined && r.prefix !== null && r.prefix !== '#' && r.prefix !== ': #') throw new Error('disable record with a prefix disable cannot have written');
    if (r.lineAfter !== `${r.prefix ?? '#'}${r.lineBefore}`) throw new Error('disable record whose line after is not its line before commented out');
  }
  // Disable only ever takes execute bits away, so its undo may only give them back.
  if (r.method === 'chmod-x') {
    const b = r.modeBefore;
    const a = r.modeAfter;
    if (!Number.isInteger(b) || !Number.isInteger(a) || b! < 0 || b! > 0o7777 || (a! & ~b!) !== 0 || ((b! ^ a!) & ~0o111) !== 0) throw new Error('disable record with a mode change disable cannot have made');
  }
  if (r.method === 'unit') {
    if (!Array.isArray(r.units) || typeof r.systemctl !== 'boolean') throw new Error('disable record without its units');
    for (const u of r.units) {
      if (!u || !isUnitName(u.name)) throw new Error(`disable record with a unit name systemd would not accept: ${JSON.stringify(u?.name)}`);
      if (!Array.isArray(u.links) || !Array.isArray(u.removed)) throw new Error('disable record with malformed links');
      for (const l of u.links) {
        if (!l || typeof l.link !== 'string' || typeof l.hostLink !== 'string' || typeof l.target !== 'string') throw new Error('disable record with malformed links');
        const wants = path.posix.dirname(l.link);
        if (!plainAbsolute(l.link) || !plainAbsolute(l.hostLink) || !l.hostLink.endsWith(l.link) || !/\.(?:wants|requires|upholds)$/.test(wants) || !isUnitDir(path.posix.dirname(wants))) {
          throw new Error('disable record with a link outside a .wants/.requires folder of a unit folder');
        }
        const name = path.posix.basename(l.link);
        const template = u.name.includes('@.') && name.startsWith(u.name.slice(0, u.name.indexOf('@') + 1)) && name.endsWith(u.name.slice(u.name.indexOf('@.') + 1));
        if (!isUnitName(name) || (name !== u.name && !template)) throw new Error(`disable record with a link that does not enable ${u.name}`);
        if (!plainAbsolute(l.target) || !isUnitDir(path.posix.dirname(l.target)) || !isUnitName(path.posix.basename(l.target)) || /[\n\r]/.test(l.target)) throw new Error('disable record with a link target that is not a unit file in a unit folder');
      }
      for (const removed of u.removed) if (!u.links.some((l) => l.link === removed)) throw new Error('disable record that removed a link it does not describe');
    }
  }
  return r as DisableRecord;
}

export interface UndoDisableData {
  record: DisableRecord;
  /** The bytes to write back (comment-line), rebuilt from the file as it is now. */
  content: Buffer | null;
  current: FileState | null;
}

/** The folder holding a file, opened from / without following any link, and the file's name in it. */
function openParentOf(hostPath: string): { dirfd: number; name: Buffer } {
  const parts = components(hostPath);
  const name = parts[parts.length - 1];
  const dirfd = openDirNoFollow(Buffer.concat([Buffer.from('/'), Buffer.from(parts.slice(0, -1).map((p) => p.toString('latin1')).join('/'), 'latin1')]));
  return { dirfd, name };
}

/** Reads a file named inside an open folder, never following a link, only a regular file. */
function readStateAt(dirfd: number, name: Buffer): { data: Buffer; state: FileState } {
  const fd = openSync(atPath(dirfd, name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd, { bigint: true });
    if (!st.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTREG' });
    const chunks: Buffer[] = [];
    const buf = Buffer.alloc(1 << 16);
    for (let n: number; (n = readSyncAll(fd, buf)) > 0; ) chunks.push(Buffer.from(buf.subarray(0, n)));
    const data = Buffer.concat(chunks);
    return { data, state: { sha256: sha(data), size: data.length, dev: String(st.dev), ino: String(st.ino), mode: Number(st.mode) & 0o7777, uid: Number(st.uid), gid: Number(st.gid) } };
  } finally {
    closeSync(fd);
  }
}

function writeAllSync(fd: number, data: Buffer): void {
  for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off);
}

function readSyncAll(fd: number, buf: Buffer): number {
  return readSyncFd(fd, buf, 0, buf.length, null);
}

/** The state of the file the record names, read through its folder's descriptor. */
function readRecorded(hostPath: string): { data: Buffer; state: FileState } {
  const { dirfd, name } = openParentOf(hostPath);
  try {
    return readStateAt(dirfd, name);
  } finally {
    closeSync(dirfd);
  }
}

function explainOpen(err: unknown): string {
  const code = errnoCode(err);
  if (code === 'ENOTDIR' || code === 'ELOOP') return 'a part of its path is a symbolic link (or not a folder) now: not followed';
  if (code === 'ENOENT') return 'no such file';
  if (code === 'ENOTREG') return 'not a regular file';
  return code ?? String(err);
}

/** What undo will do, as things are now. Read-only. */
export async function planUndoDisable(ctx: ActionContext, record: DisableRecord, options: UndoDisableOptions = {}): Promise<ActionPlan<UndoDisableData>> {
  const r = record;
  const data: UndoDisableData = { record: r, content: null, current: null };
  const refuse = (why: string) => refusedPlan('restore', String(r?.path), why, data);
  try {
    checkDisableRecord(r);
  } catch (err) {
    return refuse((err as Error).message);
  }
  if (r.outcome.startsWith('failed')) return refuse(`the disable of ${r.path} did not change anything (${r.outcome}): nothing to undo`);
  const changes: PlannedChange[] = [];
  const warnings: string[] = [];
  if (r.method === 'unit') {
    for (const u of r.units) for (const l of u.links.filter((x) => u.removed.includes(x.link))) changes.push({ op: 'symlink', target: l.link, detail: `→ ${l.target}` });
    if (r.systemctl) {
      const start = r.units.filter((u) => u.wasActive).map((u) => u.name);
      changes.push({ op: 'systemctl', target: 'daemon-reload', detail: 'systemctl daemon-reload' });
      if (start.length) changes.push({ op: 'systemctl', target: start.join(' '), detail: shellQuote(['systemctl', 'start', '--', ...start]) });
    }
    return { action: 'restore', summary: `re-enable ${r.units.map((u) => u.name).join(', ')}`, changes, warnings, refused: null, data };
  }
  let now: { data: Buffer; state: FileState };
  try {
    now = readRecorded(r.hostPath);
    if (options.assume) now = { data: options.assume, state: { ...now.state, sha256: sha(options.assume), size: options.assume.length } };
  } catch (err) {
    return refuse(`${r.path}: ${explainOpen(err)}`);
  }
  data.current = now.state;
  if (r.method === 'chmod-x') {
    if (now.state.ino !== r.before.ino || now.state.dev !== r.before.dev) return refuse(`${r.path} was replaced since the disable (inode changed): left alone`);
    if (now.state.mode === r.modeBefore) return refuse(`${r.path} already has its original mode ${octal(r.modeBefore!)}`);
    if (now.state.mode !== r.modeAfter && !options.force) return refuse(`${r.path} mode changed since the disable (${octal(r.modeAfter!)} then, ${octal(now.state.mode)} now): left alone (--force restores it)`);
    const mode = r.modeBefore! & (now.state.mode | 0o111);
    changes.push({ op: 'chmod', target: r.path, detail: `${octal(now.state.mode)} → ${octal(mode)}` });
    return { action: 'restore', summary: `chmod ${octal(mode)} ${r.path}`, changes, warnings, refused: null, data };
  }
  if (now.state.sha256 === r.before.sha256) return refuse(`${r.path} already holds its original content`);
  // The content, not the inode: each undo of a line of the same file writes a new file (rename).
  if (r.after && now.state.sha256 !== r.after.sha256) {
    if (!options.force) return refuse(`${r.path} changed since the disable (sha256 ${r.after.sha256.slice(0, 12)}… then, ${now.state.sha256.slice(0, 12)}… now): left alone so that the later change is not lost (--force puts line ${r.line} back anyway)`);
    warnings.push(`${r.path} changed since the disable: --force puts line ${r.line} back into the file as it is now.`);
  }
  const range = lineRange(now.data, r.line!);
  const content = range && now.data.subarray(range.start, range.end).toString('utf8') === r.lineAfter ? withPrefix(now.data, r.line!, r.prefix ?? '#', true) : null;
  if (!content) return refuse(`${r.path} line ${r.line} is no longer the commented-out line: edit it by hand (the original is in the disable case)`);
  if (!options.force && sha(content) !== r.before.sha256) return refuse(`${r.path}: putting line ${r.line} back would not give the original bytes: left alone`);
  data.content = content;
  changes.push({ op: 'uncomment', target: `${r.path}:${r.line}`, detail: `${JSON.stringify(r.lineAfter)} → ${JSON.stringify(r.lineBefore)}` });
  return { action: 'restore', summary: `put back ${r.path} line ${r.line}`, changes, warnings, refused: null, data };
}

/**
 * Writes content under a new name in the open folder (O_CREAT | O_EXCL | O_NOFOLLOW), owner and
 * mode of the file now but never a bit the original lacked, then renames it over the name, after
 * checking the name still holds the very file (inode and content) the plan read.
 */
function replaceAt(dirfd: number, name: Buffer, content: Buffer, now: FileState, original: FileState): void {
  const tmp = Buffer.concat([Buffer.from('.'), name.subarray(0, 200), Buffer.from(`.ir-triage-${process.pid}`)]);
  checkName(tmp);
  const fd = openSync(atPath(dirfd, tmp), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    try {
      fchownSync(fd, now.uid, now.gid);
    } catch (err) {
      if (errnoCode(err) !== 'EPERM') throw err;
    }
    fchmodSync(fd, now.mode & original.mode);
    writeAllSync(fd, content);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(atPath(dirfd, tmp));
    throw err;
  }
  closeSync(fd);
  try {
    const again = readStateAt(dirfd, name);
    if (again.state.sha256 !== now.sha256 || again.state.ino !== now.ino || again.state.dev !== now.dev) throw Object.assign(new Error('changed while the undo ran: left alone'), { code: 'ECHANGED' });
    renameSync(atPath(dirfd, tmp), atPath(dirfd, name));
  } catch (err) {
    try {
      unlinkSync(atPath(dirfd, tmp));
    } catch {
      // renamed, or gone
    }
    throw err;
  }
}

/**
 * Recreates one enablement link exactly as recorded, inside the .wants/.requires folder it was
 * removed from: the unit folder is opened from / without following links; only the .wants folder
 * itself may be made again (systemctl removes an empty one); the link is read back after.
 */
function relinkAt(l: UnitLink): { ok: boolean; detail: string } {
  const wants = path.posix.dirname(l.hostLink);
  const unitDir = path.posix.dirname(wants);
  const wantsName = Buffer.from(path.posix.basename(wants));
  const name = Buffer.from(path.posix.basename(l.hostLink));
  let unitfd: number | null = null;
  let dirfd: number | null = null;
  try {
    unitfd = openDirNoFollow(unitDir);
    const ust = fstatBig(unitfd);
    try {
      dirfd = openPathAt(unitfd, wantsName, true);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
      mkdirAt(unitfd, wantsName, 0o755);
      dirfd = openPathAt(unitfd, wantsName, true);
    }
    const dst = fstatBig(dirfd);
    // A folder someone else may write in could have the name swapped under us: refused.
    if (dst.uid !== ust.uid || (Number(dst.mode) & 0o022) !== 0) return { ok: false, detail: `${wants} belongs to another user or is writable by others: left alone` };
    const there = lstatOrNull(atPath(dirfd, name));
    if (there) {
      const same = there.isSymbolicLink() && readlinkSync(atPath(dirfd, name), 'utf8') === l.target;
      return { ok: same, detail: same ? 'already there' : 'something else is there now: left alone' };
    }
    symlinkSync(l.target, atPath(dirfd, name));
    const made = lstatOrNull(atPath(dirfd, name));
    if (!made?.isSymbolicLink() || readlinkSync(atPath(dirfd, name), 'utf8') !== l.target) return { ok: false, detail: 'the link read back is not the one recorded' };
    return { ok: true, detail: `link to ${l.target} recreated` };
  } catch (err) {
    return { ok: false, detail: explainOpen(err) };
  } finally {
    closeQuietly(dirfd);
    closeQuietly(unitfd);
  }
}

function lstatOrNull(p: Buffer): ReturnType<typeof lstatSync> | null {
  try {
    return lstatSync(p);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw err;
  }
}

/** Undoes a disable as planned: the line back, the mode back, or the links recreated (and the units started again when systemctl stopped them). */
export async function undoDisable(ctx: ActionContext, plan: ActionPlan<UndoDisableData>): Promise<ActionResult> {
  if (plan.refused) return refuseApply(ctx, plan, plan.refused);
  const { record: r, content, current } = plan.data;
  try {
    checkDisableRecord(r);
  } catch (err) {
    return refuseApply(ctx, plan, (err as Error).message);
  }
  const applied: ActionResult['applied'] = [];
  let dirfd: number | null = null;
  try {
    if (r.method === 'comment-line' || r.method === 'chmod-x') {
      const parent = openParentOf(r.hostPath);
      dirfd = parent.dirfd;
      const now = readStateAt(dirfd, parent.name);
      if (!current || now.state.sha256 !== current.sha256 || now.state.ino !== current.ino || now.state.dev !== current.dev) return refuseApply(ctx, plan, `${r.path} changed since the undo was planned: left alone`);
      if (r.method === 'comment-line') {
        replaceAt(dirfd, parent.name, content!, now.state, r.before);
        applied.push({ target: `${r.path}:${r.line}`, ok: true, detail: `${JSON.stringify(r.lineAfter)} → ${JSON.stringify(r.lineBefore)}` });
      } else {
        const fd = openPathAt(dirfd, parent.name);
        try {
          const st = fstatBig(fd);
          if (!st.isFile() || String(st.ino) !== r.before.ino || String(st.dev) !== r.before.dev) return refuseApply(ctx, plan, `${r.path} was replaced since the undo was planned`);
          const mode = r.modeBefore! & ((Number(st.mode) & 0o7777) | 0o111);
          chmodFd(fd, mode);
          applied.push({ target: r.path, ok: true, detail: `chmod → ${octal(mode)}` });
        } finally {
          closeSync(fd);
        }
      }
    } else {
      for (const u of r.units) {
        for (const l of u.links.filter((x) => u.removed.includes(x.link))) applied.push({ target: l.link, ...relinkAt(l) });
      }
      if (r.systemctl) {
        const reload = await runSystemctl(ctx, ['daemon-reload']);
        applied.push({ target: 'daemon-reload', ok: reload.ok, detail: reload.ok ? 'done' : reload.text.slice(0, 300) });
        const start = r.units.filter((u) => u.wasActive).map((u) => u.name);
        if (start.length) {
          const s = await runSystemctl(ctx, ['start', '--', ...start]);
          applied.push({ target: start.join(' '), ok: s.ok, detail: s.ok ? 'started again' : s.text.slice(0, 300) });
        }
      }
    }
  } catch (err) {
    const code = errnoCode(err);
    applied.push({ target: r.path, ok: false, detail: code === 'ECHANGED' ? (err as Error).message : code === 'ENOTDIR' || code === 'ELOOP' ? explainOpen(err) : explain(err) });
  } finally {
    closeQuietly(dirfd);
  }
  const ok = applied.length > 0 && applied.every((a) => a.ok);
  ctx.custody('action-undone', { action: 'disable', record: r.record, path: r.path, method: r.method, line: r.line, ok, applied: applied.slice(0, 50) });
  return { ok, message: ok ? `undone: ${plan.summary}` : `undo of ${r.summary} not fully done`, undoRecord: r.record, applied };
}
