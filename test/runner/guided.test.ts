import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionPlan } from '../../src/actions/types.js';
import { CaseRun } from '../../src/case/case-run.js';
import { verifyBundle } from '../../src/evidence/verify.js';
import type { Containment } from '../../src/runner/containment.js';
import { GuidedRun } from '../../src/runner/guided.js';
import { ScriptedPrompter } from '../../src/runner/prompter.js';
import { extract, tmpDir } from '../helpers/bundle.js';

const PLAYBOOK = `title: Guided test
description: Processes, where they live, and two actions.
steps:
  - id: processes
    kind: collect
    title: Suspicious processes
    why: The scanner is the usual payload.
    collect: [processes]
    rules: [process.known-tool, process.exe-in-writable-dir]
  - id: file-locations
    kind: note
    title: Where they live on disk
    why: lsof -p leads to the folder.
    show: [open-files]
  - id: freeze
    kind: action
    title: Freeze the suspicious processes
    why: SIGSTOP keeps memory and sockets.
    action: freeze
  - id: quarantine
    kind: action
    title: Quarantine the malware folder
    why: chmod a-rx stopped the traffic.
    action: quarantine
`;

let kit: string;
let scannerPid: number;
let playbookFile: string;

beforeAll(async () => {
  kit = path.join(mkdtempSync('/tmp/irt-guided-'), '.. ');
  mkdirSync(kit);
  copyFileSync('/bin/sleep', path.join(kit, 'pscan2'));
  // Started through a shell that exits, so the scanner is not our child (our own children are never reported).
  scannerPid = Number(execFileSync('sh', ['-c', 'cd "$1" && ./pscan2 300 >/dev/null 2>&1 & echo $!', 'sh', kit], { encoding: 'utf8' }).trim());
  await new Promise((r) => setTimeout(r, 200));
  playbookFile = path.join(tmpDir('irt-pb-'), 'guided.yaml');
  writeFileSync(playbookFile, PLAYBOOK);
});

afterAll(() => {
  process.kill(scannerPid, 'SIGKILL');
  rmSync(path.dirname(kit), { recursive: true, force: true });
});

/** Records what the flow asks of containment; the actions themselves are tested on their own. */
function recordingContainment(calls: string[]): Containment {
  return {
    async plan(action, target): Promise<ActionPlan> {
      calls.push(`plan ${action} ${target}`);
      return { action, summary: `${action} ${target}`, changes: [{ op: 'op', target, detail: 'before → after' }], warnings: ['a warning'], refused: null, data: {} };
    },
    async apply(action, plan) {
      calls.push(`apply ${action} ${plan.changes[0].target}`);
      return { ok: true, message: `${action} done`, undoRecord: `actions/${action}-1.json`, applied: [] };
    },
  };
}

async function guided(answers: Array<string | string[] | boolean | 'ABORT'>, calls: string[]) {
  const out = tmpDir('irt-guided-out-');
  const run = await CaseRun.open({ out, case: 'G', examiner: 'alice', playbook: playbookFile, sshPort: [], keepDir: false }, ['run']);
  const prompter = new ScriptedPrompter(answers);
  let screen = '';
  const flow = new GuidedRun({
    run,
    prompter,
    write: (t) => (screen += t),
    spinner: () => ({ succeed: (t) => (screen += `ok ${t}\n`), fail: (t) => (screen += `fail ${t}\n`) }),
    color: false,
    yes: false,
    containment: recordingContainment(calls),
  });
  const summary = await flow.start();
  const custody = readFileSync(path.join(extract(summary.bundle), 'custody.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  return { summary, screen, prompter, custody };
}

describe('the guided run', () => {
  it('walks the steps, shows what it found, acts only on a yes, and records every answer', async () => {
    const calls: string[] = [];
    const pid = String(scannerPid);
    const { summary, screen, prompter, custody } = await guided(['continue', 'continue', [pid], true, [kit], false], calls);
    expect(prompter.asked).toEqual([
      'What next?',
      'Next?',
      'Freeze the suspicious processes: which ones? (space to select, enter when done; none to skip)',
      'Apply these 1 change(s)?',
      'Quarantine the malware folder: which ones? (space to select, enter when done; none to skip)',
      'Apply these 1 change(s)?',
    ]);
    expect(calls).toEqual([`plan freeze ${pid}`, `apply freeze ${pid}`, `plan quarantine ${kit}`]);
    expect(screen).toMatch(/── Step 1\/4 · Suspicious processes ──/);
    expect(screen).toMatch(/HIGH\s+Known tool running: pscan2/);
    expect(screen).toMatch(/Flagged processes:/);
    expect(screen).toContain(`folder(s):  ${kit}`);
    expect(screen).toMatch(/! a warning/);
    expect(screen).toMatch(/── The evidence bundle ──/);
    expect(summary.interrupted).toBe(false);
    const answers = custody.filter((e) => e.event === 'answer');
    expect(answers).toHaveLength(6);
    expect(answers.every((e) => e.actor === 'examiner:alice')).toBe(true);
    expect(answers[2]).toMatchObject({ step: 'freeze', answer: [pid] });
    expect(custody.filter((e) => e.event === 'action-planned').map((e) => e.action)).toEqual(['freeze', 'quarantine']);
    expect(custody.filter((e) => e.event === 'action-declined').map((e) => e.target)).toEqual([kit]);
    expect((await verifyBundle(summary.bundle)).ok).toBe(true);
  });

  it('on Ctrl-C at a prompt writes the bundle, marked partial and interrupted', async () => {
    const { summary, custody } = await guided(['ABORT'], []);
    expect(summary.interrupted).toBe(true);
    expect(summary.partial).toBe(true);
    expect(custody.map((e) => e.event)).toContain('interrupted');
    expect((await verifyBundle(summary.bundle)).ok).toBe(true);
  });
});
