import path from 'node:path';
import type { PersistenceFile, StartupEntry } from '../../model/persistence.js';
import { sourceOk, type SourceStatus } from '../../model/source.js';
import { listFiles, packageOwners, readHomes, readPersistenceFile, type PackageOwners } from '../persistence/files.js';
import { loadNameIocs, matchCommand } from '../persistence/tools.js';
import type { NameIoc } from '../processes/toollist.js';
import { defineCollector, type CollectContext } from '../types.js';
import { parseStartup, type StartupSource } from './parse-startup.js';

/** System-wide shell start-up files (Debian and Red Hat names). */
export const SYSTEM_SHELL_FILES = ['/etc/profile', '/etc/bash.bashrc', '/etc/bashrc', '/etc/zsh/zshrc', '/etc/zsh/zprofile', '/etc/zsh/zshenv', '/etc/zshrc', '/etc/zprofile'];
/** Per-home shell start-up files. */
export const HOME_SHELL_FILES = ['.bashrc', '.bash_profile', '.profile', '.bash_login', '.bash_logout', '.zshrc', '.zprofile', '.zshenv'];

interface Ctx {
  ctx: CollectContext;
  sources: SourceStatus[];
  owners: PackageOwners;
  iocs: NameIoc[];
  files: PersistenceFile[];
  entries: StartupEntry[];
}

async function readOne(c: Ctx, file: string, source: StartupSource, user: string | null, home: string | null): Promise<PersistenceFile | null> {
  const kind = source === 'shell-startup' ? 'shell-startup' : source;
  const r = await readPersistenceFile(c.ctx, file, kind, 'startup-files', c.sources, c.owners);
  if (!r) return null;
  c.files.push(r.file);
  for (const l of parseStartup(r.text, source, { home })) {
    const command = l.what === 'command' ? l.text : l.what === 'prompt-command' || l.what === 'alias' ? l.value ?? '' : '';
    c.entries.push({ file, line: l.line, source, user, what: l.what, text: l.text, value: l.value, ...(l.name ? { name: l.name } : {}), analysis: l.analysis, toolHits: command ? matchCommand(c.iocs, command, l.analysis) : [] });
  }
  return r.file;
}

/** startup-files: rc.local, init scripts not from a package, shell start-up files, /etc/environment, /etc/ld.so.preload. */
export const startupFilesCollector = defineCollector({
  id: 'startup-files',
  title: 'Start-up files',
  description: 'rc.local, /etc/init.d scripts no package owns, system and per-home shell start-up files, /etc/environment and /etc/ld.so.preload: the lines that run something or set LD_PRELOAD, PATH, PROMPT_COMMAND or an alias.',
  liveOnly: false,
  needsRoot: true,
  artifacts: ['artifacts/startup-files.jsonl'],
  provides: ['startupEntries', 'persistenceFiles'],
  reads: [],
  async collect(ctx) {
    const sources: SourceStatus[] = [];
    const c: Ctx = { ctx, sources, owners: await packageOwners(ctx), iocs: await loadNameIocs(ctx, 'startup-files', sources), files: [], entries: [] };
    for (const f of ['/etc/rc.local', '/etc/rc.d/rc.local']) await readOne(c, f, 'rc-local', null, '/root');
    for (const f of await listFiles(ctx, '/etc/init.d', 'startup-files', sources)) {
      // Packaged init scripts are checked by the integrity step; only the others are read here.
      if (c.owners.owner(f) !== null || path.posix.basename(f) === 'README' || path.posix.basename(f) === 'skeleton') continue;
      await readOne(c, f, 'init-script', null, '/root');
    }
    for (const f of SYSTEM_SHELL_FILES) await readOne(c, f, 'shell-startup', null, null);
    for (const dir of ['/etc/profile.d']) for (const f of await listFiles(ctx, dir, 'startup-files', sources)) await readOne(c, f, 'shell-startup', null, null);
    await readOne(c, '/etc/environment', 'environment', null, null);
    await readOne(c, '/etc/ld.so.preload', 'ld-so-preload', null, null);
    for (const h of await readHomes(ctx, 'startup-files', sources)) {
      for (const name of HOME_SHELL_FILES) await readOne(c, path.posix.join(h.home, name), 'shell-startup', h.user, h.home);
    }
    await ctx.sink.writeJsonl('artifacts/startup-files.jsonl', c.entries);
    ctx.sink.timeline(c.files.map((f) => ({ datetime: f.mtime, message: `start-up file modified: ${f.path}`, timestamp_desc: 'Modification time', source: 'startup-files', path: f.path })));
    sources.push(sourceOk('startup-files', undefined, `${c.files.length} file(s), ${c.entries.length} line(s) of interest`));
    return { facts: { startupEntries: c.entries, persistenceFiles: c.files }, sources };
  },
});
