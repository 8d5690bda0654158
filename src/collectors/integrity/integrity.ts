import { commandOk } from '../../host/exec.js';
import { describeFsError } from '../../host/rooted-fs.js';
import { errorLine } from '../../host/errors.js';
import type { IntegrityRecord } from '../../model/integrity.js';
import { sourceError, sourceOk, sourceSkipped, type SourceStatus } from '../../model/source.js';
import { defineCollector, type CollectContext } from '../types.js';
import { checkDpkg, type CheckOutcome } from './check-dpkg.js';
import { checkRpm, checkRpmDb, rpmSecondView } from './check-rpm.js';
import { readRpmDb, RPM_DIRS, type RpmDb } from './rpm-db.js';
import { discoverTargets, type Candidate } from './discover.js';
import { DPKG_DIR } from './dpkg-db.js';
import { Canonicalizer, sha256sumLine } from './files.js';
import { blankRecord, inspectInto } from './inspect.js';
import { contentChanged, parseDpkgVerify, type VerifyLine } from './parse-verify.js';
import { DEFAULT_TARGETS, type IntegrityTargets } from './targets.js';
import { userNames } from '../../model/passwd.js';

export const INTEGRITY_JSONL = 'artifacts/integrity.jsonl';
export const INTEGRITY_HASHES = 'artifacts/integrity-hashes.txt';
const PRESERVE_DIR = 'files/integrity';
/** Enough for any kit; a botched upgrade that changed thousands of files is not copied whole. */
const MAX_PRESERVED = 64;

/** A file the rule will report: worth a copy in the bundle and its times on the timeline. */
export function isFlagged(rec: IntegrityRecord): boolean {
  return (
    rec.status === 'modified' ||
    (rec.status === 'not-packaged' && rec.shadows !== null) ||
    rec.unexpectedSetuid ||
    rec.runningMismatchPids.length > 0
  );
}

/** files/integrity/<path inside the root>, with no component that could climb out of the case. */
export function preservedPath(real: string): string {
  const parts = real.split('/').filter((p) => p !== '' && p !== '.' && p !== '..');
  return [PRESERVE_DIR, ...parts.map((p) => p.replace(/[\x00-\x1f\x7f]/g, '_'))].join('/');
}

async function firstExisting(ctx: CollectContext, dirs: string[]): Promise<string | null> {
  for (const d of dirs) if (await ctx.host.fs.exists(d)) return d;
  return null;
}

/** Without a package database the files can still be hashed: the offline list is worth having. */
async function hashOnly(ctx: CollectContext, candidates: Candidate[], users: Map<number, string>, why: string): Promise<CheckOutcome> {
  const records = new Map<string, IntegrityRecord>();
  for (const c of candidates) {
    const seen = records.get(c.real);
    if (seen) {
      if (!seen.tools.includes(c.tool)) seen.tools.push(c.tool);
      continue;
    }
    const rec = blankRecord(c.entry);
    rec.tools = [c.tool];
    const ins = await inspectInto(ctx.host.fs, c.entry, rec, users);
    rec.status = ins.error ? 'unreadable' : 'unverified';
    rec.reason = ins.error ?? why;
    records.set(c.real, rec);
  }
  return { records, packages: [], problems: [], excluded: 0 };
}

/**
 * The box's own `dpkg --verify` on the same packages: a second view. Where it disagrees with
 * the database read as files, the box's dpkg (or something under it) lies too.
 */
async function dpkgSecondView(ctx: CollectContext, outcome: CheckOutcome, canon: Canonicalizer, sources: SourceStatus[]): Promise<void> {
  const id = 'integrity.dpkg-verify';
  if (ctx.host.mode !== 'live') {
    sources.push(sourceSkipped(id, "offline: the examiner's dpkg would verify this machine's packages, not the image's"));
    return;
  }
  if (outcome.packages.length === 0) {
    sources.push(sourceSkipped(id, 'no package to verify'));
    return;
  }
  const result = await ctx.host.exec(
    { name: 'dpkg-verify', argv: ['dpkg', '--verify', ...outcome.packages], timeoutMs: ctx.options.commandTimeoutMs, maxBytes: ctx.options.maxCommandBytes, okExitCodes: [1] },
    ctx.host.signal,
  );
  if (result.notInstalled) {
    sources.push(sourceSkipped(id, 'dpkg is not installed'));
    return;
  }
  await ctx.sink.writeCommand(result);
  const where = 'commands/dpkg-verify.txt';
  // dpkg exits 1 when a package failed verification: that is still an answer.
  if (!commandOk(result, [1])) {
    sources.push(sourceError(id, result.error ?? `exit ${String(result.exitCode ?? result.signal)}: ${result.stderr.trim().split('\n')[0] ?? ''}`, where));
    return;
  }
  const parsed = parseDpkgVerify(result.stdout.toString('utf8'));
  const byPath = new Map<string, VerifyLine>();
  for (const line of parsed.lines) byPath.set(await canon.entry(line.path), line);
  let disagreements = 0;
  for (const [key, rec] of outcome.records) {
    // dpkg checks only what md5sums lists.
    if (rec.package === null || rec.expectedMd5 === null) continue;
    const line = byPath.get(key);
    const ours = rec.status === 'missing' ? 'missing' : rec.md5 !== null && rec.md5 !== rec.expectedMd5 ? 'digest' : 'none';
    const theirs = !line ? 'none' : line.missing ? 'missing' : contentChanged(line) ? 'digest' : 'none';
    // A diverted or unreadable file: dpkg looks elsewhere or cannot look either.
    const agrees = rec.status === 'diverted' || rec.status === 'unreadable' || ours === theirs;
    if (!agrees) disagreements++;
    rec.secondView = { tool: 'dpkg --verify', flags: line?.flags ?? null, agrees };
  }
  const notes = [`${parsed.lines.length} line(s)`, `${disagreements} disagreement(s) with the database read as files`];
  if (parsed.other.length) notes.push(`${parsed.other.length} other line(s)`);
  if (result.truncated) notes.push('output cut at the cap');
  sources.push(sourceOk(id, where, notes.join(', ')));
}

function mountNamespace(ctx: CollectContext, pid: number): string | null {
  try {
    return ctx.host.proc!.readlinkSync(`${pid}/ns/mnt`);
  } catch {
    return null;
  }
}

/**
 * Running processes (live, in our root and mount namespace) whose executable is a checked file:
 * its hash comes for free from the processes step.
 */
function markRunning(ctx: CollectContext, records: IntegrityRecord[]): void {
  if (ctx.host.mode !== 'live' || !ctx.host.fs.isHostRoot || !ctx.host.proc) return;
  const byReal = new Map(records.filter((r) => r.realPath).map((r) => [r.realPath!, r]));
  const ours = mountNamespace(ctx, ctx.host.selfPid);
  for (const p of ctx.facts.processes ?? []) {
    // Another root or mount namespace (a container) names its own files; a deleted exe is an
    // upgrade's old binary, which the processes rules judge.
    if (!p.exe || p.exeDeleted || p.root !== '/' || p.kernelThread) continue;
    const rec = byReal.get(p.exe);
    if (!rec) continue;
    const ns = mountNamespace(ctx, p.pid);
    if (ours === null || ns !== ours) continue;
    rec.runningPids.push(p.pid);
    if (p.exeSha256 && rec.sha256 && p.exeSha256 !== rec.sha256) rec.runningMismatchPids.push(p.pid);
  }
}

async function preserve(ctx: CollectContext, records: IntegrityRecord[], sources: SourceStatus[]): Promise<void> {
  const wanted = records.filter((r) => isFlagged(r) && r.realPath && r.sha256);
  const failed: string[] = [];
  let copied = 0;
  for (const rec of wanted.slice(0, MAX_PRESERVED)) {
    const rel = preservedPath(rec.realPath!);
    try {
      if (!ctx.sink.has(rel)) {
        const handle = await ctx.host.fs.open(rec.realPath!);
        try {
          await ctx.sink.copyIn(rel, handle.createReadStream({ autoClose: false }), ctx.options.maxFileBytes);
        } finally {
          await handle.close();
        }
      }
      rec.preserved = rel;
      copied++;
    } catch (err) {
      failed.push(describeFsError(err, rec.realPath!));
    }
  }
  if (wanted.length === 0) return;
  const skipped = wanted.length - Math.min(wanted.length, MAX_PRESERVED);
  const detail = `${copied} flagged file(s) copied${skipped ? `, ${skipped} more not copied (cap ${MAX_PRESERVED})` : ''}`;
  sources.push(failed.length ? sourceError('integrity.preserve', `${failed.length} flagged file(s) not copied: ${failed[0]}`, PRESERVE_DIR) : sourceOk('integrity.preserve', PRESERVE_DIR, detail));
}

function summary(records: IntegrityRecord[], outcome: CheckOutcome): string {
  const counts = new Map<string, number>();
  for (const r of records) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  const parts = [...counts].sort((a, b) => b[1] - a[1]).map(([s, n]) => `${n} ${s}`);
  const extra: string[] = [];
  const shadows = records.filter((r) => r.shadows).length;
  if (shadows) extra.push(`${shadows} shadowing a packaged tool`);
  const setuid = records.filter((r) => r.unexpectedSetuid).length;
  if (setuid) extra.push(`${setuid} with an unexpected setuid/setgid bit`);
  if (outcome.excluded) extra.push(`${outcome.excluded} never unpacked (dpkg path-exclude)`);
  return `${records.length} files of ${outcome.packages.length} package(s): ${parts.join(', ') || 'none'}${extra.length ? `; ${extra.join(', ')}` : ''}`;
}

/**
 * The integrity collector. `targets` says which tools to look for; tests and playbooks with
 * other needs build their own with createIntegrityCollector.
 */
export function createIntegrityCollector(targets: IntegrityTargets = DEFAULT_TARGETS) {
  return defineCollector({
    id: 'integrity',
    title: "Integrity of the box's own tools",
    description:
      "sshd, ps, ss, netstat, lsof, who, last, su, sudo, libkeyutils and every binary of their packages, hashed and checked against the package database read as files (dpkg's md5sums, rpm's rpmdb.sqlite), with dpkg --verify or rpm -V as a second view live.",
    liveOnly: false,
    needsRoot: false,
    artifacts: [INTEGRITY_JSONL, INTEGRITY_HASHES, 'commands/dpkg-verify.txt', 'commands/dpkg-verify.json', 'commands/rpm-V.txt', 'commands/rpm-V.json', `${PRESERVE_DIR}/`],
    provides: ['integrity'],
    reads: ['processes'],
    // Files read and hashed one by one and the box's dpkg --verify or rpm -V: beside the steps.
    background: true,
    async collect(ctx) {
      const sources: SourceStatus[] = [];
      const fs = ctx.host.fs;
      let users = new Map<number, string>();
      try {
        users = userNames((await fs.readTextIfExists('/etc/passwd')) ?? '');
      } catch (err) {
        sources.push(sourceError('integrity.passwd', describeFsError(err, '/etc/passwd'), '/etc/passwd'));
      }
      const canon = new Canonicalizer(fs);
      const candidates = await discoverTargets(fs, canon, targets);

      let outcome: CheckOutcome | null = null;
      if (await fs.exists(`${DPKG_DIR}/status`)) {
        try {
          outcome = await checkDpkg(fs, canon, targets, candidates, users);
          if (outcome.problems.length) sources.push(sourceError('integrity.dpkg', `${outcome.problems.length} problem(s) reading the database: ${outcome.problems[0]}`, DPKG_DIR));
        } catch (err) {
          sources.push(sourceError('integrity.dpkg', describeFsError(err, `${DPKG_DIR}/status`), DPKG_DIR));
        }
        if (outcome) await dpkgSecondView(ctx, outcome, canon, sources);
      } else {
        const rpmDir = await firstExisting(ctx, RPM_DIRS);
        let db: RpmDb | null = null;
        if (rpmDir) {
          try {
            db = await readRpmDb(fs);
            if (db?.skipped) sources.push(sourceSkipped('integrity.rpm', db.skipped, db.file));
            if (db?.problems.length) sources.push(sourceError('integrity.rpm', `${db.problems.length} problem(s) reading the database: ${db.problems[0]}`, db.file));
          } catch (err) {
            sources.push(sourceError('integrity.rpm', errorLine(err), rpmDir));
          }
        }
        if (db?.packages) {
          outcome = await checkRpmDb(fs, canon, targets, candidates, users, db.packages);
          await rpmSecondView(ctx, outcome, canon, sources);
        } else if (rpmDir && ctx.host.mode === 'live') {
          outcome = await checkRpm(ctx, canon, targets, candidates, users, sources);
        } else if (rpmDir) {
          if (!db) sources.push(sourceSkipped('integrity.rpm', 'no rpmdb.sqlite, Packages or Packages.db in the folder', rpmDir));
          outcome = await hashOnly(ctx, candidates, users, "RPM database not read: see the integrity.rpm source");
        } else {
          sources.push(sourceSkipped('integrity.package-db', `no package database (neither ${DPKG_DIR}/status nor ${RPM_DIRS.join(' nor ')}): files hashed, not verified`));
        }
      }
      outcome ??= await hashOnly(ctx, candidates, users, 'no package database to compare with');

      const records = [...outcome.records.values()].sort((a, b) => a.path.localeCompare(b.path));
      markRunning(ctx, records);
      await preserve(ctx, records, sources);

      await ctx.sink.writeJsonl(INTEGRITY_JSONL, records);
      const hashLines = new Map<string, string>();
      for (const r of records) if (r.sha256 && r.realPath && !hashLines.has(r.realPath)) hashLines.set(r.realPath, sha256sumLine(r.sha256, r.realPath));
      await ctx.sink.writeFile(INTEGRITY_HASHES, [...hashLines.keys()].sort().map((k) => `${hashLines.get(k)}\n`).join(''));
      ctx.sink.timeline(
        records.filter(isFlagged).flatMap((r) => [
          ...(r.mtime ? [{ datetime: r.mtime, message: `${r.status} file ${r.realPath ?? r.path}${r.package ? ` (${r.package})` : ''}: content last written`, timestamp_desc: 'File modified (mtime)', source: 'integrity', path: r.realPath ?? r.path }] : []),
          ...(r.ctime ? [{ datetime: r.ctime, message: `${r.status} file ${r.realPath ?? r.path}${r.package ? ` (${r.package})` : ''}: inode last changed`, timestamp_desc: 'File changed (ctime)', source: 'integrity', path: r.realPath ?? r.path }] : []),
        ]),
      );
      const unreadable = records.filter((r) => r.status === 'unreadable');
      sources.push(
        unreadable.length
          ? sourceError('integrity.hashes', `${unreadable.length} file(s) could not be hashed: ${unreadable[0].reason ?? unreadable[0].path}`, INTEGRITY_HASHES)
          : sourceOk('integrity.hashes', INTEGRITY_HASHES, `${hashLines.size} files hashed`),
      );
      sources.push(sourceOk('integrity', INTEGRITY_JSONL, summary(records, outcome)));
      return { facts: { integrity: records }, sources };
    },
  });
}

export const integrityCollector = createIntegrityCollector();

