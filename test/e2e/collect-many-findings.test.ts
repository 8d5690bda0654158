import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/model/finding.js';
import { extract, tmpDir } from '../helpers/bundle.js';
import { runCli } from '../helpers/cli.js';

/*
 * `collect --root` on an image whose auth.log holds brute force from 40 addresses (a finding
 * each) and one login after failures: findings.json keeps every finding; the custody log names
 * each rule's first 25 and counts the rest with their ids; the reports show 25 per rule and say
 * how many more findings.json holds; the bundle still verifies.
 */

const ADDRESSES = 40;
/** The intruder's 12 failures make a brute-force finding too. */
const BRUTE = ADDRESSES + 1;

function authLog(): string {
  const lines: string[] = [];
  let pid = 1000;
  for (let a = 0; a < ADDRESSES; a++) {
    for (let i = 0; i < 12; i++) {
      const s = String((a * 12 + i) % 60).padStart(2, '0');
      lines.push(`2025-03-01T10:${String(Math.floor((a * 12 + i) / 60)).padStart(2, '0')}:${s}.000000+00:00 web1 sshd[${pid++}]: Failed password for root from 198.51.${100 + (a >> 4)}.${a + 1} port ${40000 + i} ssh2`);
    }
  }
  for (let i = 0; i < 12; i++) lines.push(`2025-03-01T11:00:${String(i).padStart(2, '0')}.000000+00:00 web1 sshd[${pid++}]: Failed password for deploy from 203.0.113.66 port ${50000 + i} ssh2`);
  lines.push(`2025-03-01T11:01:00.000000+00:00 web1 sshd[${pid}]: Accepted password for deploy from 203.0.113.66 port 50100 ssh2`);
  return lines.join('\n') + '\n';
}

describe('a collection with dozens of findings of one rule', () => {
  const dirs: string[] = [];
  let caseDir = '';
  let findings: Finding[] = [];
  let bundle = '';

  beforeAll(async () => {
    const root = tmpDir('irt-many-root-');
    const out = tmpDir('irt-many-out-');
    dirs.push(root, out);
    mkdirSync(path.join(root, 'var/log'), { recursive: true });
    mkdirSync(path.join(root, 'etc'), { recursive: true });
    writeFileSync(path.join(root, 'etc/timezone'), 'Etc/UTC\n');
    writeFileSync(path.join(root, 'var/log/auth.log'), authLog());
    const r = await runCli(['collect', '--root', root, '--out', out, '--case', 'MANY', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    findings = summary.findings;
    bundle = summary.bundle;
    caseDir = extract(bundle);
    dirs.push(path.dirname(caseDir));
  }, 120_000);

  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('keeps every finding in findings.json, names 25 per rule in the custody log and counts the rest', () => {
    const brute = findings.filter((f) => f.rule === 'auth.bruteforce');
    expect(brute).toHaveLength(BRUTE);
    expect(findings.some((f) => f.rule === 'auth.login-after-failures' && f.subject.ip === '203.0.113.66')).toBe(true);
    const raw = readFileSync(path.join(caseDir, 'findings.json'));
    expect(JSON.parse(raw.toString())).toHaveLength(findings.length);
    const custody = readFileSync(path.join(caseDir, 'custody.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const named = custody.filter((e) => e.event === 'finding');
    expect(named.filter((e) => e.rule === 'auth.bruteforce')).toHaveLength(25);
    expect(named.filter((e) => e.rule === 'auth.login-after-failures')).toHaveLength(1);
    const rest = custody.filter((e) => e.event === 'findings-not-listed');
    expect(rest).toHaveLength(1);
    expect(rest[0]).toMatchObject({ rule: 'auth.bruteforce', count: BRUTE - 25 });
    // The ids of the rest, as ranges, are exactly the findings not named one by one.
    const ids = new Set(named.map((e) => e.id));
    const notNamed = brute.map((f) => f.id).filter((id) => !ids.has(id));
    const expanded = (rest[0].ids as string[]).flatMap((r) => {
      const [a, b] = r.split('..');
      if (!b) return [a];
      const n = (s: string) => Number(s.slice(2));
      return Array.from({ length: n(b) - n(a) + 1 }, (_, i) => `F-${String(n(a) + i).padStart(4, '0')}`);
    });
    expect(expanded).toEqual(notNamed);
    const total = custody.find((e) => e.event === 'findings');
    expect(total).toMatchObject({ count: findings.length, file: 'findings.json', sha256: createHash('sha256').update(raw).digest('hex') });
  });

  it('shows 25 per rule in the reports and says how many more findings.json holds; the bundle verifies', async () => {
    for (const f of ['report.md', 'report.html']) {
      const text = readFileSync(path.join(caseDir, f), 'utf8');
      expect(text).toContain(`${BRUTE - 25} more auth.bruteforce findings are in findings.json`);
    }
    const v = await runCli(['verify', bundle]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
  });
});
