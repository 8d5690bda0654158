import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listShipped, loadPlaybook, parsePlaybook, PlaybookError } from '../../src/playbooks/loader.js';
import { tmpDir } from '../helpers/bundle.js';

const VALID = `title: Test
description: A test playbook.
steps:
  - id: host
    kind: collect
    title: Host
    why: Because.
    collect: [host]
  - id: stop
    kind: action
    title: Freeze
    why: Because.
    action: freeze
`;

function errorOf(text: string): PlaybookError {
  try {
    parsePlaybook(text, 'my.yaml', 'my');
  } catch (err) {
    if (err instanceof PlaybookError) return err;
    throw err;
  }
  throw new Error('expected a PlaybookError');
}

describe('playbook loader', () => {
  it('loads every shipped playbook', async () => {
    const shipped = await listShipped();
    expect(shipped.map((p) => p.id)).toContain('ssh-compromise');
    for (const p of shipped) {
      const pb = await loadPlaybook(p.id);
      expect(pb.id).toBe(p.id);
      expect(pb.data.steps.length).toBeGreaterThan(0);
      for (const s of pb.data.steps) expect(s.why.length).toBeGreaterThan(20);
    }
  });

  it('ssh-compromise has the steps of the guided flow in order', async () => {
    const pb = await loadPlaybook('ssh-compromise');
    expect(pb.data.steps.map((s) => s.id)).toEqual([
      'host', 'sessions', 'ssh-connections', 'activity', 'processes', 'malware-scan', 'persistence', 'file-locations', 'freeze', 'disable', 'quarantine', 'kill', 'block', 'bundle',
    ]);
  });

  it('accepts a valid playbook, defaulting confirm to true', () => {
    const pb = parsePlaybook(VALID, 'my.yaml', 'my');
    expect(pb.id).toBe('my');
    const action = pb.data.steps[1];
    expect(action.kind === 'action' && action.confirm).toBe(true);
    expect(pb.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('names the file, the line and the unknown collector', () => {
    const e = errorOf(VALID.replace('collect: [host]', 'collect: [host, no-such]'));
    expect(e.message).toBe('my.yaml:8: steps[0].collect[1]: unknown collector "no-such"');
    expect(e.line).toBe(8);
  });

  it('names an unknown action and an unknown step kind with their lines', () => {
    expect(errorOf(VALID.replace('action: freeze', 'action: nuke')).message).toBe('my.yaml:13: steps[1].action: unknown action "nuke"');
    expect(errorOf(VALID.replace('kind: action', 'kind: explode')).message).toMatch(/^my\.yaml:10: steps\[1\]\.kind: /);
  });

  it('refuses unknown keys, missing why, duplicate ids', () => {
    expect(errorOf(VALID.replace('    why: Because.\n    collect', '    collect')).message).toMatch(/^my\.yaml:4: steps\[0\]\.why: /);
    expect(errorOf(VALID.replace('title: Host', 'title: Host\n    colour: red')).message).toMatch(/^my\.yaml:(4|6): steps\[0\]/);
    expect(errorOf(VALID.replace('id: stop', 'id: host')).message).toBe('my.yaml:9: steps[1].id: step id "host" is used twice');
  });

  it('refuses thresholds for unknown rules', () => {
    const e = errorOf(VALID.replace('steps:', 'thresholds:\n  auth.nope: { failures: 3 }\nsteps:'));
    expect(e.message).toBe('my.yaml:4: thresholds.auth.nope: unknown rule "auth.nope"');
  });

  it('reports YAML syntax errors with their line', () => {
    const e = errorOf('title: x\nsteps: [\n  - a: b\n');
    expect(e.message).toMatch(/^my\.yaml:\d+: not valid YAML: /);
  });

  it('loads a playbook by path, and refuses an unknown name with the shipped list', async () => {
    const file = path.join(tmpDir('irt-pb-'), 'mine.yaml');
    writeFileSync(file, VALID);
    expect((await loadPlaybook(file)).id).toBe('mine');
    await expect(loadPlaybook('nope')).rejects.toThrow(/unknown playbook "nope" \(shipped: ssh-compromise/);
  });
});
