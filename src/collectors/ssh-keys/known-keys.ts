import path from 'node:path';
import type { KnownKeyHit } from '../../model/access.js';

/**
 * The known-bad key list (playbooks/tools/keys.txt): keys and key comments that SSH kits plant.
 *
 * One entry a line: `FIELD;VALUE;DESCRIPTION`
 *   - comment:     VALUE is the whole key comment, compared exactly (case-sensitive)
 *   - comment-re:  VALUE is a JavaScript regex (flag u; a leading (?i) makes it case-insensitive),
 *                  searched in the comment; it may not contain ';'
 *   - fingerprint: VALUE is a fingerprint as `ssh-keygen -lf` prints it (SHA256:…, no padding)
 *   - DESCRIPTION runs to the end of the line and may contain ';'.
 * `#` starts a comment line; blank lines are ignored; a bad line is reported with its number.
 * Parsing never throws.
 */

export interface KnownKeyEntry {
  field: KnownKeyHit['field'];
  value: string;
  regex: RegExp | null;
  description: string;
  file: string;
  line: number;
}

export function parseKnownKeys(text: string, file: string): { entries: KnownKeyEntry[]; errors: Array<{ line: number; message: string }> } {
  const entries: KnownKeyEntry[] = [];
  const errors: Array<{ line: number; message: string }> = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) return;
    const first = line.indexOf(';');
    const second = first < 0 ? -1 : line.indexOf(';', first + 1);
    if (first < 0 || second < 0) {
      errors.push({ line: i + 1, message: 'expected FIELD;VALUE;DESCRIPTION' });
      return;
    }
    const field = line.slice(0, first).trim();
    const value = line.slice(first + 1, second).trim();
    const description = line.slice(second + 1).trim();
    if (value === '') {
      errors.push({ line: i + 1, message: 'empty value' });
      return;
    }
    if (field === 'comment') entries.push({ field, value, regex: null, description, file, line: i + 1 });
    else if (field === 'fingerprint') {
      if (!/^SHA256:[A-Za-z0-9+/]{43}$/.test(value)) {
        errors.push({ line: i + 1, message: 'a fingerprint is SHA256: and 43 base64 characters, as ssh-keygen -lf prints it' });
        return;
      }
      entries.push({ field, value, regex: null, description, file, line: i + 1 });
    } else if (field === 'comment-re') {
      const insensitive = value.startsWith('(?i)');
      try {
        entries.push({ field, value, regex: new RegExp(insensitive ? value.slice(4) : value, insensitive ? 'iu' : 'u'), description, file, line: i + 1 });
      } catch (err) {
        errors.push({ line: i + 1, message: `bad regex: ${(err as Error).message}` });
      }
    } else errors.push({ line: i + 1, message: `unknown field "${field}" (comment, comment-re or fingerprint)` });
  });
  return { entries, errors };
}

/** The entries a key matches. */
export function matchKnownKeys(entries: KnownKeyEntry[], key: { comment: string; fingerprint: string | null }): KnownKeyHit[] {
  const hits: KnownKeyHit[] = [];
  for (const e of entries) {
    const hit =
      (e.field === 'comment' && key.comment === e.value) ||
      (e.field === 'comment-re' && e.regex !== null && e.regex.test(key.comment)) ||
      (e.field === 'fingerprint' && key.fingerprint === e.value);
    if (hit) hits.push({ field: e.field, value: e.value, description: e.description, list: `${path.basename(e.file)}:${e.line}` });
  }
  return hits;
}
