/**
 * collect and run, quarantine and restore build their common options from shared helpers: each
 * command lists the same options, in the same order, with the same help text as before.
 */
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';

const program = buildProgram(() => {});
const command = (name: string): Command => program.commands.find((c) => c.name() === name)!;
const flags = (name: string): string[] => command(name).options.map((o) => o.flags);
const help = (name: string, flag: string): string => command(name).options.find((o) => o.flags === flag)!.description;

const COLLECTION = ['--keep-dir', '--command-timeout <ms>', '--max-file-bytes <n>', '--max-log-bytes <n>', '--encrypt-to <recipient>', '--since <date>', '--timeline <mode>', '--timeline-jsonl', '--yara <path>'];

describe('shared command options', () => {
  it('collect and run: the case, ssh-port and collection options in --help order', () => {
    expect(flags('collect')).toEqual(['--out <dir>', '--case <id>', '--examiner <name>', '--playbook <file|name>', '--root <dir>', '--ssh-port <n>', '--json', '--fail-on <level>', ...COLLECTION]);
    expect(flags('run')).toEqual(['--out <dir>', '--case <id>', '--examiner <name>', '--ssh-port <n>', '--yes', ...COLLECTION]);
    for (const f of [...COLLECTION, '--out <dir>', '--case <id>', '--ssh-port <n>']) expect(help('run', f), f).toBe(help('collect', f));
    expect(help('run', '--examiner <name>')).toContain('who answers the questions');
    expect(help('collect', '--examiner <name>')).toContain('who ran the collection');
    expect(command('collect').options.find((o) => o.flags === '--timeline <mode>')!.argChoices).toEqual(['aggregate', 'day', 'full']);
  });

  it('quarantine and restore: the change options, then the case options, then --json', () => {
    expect(flags('quarantine')).toEqual(['--dry-run', '--yes', '--force', '--out <dir>', '--case <id>', '--examiner <name>', '--max-file-bytes <n>', '--max-total-bytes <n>', '--max-depth <n>', '--json']);
    expect(flags('restore')).toEqual(['--dry-run', '--yes', '--force', '--trust-record <sha256>', '--out <dir>', '--case <id>', '--examiner <name>', '--json']);
    for (const f of ['--yes', '--case <id>', '--examiner <name>', '--json']) expect(help('restore', f), f).toBe(help('quarantine', f));
    expect(help('quarantine', '--force')).toContain('protected system folder');
    expect(help('restore', '--dry-run')).toBe('show what would be restored; change nothing');
  });

  it('the shared options still parse: repeatable values, defaults, and the argument checks', async () => {
    const seen: Record<string, unknown>[] = [];
    const p = buildProgram(() => {});
    for (const c of p.commands) c.configureOutput({ writeErr: () => {}, writeOut: () => {} });
    for (const c of p.commands) c.action((...args: unknown[]) => void seen.push((args.at(-2) as Record<string, unknown>) ?? {}));
    await p.parseAsync(['node', 'ir-triage', 'run', 'x.yaml', '--ssh-port', '2222', '--ssh-port', '22', '--yara', 'a', '--yara', 'b', '--case', 'C1']);
    expect(seen[0]).toMatchObject({ sshPort: [2222, 22], yara: ['a', 'b'], case: 'C1', keepDir: false, timeline: 'aggregate', out: process.cwd() });
    await expect(p.parseAsync(['node', 'ir-triage', 'collect', '--ssh-port', '70000'])).rejects.toThrow(/port/);
  });
});
