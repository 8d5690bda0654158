import path from 'node:path';
import { readdir, readTextFile } from '../assets.js';
import { errnoCode } from '../host/errors.js';
import type { YaraRuleSource } from '../collectors/types.js';
import { describeFsError } from '../host/rooted-fs.js';
import type { Playbook } from './loader.js';

/**
 * The responder's YARA rule files: --yara paths (from the working folder), then the playbook's
 * `yara:` (from the playbook's folder), absolute, as tool lists are resolved. These are the
 * examiner's own files, not the box's: they are read here, once, and reach the yara collector as
 * text through its options.
 */
export function yaraRulePaths(given: readonly string[], playbook: Pick<Playbook, 'file' | 'data'>): string[] {
  return [...given.map((f) => path.resolve(f)), ...(playbook.data.yara ?? []).map((f) => path.resolve(path.dirname(playbook.file), f))];
}

/**
 * Each rule file's text, or why it could not be read, in order: paths that could not be listed
 * first, then every file (a folder gives its .yar and .yara files, sorted; a file named twice is
 * read once). Undefined when no path was given.
 */
export async function readYaraRules(paths: readonly string[]): Promise<YaraRuleSource[] | undefined> {
  if (paths.length === 0) return undefined;
  const out: YaraRuleSource[] = [];
  const files: string[] = [];
  for (const p of paths) {
    // Through src/assets.ts: the shipped playbook's rules (playbooks/yara/) are embedded in the single-file builds.
    try {
      files.push(...(await readdir(p)).filter((n) => /\.(yar|yara)$/.test(n)).sort().map((n) => path.join(p, n)));
    } catch (err) {
      if (errnoCode(err) === 'ENOTDIR') files.push(p);
      else out.push({ file: p, error: describeFsError(err, p) });
    }
  }
  for (const file of new Set(files)) {
    try {
      out.push({ file, source: await readTextFile(file) });
    } catch (err) {
      out.push({ file, error: describeFsError(err, file) });
    }
  }
  return out;
}
