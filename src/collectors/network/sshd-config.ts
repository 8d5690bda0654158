import path from 'node:path';
import { describeFsError, errorCode, type RootedFs } from '../../host/rooted-fs.js';
import { sshdPorts, type SshdPortsResult } from './sshd-ports.js';

export interface SshdConfigPorts extends SshdPortsResult {
  /** The main file does not exist: no sshd configured on this box. */
  missing: boolean;
  /** Files that exist but could not be read (permission, I/O), as one line each. */
  readErrors: string[];
}

const MAX_CONFIG_BYTES = 1024 * 1024;
const MAX_ROUNDS = 64;

/** `*`, `?` and `[…]` of one path component, as glob(3) reads them. */
export function globComponentRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) {
        re += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, close);
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      re += `[${body.replace(/\\/g, '\\\\')}]`;
      i = close;
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * sshd_config and its Includes, read through the rooted fs. The parser (sshd-ports.ts) takes
 * synchronous callbacks, so it runs in rounds: each round answers from what was read so far and
 * notes what else it asked for; the files and folders asked for are read, and the parse runs
 * again until it asks for nothing new.
 */
export async function readSshdConfigPorts(fs: RootedFs, mainPath = '/etc/ssh/sshd_config'): Promise<SshdConfigPorts> {
  const files = new Map<string, string | null>();
  const dirs = new Map<string, string[] | null>();
  const readErrors: string[] = [];
  const unreadable = new Set<string>();
  let result: SshdPortsResult | null = null;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const wantFiles = new Set<string>();
    const wantDirs = new Set<string>();
    result = sshdPorts(
      (file) => {
        if (files.has(file)) return files.get(file)!;
        wantFiles.add(file);
        return null;
      },
      (pattern) => {
        const dir = path.posix.dirname(pattern);
        // Globs in folder names are rare in sshd_config; only the last component is expanded.
        if (/[*?[]/.test(dir)) return [];
        if (!dirs.has(dir)) {
          wantDirs.add(dir);
          return [];
        }
        const re = globComponentRegExp(path.posix.basename(pattern));
        return (dirs.get(dir) ?? []).filter((n) => re.test(n) && !n.startsWith('.')).map((n) => path.posix.join(dir, n));
      },
      mainPath,
    );
    if (wantFiles.size === 0 && wantDirs.size === 0) break;
    for (const file of wantFiles) {
      try {
        files.set(file, await fs.readTextIfExists(file, MAX_CONFIG_BYTES));
      } catch (err) {
        files.set(file, null);
        unreadable.add(file);
        readErrors.push(describeFsError(err, file));
      }
    }
    for (const dir of wantDirs) {
      try {
        dirs.set(dir, await fs.readdir(dir));
      } catch (err) {
        dirs.set(dir, null);
        if (errorCode(err) !== 'ENOENT') readErrors.push(describeFsError(err, dir));
      }
    }
  }
  return { ...result!, missing: files.get(mainPath) === null && !unreadable.has(mainPath), readErrors };
}
