import path from 'node:path';
import type { ProcFs } from '../../host/proc.js';
import type { KernelModuleRecord, KernelModules } from '../../model/kernel.js';
import { sourceError, sourceOk, sourceSkipped, type SourceStatus } from '../../model/source.js';
import { findOwners } from '../integrity/dpkg-db.js';
import { Canonicalizer } from '../integrity/files.js';
import { defineCollector } from '../types.js';
import { decodeTaint, parseModulesDep, parseProcModules, type ProcModuleLine } from './parse-kernel.js';

const RECHECK_DELAY_MS = 300;

function readOr(fs: ProcFs, rel: string): string | null {
  try {
    return fs.readTextSync(rel, 16 * 1024 * 1024);
  } catch {
    return null;
  }
}

/** /sys/module entries: name → initstate (null for a built-in module, which has none) and taint. */
function readSysModules(sys: ProcFs): Map<string, { initstate: string | null; taint: string }> {
  const out = new Map<string, { initstate: string | null; taint: string }>();
  for (const name of sys.readdirSync('module')) {
    out.set(name, { initstate: readOr(sys, `module/${name}/initstate`)?.trim() ?? null, taint: readOr(sys, `module/${name}/taint`)?.trim() ?? '' });
  }
  return out;
}

/** Both views of the loaded modules; a module in one view only must still be so a moment later. */
async function compareViews(proc: ProcFs, sys: ProcFs | null): Promise<{ procLines: ProcModuleLine[] | null; sysMods: Map<string, { initstate: string | null; taint: string }> | null; names: Set<string> }> {
  const look = () => {
    const text = readOr(proc, 'modules');
    return { procLines: text === null ? null : parseProcModules(text), sysMods: sys ? readSysModules(sys) : null };
  };
  const first = look();
  const disagree = (v: ReturnType<typeof look>) => {
    const names = new Set<string>();
    if (!v.procLines || !v.sysMods) return names;
    const inProc = new Set(v.procLines.map((l) => l.name));
    for (const n of inProc) if (!v.sysMods.has(n)) names.add(n);
    for (const [n, s] of v.sysMods) if (s.initstate !== null && !inProc.has(n)) names.add(n);
    return names;
  };
  const odd = disagree(first);
  if (odd.size === 0) return { ...first, names: odd };
  await new Promise((r) => setTimeout(r, RECHECK_DELAY_MS));
  const second = look();
  const still = disagree(second);
  // Loaded or unloaded meanwhile: both views agree on the second look.
  return { ...second, names: new Set([...odd].filter((n) => still.has(n))) };
}

export const kernelModulesCollector = defineCollector({
  id: 'kernel-modules',
  title: 'Kernel modules and taint',
  description: "/proc/modules against /sys/module, the kernel's taint flags, each module's file from modules.dep and its package; lsmod as the box's view.",
  liveOnly: true,
  needsRoot: false,
  artifacts: ['artifacts/kernel-modules.jsonl', 'artifacts/kernel-taint.json', 'commands/lsmod.txt', 'commands/lsmod.json'],
  provides: ['kernelModules'],
  reads: [],
  async collect(ctx) {
    const proc = ctx.host.proc;
    if (!proc) return { sources: [sourceSkipped('kernel-modules', 'no /proc to read')] };
    const sources: SourceStatus[] = [];
    const release = readOr(proc, 'sys/kernel/osrelease')?.trim() ?? null;
    const { procLines, sysMods, names: disagreeing } = await compareViews(proc, ctx.host.sys);
    if (!ctx.host.sys) sources.push(sourceSkipped('kernel-modules.sys', 'no /sys to read'));
    const modules = new Map<string, KernelModuleRecord>();
    const blank = (name: string): KernelModuleRecord => ({ name, inProcModules: false, inSysModule: false, builtin: false, initstate: null, size: null, state: null, taint: '', file: null, packages: [] });
    for (const l of procLines ?? []) modules.set(l.name, { ...blank(l.name), inProcModules: true, size: l.size, state: l.state, taint: l.taint });
    for (const [name, s] of sysMods ?? []) {
      const rec = modules.get(name) ?? blank(name);
      rec.inSysModule = true;
      rec.initstate = s.initstate;
      rec.builtin = s.initstate === null && !rec.inProcModules;
      rec.taint ||= s.taint;
      // A built-in module never was loaded: it is no module record of interest unless something disagrees.
      if (rec.builtin) continue;
      modules.set(name, rec);
    }
    // Where each loadable module's file lies, and which package ships it.
    const dep = release ? await ctx.host.fs.readTextIfExists(`/lib/modules/${release}/modules.dep`).catch(() => null) : null;
    const files = parseModulesDep(dep ?? '');
    const problems: string[] = [];
    const canon = new Canonicalizer(ctx.host.fs);
    for (const rec of modules.values()) {
      const rel = files.get(rec.name.replace(/-/g, '_'));
      if (rel && release) rec.file = `/lib/modules/${release}/${rel}`;
    }
    const withFiles = [...modules.values()].filter((m) => m.file);
    if (withFiles.length > 0) {
      try {
        const owners = await findOwners(ctx.host.fs, canon, new Set(withFiles.map((m) => path.posix.basename(m.file!))), problems);
        for (const m of withFiles) m.packages = (owners.get(await canon.entry(m.file!)) ?? []).map((o) => o.package);
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
    const taintText = readOr(proc, 'sys/kernel/tainted');
    const tainted = taintText === null || !/^\d+$/.test(taintText.trim()) ? null : Number(taintText.trim());
    const kernelModules: KernelModules = {
      release,
      loadable: procLines !== null,
      modules: [...modules.values()].sort((a, b) => a.name.localeCompare(b.name)),
      tainted,
      taintFlags: tainted === null ? [] : decodeTaint(tainted),
      modulesDepRead: dep !== null,
      disagreeing: [...disagreeing].sort(),
    };
    await ctx.sink.writeJsonl('artifacts/kernel-modules.jsonl', kernelModules.modules);
    await ctx.sink.writeFile('artifacts/kernel-taint.json', JSON.stringify({ release, loadable: kernelModules.loadable, tainted, taintFlags: kernelModules.taintFlags, disagreeing: kernelModules.disagreeing }, null, 2) + '\n');
    const detail = procLines === null ? 'no /proc/modules: this kernel loads no modules' : `${procLines.length} loaded module(s), ${kernelModules.disagreeing.length} in one view only; taint ${tainted ?? 'unreadable'}`;
    sources.push(problems.length ? sourceError('kernel-modules', `${problems.slice(0, 3).join('; ')}; ${detail}`, 'artifacts/kernel-modules.jsonl') : sourceOk('kernel-modules', 'artifacts/kernel-modules.jsonl', detail));
    // The box's own view, kept beside ours.
    if (ctx.host.mode === 'live' && procLines !== null) {
      const result = await ctx.host.exec({ name: 'lsmod', argv: ['lsmod'], timeoutMs: ctx.options.commandTimeoutMs, maxBytes: ctx.options.maxCommandBytes }, ctx.host.signal);
      if (result.notInstalled) sources.push(sourceSkipped('command.lsmod', 'not installed'));
      else {
        await ctx.sink.writeCommand(result);
        sources.push(result.exitCode === 0 ? sourceOk('command.lsmod', 'commands/lsmod.txt') : sourceError('command.lsmod', result.error ?? `exit ${String(result.exitCode)}`, 'commands/lsmod.txt'));
      }
    }
    return { facts: { kernelModules }, sources };
  },
});
