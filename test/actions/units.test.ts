import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as blockIp from '../../src/actions/block-ip.js';
import * as disable from '../../src/actions/disable.js';
import * as freeze from '../../src/actions/freeze.js';
import { ACT_NOW, ACTIONS, findAction, undos } from '../../src/actions/index.js';
import * as kill from '../../src/actions/kill.js';
import * as quarantine from '../../src/actions/quarantine.js';
import { disableUndo } from '../../src/actions/restore-disable.js';
import { quarantineUndo } from '../../src/actions/restore-quarantine.js';
import type { KnownFacts } from '../../src/model/facts.js';
import type { DraftFinding } from '../../src/model/finding.js';
import { parsePlaybook } from '../../src/playbooks/loader.js';

const MODULES: Record<string, Record<string, unknown>> = { 'block-ip': blockIp, disable, freeze, kill, quarantine };
const camel = (id: string) => id.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

/** A playbook of one action step naming `action`. */
function oneActionStep(action: string): string {
  return ['title: T', 'description: D', 'steps:', '  - id: act', '    kind: action', '    title: Act', '    why: Because.', `    action: ${JSON.stringify(action)}`, ''].join('\n');
}

describe('the action registry: every action is one declared unit', () => {
  it.each(ACTIONS.map((a) => a.id))('%s is declared in src/actions/<id>.ts as <id>Action, and the registry holds that very object', (id) => {
    expect(id).toMatch(/^[a-z][a-z0-9-]*$/);
    expect(existsSync(`src/actions/${id}.ts`)).toBe(true);
    expect(MODULES[id][`${camel(id)}Action`]).toBe(findAction(id));
  });

  it.each(ACTIONS.map((a) => a.id))('%s says what it is, why, and what the guided run says when there is nothing to act on', (id) => {
    const a = findAction(id)!;
    expect(a.title.length).toBeGreaterThan(3);
    expect(a.description.length).toBeGreaterThan(10);
    expect(a.description).not.toMatch(/\n/);
    expect(a.nothingFound).toMatch(/^Nothing to [a-z]+: no .+ was found\.$/);
    expect(a.declineNote ?? '').not.toMatch(/\n/);
  });

  it.each(ACTIONS.map((a) => a.id))('%s offers nothing from an empty run, and never throws on one', (id) => {
    expect(findAction(id)!.targets({}, [])).toEqual([]);
  });

  it('every undo belongs to the action that holds it, sits in src/actions/restore-<id>.ts, and ranks apart from the others', () => {
    for (const a of ACTIONS) {
      if (!a.undo) continue;
      expect(a.undo.action).toBe(a.id);
      expect(existsSync(`src/actions/restore-${a.id}.ts`)).toBe(true);
    }
    expect(undos()).toEqual([disableUndo, quarantineUndo]);
    expect(new Set(undos().map((u) => u.rank)).size).toBe(undos().length);
    // A disable is undone before a quarantine of the same case: the file it puts back may lie in the quarantined folder.
    expect(disableUndo.rank).toBeLessThan(quarantineUndo.rank);
  });

  it('an undo refuses a record of another action, saying which it wanted', () => {
    expect(() => disableUndo.load({ action: 'quarantine', version: 1 })).toThrow(/not a disable record/);
    expect(() => quarantineUndo.load({ action: 'disable', version: 1 })).toThrow(/not a quarantine record/);
  });

  it('"Act now" offers registered actions only', () => {
    for (const id of ACT_NOW) expect(findAction(id), id).toBeDefined();
  });

  it('the playbook loader accepts every registered id and refuses any other, with its line', () => {
    for (const a of ACTIONS) expect(parsePlaybook(oneActionStep(a.id), 'p.yaml', 'p').data.steps[0]).toMatchObject({ kind: 'action', action: a.id });
    for (const bad of ['Freeze', 'unfreeze', 'restore', 'block_ip', '']) expect(() => parsePlaybook(oneActionStep(bad), 'p.yaml', 'p'), bad).toThrow(`p.yaml:8: steps[0].action: unknown action ${JSON.stringify(bad)}`);
  });

  it('only runner/interactive.ts imports inquirer; the commands have it passed in or load it from there', () => {
    for (const f of ['src/cli/quarantine.ts', 'src/cli/restore.ts', 'src/cli/restore-disable.ts', 'src/cli/restore-trust.ts', 'src/cli/action-cli.ts']) {
      expect(readFileSync(f, 'utf8'), f).not.toMatch(/@inquirer/);
    }
  });

  it('dispatch has no switch on action ids and no casts of plans', () => {
    for (const f of ['src/runner/actions-adapter.ts', 'src/runner/guided.ts', 'src/runner/containment.ts', 'src/cli/restore-disable.ts']) {
      const text = readFileSync(f, 'utf8');
      expect(text, f).not.toMatch(/case 'freeze'|=== 'block-ip'|=== 'quarantine'|kind === 'disable'/);
      expect(text, f).not.toMatch(/as ActionPlan<|as Parameters</);
    }
  });
});

describe('each action offers its targets from what the run collected and flagged', () => {
  const finding = (rule: string, subject: Record<string, unknown>): DraftFinding =>
    ({ rule, title: rule, level: 'high', severity: 'high', detail: '', evidence: [], mitre: [], subject }) as unknown as DraftFinding;
  const facts = {
    processes: [{ pid: 4242, comm: 'pscan2', user: 'www-data', uid: 33, exe: '/tmp/.x/pscan2' }],
    openFiles: [{ pid: 4242, comm: 'pscan2', folders: ['/tmp/.x', '/tmp'] }],
  } as unknown as KnownFacts;
  const findings = [finding('process.deleted-exe', { pid: 4242 }), finding('process.ssh-scanner', { pid: 4242 }), finding('process.ssh-scanner', { pid: 1 }), finding('auth.bruteforce', { ip: '203.0.113.7' }), finding('auth.login-after-failures', { ip: '203.0.113.7' })];

  it('freeze and kill: the flagged processes the run saw, with the rules that flagged them', () => {
    for (const id of ['freeze', 'kill']) {
      expect(findAction(id)!.targets(facts, findings)).toEqual([{ value: '4242', name: 'pid 4242 pscan2 (www-data) /tmp/.x/pscan2', description: 'process.deleted-exe, process.ssh-scanner' }]);
    }
  });

  it('quarantine: the first folder of each located process', () => {
    expect(findAction('quarantine')!.targets(facts, findings)).toEqual([{ value: '/tmp/.x', name: '/tmp/.x', description: 'holds pscan2 (pid 4242)' }]);
  });

  it('block-ip: each flagged address once, with its rules', () => {
    expect(findAction('block-ip')!.targets(facts, findings)).toEqual([{ value: '203.0.113.7', name: '203.0.113.7', description: 'auth.bruteforce, auth.login-after-failures' }]);
  });
});
