// The whole guided flow through inquirer's real prompts, driven by @inquirer/testing's screen
// (which mocks every @inquirer module of this file: keep it apart from render() tests).
import { screen } from '@inquirer/testing/vitest';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionPlan } from '../../src/actions/types.js';
import { CaseRun } from '../../src/case/case-run.js';
import { GuidedRun } from '../../src/runner/guided.js';
import { InquirerPrompter } from '../../src/runner/interactive.js';
import { extract, tmpDir } from '../helpers/bundle.js';

const PLAYBOOK = `title: Guided test
description: Processes, where they live, freeze.
steps:
  - id: processes
    kind: collect
    title: Suspicious processes
    why: The scanner is the usual payload.
    collect: [processes]
    rules: [process.known-tool]
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
`;

let kit: string;
let pid = 0;
let playbook: string;

beforeAll(async () => {
  kit = path.join(mkdtempSync('/tmp/irt-inq-'), '.x');
  mkdirSync(kit);
  copyFileSync('/bin/sleep', path.join(kit, 'pscan2'));
  pid = Number(execFileSync('sh', ['-c', 'cd "$1" && ./pscan2 300 >/dev/null 2>&1 & echo $!', 'sh', kit], { encoding: 'utf8' }).trim());
  playbook = path.join(tmpDir('irt-inq-pb-'), 'g.yaml');
  writeFileSync(playbook, PLAYBOOK);
  await new Promise((r) => setTimeout(r, 200));
});

afterAll(() => {
  process.kill(pid, 'SIGKILL');
  rmSync(path.dirname(kit), { recursive: true, force: true });
});

async function settle(re: RegExp): Promise<string> {
  for (let i = 0; i < 200 && !re.test(screen.getScreen()); i++) await screen.next();
  return screen.getScreen();
}

describe('the guided run with inquirer', () => {
  it('asks at each step and records the answers', async () => {
    const calls: string[] = [];
    const run = await CaseRun.open({ out: tmpDir('irt-inq-out-'), case: 'INQ', playbook, sshPort: [], keepDir: false }, ['run']);
    const flow = new GuidedRun({
      run,
      prompter: new InquirerPrompter(),
      write: () => {},
      spinner: () => ({ succeed: () => {}, fail: () => {} }),
      color: false,
      yes: false,
      containment: {
        async plan(action, target): Promise<ActionPlan> {
          calls.push(`plan ${action} ${target}`);
          return { action, summary: target, changes: [{ op: 'SIGSTOP', target, detail: 'running → stopped' }], warnings: [], refused: null, data: {} };
        },
        async apply(action, plan) {
          calls.push(`apply ${action}`);
          return { ok: true, message: 'frozen', undoRecord: null, applied: [{ target: plan.summary, ok: true, detail: '' }] };
        },
      },
    });
    const done = flow.start();

    expect(await settle(/What next\?/)).toMatch(/Continue/);
    screen.keypress('enter');
    await settle(/Next\?/);
    screen.keypress('enter');
    const list = await settle(/which ones\?/);
    const choices = list.split('\n').filter((l) => /[◯◉]/.test(l));
    const idx = choices.findIndex((l) => l.includes(`pid ${pid} pscan2`));
    expect(idx).toBeGreaterThanOrEqual(0);
    for (let i = 0; i < idx; i++) screen.keypress('down');
    screen.keypress('space');
    screen.keypress('enter');
    await settle(/Apply these 1 change\(s\)\?/);
    screen.type('y');
    screen.keypress('enter');

    const summary = await done;
    expect(calls).toEqual([`plan freeze ${pid}`, 'apply freeze']);
    const custody = readFileSync(path.join(extract(summary.bundle), 'custody.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(custody.filter((e) => e.event === 'answer').map((e) => e.answer)).toEqual(['continue', 'continue', [String(pid)], true]);
  });
});
