import { readFileSync, rmSync } from 'node:fs';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCENARIO, writeBruteForceRoot } from '../../bench/report-scenario.mjs';
import type { Finding } from '../../src/model/finding.js';
import { extract, tmpDir } from '../helpers/bundle.js';
import { runCli } from '../helpers/cli.js';

/*
 * `collect --root` with the default `--timeline aggregate` beside `--timeline full` on the same
 * brute-forced fake root: the attempts collapse into rows per address, user and minute whose
 * counts add up to the rows of the full timeline; logins stay one row each; the compromise is
 * still found; the manifest says which mode was used.
 */

const noUtmpdump = existsSync('/usr/bin/utmpdump') ? null : 'utmpdump (util-linux) is not installed';
type Row = Record<string, string>;

describe.skipIf(noUtmpdump)('--timeline aggregate (the default) against --timeline full', () => {
  const dirs: string[] = [];
  let agg: { rows: Row[]; manifest: Record<string, unknown>; findings: Finding[]; caseDir: string; header: string };
  let full: { rows: Row[]; manifest: Record<string, unknown>; findings: Finding[]; caseDir: string; header: string };
  let day: { rows: Row[]; manifest: Record<string, unknown>; findings: Finding[]; caseDir: string; header: string };

  async function run(name: string, extra: string[]) {
    const out = tmpDir('irt-tl-out-');
    dirs.push(out);
    const r = await runCli(['collect', '--root', dirs[0], '--out', out, '--case', name, '--json', ...extra]);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    const caseDir = extract(summary.bundle);
    dirs.push(path.dirname(caseDir));
    const csv = readFileSync(path.join(caseDir, 'timeline.csv'), 'utf8');
    return {
      rows: parse(csv, { columns: true }) as Row[],
      header: csv.split('\n')[0],
      manifest: JSON.parse(readFileSync(path.join(caseDir, 'manifest.json'), 'utf8')),
      findings: summary.findings as Finding[],
      caseDir,
    };
  }

  beforeAll(async () => {
    const root = tmpDir('irt-tl-root-');
    dirs.push(root);
    writeBruteForceRoot(root, { now: Date.now() });
    agg = await run('TL-AGG', []);
    full = await run('TL-FULL', ['--timeline', 'full']);
    day = await run('TL-DAY', ['--timeline', 'day']);
  }, 240_000);

  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('writes rows per address, user and minute whose counts are the events of the full timeline', () => {
    expect(agg.header).toBe('message,datetime,timestamp_desc,source,host,user,ip,pid,path,count,last_datetime');
    expect(full.header).toBe('message,datetime,timestamp_desc,source,host,user,ip,pid,path');
    const sum = (rows: Row[]) => rows.reduce((n, r) => n + Number(r.count), 0);
    expect(sum(agg.rows)).toBe(full.rows.length);
    const attempts = agg.rows.filter((r) => r.timestamp_desc === 'Auth: failed and pre-auth attempts (per address, user, minute)');
    expect(attempts.length).toBeGreaterThan(0);
    expect(attempts.length).toBeLessThan(full.rows.filter((r) => r.source === 'auth-log').length);
    // The intruder's failures: every one of them in the rows of its address.
    const failedOf = (rows: Row[]) => rows.reduce((n, r) => n + Number(/, (\d+) failed/.exec(r.message)?.[1] ?? 0), 0);
    expect(failedOf(attempts.filter((r) => r.ip === SCENARIO.intruder.address))).toBe(SCENARIO.intruder.failures);
    expect(full.rows.filter((r) => r.ip === SCENARIO.intruder.address && r.timestamp_desc === 'Auth: failed login')).toHaveLength(SCENARIO.intruder.failures);
    for (const r of attempts) expect(r.datetime.slice(0, 16)).toBe(r.last_datetime.slice(0, 16));
    // Rows that are not attempts are the full timeline's, one each.
    const single = (rows: Row[]) => rows.filter((r) => !r.timestamp_desc.startsWith('Auth: failed and pre-auth')).map((r) => [r.datetime, r.timestamp_desc, r.message]);
    const fullSingles = full.rows.filter((r) => r.source !== 'auth-log' || /accepted|session|sudo|su\b/.test(r.timestamp_desc)).map((r) => [r.datetime, r.timestamp_desc, r.message]);
    for (const r of fullSingles) expect(single(agg.rows)).toContainEqual(r);
  });

  it('still finds the compromise, the same findings as the full timeline', () => {
    expect(agg.findings.map((f) => [f.rule, f.title])).toEqual(full.findings.map((f) => [f.rule, f.title]));
    expect(agg.findings.some((f) => f.rule === 'auth.login-after-failures' && f.subject.ip === SCENARIO.intruder.address)).toBe(true);
  });

  it('says in the manifest which timeline it wrote, and writes timeline.jsonl only when asked', () => {
    expect(agg.manifest.timeline).toMatchObject({ mode: 'aggregate', files: ['timeline.csv'], events: agg.rows.length, represented: full.rows.length });
    expect(full.manifest.timeline).toMatchObject({ mode: 'full', files: ['timeline.csv'], events: full.rows.length, represented: full.rows.length });
    expect(existsSync(path.join(agg.caseDir, 'artifacts/timeline.jsonl'))).toBe(false);
  });

  it('--timeline day: one row per address and UTC day, counts adding up to the full timeline, the same findings', () => {
    const sum = (rows: Row[]) => rows.reduce((n, r) => n + Number(r.count), 0);
    expect(sum(day.rows)).toBe(full.rows.length);
    const attempts = day.rows.filter((r) => r.timestamp_desc === 'Auth: failed and pre-auth attempts (per address, day)');
    expect(attempts.length).toBeGreaterThan(0);
    for (const r of attempts) expect(r.datetime.slice(0, 10)).toBe(r.last_datetime.slice(0, 10));
    expect(new Set(attempts.map((r) => `${r.ip} ${r.datetime.slice(0, 10)}`)).size).toBe(attempts.length);
    expect(attempts.length).toBeLessThan(agg.rows.filter((r) => r.timestamp_desc.startsWith('Auth: failed and pre-auth')).length);
    expect(day.manifest.timeline).toMatchObject({ mode: 'day', represented: full.rows.length });
    const rules = (fs: Finding[]) => fs.map((f) => `${f.rule} ${f.title}`).sort();
    expect(rules(day.findings)).toEqual(rules(full.findings));
  });
});
