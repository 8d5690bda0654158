import { commandOk, type CommandResult } from '../../host/exec.js';
import type { IntegrityRecord } from '../../model/integrity.js';
import { sourceError, sourceOk, sourceSkipped, type SourceStatus } from '../../model/source.js';
import type { CollectContext } from '../types.js';
import { markSetuid, markShadows, type CheckOutcome } from './check-dpkg.js';
import type { Candidate } from './discover.js';
import type { Canonicalizer } from './files.js';
import { blankRecord, inspectInto } from './inspect.js';
import { contentChanged, parseRpmVerify, type VerifyLine } from './parse-verify.js';
import path from 'node:path';
import type { RootedFs } from '../../host/rooted-fs.js';
import type { RpmFile, RpmPackage } from './rpm-header.js';
import { RPMFILE_CONFIG, RPMFILE_GHOST } from './rpm-header.js';
import { isCodePath, type IntegrityTargets } from './targets.js';


/**
 * `rpm -qf --queryformat '[%{=NAME}\t%{FILENAMES}\n]' FILE…`: every file of every package that
 * owns one of the files, as `NAME<TAB>PATH`; unowned files print `file X is not owned by any package`.
 */
export function parseRpmFileList(text: string): Array<{ package: string; path: string }> {
  const out: Array<{ package: string; path: string }> = [];
  for (const line of text.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab <= 0) continue;
    const file = line.slice(tab + 1);
    if (file.startsWith('/')) out.push({ package: line.slice(0, tab), path: file });
  }
  return out;
}

async function run(ctx: CollectContext, name: string, argv: string[], sources: SourceStatus[]): Promise<CommandResult | null> {
  const result = await ctx.host.exec({ name, argv, timeoutMs: ctx.options.commandTimeoutMs, maxBytes: ctx.options.maxCommandBytes, okExitCodes: [1] }, ctx.host.signal);
  if (result.notInstalled) {
    sources.push(sourceSkipped(`integrity.${name}`, 'rpm is not installed'));
    return null;
  }
  await ctx.sink.writeCommand(result);
  // rpm exits 1 when a file is not owned or a package fails verification: still an answer.
  if (!commandOk(result, [1])) {
    sources.push(sourceError(`integrity.${name}`, result.error ?? `exit ${String(result.exitCode ?? result.signal)}: ${result.stderr.trim().split('\n')[0] ?? ''}`, `commands/${name}.txt`));
    return null;
  }
  sources.push(sourceOk(`integrity.${name}`, `commands/${name}.txt`, result.truncated ? 'output cut at the cap' : undefined));
  return result;
}

/**
 * On an RPM box, live: the owning packages' file lists and `rpm -V` come from the box's rpm
 * (its database is not plain files), the hashes from our own reads.
 */
export async function checkRpm(
  ctx: CollectContext,
  canon: Canonicalizer,
  targets: IntegrityTargets,
  candidates: Candidate[],
  users: Map<number, string>,
  sources: SourceStatus[],
): Promise<CheckOutcome> {
  const fs = ctx.host.fs;
  const reals = [...new Set(candidates.map((c) => c.real))];
  const records = new Map<string, IntegrityRecord>();
  const owned = new Map<string, string>();
  const files: Array<{ package: string; path: string; key: string }> = [];
  const qf = reals.length ? await run(ctx, 'rpm-qf', ['rpm', '-qf', '--queryformat', '[%{=NAME}\\t%{FILENAMES}\\n]', ...reals], sources) : null;
  for (const f of parseRpmFileList(qf?.stdout.toString('utf8') ?? '')) {
    const key = await canon.entry(f.path);
    if (owned.has(key)) continue;
    owned.set(key, f.package);
    files.push({ ...f, key });
  }
  const packages = [...new Set(files.map((f) => f.package))].sort();
  const verify = new Map<string, VerifyLine>();
  const v = packages.length ? await run(ctx, 'rpm-V', ['rpm', '-V', ...packages], sources) : null;
  for (const line of parseRpmVerify(v?.stdout.toString('utf8') ?? '').lines) verify.set(await canon.entry(line.path), line);

  const inScope = new Set(candidates.flatMap((c) => [c.entry, c.real]));
  for (const f of files) {
    if (!isCodePath(f.path) || (!targets.wholePackages && !inScope.has(f.key))) continue;
    const rec = blankRecord(f.path);
    rec.package = f.package;
    rec.packageState = 'installed';
    const ins = await inspectInto(fs, f.key, rec, users);
    // A folder or link of the package: rpm -V checks them itself.
    if ((ins.kind === 'dir' || (ins.kind === 'link' && !ins.hashed)) && !verify.has(f.key)) continue;
    const line = verify.get(f.key);
    rec.secondView = v ? { tool: 'rpm -V', flags: line?.flags ?? null, agrees: true } : null;
    if (line?.attr === 'c') {
      rec.status = 'ok';
      rec.reason = 'a configuration file: changes are the admin\'s';
    } else if (line?.missing || ins.kind === 'missing') {
      rec.status = 'missing';
      rec.reason = `the file ${f.package} installed is gone`;
    } else if (ins.error) {
      rec.status = 'unreadable';
      rec.reason = ins.error;
    } else if (line && contentChanged(line)) {
      rec.status = 'modified';
      rec.reason = `rpm -V reports ${line.flags} for it: its content is not what ${f.package} installed`;
    } else if (v) {
      rec.status = 'ok';
    } else {
      rec.reason = 'rpm -V did not run';
    }
    records.set(f.key, rec);
  }

  await recordCandidates(fs, candidates, records, owned, users, qf ? { status: 'not-packaged', reason: 'no package owns this file' } : { status: 'unverified', reason: 'rpm -qf did not run' });
  if (qf) markShadows(candidates, records, (p) => owned.has(p));
  markSetuid(records, new Set());
  return { records, packages, problems: [], excluded: 0 };
}

/**
 * The tools' files with no record yet: a record already made (by package) gains the tool's name;
 * a file no package owns is inspected and recorded with `unowned`'s status and reason (or as
 * unreadable).
 */
async function recordCandidates(
  fs: RootedFs,
  candidates: Candidate[],
  records: Map<string, IntegrityRecord>,
  owned: { has(path: string): boolean },
  users: Map<number, string>,
  unowned: { status: IntegrityRecord['status']; reason: string },
): Promise<void> {
  for (const c of candidates) {
    const rec = records.get(c.entry) ?? records.get(c.real);
    if (rec) {
      if (!rec.tools.includes(c.tool)) rec.tools.push(c.tool);
      continue;
    }
    if (owned.has(c.entry) || owned.has(c.real)) continue;
    const fresh = blankRecord(c.entry);
    fresh.tools = [c.tool];
    const ins = await inspectInto(fs, c.entry, fresh, users);
    fresh.status = ins.error ? 'unreadable' : unowned.status;
    fresh.reason = ins.error ?? unowned.reason;
    records.set(c.real, fresh);
  }
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;

/** One packaged file against what is on disk, by the digest the database holds. */
async function checkRpmFile(fs: RootedFs, key: string, rec: IntegrityRecord, pkg: RpmPackage, f: RpmFile, users: Map<number, string>): Promise<'keep' | 'skip'> {
  const ins = await inspectInto(fs, key, rec, users);
  const regular = f.mode === null || (f.mode & S_IFMT) === S_IFREG;
  if (!regular) {
    // A folder or link of the package: only a regular file standing in its place is news.
    if (ins.kind !== 'file') return 'skip';
    rec.status = 'modified';
    rec.reason = `a regular file stands where ${pkg.name} ships a ${(f.mode! & S_IFMT) === 0o120000 ? 'link' : 'folder or special file'}`;
    return 'keep';
  }
  if (ins.kind === 'missing') {
    rec.status = 'missing';
    rec.reason = `the file ${pkg.name} installed is gone`;
  } else if (ins.error) {
    rec.status = 'unreadable';
    rec.reason = ins.error;
  } else if (ins.kind === 'dir' || ins.kind === 'other') {
    rec.status = 'modified';
    rec.reason = `a ${ins.kind === 'dir' ? 'folder' : 'special file'} stands where ${pkg.name} installed a file`;
  } else if (!ins.hashed) {
    rec.status = 'modified';
    rec.reason = `a link to ${ins.real}, which leads nowhere, stands where ${pkg.name} installed a file`;
  } else {
    const ours = pkg.digestAlgo === 'sha256' ? rec.sha256 : pkg.digestAlgo === 'md5' ? rec.md5 : null;
    if (pkg.digestAlgo === 'md5') rec.expectedMd5 = f.digest;
    if (pkg.digestAlgo === 'sha256') rec.expectedSha256 = f.digest;
    if (!f.digest) {
      rec.reason = `${pkg.name} records no digest for it`;
    } else if (ours === null) {
      rec.reason = `${pkg.name} records ${pkg.digestAlgo} digests, which are not computed here`;
    } else if (ours === f.digest.toLowerCase()) {
      rec.status = 'ok';
      if (ins.kind === 'link') rec.reason = `a link to ${ins.real} stands where ${pkg.name} installed a file, with the same content`;
    } else {
      rec.status = 'modified';
      rec.reason = `${ins.kind === 'link' ? `a link to ${ins.real} stands where ${pkg.name} installed a file, and its` : 'its'} content is not what ${pkg.name} ${pkg.evr} installed (${pkg.digestAlgo} differs)`;
    }
  }
  return 'keep';
}

/**
 * Checks the listed tools, and every binary and library of the packages that own them, against
 * rpm's database read as a file (rpmdb.sqlite): owners, file digests and the modes packages ship,
 * so a setuid bit a package ships is explained and one it does not ship is not.
 */
export async function checkRpmDb(fs: RootedFs, canon: Canonicalizer, targets: IntegrityTargets, candidates: Candidate[], users: Map<number, string>, db: RpmPackage[]): Promise<CheckOutcome> {
  const names = new Set(candidates.flatMap((c) => [path.posix.basename(c.entry), path.posix.basename(c.real)]));
  const inScope = new Set(candidates.flatMap((c) => [c.entry, c.real]));
  const owned = new Map<string, RpmPackage>();
  const owning = new Set<RpmPackage>();
  for (const pkg of db) {
    for (const f of pkg.files) {
      if (!names.has(path.posix.basename(f.path)) || f.flags & RPMFILE_GHOST) continue;
      const key = await canon.entry(f.path);
      if (!inScope.has(key)) continue;
      if (!owned.has(key)) owned.set(key, pkg);
      owning.add(pkg);
    }
  }
  const records = new Map<string, IntegrityRecord>();
  const setuidShipped = new Set<string>();
  const packages = [...owning].sort((a, b) => a.name.localeCompare(b.name));
  for (const pkg of packages) {
    for (const f of pkg.files) {
      // A configuration file is the admin's to edit; a ghost was never shipped.
      if (!isCodePath(f.path) || f.flags & (RPMFILE_CONFIG | RPMFILE_GHOST)) continue;
      const key = await canon.entry(f.path);
      if (f.mode !== null && f.mode & 0o6000) setuidShipped.add(f.path).add(key);
      if (records.has(key) || (!targets.wholePackages && !inScope.has(key))) continue;
      const rec = blankRecord(f.path);
      rec.package = pkg.name;
      rec.packageVersion = pkg.evr;
      rec.packageState = 'installed';
      rec.packageDb = 'rpm';
      if ((await checkRpmFile(fs, key, rec, pkg, f, users)) === 'keep') records.set(key, rec);
    }
  }
  await recordCandidates(fs, candidates, records, owned, users, { status: 'not-packaged', reason: 'no package owns this file' });
  markShadows(candidates, records, (p) => owned.has(p));
  markSetuid(records, setuidShipped);
  return { records, packages: packages.map((p) => p.name), problems: [], excluded: 0 };
}

/**
 * The box's own `rpm -V` on the same packages, live: a second view. Where it disagrees with the
 * database read as a file, the box's rpm (or something under it) lies too.
 */
export async function rpmSecondView(ctx: CollectContext, outcome: CheckOutcome, canon: Canonicalizer, sources: SourceStatus[]): Promise<void> {
  if (ctx.host.mode !== 'live') {
    sources.push(sourceSkipped('integrity.rpm-V', "offline: the examiner's rpm would verify this machine's packages, not the image's"));
    return;
  }
  if (outcome.packages.length === 0) return;
  const v = await run(ctx, 'rpm-V', ['rpm', '-V', ...outcome.packages], sources);
  if (!v) return;
  const byPath = new Map<string, VerifyLine>();
  for (const line of parseRpmVerify(v.stdout.toString('utf8')).lines) byPath.set(await canon.entry(line.path), line);
  for (const [key, rec] of outcome.records) {
    if (rec.package === null || rec.status === 'unreadable' || rec.status === 'unverified') continue;
    const line = byPath.get(key);
    const ours = rec.status === 'missing' ? 'missing' : rec.status === 'modified' ? 'digest' : 'none';
    const theirs = !line ? 'none' : line.missing ? 'missing' : contentChanged(line) ? 'digest' : 'none';
    // A regular file where the package ships a link: rpm -V names the type, not the digest.
    rec.secondView = { tool: 'rpm -V', flags: line?.flags ?? null, agrees: ours === theirs || (ours === 'digest' && line !== undefined) };
  }
}
