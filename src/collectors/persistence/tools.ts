import path from 'node:path';
import { readTextFile } from '../../assets.js';
import { describeFsError } from '../../host/rooted-fs.js';
import type { CommandAnalysis, CommandToolHit } from '../../model/persistence.js';
import { sourceError, type SourceStatus } from '../../model/source.js';
import { SHIPPED_TOOL_DIR } from '../processes/processes.js';
import { matchProcess, parseNameIocs, type NameIoc } from '../processes/toollist.js';
import type { CollectContext } from '../types.js';
import { baseName } from './parse-command.js';

/** The name lists process.known-tool uses (shipped and the playbook's), read once per collector run. */
export async function loadNameIocs(ctx: CollectContext, sourceId: string, sources: SourceStatus[]): Promise<NameIoc[]> {
  const out: NameIoc[] = [];
  for (const f of [path.join(SHIPPED_TOOL_DIR, 'names.txt'), ...ctx.options.toolLists.names]) {
    try {
      out.push(...parseNameIocs(await readTextFile(f), f).iocs); // the shipped list may be embedded (src/assets.ts)
    } catch (err) {
      sources.push(sourceError(`${sourceId}.tool-list`, describeFsError(err, f), f));
    }
  }
  return out;
}

/**
 * The tool list against a command: each file it runs (as a path and by name), each program named
 * without a folder, and the whole line (pool URLs, `--library-path … tsm`). Best score first.
 */
export function matchCommand(iocs: readonly NameIoc[], command: string, analysis: CommandAnalysis | null): CommandToolHit[] {
  const hits = new Map<string, CommandToolHit>();
  const add = (comm: string, exe: string | null, argv: string[]) => {
    for (const h of matchProcess(iocs, { comm, exe, argv })) {
      const key = `${h.ioc.file}:${h.ioc.line}`;
      if (hits.has(key)) continue;
      hits.set(key, { pattern: h.ioc.regex.source, score: h.ioc.score, description: h.ioc.description || null, value: h.value, list: `${path.basename(h.ioc.file)}:${h.ioc.line}` });
    }
  };
  for (const r of analysis?.runs ?? []) add(baseName(r.path), r.path, [r.path]);
  for (const p of analysis?.programs ?? []) add(p, null, [p]);
  const words = command.trim().split(/\s+/).filter(Boolean);
  if (words.length > 1) add('', null, words);
  return [...hits.values()].sort((a, b) => b.score - a.score);
}
