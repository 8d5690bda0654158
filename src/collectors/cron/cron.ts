import path from 'node:path';
import type { CommandAnalysis, CronEntry, PersistenceFile } from '../../model/persistence.js';
import { sourceOk, type SourceStatus } from '../../model/source.js';
import { defineCollector, type CollectContext } from '../types.js';
import { listFiles, packageOwners, readHomes, readPersistenceFile, type PackageOwners } from '../persistence/files.js';
import { analyzeCommand, isPlain } from '../persistence/parse-command.js';
import { loadNameIocs, matchCommand } from '../persistence/tools.js';
import type { NameIoc } from '../processes/toollist.js';
import { parseAnacrontab, parseAtJob, parseCrontab, type CronFormat, type ParsedCronLine } from './parse-crontab.js';

/** The folders run-parts runs from /etc/crontab (or anacron). */
export const PERIODIC_DIRS = ['hourly', 'daily', 'weekly', 'monthly', 'yearly'].map((p) => `/etc/cron.${p}`);
/** Lines of interest kept per script: the first ones. */
const MAX_SCRIPT_LINES = 50;
/** Lines parsed per crontab. */
const MAX_LINES_PER_FILE = 10_000;

interface Ctx {
  ctx: CollectContext;
  sources: SourceStatus[];
  owners: PackageOwners;
  iocs: NameIoc[];
  homeOf: Map<string, string>;
  files: PersistenceFile[];
  entries: CronEntry[];
}

function entry(c: Ctx, file: string, source: CronEntry['source'], p: ParsedCronLine): CronEntry {
  const analysis: CommandAnalysis | null = p.kind === 'job' && p.command ? analyzeCommand(p.command, { home: p.user ? c.homeOf.get(p.user) ?? null : null }) : null;
  // An env line that sets LD_PRELOAD reaches every job below it.
  const envPreload = p.kind === 'env' && p.name === 'LD_PRELOAD' && p.value ? p.value : null;
  const a = envPreload ? { runs: [], programs: [], fetchPipe: null, reverseShell: null, ldPreload: envPreload } : analysis;
  return {
    file,
    line: p.line,
    source,
    kind: p.kind,
    schedule: p.schedule,
    special: p.special,
    user: p.user,
    command: p.command,
    stdin: p.stdin,
    ...(p.kind === 'env' ? { name: p.name, value: p.value } : {}),
    raw: p.raw,
    analysis: a,
    toolHits: p.command ? matchCommand(c.iocs, p.command, analysis) : [],
  };
}

async function readTable(c: Ctx, file: string, kind: string, source: CronEntry['source'], format: CronFormat | 'anacron', spoolUser: string | null = null): Promise<void> {
  const r = await readPersistenceFile(c.ctx, file, kind, 'cron', c.sources, c.owners);
  if (!r) return;
  c.files.push(r.file);
  const parsed = format === 'anacron' ? parseAnacrontab(r.text) : parseCrontab(r.text, format, spoolUser);
  // A crafted crontab of millions of lines must not fill memory: the file itself is in the case whole.
  if (parsed.length > MAX_LINES_PER_FILE) c.sources.push(sourceOk('cron.cap', file, `${parsed.length} lines: the first ${MAX_LINES_PER_FILE} parsed, the file is preserved whole`));
  for (const p of parsed.slice(0, MAX_LINES_PER_FILE)) c.entries.push(entry(c, file, source, p));
}

/** Script lines worth a rule's look: a file run by path, a fetch, a reverse shell, LD_PRELOAD, a tool-list hit. */
async function readScript(c: Ctx, file: string, kind: string, source: CronEntry['source'], schedule: string, user: string | null, lines: (text: string) => Array<{ line: number; text: string }>): Promise<void> {
  const r = await readPersistenceFile(c.ctx, file, kind, 'cron', c.sources, c.owners);
  if (!r) return;
  c.files.push(r.file);
  let kept = 0;
  for (const { line, text } of lines(r.text)) {
    if (kept >= MAX_SCRIPT_LINES) break;
    const analysis = analyzeCommand(text, { home: user ? c.homeOf.get(user) ?? null : null });
    const toolHits = matchCommand(c.iocs, text, analysis);
    if (isPlain(analysis) && toolHits.length === 0) continue;
    // Files a packaged script runs from the system folders are what it was built to do.
    if (analysis.runs.every((x) => /^\/(?:usr|bin|sbin|lib|etc)\//.test(x.path)) && !analysis.fetchPipe && !analysis.reverseShell && !analysis.ldPreload && toolHits.length === 0) continue;
    kept++;
    c.entries.push({ file, line, source, kind: 'script-line', schedule, special: null, user, command: text, stdin: null, raw: text.slice(0, 4096), analysis, toolHits });
  }
}

function scriptLines(text: string): Array<{ line: number; text: string }> {
  return text
    .split('\n')
    .map((t, i) => ({ line: i + 1, text: t.endsWith('\r') ? t.slice(0, -1) : t }))
    .filter((l) => l.text.trim() !== '' && !l.text.trim().startsWith('#'));
}

/** cron: every crontab, cron.d file, user spool, anacrontab, cron.{hourly,…} script and at job. */
export const cronCollector = defineCollector({
  id: 'cron',
  title: 'Cron, anacron and at jobs',
  description: 'Every crontab (/etc/crontab, /etc/cron.d, user spools), anacrontab, cron.{hourly,daily,weekly,monthly,yearly} script and at job, parsed line by line and preserved.',
  liveOnly: false,
  needsRoot: true,
  artifacts: ['artifacts/cron.jsonl', 'artifacts/cron-files.jsonl'],
  provides: ['cronEntries', 'persistenceFiles'],
  reads: [],
  async collect(ctx) {
    const sources: SourceStatus[] = [];
    const homes = await readHomes(ctx, 'cron', sources);
    const c: Ctx = {
      ctx,
      sources,
      owners: await packageOwners(ctx),
      iocs: await loadNameIocs(ctx, 'cron', sources),
      homeOf: new Map(homes.map((h) => [h.user, h.home])),
      files: [],
      entries: [],
    };
    await readTable(c, '/etc/crontab', 'crontab', 'crontab', 'system');
    for (const f of await listFiles(ctx, '/etc/cron.d', 'cron', sources)) await readTable(c, f, 'cron.d', 'cron.d', 'system');
    // Debian keeps user crontabs in crontabs/, Red Hat directly in /var/spool/cron/.
    for (const dir of ['/var/spool/cron/crontabs', '/var/spool/cron', '/var/spool/cron/tabs']) {
      for (const f of await listFiles(ctx, dir, 'cron', sources)) await readTable(c, f, 'cron-spool', 'spool', 'spool', path.posix.basename(f));
    }
    await readTable(c, '/etc/anacrontab', 'anacrontab', 'anacrontab', 'anacron');
    for (const dir of PERIODIC_DIRS) {
      const period = dir.slice('/etc/cron.'.length);
      for (const f of await listFiles(ctx, dir, 'cron', sources)) await readScript(c, f, 'cron-script', 'script', period, 'root', scriptLines);
    }
    for (const dir of ['/var/spool/cron/atjobs', '/var/spool/at']) {
      for (const f of await listFiles(ctx, dir, 'cron', sources)) {
        if (path.posix.basename(f).startsWith('.')) continue; // atd's .SEQ counter
        let uidUser: string | null = null;
        await readScript(c, f, 'at-job', 'at', 'at', null, (text) => {
          const job = parseAtJob(text);
          uidUser = job.uid === null ? null : homes.find((h) => h.uid === job.uid)?.user ?? String(job.uid);
          return job.lines;
        });
        for (const e of c.entries) if (e.file === f && e.user === null) e.user = uidUser;
      }
    }
    await ctx.sink.writeJsonl('artifacts/cron.jsonl', c.entries);
    await ctx.sink.writeJsonl('artifacts/cron-files.jsonl', c.files);
    ctx.sink.timeline(c.files.map((f) => ({ datetime: f.mtime, message: `cron file modified: ${f.path}`, timestamp_desc: 'Modification time', source: 'cron', path: f.path })));
    const jobs = c.entries.filter((e) => e.kind === 'job').length;
    sources.push(sourceOk('cron', undefined, `${c.files.length} file(s), ${jobs} job line(s)`));
    return { facts: { cronEntries: c.entries, persistenceFiles: c.files }, sources };
  },
});

