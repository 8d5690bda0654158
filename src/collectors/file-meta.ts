import { commandOk, type CommandResult } from '../host/exec.js';
import type { RootedFs, Stats } from '../host/rooted-fs.js';
import type { FileAttributes, FileMeta } from '../model/access.js';
import type { CollectContext } from './types.js';

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function kind(st: Stats): FileMeta['type'] {
  if (st.isSymbolicLink()) return 'link';
  if (st.isDirectory()) return 'dir';
  if (st.isFile()) return 'file';
  return 'other';
}

/**
 * stat of one path inside the root, with the link target when the path itself is a symbolic
 * link (an authorized_keys pointing at /dev/null or at another user's file says something).
 * Throws the fs error (ENOENT for a missing file).
 */
export async function fileMeta(fs: RootedFs, inside: string, owners: ReadonlyMap<number, string>): Promise<FileMeta> {
  const l = await fs.lstat(inside);
  let linkTarget: string | null = null;
  let st = l;
  if (l.isSymbolicLink()) {
    linkTarget = await fs.readlink(inside);
    st = await fs.stat(inside).catch(() => l);
  }
  return {
    path: inside,
    type: l.isSymbolicLink() && st === l ? 'link' : kind(st),
    linkTarget,
    size: st.size,
    mode: `0${(st.mode & 0o7777).toString(8).padStart(3, '0')}`,
    uid: st.uid,
    gid: st.gid,
    owner: owners.get(st.uid) ?? null,
    mtime: iso(st.mtimeMs),
    ctime: iso(st.ctimeMs),
    // statx reports no birth time as 0 (file systems without one, such as /proc or older NFS).
    birth: st.birthtimeMs > 0 ? iso(st.birthtimeMs) : null,
  };
}

export function unknownAttributes(note: string): FileAttributes {
  return { flags: null, immutable: null, appendOnly: null, note };
}

/** lsattr's output: `FLAGS PATH` per line; flags `i` (immutable) and `a` (append only). */
export function parseLsattr(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const m = /^([-A-Za-z]+) (.+)$/.exec(line);
    if (m) out.set(m[2], m[1]);
  }
  return out;
}

export function attributesFromFlags(flags: string): FileAttributes {
  return { flags, immutable: flags.includes('i'), appendOnly: flags.includes('a'), note: null };
}

/** Paths per lsattr run: argv stays far below ARG_MAX however many accounts the box has. */
const LSATTR_BATCH = 500;

/**
 * The immutable and append-only flags of these files (paths inside the root), with the box's
 * `lsattr -d` (FS_IOC_GETFLAGS is not reachable from Node). Live only: offline the flags are
 * recorded as unknown. One command per LSATTR_BATCH paths, named NAME, NAME-2, …; the caller
 * keeps their raw output.
 */
export async function readAttributes(
  ctx: CollectContext,
  insidePaths: string[],
  name: string,
): Promise<{ attributes: Map<string, FileAttributes>; results: CommandResult[]; note: string | null }> {
  const attributes = new Map<string, FileAttributes>();
  const results: CommandResult[] = [];
  const unique = [...new Set(insidePaths)];
  const setAll = (paths: string[], note: string) => {
    for (const p of paths) attributes.set(p, unknownAttributes(note));
  };
  if (unique.length === 0) return { attributes, results, note: null };
  if (ctx.host.mode !== 'live') {
    const note = 'offline: lsattr is run only on the live system';
    setAll(unique, note);
    return { attributes, results, note };
  }
  // Live the root is /: the paths inside are the paths on the box. A name with a newline cannot be read back from lsattr's output.
  setAll(unique.filter((p) => p.includes('\n')), 'a newline in the name: not asked');
  const askable = unique.filter((p) => !p.includes('\n'));
  const notes: string[] = [];
  for (let i = 0; i < askable.length; i += LSATTR_BATCH) {
    const batch = askable.slice(i, i + LSATTR_BATCH);
    const result = await ctx.host.exec(
      { name: i === 0 ? name : `${name}-${i / LSATTR_BATCH + 1}`, argv: ['lsattr', '-d', '--', ...batch], timeoutMs: ctx.options.commandTimeoutMs, maxBytes: 4 * 1024 * 1024, okExitCodes: [1] },
      ctx.host.signal,
    );
    if (result.notInstalled) {
      const note = 'lsattr (e2fsprogs) is not installed';
      setAll(askable, note);
      return { attributes, results, note };
    }
    results.push(result);
    const flags = parseLsattr(result.stdout.toString('utf8'));
    const stderr = result.stderr.split('\n');
    for (const p of batch) {
      const f = flags.get(p);
      if (f !== undefined) attributes.set(p, attributesFromFlags(f));
      else {
        // lsattr: Operation not supported While reading flags on /path
        const why = stderr.find((l) => l.endsWith(` ${p}`) || l.includes(` ${p}:`));
        attributes.set(p, unknownAttributes(why ? why.replace(/^lsattr: /, '').slice(0, 200) : 'not reported by lsattr'));
      }
    }
    if (!commandOk(result, [1])) notes.push(result.timedOut ? 'lsattr timed out' : result.error ?? `lsattr exit ${String(result.exitCode ?? result.signal)}`);
  }
  return { attributes, results, note: notes.length ? notes.join('; ') : null };
}
