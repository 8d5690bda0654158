import path from 'node:path';
import type { PersistenceFile, SystemdUnitRecord, UnitExec } from '../../model/persistence.js';
import { sourceOk, type SourceStatus } from '../../model/source.js';
import { inWindow, type IncidentWindow } from '../../model/window.js';
import { packageOwners, readHomes, readPersistenceFile, type PackageOwners } from '../persistence/files.js';
import { analyzeCommand } from '../persistence/parse-command.js';
import { loadNameIocs, matchCommand } from '../persistence/tools.js';
import type { NameIoc } from '../processes/toollist.js';
import { defineCollector, type CollectContext } from '../types.js';
import { lastValue, mergeUnit, parseEnvironment, parseExec, templateOf, unitName, type MergedUnit } from './parse-unit.js';

/** System unit folders, the one that wins first (systemd.unit(5)). */
export const SYSTEM_UNIT_DIRS = ['/etc/systemd/system', '/run/systemd/system', '/usr/local/lib/systemd/system', '/usr/lib/systemd/system', '/lib/systemd/system'];
/** Where only an administrator (or an intruder) puts units: every unit there is recorded. */
const ADMIN_DIRS = new Set(['/etc/systemd/system', '/run/systemd/system', '/usr/local/lib/systemd/system', '/etc/systemd/user']);
const EXEC_KEYS = ['ExecStart', 'ExecStartPre', 'ExecStartPost', 'ExecReload', 'ExecStop', 'ExecStopPost', 'ExecCondition'];
const TIMER_KEYS = ['OnCalendar', 'OnBootSec', 'OnStartupSec', 'OnActiveSec', 'OnUnitActiveSec', 'OnUnitInactiveSec'];
/** Environment values kept: the rest may hold secrets, only their names are kept. */
const KEPT_ENV = new Set(['LD_PRELOAD', 'LD_LIBRARY_PATH', 'LD_AUDIT', 'PATH']);
const LINK_DIRS = /\.(?:wants|requires|upholds)$/;

interface UnitFile {
  name: string;
  type: string;
  /** The path systemd loads it by (a link in a unit folder for a linked unit). */
  path: string;
  dir: string;
  linkTarget: string | null;
  masked: boolean;
}

interface Scope {
  scope: 'system' | 'user';
  owner: string | null;
  home: string | null;
  dirs: string[];
}

async function readLink(ctx: CollectContext, inside: string): Promise<string | null> {
  try {
    return await ctx.host.fs.readlink(inside);
  } catch {
    return null;
  }
}

async function realDir(ctx: CollectContext, dir: string): Promise<string | null> {
  try {
    return await ctx.host.fs.realFolder(dir);
  } catch {
    return null;
  }
}

async function entries(ctx: CollectContext, dir: string): Promise<string[]> {
  try {
    return (await ctx.host.fs.readdir(dir)).sort();
  } catch {
    return [];
  }
}

/** Unit files by name (the winning folder first), drop-ins by unit, and the .wants/.requires links. */
async function scanScope(ctx: CollectContext, s: Scope): Promise<{ units: Map<string, UnitFile>; dropIns: Map<string, Map<string, string>>; links: Map<string, string[]> }> {
  const units = new Map<string, UnitFile>();
  const dropIns = new Map<string, Map<string, string>>();
  const links = new Map<string, string[]>();
  const seenDirs = new Set<string>();
  for (const dir of s.dirs) {
    // /lib is a link to /usr/lib on a /usr-merged system: the same folder is read once.
    const real = await realDir(ctx, dir);
    if (real === null || seenDirs.has(real)) continue;
    seenDirs.add(real);
    for (const entry of await entries(ctx, dir)) {
      const p = path.posix.join(dir, entry);
      let st;
      try {
        st = await ctx.host.fs.lstat(p);
      } catch {
        continue;
      }
      if (st.isDirectory() && LINK_DIRS.test(entry)) {
        for (const l of await entries(ctx, p)) links.set(l, [...(links.get(l) ?? []), path.posix.join(p, l)]);
        continue;
      }
      if (st.isDirectory() && entry.endsWith('.d')) {
        const unit = entry.slice(0, -2);
        const map = dropIns.get(unit) ?? new Map<string, string>();
        for (const conf of await entries(ctx, p)) if (conf.endsWith('.conf') && !map.has(conf)) map.set(conf, path.posix.join(p, conf));
        dropIns.set(unit, map);
        continue;
      }
      const u = unitName(entry);
      if (!u || units.has(entry)) continue;
      let linkTarget: string | null = null;
      let masked = false;
      if (st.isSymbolicLink()) {
        linkTarget = await readLink(ctx, p);
        masked = linkTarget === '/dev/null';
        // An alias of a unit in another unit folder is that unit: it is looked at there.
        if (!masked && linkTarget && SYSTEM_UNIT_DIRS.concat(s.dirs).some((d) => path.posix.dirname(path.posix.resolve(dir, linkTarget!)) === d)) continue;
      } else if (!st.isFile()) continue;
      units.set(entry, { name: entry, type: u.type, path: p, dir, linkTarget, masked });
    }
  }
  return { units, dropIns, links };
}

interface Ctx {
  ctx: CollectContext;
  sources: SourceStatus[];
  owners: PackageOwners;
  iocs: NameIoc[];
  window: IncidentWindow;
  files: PersistenceFile[];
}

/** `%h` (the user's home) and `%u` in a user unit's command; other specifiers are left as written. */
function specifiers(command: string, s: Scope): string {
  return s.home ? command.replaceAll('%h', s.home).replaceAll('%u', s.owner ?? '%u') : command;
}

function execLines(u: MergedUnit, type: string, s: Scope, iocs: NameIoc[]): UnitExec[] {
  const out: UnitExec[] = [];
  const section = type === 'service' ? 'Service' : type === 'socket' ? 'Socket' : type === 'mount' ? 'Mount' : 'Service';
  for (const key of EXEC_KEYS) {
    for (const setting of u.get(`${section}.${key}`) ?? []) {
      const e = parseExec(setting.value);
      const command = specifiers(e.command, s);
      const analysis = analyzeCommand(command, { home: s.home });
      out.push({ key, file: setting.file, line: setting.line, prefixes: e.prefixes, path: specifiers(e.path, s), command, analysis, toolHits: matchCommand(iocs, command, analysis) });
    }
  }
  return out;
}

async function describeUnit(c: Ctx, s: Scope, f: UnitFile, dropIns: string[], links: string[]): Promise<SystemdUnitRecord | null> {
  const parts: Array<{ file: string; text: string }> = [];
  const main = await readPersistenceFile(c.ctx, f.path, 'unit', 'systemd-units', c.sources, c.owners);
  if (!main) return null;
  c.files.push(main.file);
  parts.push({ file: f.path, text: main.text });
  for (const d of dropIns) {
    const r = await readPersistenceFile(c.ctx, d, 'drop-in', 'systemd-units', c.sources, c.owners);
    if (!r) continue;
    c.files.push(r.file);
    parts.push({ file: d, text: r.text });
  }
  const u = mergeUnit(parts);
  const environment: SystemdUnitRecord['environment'] = [];
  for (const setting of u.get('Service.Environment') ?? []) {
    for (const { name, value } of parseEnvironment(setting.value)) environment.push({ name, value: KEPT_ENV.has(name) ? value : null, file: setting.file, line: setting.line });
  }
  const timer =
    f.type === 'timer'
      ? { schedules: TIMER_KEYS.flatMap((k) => (u.get(`Timer.${k}`) ?? []).map((x) => `${k}=${x.value}`)), unit: lastValue(u, 'Timer.Unit') ?? f.name.replace(/\.timer$/, '.service') }
      : null;
  const linkTarget = f.linkTarget ? path.posix.resolve(f.dir, f.linkTarget) : null;
  return {
    path: f.path,
    name: f.name,
    type: f.type,
    scope: s.scope,
    owner: s.owner,
    linkTarget,
    dropIns,
    wantedBy: links,
    enabled: links.length > 0,
    masked: f.masked,
    description: lastValue(u, 'Unit.Description'),
    exec: execLines(u, f.type, s, c.iocs),
    user: lastValue(u, 'Service.User'),
    workingDirectory: lastValue(u, 'Service.WorkingDirectory'),
    environment,
    environmentFiles: (u.get('Service.EnvironmentFile') ?? []).map((x) => x.value),
    timer,
    sha256: main.file.sha256,
    mtime: main.file.mtime,
    ctime: main.file.ctime,
    btime: main.file.btime,
    package: main.file.package,
    packaged: main.file.packaged,
  };
}

/** A drop-in outside the packages: an override an administrator (or an intruder) wrote. */
function adminDropIn(c: Ctx, p: string): boolean {
  return !p.startsWith('/usr/') && !p.startsWith('/lib/') && c.owners.owner(p) === null;
}

async function collectScope(c: Ctx, s: Scope): Promise<SystemdUnitRecord[]> {
  const { units, dropIns, links } = await scanScope(c.ctx, s);
  const out: SystemdUnitRecord[] = [];
  for (const f of units.values()) {
    if (f.masked) continue;
    const ins = [...(dropIns.get(f.name)?.entries() ?? []), ...(dropIns.get(`${f.type}`)?.entries() ?? [])]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([, p]) => p);
    const admin = ADMIN_DIRS.has(f.dir) || s.scope === 'user' || f.linkTarget !== null;
    const overridden = ins.some((p) => adminDropIn(c, p));
    if (!admin && !overridden) {
      const pkg = c.owners.owner(f.path);
      if (pkg !== null) continue;
      if (!c.owners.known) {
        // No package database to ask: only units changed inside the incident window are kept.
        try {
          const st = await c.ctx.host.fs.stat(f.path);
          if (!inWindow(c.window, st.mtime.toISOString()) && !inWindow(c.window, st.ctime.toISOString())) continue;
        } catch {
          continue;
        }
      }
    }
    // Instances of a template (getty@tty1.service) enable the template's file.
    const wanted = [...(links.get(f.name) ?? []), ...[...links.entries()].filter(([n]) => n !== f.name && templateOf(n) === f.name).flatMap(([, l]) => l)];
    const record = await describeUnit(c, s, f, ins, wanted);
    if (record) out.push(record);
  }
  return out;
}

/** systemd-units: units and timers an administrator or an intruder added, with their Exec lines and enablement. */
export const systemdUnitsCollector = defineCollector({
  id: 'systemd-units',
  title: 'systemd units and timers',
  description: 'Unit files and timers outside the packages (system, /etc/systemd/user, every home\'s ~/.config/systemd/user), parsed with their drop-ins, Exec lines, Environment= and enablement links.',
  liveOnly: false,
  needsRoot: true,
  artifacts: ['artifacts/systemd-units.jsonl'],
  provides: ['systemdUnits', 'persistenceFiles'],
  reads: ['window'],
  async collect(ctx) {
    const sources: SourceStatus[] = [];
    // The engine derives the window before any collector that reads it.
    const window = ctx.facts.window!;
    const c: Ctx = { ctx, sources, owners: await packageOwners(ctx), iocs: await loadNameIocs(ctx, 'systemd-units', sources), window, files: [] };
    const records: SystemdUnitRecord[] = [];
    records.push(...(await collectScope(c, { scope: 'system', owner: null, home: null, dirs: SYSTEM_UNIT_DIRS })));
    records.push(...(await collectScope(c, { scope: 'user', owner: null, home: null, dirs: ['/etc/systemd/user'] })));
    for (const h of await readHomes(ctx, 'systemd-units', sources)) {
      const dirs = [`${h.home}/.config/systemd/user`, `${h.home}/.local/share/systemd/user`];
      records.push(...(await collectScope(c, { scope: 'user', owner: h.user, home: h.home, dirs })));
    }
    await ctx.sink.writeJsonl('artifacts/systemd-units.jsonl', records);
    ctx.sink.timeline(records.map((r) => ({ datetime: r.mtime, message: `systemd unit modified: ${r.path}`, timestamp_desc: 'Modification time', source: 'systemd-units', path: r.path })));
    if (!c.owners.known) sources.push(sourceOk('systemd-units.packages', '/var/lib/dpkg/info', 'no dpkg database: units in /usr/lib are kept only when changed inside the incident window'));
    sources.push(sourceOk('systemd-units', undefined, `${records.length} unit(s) outside the packages or in admin folders`));
    return { facts: { systemdUnits: records, persistenceFiles: c.files }, sources };
  },
});

