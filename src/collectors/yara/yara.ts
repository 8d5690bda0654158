import { createHash } from 'node:crypto';
import path from 'node:path';
import type { YaraModule, YaraResult } from 'libyara-wasm';
import { readdir, readTextFile } from '../../assets.js';
import { describeFsError } from '../../host/rooted-fs.js';
import type { YaraMatchRecord, YaraScan } from '../../model/kernel.js';
import { sourceError, sourceOk, sourceSkipped, type SourceStatus } from '../../model/source.js';
import { defineCollector, type CollectContext } from '../types.js';
import { ruleTags } from './rules-source.js';

/** Bytes scanned of one file: the rest is recorded as not scanned. */
export const YARA_MAX_FILE_BYTES = 32 * 1024 * 1024;
/** Files scanned in one folder, and in all. */
const MAX_FILES_PER_FOLDER = 200;
const MAX_FILES = 1000;
/** Wall time for the whole scan. */
const SCAN_BUDGET_MS = 120_000;
/** Folders never walked file by file: the system's own (a flagged process may have files there). */
const SYSTEM_FOLDERS = /^\/(usr|bin|sbin|lib|lib32|lib64|etc|boot|proc|sys|dev|run)?(\/|$)/;

interface RuleFile {
  file: string;
  source: string;
  tags: Map<string, string[]>;
  rules: number;
}

/** The WebAssembly heap size past which a fresh instance replaces the one in use. */
const YARA_HEAP_RECYCLE_BYTES = 256 * 1024 * 1024;
/** The process-wide listeners the WebAssembly build adds on load (its own rethrowing handlers). */
const EMSCRIPTEN_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;

/**
 * The WebAssembly build of libyara. Its only call, run(data, rules), compiles the rules and scans
 * in one go, and keeps about 10 MiB of its heap each time: after a few hundred runs the heap
 * reaches WebAssembly's limit and the module aborts. So an instance is used until its heap passes
 * YARA_HEAP_RECYCLE_BYTES, then dropped for a fresh one; one that aborted is dropped too. On load
 * the module adds process listeners that rethrow every uncaught error (and would keep each old
 * instance alive): they are removed, ir-triage's own handling stays.
 */
export class YaraEngine {
  private instance: YaraModule | null = null;
  /** Instances loaded so far (the first included). */
  loads = 0;

  private async load(): Promise<YaraModule> {
    const listeners = (e: (typeof EMSCRIPTEN_EVENTS)[number]): Array<(...args: unknown[]) => void> => process.listeners(e as 'uncaughtException') as Array<(...args: unknown[]) => void>;
    const before = new Map(EMSCRIPTEN_EVENTS.map((e) => [e, new Set(listeners(e))]));
    const factory = (await import('libyara-wasm')).default as unknown as () => Promise<YaraModule>;
    const instance = await factory();
    for (const e of EMSCRIPTEN_EVENTS) {
      for (const l of listeners(e)) if (!before.get(e)!.has(l)) process.removeListener(e, l);
    }
    this.loads++;
    return instance;
  }

  /** Compiles `rules` and scans `data` with them. */
  async run(data: Uint8Array, rules: string): Promise<YaraResult> {
    if (!this.instance || this.instance.HEAP8.length > YARA_HEAP_RECYCLE_BYTES) this.instance = await this.load();
    try {
      return this.instance.run(data, rules);
    } catch (err) {
      this.instance = null;
      throw err;
    }
  }
}

/** Compiles each file once (an empty scan): a file that does not compile is named with its line and left out. */
async function compileRules(yara: YaraEngine, files: ReadonlyArray<{ file: string; source: string }>, sources: SourceStatus[]): Promise<RuleFile[]> {
  const out: RuleFile[] = [];
  for (const { file, source } of files) {
    const errors = compileErrors(await yara.run(new Uint8Array(0), source), file);
    if (errors.length > 0) {
      sources.push(sourceError('yara.rules', `does not compile, left out: ${errors.slice(0, 5).join('; ')}`, file));
      continue;
    }
    const tags = ruleTags(source);
    out.push({ file, source, tags, rules: tags.size });
  }
  return out;
}

function compileErrors(r: YaraResult, file: string): string[] {
  const errors: string[] = [];
  for (let i = 0; i < r.compileErrors.size(); i++) {
    const e = r.compileErrors.get(i);
    if (!e.warning) errors.push(`${file} line ${e.lineNumber}: ${e.message}`);
  }
  return errors;
}

/** What a scan runs: the rule files as one source (combinedRules), or one of them (singleRules). */
interface RuleSet {
  source: string;
  /** The rule file of each rule name the set holds (ruleTags' reading of its headers). */
  fileOf: Map<string, RuleFile>;
  /** The set's only file, when it has one. */
  only: RuleFile | null;
}

/**
 * The compiled files as one source when that changes nothing: every rule name in one file only,
 * no `global` rule (it would apply to the other files' rules too), and the whole compiling
 * without an error. Then a file costs one scan of its bytes instead of one per rule file (the
 * engine compiles on every call and keeps what it was given). Null otherwise.
 */
async function combinedRules(yara: YaraEngine, files: readonly RuleFile[]): Promise<RuleSet | null> {
  if (files.length < 2 || files.some((f) => /\bglobal\b/.test(f.source))) return null;
  const fileOf = new Map<string, RuleFile>();
  for (const f of files) {
    for (const name of f.tags.keys()) {
      if (fileOf.has(name)) return null;
      fileOf.set(name, f);
    }
  }
  const source = files.map((f) => f.source).join('\n');
  return compileErrors(await yara.run(new Uint8Array(0), source), 'all').length === 0 ? { source, fileOf, only: null } : null;
}

function singleRules(f: RuleFile): RuleSet {
  return { source: f.source, fileOf: new Map([...f.tags.keys()].map((n) => [n, f])), only: f };
}

/** A match as the records keep it, without the file it was found in (the same bytes give the same matches). */
type ContentMatch = Omit<YaraMatchRecord, 'file' | 'sha256' | 'pid' | 'reason'>;

/**
 * The matches of one scan of `bytes` with a set; null when a matched rule is not one the set's
 * headers name (then the caller scans file by file). An engine failure is added to `failures`.
 */
async function scanWith(yara: YaraEngine, bytes: Uint8Array, set: RuleSet, failures: string[]): Promise<ContentMatch[] | null> {
  let matched: YaraResult['matchedRules'];
  try {
    matched = (await yara.run(bytes, set.source)).matchedRules;
  } catch (err) {
    const files = set.only ? set.only.file : [...new Set([...set.fileOf.values()].map((f) => f.file))].join(', ');
    failures.push(`the YARA engine failed on it with the rules of ${files}: ${err instanceof Error ? err.message : String(err)}`);
    return set.only ? [] : null;
  }
  const out: ContentMatch[] = [];
  for (let m = 0; m < matched.size(); m++) {
    const rule = matched.get(m);
    const rf = set.fileOf.get(rule.ruleName) ?? set.only;
    if (!rf) return null;
    const meta: Record<string, string> = {};
    for (let k = 0; k < rule.metadata.size(); k++) meta[rule.metadata.get(k).identifier] = String(rule.metadata.get(k).data);
    const strings: YaraMatchRecord['strings'] = [];
    for (let k = 0; k < Math.min(rule.resolvedMatches.size(), 10); k++) strings.push({ id: rule.resolvedMatches.get(k).identifier, offset: rule.resolvedMatches.get(k).location });
    out.push({ rule: rule.ruleName, tags: rf.tags.get(rule.ruleName) ?? [], meta, ruleFile: rf.file, strings });
  }
  return out;
}

interface Target {
  /** How to read it: a /proc link (live) or a path inside the root. */
  read: { proc: string } | { inside: string };
  /** The name the record gives. */
  file: string;
  pid: number | null;
  reason: string;
}

/** What the lsof step found: each flagged process's executable (through /proc, deleted or not) and its non-system folders' files. */
async function targets(ctx: CollectContext<'openFiles'>, skipped: YaraScan['skipped'], ruleFiles: ReadonlySet<string>): Promise<Target[]> {
  const out: Target[] = [];
  const seenFolders = new Set<string>();
  for (const r of ctx.facts.openFiles ?? []) {
    if (ctx.host.proc && r.exe) out.push({ read: { proc: `${r.pid}/exe` }, file: `${r.exe}${r.exeDeleted ? ' (deleted)' : ''}`, pid: r.pid, reason: 'preserved executable' });
    for (const folder of r.folders) {
      if (seenFolders.has(folder) || SYSTEM_FOLDERS.test(folder)) continue;
      seenFolders.add(folder);
      let names: string[] = [];
      try {
        names = (await ctx.host.fs.readdir(folder)).sort();
      } catch (err) {
        skipped.push({ file: folder, reason: describeFsError(err, folder) });
        continue;
      }
      if (names.length > MAX_FILES_PER_FOLDER) skipped.push({ file: folder, reason: `${names.length - MAX_FILES_PER_FOLDER} file(s) past the first ${MAX_FILES_PER_FOLDER} not scanned` });
      for (const name of names.slice(0, MAX_FILES_PER_FOLDER)) {
        const inside = path.posix.join(folder, name);
        const st = await ctx.host.fs.lstat(inside).catch(() => null);
        // The executable itself was read through /proc already.
        if (inside === r.exe) continue;
        // A rule file holds its own strings: the responder's rules kept beside a kit would match themselves.
        if (ctx.host.fs.root === '/' && ruleFiles.has(inside)) continue;
        if (st?.isFile()) out.push({ read: { inside }, file: inside, pid: r.pid, reason: `file in the malware folder of pid ${r.pid}` });
      }
    }
  }
  return out;
}

async function readTarget(ctx: CollectContext, t: Target): Promise<{ data: Buffer; truncated: boolean }> {
  if ('proc' in t.read) return ctx.host.proc!.readFile(t.read.proc, YARA_MAX_FILE_BYTES);
  return ctx.host.fs.readFile(t.read.inside, YARA_MAX_FILE_BYTES);
}

export const yaraCollector = defineCollector({
  id: 'yara',
  title: 'YARA scan of what was flagged',
  description: 'The rule files of --yara and the playbook (compiled once, on the first file to scan; errors named with file and line) run over every flagged process executable and the files of the folders the lsof step found.',
  liveOnly: false,
  needsRoot: false,
  artifacts: ['artifacts/yara-matches.jsonl', 'artifacts/yara-scan.json'],
  provides: ['yaraScan'],
  reads: ['openFiles'],
  async collect(ctx) {
    const sources: SourceStatus[] = [];
    const given = ctx.options.yaraRules;
    if (!given) return { sources: [sourceSkipped('yara', 'no YARA rules given (--yara PATH, or yara: in the playbook)')] };
    for (const g of given) if ('error' in g) sources.push(sourceError('yara.rules', g.error, g.file));
    const readable = given.filter((g): g is { file: string; source: string } => 'source' in g);
    const scan: YaraScan = { ruleFiles: readable.map((r) => r.file), rules: readable.reduce((n, r) => n + ruleTags(r.source).size, 0), scanned: 0, matches: [], skipped: [] };
    const started = Date.now();
    const list = await targets(ctx, scan.skipped, new Set(given.map((g) => g.file)));
    // The engine is loaded and the rules compiled on the first target only: a clean box, where
    // nothing was flagged, pays for neither (the rule files were read when the case opened).
    const yara = new YaraEngine();
    let ruleFiles: RuleFile[] | null = null;
    let combined: RuleSet | null = null;
    let perFile: RuleSet[] = [];
    // Bytes seen before (three copies of one fake sshd): their matches, scanned once.
    const byContent = new Map<string, ContentMatch[]>();
    for (const [i, t] of list.entries()) {
      if (i >= MAX_FILES || Date.now() - started > SCAN_BUDGET_MS || ctx.host.signal.aborted) {
        scan.skipped.push({ file: t.file, reason: i >= MAX_FILES ? `past the first ${MAX_FILES} files` : 'time budget reached' });
        continue;
      }
      if (!ruleFiles) {
        ruleFiles = await compileRules(yara, readable, sources);
        scan.ruleFiles = ruleFiles.map((r) => r.file);
        scan.rules = ruleFiles.reduce((n, r) => n + r.rules, 0);
        combined = await combinedRules(yara, ruleFiles);
        perFile = ruleFiles.map(singleRules);
      }
      let data: Buffer;
      try {
        const r = await readTarget(ctx, t);
        data = r.data;
        if (r.truncated) scan.skipped.push({ file: t.file, reason: `only the first ${YARA_MAX_FILE_BYTES} bytes scanned` });
      } catch (err) {
        scan.skipped.push({ file: t.file, reason: describeFsError(err, t.file) });
        continue;
      }
      scan.scanned++;
      const sha256 = createHash('sha256').update(data).digest('hex');
      let found = byContent.get(sha256);
      if (found === undefined) {
        const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
        const failures: string[] = [];
        // All the rules at once; one file at a time when a match could not be told to its file or
        // the engine failed (each file's failure is then named on its own).
        let got = combined ? await scanWith(yara, bytes, combined, []) : null;
        if (got === null) {
          got = [];
          for (const set of perFile) got.push(...((await scanWith(yara, bytes, set, failures)) ?? []));
        }
        found = got;
        for (const f of failures) scan.skipped.push({ file: t.file, reason: f });
        // A scan the engine failed on is not remembered: another copy is tried again.
        if (failures.length === 0) byContent.set(sha256, found);
      }
      for (const m of found) scan.matches.push({ rule: m.rule, tags: m.tags, meta: m.meta, ruleFile: m.ruleFile, file: t.file, sha256, pid: t.pid, reason: t.reason, strings: m.strings });
    }
    await ctx.sink.writeJsonl('artifacts/yara-matches.jsonl', scan.matches);
    await ctx.sink.writeFile('artifacts/yara-scan.json', JSON.stringify({ ruleFiles: scan.ruleFiles, rules: scan.rules, scanned: scan.scanned, matches: scan.matches.length, skipped: scan.skipped }, null, 2) + '\n');
    const compiled = ruleFiles ? '' : ' (not compiled: nothing flagged to scan)';
    sources.push(sourceOk('yara', 'artifacts/yara-matches.jsonl', `${scan.rules} rule(s) in ${scan.ruleFiles.length} file(s)${compiled}, ${scan.scanned} file(s) scanned, ${scan.matches.length} match(es), ${scan.skipped.length} skipped`));
    return { facts: { yaraScan: scan }, sources };
  },
});
