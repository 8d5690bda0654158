import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { CliError, EXIT } from '../model/errors.js';
import { isSeverity, SEVERITIES, type Severity } from '../model/finding.js';
import { runCollect } from './collect.js';
import { runPlaybooks } from './playbooks.js';
import { runVerify } from './verify.js';
import { TOOL } from './version.js';

function parsePort(value: string, previous: number[] = []): number[] {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError('a port is a whole number from 1 to 65535');
  return [...previous, n];
}

function parseLevel(value: string): Severity {
  if (!isSeverity(value)) throw new InvalidArgumentError(`one of ${SEVERITIES.join(', ')}`);
  return value;
}

function parsePositive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('a positive number');
  return n;
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('ir-triage')
    .description('Guided triage, containment and evidence bundles for a Linux server suspected of SSH compromise.')
    .version(TOOL.version, '-V, --version')
    .showHelpAfterError('(ir-triage help: the commands and their options)')
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) })
    .exitOverride()
    .addHelpText(
      'after',
      `
Exit codes: 0 done, 1 error, 2 usage, 3 findings at or above --fail-on, 130 interrupted.
Docs: README.md and docs/ in the package. Examples:
  sudo ir-triage collect --out /mnt/usb --case IR-42 --examiner alice
  ir-triage verify /mnt/usb/IR-42.tar.gz`,
    );

  program
    .command('collect')
    .description('run every read-only step of the playbook with no prompts, then write the evidence bundle')
    .option('--out <dir>', 'where the bundle is written', process.cwd())
    .option('--case <id>', 'case id (default: <hostname>-<UTC yyyymmddThhmmssZ>)')
    .option('--examiner <name>', 'who ran the collection (recorded in the manifest and custody log)')
    .option('--playbook <file|name>', 'playbook to run', 'ssh-compromise')
    .option('--root <dir>', 'analyse a mounted disk image offline; live-only steps are skipped')
    .option('--ssh-port <n>', 'an extra ssh port (repeatable; 22 and sshd_config ports are always included)', parsePort, [])
    .option('--json', 'print the summary as one JSON object on stdout', false)
    .addOption(new Option('--fail-on <level>', `exit 3 when a finding is at this level or above (${SEVERITIES.join(', ')})`).argParser(parseLevel))
    .option('--keep-dir', 'keep the staging folder <out>/<case>/ after the bundle is written', false)
    .option('--command-timeout <ms>', "timeout for each of the box's commands, in milliseconds", parsePositive)
    .option('--max-file-bytes <n>', 'cap for each preserved file, in bytes (default 64 MiB)', parsePositive)
    .action(async (opts) => {
      const argv = process.argv.slice(2);
      setExit(await runCollect(opts, argv));
    });

  program
    .command('verify')
    .description('check a bundle: the sidecar, every hash, added or missing files, the custody chain')
    .argument('<bundle>', 'a .tar.gz bundle (or a case folder kept with --keep-dir)')
    .option('--json', 'print the result as JSON', false)
    .action(async (bundle: string, opts: { json: boolean }) => {
      setExit(await runVerify(bundle, opts));
    });

  program
    .command('playbooks')
    .description('list the playbooks it knows and where they come from')
    .option('--json', 'print as JSON', false)
    .action(async (opts: { json: boolean }) => {
      setExit(await runPlaybooks(opts));
    });

  program
    .command('help [command]')
    .description('show help for ir-triage or one command')
    .action((name?: string) => {
      const sub = name ? program.commands.find((c) => c.name() === name) : undefined;
      if (name && !sub) throw new CliError(`unknown command "${name}"`, EXIT.usage);
      (sub ?? program).outputHelp();
      setExit(EXIT.ok);
    });

  return program;
}

/** Runs the CLI and returns the exit code; errors reach the user as one line. */
export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram((c) => {
    code = c;
  });
  if (argv.length === 0) {
    // The guided run needs a terminal; without one (or until it is chosen) the usage is shown.
    program.outputHelp({ error: true });
    return EXIT.usage;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    if (err instanceof CliError) {
      process.stderr.write(`ir-triage: ${err.message}\n`);
      return err.exitCode;
    }
    const e = err as NodeJS.ErrnoException;
    process.stderr.write(`ir-triage: ${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}\n`);
    if (process.env.IR_TRIAGE_DEBUG) process.stderr.write(`${e.stack ?? ''}\n`);
    return EXIT.error;
  }
}
