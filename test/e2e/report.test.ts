import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCENARIO, writeBruteForceRoot } from '../../bench/report-scenario.mjs';
import type { Finding } from '../../src/model/finding.js';
import { extract, repack, tmpDir } from '../helpers/bundle.js';
import { runCli } from '../helpers/cli.js';
import { missingChromium, openInChromium } from '../report/browser.js';

/*
 * The report and the timeline of real bundles: a `collect --root` over a brute-forced fake root
 * (auth.log and auth.log.1, wtmp written by utmpdump -r, an attacker's user name holding terminal
 * escapes), and a live collect while a copy of sleep named like an HTML element runs from a hidden
 * folder in /dev/shm. The HTML is opened in Debian's chromium: it must show the box's text as text,
 * run nothing and fetch nothing.
 */

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const COLUMNS = ['message', 'datetime', 'timestamp_desc', 'source', 'host', 'user', 'ip', 'pid', 'path'];
const noUtmpdump = existsSync('/usr/bin/utmpdump') ? null : 'utmpdump (util-linux) is not installed';
const noChromium = missingChromium();

const readJsonl = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

/** A timeline.jsonl row as csv-parse reads it back from timeline.csv (every field text, formulas defused). */
function asCsvRecord(row: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    COLUMNS.map((c) => {
      const v = row[c] === null || row[c] === undefined ? '' : String(row[c]);
      return [c, /^[=+\-@\t\r]/.test(v) ? `'${v}` : v];
    }),
  );
}

describe.skipIf(noUtmpdump)('the report and timeline of a brute-forced box (collect --root)', () => {
  let out: string;
  let root: string;
  let bundle: string;
  let caseDir: string;
  let findings: Finding[];
  let csvRows: Array<Record<string, string>>;
  let parent: string | undefined;

  beforeAll(async () => {
    root = tmpDir('irt-report-root-');
    out = tmpDir('irt-report-out-');
    writeBruteForceRoot(root, { now: Date.now(), hostile: true });
    // One row per event and the JSONL copy, as they were before aggregation became the default (see timeline-aggregate.test.ts).
    const r = await runCli(['collect', '--root', root, '--out', out, '--case', 'REPORT-ROOT', '--examiner', 'j.doe', '--json', '--timeline', 'full', '--timeline-jsonl']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    bundle = summary.bundle;
    findings = summary.findings;
    caseDir = extract(bundle);
    csvRows = parse(readFileSync(path.join(caseDir, 'timeline.csv')), { columns: true }) as Array<Record<string, string>>;
  }, 120_000);

  afterAll(() => {
    for (const d of [root, out, caseDir && path.dirname(caseDir), parent]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('writes timeline.csv with Timesketch columns first, ISO 8601 times with a zone, in time order', () => {
    const header = readFileSync(path.join(caseDir, 'timeline.csv'), 'utf8').split('\n')[0];
    expect(header).toBe(COLUMNS.join(','));
    expect(csvRows.length).toBeGreaterThan(0);
    for (const row of csvRows) expect(row.datetime, row.message).toMatch(ISO_WITH_ZONE);
    const times = csvRows.map((r) => Date.parse(r.datetime));
    for (let i = 1; i < times.length; i++) expect(times[i], csvRows[i].message).toBeGreaterThanOrEqual(times[i - 1]);
    expect(new Set(csvRows.map((r) => r.host))).toEqual(new Set([SCENARIO.hostname]));
  });

  it('holds every auth event of the logs, each failure of the brute force included', () => {
    const events = readJsonl(path.join(caseDir, 'artifacts/auth-events.jsonl')).filter((e) => e.time !== '');
    const auth = csvRows.filter((r) => r.source === 'auth-log');
    expect(auth).toHaveLength(events.length);
    const failed = auth.filter((r) => r.timestamp_desc === 'Auth: failed login');
    const expected = SCENARIO.intruder.failures + SCENARIO.scanners.reduce((n, s) => n + s.failures, 0) + 1;
    expect(failed).toHaveLength(expected);
    expect(failed.filter((r) => r.ip === SCENARIO.intruder.address)).toHaveLength(SCENARIO.intruder.failures);
    // The same events, time for time.
    expect(auth.map((r) => Date.parse(r.datetime)).sort((a, b) => a - b)).toEqual(events.map((e) => Date.parse(String(e.time))).sort((a, b) => a - b));
    const accepted = auth.filter((r) => r.timestamp_desc === 'Auth: accepted login' && r.user === SCENARIO.intruder.user);
    expect(accepted.map((r) => r.ip)).toEqual([SCENARIO.intruder.address]);
    // The session from wtmp, and the file times of what a finding flagged.
    expect(csvRows.filter((r) => r.source === 'wtmp' && r.user === SCENARIO.intruder.user).map((r) => r.timestamp_desc)).toEqual(['Login', 'Logout']);
  });

  it('writes artifacts/timeline.jsonl with the same rows in the same order', () => {
    const jsonl = readJsonl(path.join(caseDir, 'artifacts/timeline.jsonl'));
    expect(Object.keys(jsonl[0])).toEqual(COLUMNS);
    expect(jsonl.map(asCsvRecord)).toEqual(csvRows);
    const manifest = JSON.parse(readFileSync(path.join(caseDir, 'manifest.json'), 'utf8'));
    expect(manifest.timeline).toMatchObject({ events: jsonl.length, dropped: 0 });
    // Partial only where the run could not read everything (not as root, say): the headline says so.
    const headline = `Likely compromised: login as ${SCENARIO.intruder.user} from ${SCENARIO.intruder.address} after ${SCENARIO.intruder.failures} failed attempts`;
    expect(manifest.verdict).toEqual({ level: 'compromised', headline: `${headline}${manifest.partial ? ' (partial collection)' : ''}`, partial: manifest.partial });
  });

  it.skipIf(noChromium)('renders report.html that chromium shows without running or fetching anything, box text as text', async () => {
    const file = path.join(caseDir, 'report.html');
    const b = await openInChromium(file);
    try {
      expect(b.consoleErrors).toEqual([]);
      expect(b.pageErrors).toEqual([]);
      expect(b.dialogs).toEqual([]);
      expect(b.requests).toEqual([`file://${file}`]);
      const text = await b.page.evaluate(() => document.body.innerText);
      expect(text).toContain(`Likely compromised: login as ${SCENARIO.intruder.user} from ${SCENARIO.intruder.address} after ${SCENARIO.intruder.failures} failed attempts`);
      for (const f of findings) expect(text).toContain(f.title);
      expect(await b.page.locator('article.finding').count()).toBe(findings.length);
      // The attacker's user name, escapes and all, is shown as the characters it is made of.
      expect(text).toContain('\\x1b]0;pwned\\x07\\x1b[2J');
      expect(await b.page.title()).not.toContain('pwned');
      // The chart is drawn: a bar per busy bucket and the accepted logins on their lane.
      expect(await b.page.locator('svg.chart rect.fail').count()).toBeGreaterThan(10);
      expect(await b.page.locator('svg.chart circle.login').count()).toBeGreaterThanOrEqual(2);
      expect(await b.page.locator('#attackers tbody tr').count()).toBe(4);
    } finally {
      await b.close();
    }
  }, 60_000);

  it('re-renders the same report from the bundle with ir-triage report, after verifying it', async () => {
    const md = await runCli(['report', bundle, '--format', 'md']);
    expect(md.code).toBe(0);
    expect(md.stderr).toMatch(/^ir-triage: bundle verified: \d+ files, custody chain intact\n$/);
    // The same renderer from the same files: only the verification line is new.
    expect(md.stdout).toMatch(/^Bundle verified: \d+ files match SHA256SUMS and manifest.json, custody chain intact.$/m);
    expect(md.stdout.replace(/^Bundle verified: .*\n\n/m, '')).toBe(readFileSync(path.join(caseDir, 'report.md'), 'utf8'));

    const html = await runCli(['report', bundle]);
    expect(html.code).toBe(0);
    const written = path.join(out, 'REPORT-ROOT.report.html');
    expect(html.stdout).toBe(`${written}\n`);
    expect(readFileSync(written, 'utf8')).toContain('Bundle verified: ');
    // The bundle beside it is untouched and still verifies.
    expect((await runCli(['verify', bundle])).code).toBe(0);
  });

  it.skipIf(noChromium)('refuses a tampered bundle (exit 1, nothing rendered), and renders it with the problems in a banner with --force', async () => {
    parent = tmpDir('irt-report-tamper-');
    execFileSync('cp', ['-a', caseDir, parent]);
    const copy = path.join(parent, 'REPORT-ROOT');
    execFileSync('sed', ['-i', `s/${SCENARIO.intruder.address}/192.0.2.1/g`, path.join(copy, 'findings.json')]);
    const tampered = path.join(out, 'tampered.tar.gz');
    repack(copy, tampered);
    const target = path.join(out, 'tampered.html');
    const r = await runCli(['report', tampered, '--out', target]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('bundle NOT verified');
    expect(r.stderr).toContain('nothing was unpacked or rendered');
    expect(r.stderr).toContain('problem: hash mismatch: findings.json');
    expect(existsSync(target)).toBe(false);
    expect((await runCli(['report', tampered, '--out', target, '--force'])).code).toBe(0);
    const b = await openInChromium(target);
    try {
      const banner = await b.page.locator('.banner.bad').innerText();
      expect(banner).toContain('this bundle did not verify');
      expect(banner).toContain('hash mismatch: findings.json');
    } finally {
      await b.close();
    }
    // An existing output is never replaced: a second run is refused with one line.
    const again = await runCli(['report', tampered, '--out', target, '--force']);
    expect(again.code).toBe(1);
    expect(again.stderr.trimEnd().split('\n').at(-1)).toBe(`ir-triage: ${target} already exists: remove it or choose another --out`);
  }, 60_000);
});

describe.skipIf(noChromium)('a process named like an HTML element (live collect, then ir-triage report)', () => {
  const NAME = '<img src=x onerror=alert(1)>';
  let dir: string;
  let out: string;
  let child: ChildProcess;
  let bundle: string;

  beforeAll(async () => {
    dir = mkdtempSync('/dev/shm/.irt-report-');
    const exe = path.join(dir, NAME);
    copyFileSync('/bin/sleep', exe);
    child = spawn(exe, ['300'], { stdio: 'ignore', cwd: dir });
    for (let i = 0; i < 200; i++) {
      try {
        if (readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').startsWith(exe)) break;
      } catch {
        // not yet
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    out = tmpDir('irt-report-live-');
    const r = await runCli(['collect', '--out', out, '--case', 'REPORT-LIVE', '--json']);
    expect(r.code).toBe(0);
    bundle = JSON.parse(r.stdout).bundle;
    const flagged = (JSON.parse(r.stdout).findings as Finding[]).filter((f) => f.subject.pid === child.pid);
    expect(flagged.map((f) => f.rule)).toContain('process.exe-in-writable-dir');
  }, 180_000);

  afterAll(() => {
    child?.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('shows the name as text in chromium: no element made of it, no dialog, no request', async () => {
    const target = path.join(out, 'live.html');
    const r = await runCli(['report', bundle, '--out', target]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/bundle verified: \d+ files, custody chain intact/);
    const b = await openInChromium(target);
    try {
      expect(b.consoleErrors).toEqual([]);
      expect(b.pageErrors).toEqual([]);
      expect(b.dialogs).toEqual([]);
      expect(b.requests).toEqual([`file://${target}`]);
      expect(await b.page.locator('img').count()).toBe(0);
      const card = b.page.locator('#processes .proc', { hasText: `pid ${child.pid}` });
      expect(await card.count()).toBe(1);
      const text = await card.innerText();
      expect(text).toContain(path.join(dir, NAME));
      expect(text).toContain(NAME.slice(0, 15));
    } finally {
      await b.close();
    }
    const md = await runCli(['report', bundle, '--format', 'md']);
    expect(md.stdout).toContain('\\<img src=x onerror=alert(1)\\>');
  }, 60_000);
});
