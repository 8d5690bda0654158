import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { splitDetail } from '../../src/report/advice.js';
import { loadReportData } from '../../src/report/data.js';
import { renderHtml } from '../../src/report/html.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { tmpDirsOfThisFile } from '../helpers/bundle.js';

/** Temporary folders of this file, removed after its tests whatever their outcome. */
const tmp = tmpDirsOfThisFile();

const IMG = '<img src=x onerror=alert(1)>';
const ESC = '\x1b]0;pwned\x07\x1b[2J';
const PIPE = 'a|b`c*d_e\nrow';
// Every control a terminal would act on, and the bidi overrides that make text read otherwise.
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

function write(dir: string, rel: string, data: unknown, raw = false): void {
  const file = path.join(dir, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, raw ? String(data) : JSON.stringify(data, null, 2));
}

/** A case folder as a hostile box would fill it: every string the attacker controls is hostile. */
function hostileCase(): string {
  const dir = tmp('irt-render-');
  write(dir, 'manifest.json', {
    tool: { name: 'ir-triage', version: '0.1.0' },
    case: 'C-1',
    examiner: 'alice',
    host: { hostname: `web${IMG}` },
    commandLine: ['ir-triage', 'collect'],
    mode: 'live',
    root: true,
    startedAt: '2026-11-22T10:00:00.000Z',
    endedAt: '2026-11-22T10:01:00.000Z',
    partial: true,
    partialReasons: [`1 source(s) failed: logins.${ESC}`],
    interrupted: false,
    playbook: { id: 'ssh-compromise', sha256: 'ab'.repeat(32) },
    steps: [{ id: 's1', title: 'Who is on the box', kind: 'collect', ran: true }],
    sources: [
      { id: `logins.${ESC}`, status: 'error', message: `EACCES ${IMG}` }, { id: 'processes', status: 'ok' },
      { id: 'auth-log.auth.log', path: '/var/log/auth.log', status: 'ok', detail: '3 lines, 0 auth events', warning: `none of its 3 lines was understood (3 not understood: ${IMG} 3; 0 ignored)` },
    ],
    files: [{ path: `files/4242-${IMG}`, size: 10, sha256: 'cd'.repeat(32) }],
    timeline: { events: 12, dropped: 0 },
  });
  write(dir, 'findings.json', [
    {
      id: 'F-0001', rule: 'process.known-tool', severity: 'high', title: `Known tool running: ${IMG} (pid 4242)`,
      detail: `Pid 4242 (${IMG}) matched ${PIPE}. Freeze it with \`kill -STOP 4242\`, then find its folder.`,
      mitre: ['T1046'], subject: { pid: 4242, path: `/dev/shm/.x/${IMG}`, user: ESC, ip: null }, evidence: [`files/4242-${IMG}`],
    },
    { id: 'F-0002', rule: 'auth.bruteforce', severity: 'medium', title: 'SSH brute force', detail: 'x', mitre: [], subject: { ip: '198.51.100.1', failures: 40 }, evidence: [] },
    { rule: 42, severity: 'nonsense' },
    'not a finding',
  ]);
  write(dir, 'artifacts/sessions.jsonl', [
    JSON.stringify({ user: ESC, line: `pts/${IMG}`, host: PIPE, addr: null, pid: 9, login: '2026-11-22T09:00:00.000000Z', logout: null, end: 'still-logged-in', source: 'wtmp', file: '/var/log/wtmp' }),
    '{not json',
    JSON.stringify({ user: 'alice', line: 'pts/0', host: '192.0.2.10', addr: '192.0.2.10', pid: 8, login: '2026-11-21T09:00:00.000000Z', logout: '2026-11-21T09:30:00.000000Z', end: 'logout', source: 'wtmp', file: '/var/log/wtmp' }),
  ].join('\n') + '\n', true);
  write(dir, 'artifacts/auth-tally.json', [{ address: '198.51.100.1', failures: 40, failuresInvalidUser: 40, users: [{ user: ESC, count: 20 }, { user: IMG, count: 20 }], distinctUsers: 2, firstFailure: '2026-11-22T08:00:00.000Z', lastFailure: '2026-11-22T08:10:00.000Z', acceptedCount: 0 }]);
  write(dir, 'artifacts/auth-events.jsonl', [
    JSON.stringify({ time: '2026-11-22T08:00:00.000Z', kind: 'failed', user: ESC, message: `Failed password for ${ESC}` }),
    JSON.stringify({ time: '2026-11-22T08:01:00.000Z', kind: 'pam-failure', covered: true, message: 'x' }),
    JSON.stringify({ time: '2026-11-22T08:02:00.000Z', kind: 'pam-failure', covered: false, pamCount: 3, message: 'x' }),
    JSON.stringify({ time: '2026-11-22T08:30:00.000Z', kind: 'accepted', user: 'alice', message: `"kind":"failed" inside a message ${IMG}` }),
  ].join('\n') + '\n', true);
  write(dir, 'artifacts/processes.jsonl', JSON.stringify({ pid: 4242, ppid: 1, comm: IMG, argv: [`/dev/shm/.x/${IMG}`, ESC], exe: `/dev/shm/.x/${IMG}`, user: ESC, startTime: '2026-11-22T09:30:00.000Z' }) + '\n', true);
  write(dir, 'artifacts/open-files.jsonl', JSON.stringify({ pid: 4242, comm: IMG, user: ESC, exe: `/dev/shm/.x/${IMG}`, exeDeleted: true, exeSha256: 'ef'.repeat(32), preserved: { path: `files/4242-${IMG}`, sha256: 'ef'.repeat(32), size: 1234, truncated: false }, cwd: '/dev/shm/.x', folders: [`/dev/shm/.x/${IMG}`], connections: ['tcp a -> b'], unit: null, startedBy: `a shell of ${ESC}`, parents: [{ pid: 1, comm: IMG, exe: null, user: 'root', command: ESC }] }) + '\n', true);
  write(dir, 'artifacts/ssh-view.json', { ports: [22], outbound: [{ owner: { pid: 4242, comm: IMG, exe: null, title: '', uid: 33, user: ESC, cwd: null }, uid: 33, user: ESC, connections: 15, hosts: [IMG, '127.0.0.2'], states: { SYN_SENT: 15 }, synSent: 15, established: 0, remotePorts: [22], netns: [] }], inbound: [], listeners: [] });
  write(dir, 'artifacts/actions.json', [{ action: 'block-ip', target: IMG, ok: true, message: `blocked ${ESC}`, undoRecord: 'actions/block-ip-1.json' }, { action: 'freeze', target: 'pid 4242', ok: false, message: 'EPERM', undoRecord: '../../etc/passwd' }]);
  write(dir, 'actions/block-ip-1.json', { action: 'block-ip', appliedAt: '2026-11-22T10:00:30.000Z', summary: IMG, undo: [['nft', 'delete', 'rule', 'inet', 'ir_triage', 'input', 'handle', '7'], ['echo', ESC]] });
  write(dir, 'custody.jsonl', '{"seq":1}\n{"seq":2}\n', true);
  return dir;
}

describe('the report from a hostile case folder', () => {
  it('renders every box string in the HTML as text: no element, no attribute, no control character', async () => {
    const data = await loadReportData(hostileCase());
    const html = renderHtml(data);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<[a-z][^>]*\son\w+=/i);
    expect(html).not.toMatch(CONTROL);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('\\x1b]0;pwned\\x07\\x1b[2J');
    // Nothing to fetch: a CSP that forbids it, and no src, href to elsewhere, link or import.
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none';`);
    expect(html).not.toMatch(/<[a-z][^>]*\s(src|srcset|action)=/i);
    // Links go inside the page, or to a technique's page on attack.mitre.org (the ATT&CK view), nowhere else.
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
    expect(hrefs.filter((u) => !u.startsWith('#') && !/^https:\/\/attack\.mitre\.org\/techniques\/T\d{4}(\/\d{3})?\/$/.test(u))).toEqual([]);
    expect(hrefs).toContain('https://attack.mitre.org/techniques/T1046/');
    expect(html).not.toMatch(/<link|@import|url\(/i);
    // The rule's own `code` spans are set as code; the text around them stays escaped.
    expect(html).toContain('<code>kill -STOP 4242</code>');
  });

  it('renders every box string in the Markdown as text, and keeps table rows whole', async () => {
    const md = renderMarkdown(await loadReportData(hostileCase()));
    expect(md).not.toMatch(CONTROL);
    // No markup: every < is escaped.
    expect(md).not.toMatch(/(^|[^\\])</m);
    expect(md).toContain('\\<img src=x onerror=alert(1)\\>');
    expect(md).toContain('\\\\x1b\\]0;pwned\\\\x07\\\\x1b\\[2J');
    // Each table row has as many unescaped pipes as its header.
    const lines = md.split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (!/^\|---/.test(lines[i + 1] ?? '')) continue;
      const cols = (l: string) => l.replace(/\\\|/g, '').split('|').length;
      for (let j = i + 2; j < lines.length && lines[j].startsWith('|'); j++) expect(cols(lines[j]), lines[j]).toBe(cols(lines[i]));
    }
  });

  it('reads what it can and names what it cannot', async () => {
    const data = await loadReportData(hostileCase());
    expect(data.findings.map((f) => f.id)).toEqual(['F-0001', 'F-0002']);
    expect(data.unreadable).toEqual([
      expect.stringMatching(/^findings\.json \(2 entries not findings: \[2\] id: expected string \(missing\); \[3\] the document: expected object, received string\)$/),
      'artifacts/sessions.jsonl (1 line(s); line 2 is not valid JSON)',
    ]);
    expect(data.sessions.rows.map((s) => s.user)).toEqual(['alice', ESC]);
    expect(data.verdict).toMatchObject({ level: 'compromised', partial: true });
    // The chart counts as the tally does: a covered PAM line is not a second failure; a message is not a kind.
    expect(data.auth!.series()).toMatchObject({ failures: 4, logins: 1 });
    expect(data.processes.rows[0]).toMatchObject({ pid: 4242, comm: IMG, exeDeleted: true, findings: ['F-0001'], connections: 1 });
    // An undo record path that leaves actions/ is not followed.
    expect(data.actions.map((a) => [a.action, a.appliedAt, a.undo])).toEqual([
      ['block-ip', '2026-11-22T10:00:30.000Z', `nft delete rule inet ir_triage input handle 7 && echo '${ESC}'`],
      ['freeze', null, null],
    ]);
  });

  it('lists a source read with a warning (a log of which nothing was understood) beside the failed ones', async () => {
    const data = await loadReportData(hostileCase());
    const md = renderMarkdown(data);
    expect(md).toContain('### Sources that failed, were skipped or warn');
    expect(md).toMatch(/^\| auth-log\.auth\.log \| warning \| none of its 3 lines was understood \(3 not understood: \\<img src=x onerror=alert\(1\)\\> 3; 0 ignored\) \(3 lines, 0 auth events\) \|$/m);
    const html = renderHtml(data);
    expect(html).toContain('<span class="pill warning">warning</span>');
    expect(html).toContain('none of its 3 lines was understood (3 not understood: &lt;img src=x onerror=alert(1)&gt; 3; 0 ignored)');
    // Read with a warning is not "read without a problem".
    expect(html).toContain('1 source read without a problem');
  });

  it('shows a session seen in utmp and in wtmp once, naming both', async () => {
    const dir = tmp('irt-render-sessions-');
    const session = { user: 'alice', line: 'pts/0', host: '192.0.2.10', addr: '192.0.2.10', pid: 8, login: '2026-11-22T09:00:00.000000Z', logout: null, end: 'still-logged-in', file: '/run/utmp' };
    write(dir, 'artifacts/sessions.jsonl', [{ ...session, source: 'utmp' }, { ...session, source: 'wtmp', file: '/var/log/wtmp' }, { ...session, login: '2026-11-21T09:00:00.000000Z', source: 'wtmp' }].map((r) => JSON.stringify(r)).join('\n') + '\n', true);
    const data = await loadReportData(dir);
    expect(data.sessions.rows.map((r) => [r.login, r.source])).toEqual([
      ['2026-11-21T09:00:00.000000Z', 'wtmp'],
      ['2026-11-22T09:00:00.000000Z', 'utmp, wtmp'],
    ]);
  });

  it('renders an empty case folder without failing', async () => {
    const data = await loadReportData(tmp('irt-render-empty-'));
    expect(data.verdict.level).toBe('clean');
    expect(renderHtml(data)).toContain('No findings from the checks that ran.');
    expect(renderMarkdown(data)).toContain('Not in this bundle: the logins step did not run.');
  });
});

describe('a case of thousands of findings of one rule', () => {
  it('shows each rule\'s 25 most severe findings and counts the rest, which findings.json keeps', async () => {
    const dir = tmp('irt-render-many-');
    const brute = Array.from({ length: 3000 }, (_, i) => ({
      id: `F-${String(i + 2).padStart(4, '0')}`, rule: 'auth.bruteforce', severity: 'high', title: `SSH brute force from 10.0.${i >> 8}.${i & 255}: 100 failed logins`,
      detail: 'x', mitre: [], subject: { ip: `10.0.${i >> 8}.${i & 255}` }, evidence: [],
    }));
    const login = { id: 'F-0001', rule: 'auth.login-after-failures', severity: 'critical', title: 'Login accepted after 40 failures', detail: 'x', mitre: [], subject: { ip: '203.0.113.66' }, evidence: [] };
    write(dir, 'findings.json', [login, ...brute]);
    const data = await loadReportData(dir);
    expect(data.findings).toHaveLength(3001);
    const md = renderMarkdown(data);
    const html = renderHtml(data);
    for (const text of [md, html]) {
      expect(text).toContain('Login accepted after 40 failures');
      expect(text).toContain('2975 more auth.bruteforce findings are in findings.json (the report shows 25 per rule).');
      expect(text).toContain('SSH brute force from 10.0.0.24:');
      expect(text).not.toContain('SSH brute force from 10.0.0.25:');
    }
    expect(md).toContain('## Findings (3001)');
    expect(md.length).toBeLessThan(40_000);
    expect(html.length).toBeLessThan(80_000);
  });
});

describe('splitDetail', () => {
  it('splits at the first sentence of advice', () => {
    expect(splitDetail('Pid 7 holds 12 connections. This box is attacking others. Freeze the process. Tell the abuse desk.')).toEqual({
      why: 'Pid 7 holds 12 connections. This box is attacking others.',
      next: ['Freeze the process.', 'Tell the abuse desk.'],
    });
  });

  it('takes "Next:" as advice and capitalises it', () => {
    expect(splitDetail('It failed 10 times. Next: see what the session did.')).toEqual({ why: 'It failed 10 times.', next: ['See what the session did.'] });
  });

  it('keeps a detail without advice whole', () => {
    expect(splitDetail('Record 8 is all zero bytes.')).toEqual({ why: 'Record 8 is all zero bytes.', next: [] });
    // A first sentence is never advice: the finding must say what it saw.
    expect(splitDetail('Block 1 of wtmp is cut.')).toEqual({ why: 'Block 1 of wtmp is cut.', next: [] });
  });
});
