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
import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';
import type { KnownFacts } from '../model/facts.js';
import type { PersistenceFile } from '../model/persistence.js';
import { nextRecordPath, recordHead, octal, refusedPlan, refuseApply, shellQuote, writeRecord } from './common.js';
import { defineAction, type ActionContext, type ActionPlan, type ActionResult, type PlannedChange } from './types.js';
import { type DisableMethod, type FileState, type UnitLink, type UnitToDisable, type DisableRecord, isUnitName, lineRange, withPrefix, sha, explain, runSystemctl } from './disable-record.js';
import { disableTargets, parseTarget } from './disable-targets.js';
import { disableUndo } from './restore-disable.js';
import { errnoCode } from '../host/errors.js';

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

function collected(facts: KnownFacts, inside: string): PersistenceFile | null {
  return (facts.persistenceFiles ?? []).find((f) => f.path === inside) ?? null;
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

/** Is this a live box run by systemd (so systemctl can stop what it disables)? */
function systemdRunning(ctx: ActionContext): Promise<boolean> {
  if (ctx.host.mode !== 'live' || !ctx.host.fs.isHostRoot) return Promise.resolve(false);
  return fsp.stat('/run/systemd/system').then((s) => s.isDirectory(), () => false);
}

async function readLinkInside(ctx: ActionContext, inside: string): Promise<{ host: string; target: string } | null> {
  try {
    const parent = await ctx.host.fs.realFolder(path.posix.dirname(inside));
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
    hostPath = await ctx.host.fs.realFolder(t.path);
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
    await fh.chown(st.uid, st.gid).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPERM') throw err;
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

/**
 * Applies a disable plan: re-reads the file (refused if it changed since the plan), copies it into
 * the case, makes the one change, and writes the undo record.
 */
export async function applyDisable(ctx: ActionContext, plan: ActionPlan<DisableData>): Promise<ActionResult> {
  if (plan.refused) return refuseApply(ctx, plan, plan.refused);
  const d = plan.data;
  let now: { data: Buffer; state: FileState };
  try {
    if ((await ctx.host.fs.realFolder(d.path)) !== d.hostPath) return refuseApply(ctx, plan, `${d.path} now resolves elsewhere than at the plan`);
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
    ...recordHead(ctx, 'disable', rel, plan.summary),
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

export const disableAction = defineAction({
  id: 'disable',
  title: 'Neutralise a persistence entry',
  description: 'Copy the file, then comment out a cron, start-up or authorized_keys line, chmod a-x a cron script or at job, or disable a systemd unit; undone by restore.',
  nothingFound: 'Nothing to disable: no cron line, unit, start-up line or authorized key was found.',
  targets: disableTargets,
  plan: planDisable,
  apply: applyDisable,
  undo: disableUndo,
});
