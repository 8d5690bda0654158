import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ActionCliOptions } from '../../src/cli/action-cli.js';
import { runQuarantine } from '../../src/cli/quarantine.js';
import { runRestore } from '../../src/cli/restore.js';
import { CliError } from '../../src/model/errors.js';
import { tmpDir } from '../helpers/bundle.js';

function setup(): { dir: string; out: string; opts: ActionCliOptions } {
  const base = tmpDir('irt-confirm-');
  const dir = path.join(base, 'kit');
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'pscan2'), 'x');
  chmodSync(path.join(dir, 'pscan2'), 0o755);
  chmodSync(dir, 0o755);
  const out = path.join(base, 'out');
  mkdirSync(out);
  return { dir, out, opts: { out, yes: false, dryRun: false, force: false, json: false } };
}

const mode = (p: string) => lstatSync(p).mode & 0o7777;
let stdout: string;

beforeEach(() => {
  stdout = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('confirmation on a terminal (the prompter is passed in)', () => {
  it('asks once; "no" changes nothing and writes nothing', async () => {
    const { dir, out, opts } = setup();
    const questions: string[] = [];
    const code = await runQuarantine(dir, opts, ['quarantine', dir], { interactive: true, prompter: async (q) => (questions.push(q), false) });
    expect(code).toBe(1);
    expect(questions).toEqual([`chmod a-rx ${dir} and everything in it (after copying every file into the case)?`]);
    expect(mode(path.join(dir, 'pscan2'))).toBe(0o755);
    expect(readdirSync(out)).toEqual([]);
  });

  it('"yes" applies, and the custody log says the answer came from the terminal; restore asks too', async () => {
    const { dir, out, opts } = setup();
    expect(await runQuarantine(dir, { ...opts, case: 'C1' }, ['quarantine', dir], { interactive: true, prompter: async () => true })).toBe(0);
    expect(mode(path.join(dir, 'pscan2'))).toBe(0o200);
    expect(stdout).toContain(`undo:     ir-triage restore ${path.join(out, 'C1.restore.json')}`);
    const asked: string[] = [];
    expect(await runRestore(path.join(out, 'C1.restore.json'), { ...opts, case: 'C2' }, ['restore'], { interactive: true, prompter: async (q) => (asked.push(q), true) })).toBe(0);
    expect(asked).toEqual([`put back the original modes of 2 entries in ${dir}?`]);
    expect(mode(path.join(dir, 'pscan2'))).toBe(0o755);
    expect(readFileSync(path.join(out, 'C1.restore.json'), 'utf8')).toContain('"action": "quarantine"');
  });

  it('Ctrl-C at the prompt is an interruption (exit 130) and changes nothing', async () => {
    const { dir, opts } = setup();
    const interrupted = Object.assign(new Error('User force closed the prompt with SIGINT'), { name: 'ExitPromptError' });
    await expect(runQuarantine(dir, opts, ['quarantine', dir], { interactive: true, prompter: () => Promise.reject(interrupted) })).rejects.toEqual(
      new CliError('interrupted at the confirmation: nothing was changed', 130),
    );
    expect(mode(path.join(dir, 'pscan2'))).toBe(0o755);
  });

  it('only the CLI prompter imports @inquirer/prompts; actions stay terminal-free', () => {
    const files = readdirSync('src/actions').map((f) => path.join('src/actions', f));
    for (const f of files) expect(readFileSync(f, 'utf8'), f).not.toMatch(/@inquirer|process\.stdout|process\.stderr/);
  });
});
