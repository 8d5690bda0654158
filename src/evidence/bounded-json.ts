import type { z } from 'zod';
import type { BundleLimits } from './limits.js';
import { bytesLimitText } from './safe-open.js';

/**
 * JSON.parse has no limits: a few hundred megabytes of `[]` become gigabytes of objects, and
 * deep nesting overflows the stack. The text is scanned first (length, nesting depth, number of
 * values, outside strings) and parsed only when it stays within the limits.
 */

export type JsonLimits = Pick<BundleLimits, 'maxJsonBytes' | 'maxJsonDepth' | 'maxJsonValues'>;

/** Why `text` is over a limit, or null when it is within them all. Not a validator: JSON.parse still decides what is JSON. */
export function jsonLimitProblem(text: string, limits: JsonLimits): string | null {
  // Characters, not bytes: each is at least one byte in the file, so this never undercounts.
  if (text.length > limits.maxJsonBytes) return `larger than ${bytesLimitText(limits.maxJsonBytes)}`;
  let depth = 0;
  let values = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
      continue;
    }
    switch (c) {
      case 0x22: // "
        inString = true;
        values++;
        break;
      case 0x5b: // [
      case 0x7b: // {
        if (++depth > limits.maxJsonDepth) return `nesting deeper than ${limits.maxJsonDepth}`;
        values++;
        break;
      case 0x5d: // ]
      case 0x7d: // }
        depth--;
        break;
      case 0x2c: // , : one more value follows
        values++;
        break;
      default:
        continue;
    }
    if (values > limits.maxJsonValues) return `more than ${limits.maxJsonValues.toLocaleString('en-US')} values`;
  }
  return null;
}

export type JsonResult<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/** `files[3].sha256: expected string, received null`, one per issue zod found (the first few). */
export function schemaProblems(error: z.ZodError, max = 5): string[] {
  const out = error.issues.slice(0, max).map((i) => {
    const where = i.path.length ? pathText(i.path) : 'the document';
    const message = i.message.replace(/^Invalid input: /, '').replace(/, received undefined$/, ' (missing)');
    return `${where}: ${message}`;
  });
  if (error.issues.length > max) out.push(`and ${error.issues.length - max} more`);
  return out;
}

function pathText(p: ReadonlyArray<PropertyKey>): string {
  let s = '';
  for (const k of p) s += typeof k === 'number' ? `[${k}]` : s ? `.${String(k)}` : String(k);
  return s;
}

/**
 * Scans, parses and validates `text` as `name` (manifest.json, custody.jsonl line 3): each
 * problem is one line naming the file and what is wrong with it.
 */
export function parseBoundedJson<S extends z.ZodType>(name: string, text: string, schema: S, limits: JsonLimits): JsonResult<z.infer<S>> {
  const over = jsonLimitProblem(text, limits);
  if (over) return { ok: false, problems: [`${name}: ${over}`] };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, problems: [`${name} is not valid JSON`] };
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) return { ok: false, problems: schemaProblems(parsed.error).map((p) => `${name}: ${p}`) };
  return { ok: true, value: parsed.data };
}
