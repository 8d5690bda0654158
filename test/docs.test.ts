import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COLLECTORS } from '../src/collectors/index.js';
import { RULES } from '../src/rules/index.js';

describe('docs follow the registries', () => {
  it('docs/sources.md has a row for every collector', () => {
    const doc = readFileSync('docs/sources.md', 'utf8');
    for (const c of COLLECTORS) expect(doc, c.id).toMatch(new RegExp(`^\\| \`${c.id}\` \\|`, 'm'));
  });

  it('docs/rules.md has a row for every rule, with its level', () => {
    const doc = readFileSync('docs/rules.md', 'utf8');
    for (const r of RULES) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${r.id}\` |`));
      expect(row, r.id).toBeDefined();
      expect(row!, r.id).toContain(r.level);
    }
  });
});
