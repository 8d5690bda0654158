import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaseRun } from '../../src/case/case-run.js';
import { extract, tmpDir } from '../helpers/bundle.js';

const PLAYBOOK = `title: Case run test
description: The host description only.
steps:
  - id: host
    kind: collect
    title: The host
    why: Which box this is.
    collect: [host]
  - id: later
    kind: note
    title: Not run
    why: A note.
`;

function setup() {
  const root = tmpDir('irt-caserun-root-');
  mkdirSync(path.join(root, 'etc'));
  writeFileSync(path.join(root, 'etc/hostname'), 'victim\n');
  const playbook = path.join(tmpDir('irt-caserun-pb-'), 'p.yaml');
  writeFileSync(playbook, PLAYBOOK);
  let t = Date.parse('2032-03-04T05:06:07.000Z');
  const now = () => new Date((t += 1000));
  return { root, playbook, out: tmpDir('irt-caserun-out-'), now };
}

describe('CaseRun', () => {
  it('times the case, the custody log and the manifest by the host clock, and leaves process.env alone', async () => {
    const { root, playbook, out, now } = setup();
    const pathBefore = process.env.PATH;
    const localeBefore = process.env.LC_ALL;
    const run = await CaseRun.open({ out, examiner: 'carol', playbook, root, sshPort: [], keepDir: false }, ['collect'], {}, { now });
    expect(process.env.PATH).toBe(pathBefore);
    expect(process.env.LC_ALL).toBe(localeBefore);
    // The default case id is stamped with the same first reading as startedAt.
    expect(run.caseId).toBe('victim-20320304T050608Z');
    expect(run.startedAt.toISOString()).toBe('2032-03-04T05:06:08.000Z');
    for (const step of run.engine.readOnlySteps()) await run.runStep(step);
    const summary = await run.close();
    const dir = extract(summary.bundle);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.startedAt).toBe('2032-03-04T05:06:08.000Z');
    expect(Date.parse(manifest.endedAt as string)).toBeGreaterThan(Date.parse('2032-03-04T05:06:08.000Z'));
    expect(Object.keys(manifest)).toEqual([
      'tool', 'case', 'examiner', 'host', 'commandLine', 'mode', 'root', 'startedAt', 'endedAt', 'partial', 'partialReasons',
      'interrupted', 'verdict', 'playbook', 'steps', 'timeline', 'sources', 'withheld', 'copiesCut', 'linksNotFollowed', 'files',
    ]);
    expect(manifest).toMatchObject({ examiner: 'carol', mode: 'offline', host: { hostname: 'victim' }, steps: [{ id: 'host', ran: true }, { id: 'later', ran: false }] });
    const custody = readFileSync(path.join(dir, 'custody.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { time: string; actor: string; event: string });
    expect(custody.map((e) => e.event)).toEqual(['case-opened', 'collected', 'findings', 'case-closed']);
    expect(custody.every((e) => e.actor === 'ir-triage')).toBe(true);
    // Every time is a reading of the test clock (2032), none the machine's.
    expect(custody.every((e) => e.time.startsWith('2032-03-04T05:06:') || e.time.startsWith('2032-03-04T05:07:'))).toBe(true);
  });

  it('has one abort controller: interrupting the run aborts the host door the collectors use', async () => {
    const { root, playbook, out, now } = setup();
    const run = await CaseRun.open({ out, case: 'INT', playbook, root, sshPort: [], keepDir: false }, ['collect'], {}, { now });
    expect(run.host.signal).toBe(run.abort.signal);
    expect(run.host.signal.aborted).toBe(false);
    run.markInterrupted('test');
    expect(run.host.signal.aborted).toBe(true);
    const summary = await run.close();
    expect(summary.interrupted).toBe(true);
    expect(summary.partialReasons).toContain('interrupted before every step had run');
    const dir = extract(summary.bundle);
    const custody = readFileSync(path.join(dir, 'custody.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { actor: string; event: string });
    expect(custody.map((e) => e.event)).toEqual(['case-opened', 'interrupted', 'findings', 'case-closed']);
  });
});
