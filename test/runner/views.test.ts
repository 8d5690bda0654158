import { describe, expect, it } from 'vitest';
import type { KnownFacts } from '../../src/model/facts.js';
import type { DraftFinding } from '../../src/model/finding.js';
import { loadPlaybook, parsePlaybook, PlaybookError } from '../../src/playbooks/loader.js';
import type { PlaybookStep } from '../../src/playbooks/schema.js';
import type { IncidentTitle } from '../../src/report/incidents.js';
import { incidentLines, stepView } from '../../src/runner/views.js';
import { proc } from '../helpers/records.js';

const facts: KnownFacts = {
  host: { hostname: 'web-7', os: { distro: 'Debian', release: '12', codename: 'bookworm', kernel: '6.1.0', arch: 'x64' }, machineId: null, bootId: null, bootTime: '2026-01-01T00:00:00.000Z', uptimeSeconds: 1, timezone: 'UTC', interfaces: [], disks: [] },
  sessions: [{ user: 'alice', line: 'pts/0', host: '203.0.113.9', addr: '203.0.113.9', pid: 4242, login: '2026-01-02T03:04:05.000Z', logout: null, end: 'still-logged-in', source: 'utmp', file: '/run/utmp' }],
  processes: [proc({ pid: 777, comm: 'pscan2', exe: '/tmp/.x/pscan2' })],
  openFiles: [],
};
const findings: DraftFinding[] = [{ rule: 'process.known-tool', severity: 'high', title: 'pscan2', detail: 'd', mitre: [], evidence: [], subject: { pid: 777 } } as unknown as DraftFinding];

const mine = `title: Mine
description: A playbook with its own step ids and groupings.
steps:
  - id: everything-at-once
    kind: collect
    title: All of it
    why: One step.
    collect: [processes, host, logins]
  - id: where
    kind: note
    title: Where they live
    why: The lsof step.
    show: [open-files]
  - id: plain-note
    kind: note
    title: A note
    why: Nothing to show.
`;

describe('step views follow what a step collects, not its id', () => {
  it("a user's playbook with other step ids keeps every view, in the shipped order", () => {
    const pb = parsePlaybook(mine, 'mine.yaml', 'mine');
    const [all, where, plain] = pb.data.steps;
    const out = stepView(all, facts, findings);
    const host = out.indexOf('web-7');
    const session = out.indexOf('Logged in now');
    const flagged = out.indexOf('Flagged processes');
    expect(host).toBeGreaterThanOrEqual(0);
    expect(session).toBeGreaterThan(host);
    expect(flagged).toBeGreaterThan(session);
    expect(out).toContain('/tmp/.x/pscan2');
    expect(stepView(where, facts, findings)).toBe('No flagged process to locate.');
    expect(stepView(plain, facts, findings)).toBe('');
  });

  it('the shipped playbook shows the same views under its own ids', async () => {
    const pb = await loadPlaybook('ssh-compromise');
    const byId = (id: string) => pb.data.steps.find((s) => s.id === id)!;
    expect(stepView(byId('host'), facts, [])).toContain('web-7');
    expect(stepView(byId('sessions'), facts, [])).toContain('Logged in now');
    expect(stepView(byId('processes'), facts, findings)).toContain('Flagged processes');
    expect(stepView(byId('file-locations'), facts, [])).toBe('No flagged process to locate.');
  });

  it('a step that collects nothing with a view, or an id that used to have one, shows nothing', () => {
    const renamed = { id: 'host', kind: 'detect', title: 't', why: 'w', rules: ['process.known-tool'] } as PlaybookStep;
    expect(stepView(renamed, facts, findings)).toBe('');
  });

  it('a note naming an unknown view is refused with its line', () => {
    expect(() => parsePlaybook(mine.replace('show: [open-files]', 'show: [nope]'), 'mine.yaml', 'mine')).toThrow(PlaybookError);
    expect(() => parsePlaybook(mine.replace('show: [open-files]', 'show: [nope]'), 'mine.yaml', 'mine')).toThrow(/mine\.yaml:13/);
  });
});

describe('incidentLines (the last screen of the guided run)', () => {
  const incidents: IncidentTitle[] = [
    { id: 'I-01', title: 'deploy logged in from 127.0.0.3 after 30 failed passwords and started pscan2', severity: 'critical', findings: 6 },
    { id: 'I-02', title: 'Three processes calling themselves sshd run deleted executables', severity: 'high', findings: 6 },
  ];

  it('one line per incident, the main one first and marked, with its level and finding count', () => {
    expect(incidentLines(incidents, false).split('\n')).toEqual([
      '  incidents: 2, the findings joined by what they share (the story is at the top of report.html)',
      '    I-01 CRITICAL      deploy logged in from 127.0.0.3 after 30 failed passwords and started pscan2 (6 findings) ← main',
      '    I-02 HIGH          Three processes calling themselves sshd run deleted executables (6 findings)',
    ]);
    expect(incidentLines([], false)).toBe('');
    expect(incidentLines([{ ...incidents[0]!, findings: 1 }], false)).toContain('(1 finding)\n'.trim());
    expect(incidentLines([{ ...incidents[0]!, findings: 1 }], false)).not.toContain('← main');
  });

  it('box text in a title stays on its line, controls made visible, long titles cut, many incidents counted', () => {
    const evil = incidentLines([{ id: 'I-01\x1b[2J', title: `a\x1b]8;;http://e/\x07link\x1b]8;;\x07\nnext ${'x'.repeat(300)}`, severity: 'high', findings: 2 }], true);
    expect(evil.split('\n')).toHaveLength(2);
    // The only escapes are the level's own colour.
    expect(evil.replace(/\x1b\[[0-9;]*m/g, '')).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
    expect(evil).toContain('a\\x1b]8;;http://e/\\x07link\\x1b]8;;\\x07\\x0anext');
    expect(evil).toMatch(/x…/);
    const many = Array.from({ length: 11 }, (_, i) => ({ ...incidents[1]!, id: `I-${i + 1}` }));
    const lines = incidentLines(many, false).split('\n');
    expect(lines).toHaveLength(10);
    expect(lines.at(-1)).toBe('    … and 3 more in report.html');
  });
});
