import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { CliError, EXIT } from '../model/errors.js';
import { safeJson, sanitizeForTerminal } from '../report/text.js';
import { isSeverity, SEVERITIES, type Severity } from '../model/finding.js';
import { TOOL } from '../case/tool.js';
import { SAFE_PATH } from '../host/exec.js';

// Each command loads its modules when it runs (await import): --help stays fast on a slow or loaded box.

/** The default cap for each file copied into a case. */
const DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024;

function parsePort(value: string, previous: number[] = []): number[] {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError('a port is a whole number from 1 to 65535');
  return [...previous, n];
}

function parseLevel(value: string): Severity {
  if (!isSeverity(value)) throw new InvalidArgumentError(`one of ${SEVERITIES.join(', ')}`);
  return value;
}

function parseYear(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1970 || n > 9999) throw new InvalidArgumentError('a year such as 2024');
  return n;
}

function parsePositive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('a positive number');
  return n;
}

/** --trust-record, repeatable: 64 hex digits each. */
function collectSha256(value: string, previous: string[]): string[] {
  if (!/^[0-9a-fA-F]{64}$/.test(value.trim())) throw new InvalidArgumentError('a sha256: 64 hex digits');
  return [...previous, value.trim().toLowerCase()];
}

/**
 * --since: a date (2024-05-01, midnight UTC) or a time (2024-05-01T10:00, UTC unless it carries
 * Z or an offset), not in the future. Returned as ISO 8601 UTC.
 */
function parseSince(value: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?)?$/.exec(value.trim());
  const t = m ? Date.parse(m[2] ? `${m[1]}T${m[2]}${m[3] ?? 'Z'}` : `${m[1]}T00:00:00Z`) : NaN;
  if (!Number.isFinite(t)) throw new InvalidArgumentError('a date such as 2024-05-01 or a time such as 2024-05-01T10:00Z');
  if (t > Date.now()) throw new InvalidArgumentError('a time in the past (the start of the incident)');
  return new Date(t).toISOString();
}

/** A repeatable option's values, in order. */
function appendValue(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * The commands that read or change the box (collect, run, quarantine, restore) run with the
 * system PATH and the C locale, never the caller's: the host door's exec gives each command that
 * environment itself, and this covers what spawns without it (systeminformation, in the host
 * collector). Set here, at the entry, once per process; the case and the runner never touch
 * process.env.
 */
function useSystemToolEnvironment(): void {
  process.env.PATH = SAFE_PATH;
  process.env.LC_ALL = 'C';
}

const ENCRYPT_TO_HELP = 'encrypt the bundle with age to this recipient (age1…), @FILE or recipients file (repeatable): writes <case>.tar.gz.age; see docs/encryption.md';

/** --out, --case and --examiner of a command that writes a case bundle (collect, run, quarantine, restore). */
function addCaseOptions(command: Command, help: { out: string; examiner: string }): Command {
  return command
    .option('--out <dir>', help.out, process.cwd())
    .option('--case <id>', 'case id (default: <hostname>-<UTC yyyymmddThhmmssZ>)')
    .option('--examiner <name>', help.examiner);
}

function addSshPortOption(command: Command): Command {
  return command.option('--ssh-port <n>', 'an extra ssh port (repeatable; 22 and sshd_config ports are always included)', parsePort, []);
}

/** The bundle, bounds, window, timeline and YARA options of a collection (collect, run), in the order --help lists them. */
function addCollectionOptions(command: Command): Command {
  return command
    .option('--keep-dir', 'keep the staging folder <out>/<case>/ after the bundle is written', false)
    .option('--command-timeout <ms>', "timeout for each of the box's commands, in milliseconds", parsePositive)
    .option('--max-file-bytes <n>', 'cap for each preserved file, in bytes (default 64 MiB)', parsePositive)
    .option('--max-log-bytes <n>', 'cap for each auth log copied into the bundle, in bytes (default 1 GiB); a longer log keeps its newest lines, the cut recorded; the whole log is still read', parsePositive)
    .option('--encrypt-to <recipient>', ENCRYPT_TO_HELP, appendValue)
    .option('--since <date>', 'start of the incident window: what changed since then counts as new (keys, accounts, cron…); default: the first attack in the auth log, else 30 days', parseSince)
    .addOption(new Option('--timeline <mode>', 'aggregate: failed and pre-auth attempts as one row per address, user and minute (with counts); day: one row per address and day (counts, users tried, first and last time: the smallest timeline for months of brute force); full: one row per event').choices(['aggregate', 'day', 'full']).default('aggregate'))
    .option('--timeline-jsonl', 'also write artifacts/timeline.jsonl, the rows of timeline.csv as JSON lines', false)
    .option('--yara <path>', 'a YARA rule file or folder of .yar/.yara files, run over flagged executables and malware folders (repeatable)', appendValue);
}

/** --dry-run, --yes and --force of a command that changes the box (quarantine, restore). */
function addChangeOptions(command: Command, help: { dryRun: string; force: string }): Command {
  return command
    .option('--dry-run', help.dryRun, false)
    .option('--yes', 'apply without asking (needed when there is no terminal)', false)
    .option('--force', help.force, false);
}

const BUNDLE_OUT = { out: 'where the bundle is written' };
const RAN_IT = 'who ran it (recorded in the manifest and custody log)';
const PLAN_JSON_HELP = 'print the plan (--dry-run) or the summary as JSON';

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
Docs: README.md and docs/ of ir-triage (docs/deploy.md for the single-file builds). Examples:
  sudo ir-triage collect --out /mnt/usb --case IR-42 --examiner alice
  ir-triage verify /mnt/usb/IR-42.tar.gz
  sudo ir-triage collect --out /mnt/usb --case IR-42 --encrypt-to age1…   (then: ir-triage decrypt IR-42.tar.gz.age --identity key.txt)`,
    );

  const collect = program
    .command('collect')
    .description('run every read-only step of the playbook with no prompts, then write the evidence bundle');
  addCaseOptions(collect, { ...BUNDLE_OUT, examiner: 'who ran the collection (recorded in the manifest and custody log)' })
    .option('--playbook <file|name>', 'playbook to run', 'ssh-compromise')
    .option('--root <dir>', 'analyse a mounted disk image offline; live-only steps are skipped');
  addSshPortOption(collect)
    .option('--json', 'print the summary as one JSON object on stdout', false)
    .addOption(new Option('--fail-on <level>', `exit 3 when a finding is at this level or above (${SEVERITIES.join(', ')})`).argParser(parseLevel));
  addCollectionOptions(collect)
    .action(async (opts) => {
      const argv = process.argv.slice(2);
      useSystemToolEnvironment();
      const { runCollect } = await import('./collect.js');
      setExit(await runCollect(opts, argv));
    });

  const run = program
    .command('run')
    .description('the guided playbook on a terminal: each step explains, shows what it found, and asks before changing anything')
    .argument('[playbook]', 'playbook name or file', 'ssh-compromise');
  addSshPortOption(addCaseOptions(run, { ...BUNDLE_OUT, examiner: 'who answers the questions (recorded with every answer in the custody log)' })).option('--yes', 'apply the actions you choose without asking again for each', false);
  addCollectionOptions(run)
    .action(async (playbook: string, opts) => {
      useSystemToolEnvironment();
      const [{ runGuided }, { containmentFor }] = await Promise.all([import('./run.js'), import('../runner/actions-adapter.js')]);
      setExit(await runGuided({ ...opts, playbook }, process.argv.slice(2), (run) => containmentFor(run, { maxFileBytes: opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES })));
    });

  program
    .command('verify')
    .description('check a bundle: the sidecar, every hash, added or missing files, the custody chain')
    .argument('<bundle>', 'a .tar.gz bundle (or a case folder kept with --keep-dir)')
    .option('--json', 'print the result as JSON', false)
    .action(async (bundle: string, opts: { json: boolean }) => {
      const { runVerify } = await import('./verify.js');
      setExit(await runVerify(bundle, opts));
    });

  program
    .command('report')
    .description("verify a bundle, then render its report for the security officer from the bundle's own files")
    .argument('<bundle>', 'a .tar.gz bundle (or a case folder kept with --keep-dir)')
    .addOption(new Option('--format <format>', 'html (one self-contained file) or md (Markdown)').choices(['html', 'md']).default('html'))
    .option('--out <file>', 'where to write it; - for stdout (default: md to stdout, html to <case>.report.html beside the bundle)')
    .option('--force', 'render a bundle that does not verify, its problems in a warning banner, and exit 0', false)
    .option('--json', 'print { target, case, ok, rendered, format, out, problems, notes } as JSON (md then goes to <case>.report.md unless --out FILE)', false)
    .addHelpText('after', '\nA bundle that does not verify is neither unpacked nor rendered: its problems are named and the exit code is 1. With --force it is rendered, its problems in a warning banner at the top, and the exit code is 0.\nA bundle is read within limits (file size, file count, unpacked total, JSON size and nesting): see docs/bundle.md.')
    .action(async (bundle: string, opts: { format: 'html' | 'md'; out?: string; force: boolean; json: boolean }) => {
      const { runReport } = await import('./report.js');
      setExit(await runReport(bundle, opts));
    });

  program
    .command('summarize')
    .description('verify every bundle under a folder (as the fleet playbook fetches them) and list them, most severe first: host, case, verdict, findings per level, main incident')
    .argument('[dir]', 'a folder of bundles (.tar.gz, and case folders), searched at any depth')
    .option('--json', 'print an array with one object per bundle', false)
    .addHelpText('after', '\nExit codes: 0 every bundle intact, 1 a bundle is not intact (named in the table), 2 no folder or no bundle in it.')
    .action(async (dir: string | undefined, opts: { json: boolean }) => {
      const { runSummarize } = await import('./summarize.js');
      setExit(await runSummarize(dir, opts));
    });

  program
    .command('decrypt')
    .description("the security officer's side of --encrypt-to: check the .age file's sidecar, decrypt it with an age identity file, verify the bundle")
    .argument('<file>', 'the encrypted bundle <case>.tar.gz.age (or any file encrypted with age to your key)')
    .option('-i, --identity <file>', 'age identity file: AGE-SECRET-KEY-1… lines, as age -i reads them (repeatable); never the key itself', appendValue)
    .option('--out <dir>', 'where <case>.tar.gz and its .sha256 are written (default: beside the .age file)')
    .option('--json', 'print { input, output, sha256, size, sidecarChecked, encryptedTo, verify } as JSON', false)
    .action(async (file: string, opts) => {
      const { runDecrypt } = await import('./decrypt.js');
      setExit(await runDecrypt(file, opts, process.argv.slice(2)));
    });

  program
    .command('keygen')
    .description('make an age key pair for the security officer: writes the identity file (mode 0600, never overwritten) and prints its public key (age1…) for --encrypt-to')
    .option('--out <file>', 'the identity file to write', 'key.txt')
    .action(async (opts: { out: string }) => {
      const { runKeygen } = await import('./keygen.js');
      setExit(await runKeygen(opts, process.argv.slice(2)));
    });

  program
    .command('analyze')
    .description('read auth logs, journal exports (journalctl -o json), wtmp and btmp handed over from elsewhere: per-address tallies, sessions and findings; no bundle')
    .argument('<file...>', 'log or login files, rotated and .gz alike (the kind is read from the content)')
    .option('--json', 'print { files, addresses, sessions, findings } as one JSON object', false)
    .option('--year <yyyy>', 'year of the first line of logs whose stamps have none, oldest rotation first; later files run on from it (default: from each file\'s mtime)', parseYear)
    .option('--tz <zone>', 'time zone of stamps without one (an IANA name such as Europe/Berlin)', 'UTC')
    .option('--playbook <file|name>', 'playbook whose thresholds apply', 'ssh-compromise')
    .action(async (files: string[], opts) => {
      const { runAnalyze } = await import('./analyze.js');
      setExit(await runAnalyze(files, opts));
    });

  program
    .command('playbooks')
    .description('list the playbooks it knows and where they come from')
    .option('--json', 'print as JSON', false)
    .action(async (opts: { json: boolean }) => {
      const { runPlaybooks } = await import('./playbooks.js');
      setExit(await runPlaybooks(opts));
    });

  const quarantine = program
    .command('quarantine')
    .description('containment: copy and hash every file of a folder into a case bundle, then chmod a-rx the folder and everything in it')
    .argument('<path>', 'the malware folder (symlinks and .. are resolved first)');
  addChangeOptions(quarantine, { dryRun: 'show the plan only; change nothing', force: 'allow a protected system folder (/usr/bin, /etc, /home/USER, …)' });
  addCaseOptions(quarantine, { out: 'where the bundle and <case>.restore.json are written', examiner: RAN_IT })
    .option('--max-file-bytes <n>', 'cap for each copied file, in bytes (default 64 MiB)', parsePositive)
    .option('--max-total-bytes <n>', 'cap for all copies together, in bytes (default 1 GiB); files beyond it are chmod-ed, not copied, and named', parsePositive)
    .option('--max-depth <n>', 'how many folder levels to walk (default 256); folders at the bound are chmod-ed, not entered, and named', parsePositive)
    .option('--json', PLAN_JSON_HELP, false)
    .action(async (target: string, opts) => {
      useSystemToolEnvironment();
      const { runQuarantine } = await import('./quarantine.js');
      setExit(await runQuarantine(target, opts, process.argv.slice(2)));
    });

  const restore = program
    .command('restore')
    .description('undo a quarantine (every original mode) or a disable (the commented-out line, the execute bit, the unit links), from <case>.restore.json, an actions/disable-N.json record, or the bundle')
    .argument('<record>', 'the <case>.restore.json written beside the bundle, a disable record, or the bundle .tar.gz (every undo record in it)');
  addChangeOptions(restore, { dryRun: 'show what would be restored; change nothing', force: 'restore entries whose mode changed since the quarantine, and protected folders' }).option(
    '--trust-record <sha256>',
    'accept a record this machine\'s record key did not sign, because you checked this sha256 (of the record, or of the bundle holding it) against the one the action printed; repeatable',
    collectSha256,
    [],
  );
  addCaseOptions(restore, { out: 'where the restore case bundle is written', examiner: RAN_IT })
    .option('--json', PLAN_JSON_HELP, false)
    .action(async (record: string, opts) => {
      useSystemToolEnvironment();
      const { runRestore } = await import('./restore.js');
      setExit(await runRestore(record, opts, process.argv.slice(2)));
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
  // Output piped into `head` or a pager that quits: stop quietly, as the shell's own tools do.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT.ok);
    throw err;
  });
  let code: number = EXIT.ok;
  const program = buildProgram((c) => {
    code = c;
  });
  if (argv.length === 0) {
    // On a terminal: the guided playbook. Without one: the usage, never a prompt that hangs.
    if (process.stdin.isTTY && process.stdout.isTTY) argv = ['run'];
    else {
      program.outputHelp({ error: true });
      process.stderr.write('\nir-triage: no terminal: the guided run needs one; for automation use: ir-triage collect --out DIR\n');
      return EXIT.usage;
    }
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    // A message may carry a name from a bundle or a box: shown defused, and as JSON for --json.
    const json = argv.includes('--json');
    if (err instanceof CliError) {
      process.stderr.write(`ir-triage: ${sanitizeForTerminal(err.message)}\n`);
      if (json) process.stdout.write(safeJson({ ok: false, error: err.message, exitCode: err.exitCode }) + '\n');
      return err.exitCode;
    }
    const e = err as NodeJS.ErrnoException;
    const line = `${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}`;
    process.stderr.write(`ir-triage: ${sanitizeForTerminal(line)}\n`);
    if (json) process.stdout.write(safeJson({ ok: false, error: line, exitCode: EXIT.error }) + '\n');
    if (process.env.IR_TRIAGE_DEBUG) process.stderr.write(`${e.stack ?? ''}\n`);
    return EXIT.error;
  }
}
