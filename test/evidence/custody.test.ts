import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CustodyLog, verifyCustodyChain } from '../../src/evidence/custody.js';
import { sha256Hex, ZERO_HASH } from '../../src/evidence/hash.js';

function makeLog(events = 3): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'irt-custody-'));
  const file = path.join(dir, 'custody.jsonl');
  let t = Date.parse('2026-01-01T00:00:00Z');
  const log = new CustodyLog(file, () => new Date((t += 1000)));
  for (let i = 0; i < events; i++) log.append('ir-triage', `event-${i}`, { n: i });
  return file;
}

describe('custody log', () => {
  it('chains every line to the previous one, starting from 64 zeros', () => {
    const lines = readFileSync(makeLog(3), 'utf8').trimEnd().split('\n');
    const parsed = lines.map((l) => JSON.parse(l));
    expect(parsed.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(parsed[0].prev).toBe(ZERO_HASH);
    expect(parsed[1].prev).toBe(sha256Hex(lines[0]));
    expect(parsed[2].prev).toBe(sha256Hex(lines[1]));
    expect(parsed[0]).toMatchObject({ actor: 'ir-triage', event: 'event-0', time: '2026-01-01T00:00:01.000Z', n: 0 });
  });

  it('details can never override the chain fields', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'irt-custody-'));
    const log = new CustodyLog(path.join(dir, 'c.jsonl'));
    const e = log.append('x', 'y', { seq: 99, prev: 'forged' });
    expect(e.seq).toBe(1);
    expect(e.prev).toBe(ZERO_HASH);
  });

  it('verifies an intact chain', () => {
    expect(verifyCustodyChain(readFileSync(makeLog(5), 'utf8'))).toEqual([]);
  });

  it('names an edited line', () => {
    const file = makeLog(4);
    const text = readFileSync(file, 'utf8').replace('"event-1"', '"event-X"');
    const problems = verifyCustodyChain(text);
    expect(problems.map((p) => p.line)).toEqual([3]);
    expect(problems[0].message).toMatch(/line 3: chain broken/);
  });

  it('names a removed line', () => {
    const lines = readFileSync(makeLog(4), 'utf8').split('\n');
    lines.splice(1, 1);
    const problems = verifyCustodyChain(lines.join('\n'));
    expect(problems.some((p) => /seq 3, expected 2/.test(p.message))).toBe(true);
    expect(problems.some((p) => /chain broken/.test(p.message))).toBe(true);
  });

  it('names a line that is not JSON and a log cut short', () => {
    const file = makeLog(2);
    writeFileSync(file, readFileSync(file, 'utf8') + '{not json');
    const problems = verifyCustodyChain(readFileSync(file, 'utf8'));
    expect(problems.map((p) => p.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(/does not end with a newline/), expect.stringMatching(/line 3 is not JSON/)]),
    );
  });

  it('rejects an empty log', () => {
    expect(verifyCustodyChain('')[0].message).toMatch(/empty/);
  });
});
