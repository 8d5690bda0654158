import { commandOk, type CommandResult } from '../../host/exec.js';
import type { IntegrityRecord } from '../../model/integrity.js';
import { sourceError, sourceOk, sourceSkipped, type SourceStatus } from '../../model/source.js';
import type { CollectContext } from '../types.js';
import { markSetuid, markShadows, type CheckOutcome } from './check-dpkg.js';
import type { Candidate } from './discover.js';
import type { Canonicalizer } from './files.js';
import { blankRecord, inspectInto } from './inspect.js';
import { contentChanged, parseRpmVerify, type VerifyLine } from './parse-verify.js';
import { isCodePath, type IntegrityTargets } from './targets.js';

/** rpm keeps its database in Berkeley DB, NDB or SQLite: only the box's rpm reads it, so RPM boxes are checked live only. */
export const RPM_DIRS = ['/var/lib/rpm', '/usr/lib/sysimage/rpm'];

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
    fresh.status = ins.error ? 'unreadable' : qf ? 'not-packaged' : 'unverified';
    fresh.reason = ins.error ?? (qf ? 'no package owns this file' : 'rpm -qf did not run');
    records.set(c.real, fresh);
  }
  if (qf) markShadows(candidates, records, (p) => owned.has(p));
  markSetuid(records, new Set());
  return { records, packages, problems: [], excluded: 0 };
}
