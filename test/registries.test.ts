import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACTIONS } from '../src/actions/index.js';
import { COLLECTORS } from '../src/collectors/index.js';
import { SEVERITIES } from '../src/model/finding.js';
import { RULES } from '../src/rules/index.js';

const sorted = (ids: string[]) => [...ids].sort();

describe('registries', () => {
  it('are sorted lists of unique ids', () => {
    for (const ids of [COLLECTORS.map((c) => c.id), RULES.map((r) => r.id), ACTIONS.map((a) => a.id)]) {
      expect(ids).toEqual(sorted(ids));
      expect(new Set(ids).size).toBe(ids.length);
    }
  });

  it('every collector is declared: title, one-line description, artifacts', () => {
    for (const c of COLLECTORS) {
      expect(c.id).toMatch(/^[a-z0-9-]+$/);
      expect(c.title.length).toBeGreaterThan(3);
      expect(c.description).not.toMatch(/\n/);
      expect(c.artifacts.length).toBeGreaterThan(0);
      for (const dep of c.after ?? []) expect(COLLECTORS.map((x) => x.id)).toContain(dep);
    }
  });

  it('every rule is declared in Sigma vocabulary and lives in src/rules/<area>/<name>.ts', () => {
    for (const r of RULES) {
      const [area, name] = r.id.split('.');
      expect(r.id).toMatch(/^[a-z]+\.[a-z0-9-]+$/);
      expect(SEVERITIES).toContain(r.level);
      expect(r.description.length).toBeGreaterThan(10);
      expect(Array.isArray(r.falsePositives)).toBe(true);
      for (const t of r.mitre) expect(t).toMatch(/^T\d{4}(\.\d{3})?$/);
      expect(existsSync(path.join('src/rules', area, `${name}.ts`))).toBe(true);
    }
  });
});
