/**
 * Year inference that holds: a rotation pair concatenated in either order, a file repeated, a
 * file across New Year, never past the file's mtime. Through the built CLI.
 */
import { utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AnalyzeResult } from '../../src/cli/analyze.js';
import { tmpDir } from '../helpers/bundle.js';
import { runCli } from '../helpers/cli.js';

const two = (n: number) => String(n).padStart(2, '0');
/** auth.log.1: twelve failures from 203.0.113.66 on Mar 1. */
const OLDER = Array.from({ length: 12 }, (_, i) => `Mar  1 10:00:${two(i)} web1 sshd[${900 + i}]: Failed password for root from 203.0.113.66 port ${40000 + i} ssh2`);
/** auth.log: the password works on Mar 8. */
const NEWER = ['Mar  8 09:00:00 web1 sshd[990]: Accepted password for root from 203.0.113.66 port 41000 ssh2'];

async function analyze(lines: string[], mtime: Date): Promise<AnalyzeResult> {
  const file = path.join(tmpDir('irt-years-'), 'all.log');
  writeFileSync(file, lines.join('\n') + '\n');
  utimesSync(file, mtime, mtime);
  const r = await runCli(['analyze', '--json', file]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as AnalyzeResult;
}

const MTIME = new Date(Date.UTC(2025, 2, 8, 12));

describe('year inference', () => {
  it('oldest first: the login after failures is found', async () => {
    const r = await analyze([...OLDER, ...NEWER], MTIME);
    expect(r.findings.map((f) => f.rule)).toContain('auth.login-after-failures');
    expect(r.addresses[0]).toMatchObject({ firstFailure: '2025-03-01T10:00:00.000Z' });
  });

  it('newest first (cat auth.log auth.log.1): the older half stays in its year, nothing after the mtime', async () => {
    const r = await analyze([...NEWER, ...OLDER], MTIME);
    expect(r.addresses[0]).toMatchObject({ address: '203.0.113.66', failures: 12, firstFailure: '2025-03-01T10:00:00.000Z', lastFailure: '2025-03-01T10:00:11.000Z' });
    expect(r.files[0].stats!.lastTime! <= MTIME.toISOString()).toBe(true);
    // The login still comes after its failures: the pairing goes by time, not by line order.
    const after = r.findings.filter((f) => f.rule === 'auth.login-after-failures');
    expect(after.map((f) => [f.subject.ip, f.subject.failuresBefore, f.severity])).toEqual([['203.0.113.66', 12, 'critical']]);
  });

  it('the two halves as separate files, in either order on the command line', async () => {
    const dir = tmpDir('irt-years-files-');
    const newer = path.join(dir, 'auth.log');
    const older = path.join(dir, 'auth.log.1');
    writeFileSync(older, OLDER.join('\n') + '\n');
    writeFileSync(newer, NEWER.join('\n') + '\n');
    utimesSync(older, new Date(Date.UTC(2025, 2, 1, 12)), new Date(Date.UTC(2025, 2, 1, 12)));
    utimesSync(newer, MTIME, MTIME);
    for (const files of [[older, newer], [newer, older]]) {
      const r = await runCli(['analyze', '--json', ...files]);
      expect(r.code, r.stderr).toBe(0);
      const result = JSON.parse(r.stdout) as AnalyzeResult;
      const after = result.findings.filter((f) => f.rule === 'auth.login-after-failures');
      expect(after.map((f) => [f.subject.ip, f.subject.failuresBefore])).toEqual([['203.0.113.66', 12]]);
    }
  });

  it('a file repeated ten times does not drift a year per copy', async () => {
    const lines = Array.from({ length: 10 }, () => [...OLDER, ...NEWER]).flat();
    const r = await analyze(lines, MTIME);
    expect(r.files[0].stats).toMatchObject({ firstTime: '2025-03-01T10:00:00.000Z', lastTime: '2025-03-08T09:00:00.000Z' });
  });

  it('a file across New Year moves to the next year at the turn', async () => {
    const r = await analyze([
      'Dec 31 23:59:50 web1 sshd[1]: Failed password for root from 203.0.113.67 port 1 ssh2',
      'Jan  1 00:00:10 web1 sshd[2]: Failed password for root from 203.0.113.67 port 2 ssh2',
    ], new Date(Date.UTC(2025, 0, 2)));
    expect(r.addresses[0]).toMatchObject({ firstFailure: '2024-12-31T23:59:50.000Z', lastFailure: '2025-01-01T00:00:10.000Z' });
  });
});
