import { generateIdentity } from 'age-encryption';
import path from 'node:path';
import { publishNewFile } from '../evidence/new-files.js';
import { formatNewIdentity, refuseSecretArguments } from '../evidence/encrypt-keys.js';
import { CliError } from '../model/errors.js';
import { errnoCode } from '../host/errors.js';

/**
 * `ir-triage keygen [--out FILE]`: a new age key pair for the security officer. The identity
 * file has age-keygen's layout and mode 0600 and is never overwritten; the secret key is never
 * printed. The public key (age1…) goes to stdout, alone, so a script can capture it.
 */
export async function runKeygen(opts: { out: string }, argv: string[]): Promise<number> {
  refuseSecretArguments(argv);
  const file = path.resolve(opts.out);
  const { text, recipient } = await formatNewIdentity(await generateIdentity(), new Date());
  try {
    // Whole or not at all, and created here: a key someone depends on is never replaced, a link never followed.
    await publishNewFile(file, 0o600, async (fh) => {
      await fh.chmod(0o600);
      await fh.writeFile(text);
    });
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'EEXIST') throw new CliError(`${file} already exists: keygen never overwrites a key; choose another --out`);
    throw new CliError(`cannot create ${file}: ${code ?? String(err)}`);
  }
  process.stdout.write(`${recipient}\n`);
  process.stderr.write(
    `ir-triage: identity written to ${file} (mode 0600). Keep it secret and keep a backup: a bundle encrypted to it cannot be opened without it.\n` +
      `ir-triage: give responders the public key above: ir-triage collect --encrypt-to ${recipient}\n`,
  );
  return 0;
}
