import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/evidence/hash.js';
import { formatSums, parseSums } from '../../src/evidence/sums.js';

describe('SHA256SUMS', () => {
  it('is read by the real sha256sum -c, sorted by path', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'irt-sums-'));
    mkdirSync(path.join(dir, 'artifacts'));
    const files = { 'b.txt': 'bee\n', 'artifacts/a.jsonl': '{"a":1}\n', 'with space.txt': 'x' };
    for (const [rel, data] of Object.entries(files)) writeFileSync(path.join(dir, rel), data);
    const text = formatSums(Object.entries(files).map(([p, d]) => ({ path: p, sha256: sha256Hex(d) })));
    expect(text.split('\n')[0].endsWith('  artifacts/a.jsonl')).toBe(true);
    writeFileSync(path.join(dir, 'SHA256SUMS'), text);
    const out = execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dir, encoding: 'utf8' });
    expect(out.trim().split('\n')).toHaveLength(3);
    expect(out).not.toMatch(/FAILED/);
  });

  it('parses lines back and reports malformed ones by number', () => {
    const h = 'a'.repeat(64);
    const { entries, bad } = parseSums(`${h}  x/y\nnot a line\n${h} *bin\n`);
    expect([...entries]).toEqual([
      ['x/y', h],
      ['bin', h],
    ]);
    expect(bad).toEqual([2]);
  });
});
