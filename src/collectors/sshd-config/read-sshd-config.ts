import path from 'node:path';
import { describeFsError, type RootedFs } from '../../host/rooted-fs.js';
import { secretContent } from '../../host/secrets.js';
import { globComponentRegExp } from './parse-sshd-config.js';
import { errorCode } from '../../host/errors.js';

export interface SshdConfigRead<T> {
  /** What the parse returned on the last round, when it asked for nothing new. */
  result: T;
  /** The main file does not exist: no sshd configured on this box. */
  missing: boolean;
  /** Files that exist but could not be read (permission, I/O), as one line each. */
  readErrors: string[];
  /** Every file read, inside the root, to its text (null: missing or unreadable). */
  texts: Map<string, string | null>;
}

export const MAX_CONFIG_BYTES = 1024 * 1024;
const MAX_ROUNDS = 64;

/**
 * sshd_config and its Includes, read through the rooted fs. The parsers are pure and take
 * synchronous callbacks, so the parse runs in rounds: each round answers from what was read so
 * far and notes what else it asked for; the files and folders asked for are read, and the parse
 * runs again until it asks for nothing new.
 */
export async function readSshdConfig<T>(
  fs: RootedFs,
  mainPath: string,
  parse: (readFile: (absPath: string) => string | null, listGlob: (pattern: string) => string[]) => T,
): Promise<SshdConfigRead<T>> {
  const files = new Map<string, string | null>();
  const dirs = new Map<string, string[] | null>();
  const readErrors: string[] = [];
  const unreadable = new Set<string>();
  let result: T | undefined;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const wantFiles = new Set<string>();
    const wantDirs = new Set<string>();
    result = parse(
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
    );
    if (wantFiles.size === 0 && wantDirs.size === 0) break;
    for (const file of wantFiles) {
      try {
        const text = await fs.readTextIfExists(file, MAX_CONFIG_BYTES);
        const secret = text === null ? null : secretContent(text);
        if (secret) {
          // An Include of /etc/shadow or a host key: never parsed (errors quote lines), never copied.
          files.set(file, null);
          unreadable.add(file);
          readErrors.push(`${file}: ${secret}: not read`);
        } else files.set(file, text);
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
  return { result: result as T, missing: files.get(mainPath) === null && !unreadable.has(mainPath), readErrors, texts: files };
}
