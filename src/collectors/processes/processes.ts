import path from 'node:path';
import { readTextFile, shippedPath } from '../../assets.js';
import { describeFsError } from '../../host/rooted-fs.js';
import { refuseSecret } from '../../host/secrets.js';
import type { DraftFinding } from '../../model/finding.js';
import type { ProcessCrossView, ProcessRecord, ToolHit } from '../../model/processes.js';
import { sourceError, sourceOk, sourceSkipped, type SourceStatus } from '../../model/source.js';
import { defineCollector, type CollectContext, type FollowUpResult } from '../types.js';
import { hashExecutables } from './exe-hashes.js';
import { finishLsofStep, lsofStep } from './lsof-step.js';
import { parseBtime, parseLdSoPreload } from './parse-proc.js';
import { readProcess } from './read-process.js';
import { matchProcess, parseHashIocs, parseNameIocs, type HashIoc, type NameIoc } from './toollist.js';
import { userNames } from '../../model/passwd.js';
import { errorCode } from '../../host/errors.js';

/** The shipped tool lists, next to the playbooks (embedded in a single-file build: src/assets.ts). */
export const SHIPPED_TOOL_DIR = shippedPath('playbooks/tools/');
const RECHECK_DELAY_MS = 300;

async function boxPsPids(ctx: CollectContext): Promise<Set<number>> {
  // The box's own ps (ps-list): exactly the view a userland rootkit would doctor.
  const rows = await ctx.host.boxPs();
  // The ps that answered is our own child: it lists itself.
  return new Set(rows.filter((r) => r.ppid !== ctx.host.selfPid).map((r) => r.pid));
}

/** Pids that are ours: this process and everything it started (the ps it ran, for instance). */
export function selfPids(records: ProcessRecord[], self: number): number[] {
  const children = new Map<number, number[]>();
  for (const r of records) children.set(r.ppid, [...(children.get(r.ppid) ?? []), r.pid]);
  const out = [self];
  for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i]) ?? []));
  return out;
}

async function loadToolLists(ctx: CollectContext, sources: SourceStatus[]): Promise<{ names: NameIoc[]; hashes: HashIoc[] }> {
  const names: NameIoc[] = [];
  const hashes: HashIoc[] = [];
  const files = [
    ...[path.join(SHIPPED_TOOL_DIR, 'names.txt'), ...ctx.options.toolLists.names].map((f) => ({ f, kind: 'names' as const })),
    ...[path.join(SHIPPED_TOOL_DIR, 'hashes.txt'), ...ctx.options.toolLists.hashes].map((f) => ({ f, kind: 'hashes' as const })),
  ];
  for (const { f, kind } of files) {
    try {
      const text = await readTextFile(f);
      const parsed = kind === 'names' ? parseNameIocs(text, f) : parseHashIocs(text, f);
      if (kind === 'names') names.push(...(parsed.iocs as NameIoc[]));
      else hashes.push(...(parsed.iocs as HashIoc[]));
      const errs = parsed.errors.map((e) => `line ${e.line}: ${e.message}`);
      sources.push(errs.length ? sourceError(`tool-list`, `${f}: ${errs.length} bad line(s): ${errs.slice(0, 3).join('; ')}`, f) : sourceOk('tool-list', f, `${parsed.iocs.length} entries`));
    } catch (err) {
      sources.push(sourceError('tool-list', describeFsError(err, f), f));
    }
  }
  return { names, hashes };
}

function toolHits(records: ProcessRecord[], names: NameIoc[], hashes: HashIoc[]): ToolHit[] {
  const byHash = new Map(hashes.map((h) => [h.hash, h]));
  const hits: ToolHit[] = [];
  for (const p of records) {
    if (p.kernelThread && p.exe === null) continue;
    for (const h of matchProcess(names, { comm: p.comm, exe: p.exe, argv: p.argv })) {
      hits.push({ pid: p.pid, kind: 'name', pattern: h.ioc.regex.source, score: h.ioc.score, description: h.ioc.description || null, field: h.field, value: h.value, list: `${path.basename(h.ioc.file)}:${h.ioc.line}` });
    }
    const hash = p.exeSha256 ? byHash.get(p.exeSha256) : undefined;
    if (hash) hits.push({ pid: p.pid, kind: 'hash', pattern: hash.hash, score: 100, description: hash.description || null, field: 'exe sha256', value: p.exeSha256!, list: `${path.basename(hash.file)}:${hash.line}` });
  }
  return hits;
}

/**
 * The box's ps against /proc. A difference counts only when it is still there a moment later, so
 * processes that started or ended between the two looks are never findings.
 */
async function crossView(ctx: CollectContext, procPids: Set<number>, psFirst: Set<number>, self: Set<number>): Promise<ProcessCrossView> {
  const proc = ctx.host.proc!;
  const onlyProc = [...procPids].filter((p) => !psFirst.has(p) && !self.has(p));
  const onlyPs = [...psFirst].filter((p) => !procPids.has(p) && !self.has(p));
  const view: ProcessCrossView = { onlyInProc: [], onlyInPs: [], transient: [], views: ['ps-list (the box\'s ps)'] };
  if (onlyProc.length === 0 && onlyPs.length === 0) return view;
  await new Promise((r) => setTimeout(r, RECHECK_DELAY_MS));
  const [procAgain, psAgain] = await Promise.all([proc.pids().then((l) => new Set(l)), boxPsPids(ctx)]);
  const exists = (pid: number) => proc.exists(`${pid}/stat`);
  for (const pid of onlyProc) {
    if (procAgain.has(pid) && !psAgain.has(pid) && (await exists(pid))) view.onlyInProc.push(pid);
    else view.transient.push(pid);
  }
  for (const pid of onlyPs) {
    if (psAgain.has(pid) && !procAgain.has(pid) && !(await exists(pid))) view.onlyInPs.push(pid);
    else view.transient.push(pid);
  }
  return view;
}

export const processesCollector = defineCollector({
  id: 'processes',
  title: 'Processes from /proc',
  description: "Every process read from /proc (never the box's ps), compared with the box's ps, matched against the tool list, executables hashed.",
  liveOnly: true,
  volatile: true,
  needsRoot: true,
  artifacts: ['artifacts/processes.jsonl', 'artifacts/process-crossview.json', 'artifacts/open-files.jsonl', 'files/'],
  provides: ['processes', 'selfPids', 'toolHits', 'processCrossView', 'ldSoPreload', 'openFiles'],
  reads: [],
  async collect(ctx) {
    const sources: SourceStatus[] = [];
    const proc = ctx.host.proc;
    if (!proc) return { sources: [sourceSkipped('processes', 'no /proc to read')] };

    let users = new Map<number, string>();
    try {
      users = userNames((await ctx.host.fs.readTextIfExists('/etc/passwd')) ?? '');
    } catch (err) {
      sources.push(sourceError('processes.passwd', describeFsError(err, '/etc/passwd'), '/etc/passwd'));
    }
    let btime: number | null = null;
    try {
      btime = parseBtime(await proc.readText('stat'));
    } catch (err) {
      sources.push(sourceError('processes.btime', `${proc.dir}/stat: ${(err as Error).message}`));
    }
    let ldSoPreload: string[] | null = null;
    try {
      const text = await ctx.host.fs.readTextIfExists('/etc/ld.so.preload');
      if (text !== null) refuseSecret('/etc/ld.so.preload', text);
      ldSoPreload = text === null ? null : parseLdSoPreload(text);
      if (text !== null) await ctx.sink.writeFile('artifacts/ld.so.preload', text);
    } catch (err) {
      sources.push(sourceError('processes.ld.so.preload', describeFsError(err, '/etc/ld.so.preload'), '/etc/ld.so.preload'));
    }

    // The two views are taken back to back, before the slower detailed reads.
    const pidList = await proc.pids();
    let psPids: Set<number> | null = null;
    try {
      psPids = await boxPsPids(ctx);
    } catch (err) {
      sources.push(errorCode(err) === 'ENOENT' ? sourceSkipped('processes.box-ps', 'ps is not installed') : sourceError('processes.box-ps', `the box's ps failed: ${(err as Error).message.split('\n')[0]}`));
    }

    const readCtx = { proc, btime, users };
    let vanishedCount = 0;
    let failed = 0;
    const records: ProcessRecord[] = [];
    for (const [i, pid] of pidList.entries()) {
      // Reads are synchronous (fastest for /proc); yield now and then so Ctrl-C is heard.
      if (i % 64 === 63) await new Promise((r) => setImmediate(r));
      if (ctx.host.signal.aborted) break;
      try {
        const r = readProcess(readCtx, pid);
        if (r) records.push(r);
        else vanishedCount++;
      } catch (err) {
        failed++;
        ctx.host.warn(`process ${pid}: ${(err as Error).message}`);
      }
    }
    records.sort((a, b) => a.pid - b.pid);
    const self = selfPids(records, ctx.host.selfPid);

    await hashExecutables(ctx, records, sources, new Set(self));
    const lists = await loadToolLists(ctx, sources);
    const hits = toolHits(records.filter((r) => !self.includes(r.pid)), lists.names, lists.hashes);

    let processCrossView: ProcessCrossView | undefined;
    if (psPids) {
      processCrossView = await crossView(ctx, new Set(pidList), psPids, new Set(self));
      await ctx.sink.writeFile('artifacts/process-crossview.json', JSON.stringify(processCrossView, null, 2) + '\n');
      sources.push(sourceOk('processes.box-ps', 'artifacts/process-crossview.json'));
    }

    await ctx.sink.writeJsonl('artifacts/processes.jsonl', records);
    ctx.sink.timeline(
      records
        .filter((r) => r.startTime && !(r.kernelThread && r.exe === null))
        .map((r) => ({ datetime: r.startTime!, message: `process started: ${r.comm} (pid ${r.pid}) ${r.argv.join(' ')}`.slice(0, 500), timestamp_desc: 'Process start', source: 'processes', user: r.user, pid: r.pid, path: r.exe })),
    );
    const detail = `${records.length} processes${vanishedCount ? `, ${vanishedCount} ended during the read` : ''}`;
    sources.push(failed > 0 ? sourceError('processes', `${failed} process(es) could not be read; ${detail}`, 'artifacts/processes.jsonl') : sourceOk('processes', 'artifacts/processes.jsonl', detail));
    return { facts: { processes: records, selfPids: self, toolHits: hits, processCrossView, ldSoPreload }, sources };
  },

  async followUp(ctx, findings: DraftFinding[]): Promise<FollowUpResult> {
    return lsofStep(ctx, findings);
  },

  async finish(ctx) {
    return finishLsofStep(ctx);
  },
});
