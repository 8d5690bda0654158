/**
 * An export of src/ that nothing uses is dead code that reads as an interface: every exported
 * function, class, constant or type must be used somewhere (imported by another module of src/,
 * test/ or bench/, re-exported, loaded with `await import`, or used in its own file).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './helpers/cli.js';

const EXPORT = /^export (?:default )?(?:async )?(?:function\*?|const|let|class|abstract class|interface|type|enum) (\w+)/gm;

function sources(dir: string, ends: RegExp): Record<string, string> {
  const out: Record<string, string> = {};
  const abs = path.join(REPO, dir);
  for (const f of readdirSync(abs, { recursive: true }).map(String)) {
    if (ends.test(f)) out[`${dir}/${f}`] = readFileSync(path.join(abs, f), 'utf8');
  }
  return out;
}

/** Exports of `files` (src/ paths) that no file of `all` uses, as "file: name". */
export function deadExports(files: Record<string, string>, all: Record<string, string>): string[] {
  // Every word any other file names, per file, so a name is looked up once.
  const wordsOf = new Map<string, Set<string>>();
  for (const [f, text] of Object.entries(all)) wordsOf.set(f, new Set(text.match(/\b\w+\b/g) ?? []));
  const dead: string[] = [];
  for (const [f, text] of Object.entries(files)) {
    for (const m of text.matchAll(EXPORT)) {
      const name = m[1];
      const ownUses = text.match(new RegExp(`\\b${name}\\b`, 'g'))?.length ?? 0;
      if (ownUses > 1) continue;
      const elsewhere = Object.keys(all).some((g) => g !== f && wordsOf.get(g)!.has(name));
      if (!elsewhere) dead.push(`${f}: ${name}`);
    }
  }
  return dead.sort();
}

describe('no dead exports in src/', () => {
  it('every export is used: in its own file, or named by another module, test or benchmark', () => {
    const src = sources('src', /\.ts$/);
    const all = { ...src, ...sources('test', /\.ts$/), ...sources('bench', /\.m?[jt]s$/), ...sources('scripts', /\.m?[jt]s$/) };
    expect(deadExports(src, all)).toEqual([]);
  });

  it('finds an export nobody names (the check itself can fail)', () => {
    const files = {
      'src/a.ts': 'export function used(): number { return 1; }\nexport function unused(): number { return 2; }\nexport const local = 1;\nconst y = local;\n',
      'src/b.ts': "import { used } from './a.js';\nused();\n",
    };
    expect(deadExports({ 'src/a.ts': files['src/a.ts'] }, files)).toEqual(['src/a.ts: unused']);
  });
});
