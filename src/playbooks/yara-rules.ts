import { promises as fsp } from 'node:fs';
import path from 'node:path';
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
    try {
      const st = await fsp.stat(p);
      if (st.isDirectory()) files.push(...(await fsp.readdir(p)).filter((n) => /\.(yar|yara)$/.test(n)).sort().map((n) => path.join(p, n)));
      else files.push(p);
    } catch (err) {
      out.push({ file: p, error: describeFsError(err, p) });
    }
  }
  for (const file of new Set(files)) {
    try {
      out.push({ file, source: await fsp.readFile(file, 'utf8') });
    } catch (err) {
      out.push({ file, error: describeFsError(err, file) });
    }
  }
  return out;
}
