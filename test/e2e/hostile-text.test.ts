import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tmpDir } from '../helpers/bundle.js';
import { runCli } from '../helpers/cli.js';
import { craftCase, custodyLines, packCase } from '../helpers/craft.js';

/**
 * A bundle that verifies, made by someone who put terminal escapes (SGR, OSC 8 links, OSC 52
 * clipboard writes, a one-byte C1 CSI), HTML and Markdown links into every string: the case
 * folder's name, host, examiner, times, finding titles, subjects, paths and user names. Every
 * command's output is walked: none of it may reach a terminal, a Markdown viewer or a browser raw.
 */

const ESC = '\x1b[31mRED\x1b]8;;http://evil.example/\x07click\x1b]8;;\x07\x1b]52;c;cHduZWQ=\x07\x9b2J\u202e';
const HTML = '<script>alert(1)</script><img src=x onerror=alert(2)>';
const MD = '[login](http://evil.example/x) `rm -rf /` ![i](http://evil.example/i.png) www.evil.example';
const HOSTILE = `${ESC}${HTML}${MD}`;
// A folder name cannot hold '/': the same, without it.
const CASE = `C-${ESC.replaceAll('/', '')}<img src=x onerror=alert(3)>[x](javascript:alert(4))\``;

// What a terminal acts on: C0 controls but tab and newline, DEL, C1, bidi overrides.
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

/** artifacts/incidents.json with the same text in every string it holds: ids, title, subjects, joins, the story. */
function hostileIncidents(): unknown {
  const id = `I-01${HOSTILE}`;
  return {
    version: 1,
    main: id,
    incidents: [
      {
        id,
        title: `Incident ${HOSTILE}`,
        severity: 'high',
        findings: ['F-0001', 'F-0002', `F-0003${HOSTILE}`],
        subjects: { pids: [4242], paths: [HOSTILE], folders: [HOSTILE], addresses: [HOSTILE], accounts: [HOSTILE], sha256: [HOSTILE] },
        joins: [{ a: 'F-0001', b: 'F-0002', reason: HOSTILE, value: HOSTILE }],
        tactics: ['discovery'],
        first: HOSTILE,
        last: HOSTILE,
        story: [
          { time: HOSTILE, kind: 'event', tactic: 'discovery', techniques: ['T1046', HOSTILE], text: HOSTILE, evidence: [HOSTILE], findings: ['F-0001', HOSTILE] },
          { time: null, kind: 'gap', tactic: null, techniques: [], text: HOSTILE, evidence: [], findings: [] },
        ],
      },
    ],
  };
}

let dir: string;
let bundle: string;
let log: string;

beforeAll(() => {
  dir = tmpDir('irt-hostile-text-');
  const finding = (i: number) => ({
    id: `F-000${i}`,
    rule: 'process.known-tool',
    severity: 'high',
    title: `Known tool ${HOSTILE}`,
    detail: `Detail ${HOSTILE}`,
    mitre: ['T1046'],
    subject: { pid: 4242, user: HOSTILE, path: `/dev/shm/${HOSTILE}`, ip: HOSTILE },
    evidence: [`files/${HOSTILE}`],
  });
  const caseDir = craftCase(dir, CASE, {
    manifest: { host: { hostname: HOSTILE, machineId: HOSTILE }, examiner: HOSTILE, startedAt: HOSTILE, endedAt: HOSTILE, mode: HOSTILE, partial: true, partialReasons: [HOSTILE], commandLine: ['ir-triage', HOSTILE], sources: [{ id: HOSTILE, status: 'error', message: HOSTILE }] },
    custody: custodyLines([{ event: 'case-opened', actor: HOSTILE, time: HOSTILE }, { event: HOSTILE }]),
    files: {
      'findings.json': JSON.stringify([finding(1), finding(2)]),
      'artifacts/sessions.jsonl': JSON.stringify({ user: HOSTILE, line: HOSTILE, host: HOSTILE, addr: HOSTILE, pid: 9, login: HOSTILE, logout: HOSTILE, end: HOSTILE, source: HOSTILE, file: HOSTILE }) + '\n',
      'artifacts/processes.jsonl': JSON.stringify({ pid: 4242, comm: HOSTILE, argv: [HOSTILE], exe: HOSTILE, user: HOSTILE, startTime: HOSTILE }) + '\n',
      'artifacts/auth-tally.json': JSON.stringify([{ address: HOSTILE, failures: 3, failuresInvalidUser: 1, users: [{ user: HOSTILE, count: 3 }], distinctUsers: 1, firstFailure: HOSTILE, lastFailure: HOSTILE, acceptedCount: 0 }]),
      'artifacts/actions.json': JSON.stringify([{ action: HOSTILE, target: HOSTILE, ok: true, message: HOSTILE, undoRecord: 'actions/a.json' }]),
      'actions/a.json': JSON.stringify({ action: HOSTILE, appliedAt: HOSTILE, summary: HOSTILE }),
      'artifacts/incidents.json': JSON.stringify(hostileIncidents()),
    },
  });
  bundle = packCase(caseDir, path.join(dir, 'hostile.tar.gz'));
  // A log handed to analyze: user names and the file's own name carry the same text (no '/' or space in them).
  const user = `${ESC.replaceAll('/', '')}<script>alert(1)<\\script>[x](javascript:y)\``.replaceAll(' ', '');
  log = path.join(dir, `auth.log${ESC.replaceAll('/', '')}<b>`);
  const lines = Array.from({ length: 12 }, (_, i) => `Jan  5 10:00:${String(i).padStart(2, '0')} web1 sshd[${100 + i}]: Failed password for invalid user ${user} from 203.0.113.9 port ${4000 + i} ssh2`);
  lines.push(`Jan  5 10:01:00 web1 sshd[200]: Accepted password for ${user} from 203.0.113.9 port 5000 ssh2`);
  writeFileSync(log, lines.join('\n') + '\n');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function expectNoControls(name: string, text: string): void {
  const m = CONTROL.exec(text);
  expect(m, `${name}: raw control character U+${m?.[0].charCodeAt(0).toString(16)} at ${m?.index}: ${JSON.stringify(text.slice(Math.max(0, (m?.index ?? 0) - 40), (m?.index ?? 0) + 40))}`).toBeNull();
}

describe('every output of a hostile bundle', () => {
  it('is intact (so every renderer sees it)', async () => {
    const r = await runCli(['verify', bundle, '--json']);
    expect(JSON.parse(r.stdout).problems).toEqual([]);
    expect(r.code).toBe(0);
    // JSON keeps the data exactly: escaped, not altered.
    expect(JSON.parse(r.stdout).case).toBe(CASE);
  });

  it('verify, text and --json: no control character reaches the terminal', async () => {
    for (const args of [['verify', bundle], ['verify', bundle, '--json'], ['verify', path.join(dir, CASE)]]) {
      const r = await runCli(args);
      expectNoControls(args.join(' '), r.stdout + r.stderr);
    }
  });

  it('report --format md: escaped Markdown, no HTML, no link of the box, no code span, no control character', async () => {
    const r = await runCli(['report', bundle, '--format', 'md']);
    expect(r.code).toBe(0);
    const md = r.stdout;
    expectNoControls('report md', md + r.stderr);
    expect(md).not.toMatch(/(^|[^\\])</m);
    // A link only where the report makes one: a technique's page on attack.mitre.org (the ATT&CK view).
    expect(md.replace(/\[T\d{4}(\.\d{3})?\]\(https:\/\/attack\.mitre\.org\/techniques\/T\d{4}(\/\d{3})?\/\)/g, '')).not.toMatch(/(^|[^\\])\]\(/m);
    expect(md).not.toMatch(/(^|[^\\])`/m);
    expect(md).not.toMatch(/https?:\/\/evil|www\.evil/);
    // The times are escaped like the rest.
    expect(md).toContain('collected \\\\x1b\\[31mRED');
    // The story and the incident are there, escaped; the only links are to ATT&CK technique pages.
    expect(md).toContain('## The story: Incident \\\\x1b\\[31mRED');
    expect(md).toMatch(/^### I-01\\\\x1b\\\[31mRED.* · high · Incident /m);
    expect(md).toContain('[T1046](https://attack.mitre.org/techniques/T1046/) Network Service Discovery');
  });

  it('report html: no element, no control character', async () => {
    const out = path.join(dir, 'r.html');
    const r = await runCli(['report', bundle, '--out', out]);
    expect(r.code).toBe(0);
    const html = readFileSync(out, 'utf8');
    expectNoControls('report html', html + r.stdout + r.stderr);
    expect(html).not.toMatch(/<script|<img/i);
    // javascript: and the links stay text: no attribute holds them. The report's own links go inside
    // the page or to a technique's page on attack.mitre.org.
    expect(html).not.toMatch(/(href|src)="?(javascript|http(?!s:\/\/attack\.mitre\.org\/techniques\/T\d{4}(\/\d{3})?\/"))/i);
    expect(html).toContain('href="https://attack.mitre.org/techniques/T1046/"');
    // The story and the incident, escaped.
    expect(html).toContain('<h2>Incident \\x1b[31mRED');
    expect(html).toMatch(/<tr class="gap">.*Nothing covers this: \\x1b\[31mRED/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it("report's own messages on a case folder named with escapes", async () => {
    const r = await runCli(['report', path.join(dir, CASE), '--out', path.join(dir, 'missing-dir', 'x.html')]);
    expectNoControls('report messages', r.stdout + r.stderr);
    const bad = await runCli(['report', path.join(dir, `${CASE}.age`)]);
    expect(bad.code).toBe(1);
    expectNoControls('report .age message', bad.stdout + bad.stderr);
    const json = await runCli(['report', path.join(dir, `${CASE}.age`), '--json']);
    expectNoControls('report .age --json', json.stdout + json.stderr);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false });
  });

  it('summarize, table and --json', async () => {
    for (const args of [['summarize', dir], ['summarize', dir, '--json']]) {
      const r = await runCli(args, { env: { ...process.env, COLUMNS: '400' } });
      expectNoControls(args.join(' '), r.stdout + r.stderr);
    }
    const rows = JSON.parse((await runCli(['summarize', dir, '--json'])).stdout) as Array<{ host: string; top: string[]; incidents: { main: string } | null }>;
    expect(rows.some((row) => row.host === HOSTILE && row.top[0] === `Known tool ${HOSTILE}`)).toBe(true);
    expect(rows.some((row) => row.incidents?.main === `Incident ${HOSTILE}`)).toBe(true);
    const table = await runCli(['summarize', dir], { env: { ...process.env, COLUMNS: '400' } });
    expect(table.stdout).toContain('main incident');
    expect(table.stdout).toContain('1 · Incident \\x1b[31mRED');
  });

  it('analyze, table and --json', async () => {
    for (const args of [['analyze', log], ['analyze', log, '--json']]) {
      const r = await runCli(args);
      expect(r.code, r.stderr).toBe(0);
      expectNoControls(args.join(' '), r.stdout + r.stderr);
    }
    const o = JSON.parse((await runCli(['analyze', log, '--json'])).stdout) as { addresses: Array<{ users: Array<{ user: string }> }> };
    expect(o.addresses[0].users[0].user).toContain('\x1b[31m');
  });
});
