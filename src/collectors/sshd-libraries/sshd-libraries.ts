import path from 'node:path';
import type { SshdLibraryRecord } from '../../model/kernel.js';
import type { ProcessRecord } from '../../model/processes.js';
import { packagedSshdPath } from '../../model/sshd-exes.js';
import { sourceError, sourceOk, sourceSkipped, type SourceStatus } from '../../model/source.js';
import { findOwners } from '../integrity/dpkg-db.js';
import { Canonicalizer } from '../integrity/files.js';
import { defineCollector } from '../types.js';

const DELETED = ' (deleted)';
const SSHD_NAMES = new Set(['sshd', 'sshd-session', 'sshd-auth']);

/** An sshd by its executable or its name: a fake one is process.masquerade's, its libraries are still ours to list. */
export function isSshd(p: ProcessRecord): boolean {
  return (p.exe !== null && packagedSshdPath(p.exe) !== null) || SSHD_NAMES.has(p.comm);
}

/** Shared objects (and any deleted file) mapped into the process: what an injected library looks like. */
export function librariesOf(p: ProcessRecord): Array<{ library: string; deleted: boolean }> {
  const out: Array<{ library: string; deleted: boolean }> = [];
  for (const m of p.mappedFiles) {
    const deleted = m.endsWith(DELETED);
    const library = deleted ? m.slice(0, -DELETED.length) : m;
    if (!library.startsWith('/')) continue;
    if (deleted || /\.so(\.[\d.]+)?$/.test(path.posix.basename(library)) || library.includes('.so.')) out.push({ library, deleted });
  }
  return out;
}

export const sshdLibrariesCollector = defineCollector({
  id: 'sshd-libraries',
  title: 'Libraries inside sshd',
  description: "Every shared object mapped into each sshd process (/proc/PID/maps), checked against dpkg's file lists (read as files): libraries no package owns, and deleted ones.",
  liveOnly: true,
  needsRoot: true,
  artifacts: ['artifacts/sshd-libraries.jsonl'],
  provides: ['sshdLibraries'],
  reads: ['processes'],
  async collect(ctx) {
    const processes = (ctx.facts.processes ?? []).filter(isSshd);
    if (!ctx.host.proc) return { sources: [sourceSkipped('sshd-libraries', 'no /proc to read')] };
    const sources: SourceStatus[] = [];
    const mapped = processes.flatMap((p) => librariesOf(p).map((l) => ({ p, ...l })));
    const canon = new Canonicalizer(ctx.host.fs);
    const problems: string[] = [];
    let owners = new Map<string, Array<{ package: string }>>();
    let packageDbRead = false;
    if (mapped.length > 0) {
      try {
        owners = await findOwners(ctx.host.fs, canon, new Set(mapped.map((m) => path.posix.basename(m.library))), problems);
        packageDbRead = owners.size > 0;
      } catch (err) {
        problems.push(`dpkg file lists: ${(err as Error).message}`);
      }
    }
    const sshdLibraries: SshdLibraryRecord[] = [];
    for (const m of mapped) {
      const packages = (owners.get(await canon.entry(m.library)) ?? []).map((o) => o.package);
      if (!m.deleted && (packages.length > 0 || !packageDbRead)) continue;
      sshdLibraries.push({ pid: m.p.pid, exe: m.p.exe, title: m.p.argv[0] ?? m.p.comm, library: m.library, deleted: m.deleted, packages, packageDbRead });
    }
    await ctx.sink.writeJsonl('artifacts/sshd-libraries.jsonl', sshdLibraries);
    const detail = `${processes.length} sshd process(es), ${new Set(mapped.map((m) => m.library)).size} librar(ies)${packageDbRead ? '' : mapped.length ? ', no package database: only deleted libraries judged' : ''}`;
    sources.push(problems.length > 0 ? sourceError('sshd-libraries', `${problems.slice(0, 3).join('; ')}; ${detail}`, 'artifacts/sshd-libraries.jsonl') : sourceOk('sshd-libraries', 'artifacts/sshd-libraries.jsonl', detail));
    return { facts: { sshdLibraries }, sources };
  },
});
