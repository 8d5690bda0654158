import { describe, expect, it } from 'vitest';
import { RULES } from '../../src/rules/index.js';
import { TACTICS, TECHNIQUES, tacticsOf, technique, techniqueUrl } from '../../src/model/attack.js';

describe('ATT&CK table', () => {
  it('knows every technique a rule names, with at least one tactic', () => {
    const unknown: string[] = [];
    for (const rule of RULES) for (const id of rule.mitre) if (TECHNIQUES[id] === undefined) unknown.push(`${rule.id}: ${id}`);
    expect(unknown).toEqual([]);
  });

  it('gives every technique tactics from the matrix, no duplicates', () => {
    for (const [id, t] of Object.entries(TECHNIQUES)) {
      expect(id).toMatch(/^T\d{4}(\.\d{3})?$/);
      expect(t.tactics.length).toBeGreaterThan(0);
      expect(new Set(t.tactics).size).toBe(t.tactics.length);
      for (const tactic of t.tactics) expect(TACTICS).toContain(tactic);
    }
  });

  it('falls back from an unknown sub-technique to its parent, and knows nothing of unknown ids', () => {
    expect(technique('T1110.999')?.name).toBe('Brute Force');
    expect(tacticsOf('T1110.999')).toEqual(['credential-access']);
    expect(tacticsOf('T9999')).toEqual([]);
    expect(technique('')).toBeUndefined();
    for (const key of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) expect(technique(key)).toBeUndefined();
  });

  it('links to the technique page', () => {
    expect(techniqueUrl('T1110.001')).toBe('https://attack.mitre.org/techniques/T1110/001/');
    expect(techniqueUrl('T1046')).toBe('https://attack.mitre.org/techniques/T1046/');
  });
});
