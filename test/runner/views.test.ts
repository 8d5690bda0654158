import { describe, expect, it } from 'vitest';
import type { KnownFacts } from '../../src/model/facts.js';
import type { DraftFinding } from '../../src/model/finding.js';
import { loadPlaybook, parsePlaybook, PlaybookError } from '../../src/playbooks/loader.js';
import type { PlaybookStep } from '../../src/playbooks/schema.js';
import { stepView } from '../../src/runner/views.js';
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
