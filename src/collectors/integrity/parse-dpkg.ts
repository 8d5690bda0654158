/**
 * Pure parsers for dpkg's database files under /var/lib/dpkg. They are read as files, never
 * through the box's dpkg, so an image can be checked offline and a trojaned dpkg cannot lie.
 */

/** One line of a package's md5sums file. */
export interface Md5Entry {
  /** Absolute path as the package names it ("/bin/ps"). */
  path: string;
  md5: string;
}

export interface ParseProblem {
  line: number;
  text: string;
}

/** Undoes md5sum's escaping of names that hold a backslash or a newline (the line then starts with `\`). */
function unescapeMd5sumName(name: string): string {
  return name.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}

function absolute(p: string): string {
  const rel = p.startsWith('./') ? p.slice(2) : p;
  return rel.startsWith('/') ? rel : `/${rel}`;
}

/**
 * DEBIAN/md5sums as dpkg keeps it in info/PKG.md5sums: `<md5>  <path relative to />`, md5sum's
 * text (two spaces) or binary (` *`) form.
 * `08a07e7517a09d2f40e2618eff4adf22  bin/ps`
 */
export function parseMd5sums(text: string): { entries: Md5Entry[]; problems: ParseProblem[] } {
  const entries: Md5Entry[] = [];
  const problems: ParseProblem[] = [];
  const lines = text.split('\n');
  for (const [i, raw] of lines.entries()) {
    if (raw === '' || (raw === '\r' && i === lines.length - 1)) continue;
    const escaped = raw.startsWith('\\');
    const line = escaped ? raw.slice(1) : raw;
    const m = /^([0-9a-fA-F]{32}) [ *](.+)$/.exec(line);
    if (!m) {
      problems.push({ line: i + 1, text: raw });
      continue;
    }
    const name = escaped ? unescapeMd5sumName(m[2]) : m[2];
    entries.push({ path: absolute(name), md5: m[1].toLowerCase() });
  }
  return { entries, problems };
}

/**
 * info/PKG.list: every path the package installed, folders included, one a line; `/.` first.
 * Names are raw bytes up to the newline: nothing is escaped.
 */
export function parseDpkgList(text: string): string[] {
  return text.split('\n').filter((l) => l !== '' && l !== '/.' && l.startsWith('/'));
}

/** One dpkg-divert entry. */
export interface Diversion {
  /** The path packages install to. */
  from: string;
  /** Where the diverted package's file goes instead. */
  to: string;
  /** The package that holds the diversion; `:` when the admin made it (dpkg-divert --local). */
  by: string;
}

/**
 * /var/lib/dpkg/diversions: three lines per entry — the diverted path, where it goes, and who
 * holds the diversion.
 * `/usr/bin/perf` / `/usr/bin/perf.wrapper` / `linux-perf`
 */
export function parseDiversions(text: string): { diversions: Diversion[]; problems: ParseProblem[] } {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const diversions: Diversion[] = [];
  const problems: ParseProblem[] = [];
  for (let i = 0; i + 2 < lines.length; i += 3) {
    const [from, to, by] = lines.slice(i, i + 3);
    if (!from.startsWith('/') || !to.startsWith('/') || by === '' || by.startsWith('/')) {
      problems.push({ line: i + 1, text: [from, to, by].join(' | ') });
      continue;
    }
    diversions.push({ from, to, by });
  }
  const rest = lines.length % 3;
  if (rest !== 0) problems.push({ line: lines.length - rest + 1, text: 'incomplete entry at the end of the file' });
  return { diversions, problems };
}

/** One package paragraph of /var/lib/dpkg/status, reduced to what the integrity check needs. */
export interface DpkgPackage {
  name: string;
  architecture: string | null;
  version: string | null;
  /** The third word of Status: installed, unpacked, half-installed, half-configured, config-files, not-installed, triggers-awaited, triggers-pending. */
  state: string | null;
  multiArchSame: boolean;
  /** Conffiles' paths: an admin edits these, so a changed one is not a modified binary. */
  conffiles: string[];
}

/**
 * /var/lib/dpkg/status (deb822 paragraphs). The map is keyed by the name of the package's files
 * in info/: `name:arch` for Multi-Arch: same packages, `name` otherwise.
 */
export function parseDpkgStatus(text: string): Map<string, DpkgPackage> {
  const out = new Map<string, DpkgPackage>();
  for (const para of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let current: string | null = null;
    for (const line of para.split('\n')) {
      if (line === '') continue;
      if (/^[ \t]/.test(line)) {
        if (current) fields.set(current, `${fields.get(current)}\n${line.trim()}`);
        continue;
      }
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      current = line.slice(0, colon).toLowerCase();
      fields.set(current, line.slice(colon + 1).trim());
    }
    const name = fields.get('package');
    if (!name) continue;
    const status = (fields.get('status') ?? '').split(/\s+/);
    const pkg: DpkgPackage = {
      name,
      architecture: fields.get('architecture') ?? null,
      version: fields.get('version') ?? null,
      state: status[2] ?? null,
      multiArchSame: (fields.get('multi-arch') ?? '') === 'same',
      conffiles: (fields.get('conffiles') ?? '')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l.startsWith('/'))
        .map((l) => l.replace(/\s+[0-9a-fA-F]{32}(\s+\S+)*$/, '').replace(/\s+newconffile$/, '')),
    };
    const key = pkg.multiArchSame && pkg.architecture ? `${name}:${pkg.architecture}` : name;
    // A package being replaced by another architecture has two paragraphs: keep the installed one.
    const seen = out.get(key);
    if (!seen || seen.state !== 'installed') out.set(key, pkg);
  }
  return out;
}

/** One dpkg-statoverride entry: an admin-declared owner and mode for a path. */
export interface StatOverride {
  user: string;
  group: string;
  /** Octal mode as written ("4754"). */
  mode: string;
  path: string;
}

/** /var/lib/dpkg/statoverride: `user group mode path` a line. */
export function parseStatOverride(text: string): StatOverride[] {
  const out: StatOverride[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+(\S+)\s+([0-7]{1,5})\s+(\/.*)$/.exec(line.trim());
    if (m) out.push({ user: m[1], group: m[2], mode: m[3], path: m[4] });
  }
  return out;
}

export interface PathFilter {
  kind: 'exclude' | 'include';
  glob: string;
}

/**
 * `path-exclude=GLOB` and `path-include=GLOB` lines of /etc/dpkg/dpkg.cfg and dpkg.cfg.d/*
 * (minimal and container images drop docs and man pages this way): files dpkg never unpacked.
 */
export function parsePathFilters(text: string): PathFilter[] {
  const out: PathFilter[] = [];
  for (const raw of text.split('\n')) {
    const m = /^\s*(?:--)?path-(exclude|include)[=\s]\s*(\S.*?)\s*$/.exec(raw);
    if (m) out.push({ kind: m[1] as PathFilter['kind'], glob: m[2] });
  }
  return out;
}

/** fnmatch(3) without FNM_PATHNAME, as dpkg calls it: `*` crosses `/`. */
export function fnmatchRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) {
        re += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, close);
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      re += `[${body.replace(/\\/g, '\\\\')}]`;
      i = close;
    } else if (c === '\\' && i + 1 < glob.length) {
      re += glob[++i].replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

/** dpkg's rule: the last filter that matches decides; no match means the file is unpacked. */
export function isPathExcluded(p: string, filters: PathFilter[]): boolean {
  let excluded = false;
  for (const f of filters) if (fnmatchRegExp(f.glob).test(p)) excluded = f.kind === 'exclude';
  return excluded;
}
