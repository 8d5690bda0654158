import { generateIdentity } from 'age-encryption';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { formatNewIdentity, refuseSecretArguments } from '../evidence/encrypt-keys.js';
import { CliError } from '../model/errors.js';

/**
 * `ir-triage keygen [--out FILE]`: a new age key pair for the security officer. The identity
 * file has age-keygen's layout and mode 0600 and is never overwritten; the secret key is never
 * printed. The public key (age1…) goes to stdout, alone, so a script can capture it.
 */
export async function runKeygen(opts: { out: string }, argv: string[]): Promise<number> {
  refuseSecretArguments(argv);
  const file = path.resolve(opts.out);
  const { text, recipient } = await formatNewIdentity(await generateIdentity(), new Date());
  let fh;
  try {
    // 'wx': created here or not at all; a key someone depends on is never replaced.
    fh = await fsp.open(file, 'wx', 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new CliError(`${file} already exists: keygen never overwrites a key; choose another --out`);
    throw new CliError(`cannot create ${file}: ${code ?? String(err)}`);
  }
  try {
    await fh.chmod(0o600);
    await fh.writeFile(text);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await fsp.rm(file, { force: true });
    throw new CliError(`could not write ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  await fh.close();
  process.stdout.write(`${recipient}\n`);
  process.stderr.write(
    `ir-triage: identity written to ${file} (mode 0600). Keep it secret and keep a backup: a bundle encrypted to it cannot be opened without it.\n` +
      `ir-triage: give responders the public key above: ir-triage collect --encrypt-to ${recipient}\n`,
  );
  return 0;
}
