import { Encrypter, identityToRecipient } from 'age-encryption';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { CliError, EXIT } from '../model/errors.js';
import { errnoCode } from '../host/errors.js';

/**
 * age keys as the officer and the responder hand them to ir-triage: recipients (`age1…`, public,
 * given to `--encrypt-to`) and identities (`AGE-SECRET-KEY-1…`, secret, only ever read from a
 * file). The formats are age's own (age -R and age -i files), so keys made by age-keygen work here
 * and keys made by `ir-triage keygen` work with age.
 */

/** Recipients and identity files are a few lines; anything bigger is not one. */
export const MAX_KEY_FILE_BYTES = 1024 * 1024;

const SECRET_RE = /AGE-SECRET-KEY-/i;

/** True when the text holds an age secret key, in any letter case. */
export function containsSecretKey(text: string): boolean {
  return SECRET_RE.test(text);
}

/**
 * Refuses a secret key anywhere on the command line, before anything records the command line
 * (the manifest and the custody log do): ps, shell history and process accounting would keep it.
 */
export function refuseSecretArguments(argv: readonly string[]): void {
  if (argv.some(containsSecretKey)) {
    throw new CliError(
      'an age secret key (AGE-SECRET-KEY-…) was given on the command line, where ps and shell history keep it: put it in a file with mode 0600 and pass the file (--identity FILE); treat that key as exposed',
      EXIT.usage,
    );
  }
}

/** A value from the user shown back in an error: printable ASCII only, and short. */
function shown(value: string): string {
  const clean = value.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 80 ? `${clean.slice(0, 77)}...` : clean;
}

/** Why a string is not an age X25519 recipient, or null when it is one. */
export function recipientProblem(value: string): string | null {
  if (containsSecretKey(value)) {
    return "is a secret key (AGE-SECRET-KEY-…), not a recipient: give its public key (age1…, the '# public key:' line that age-keygen and ir-triage keygen write), and keep the secret key off this machine";
  }
  if (/^(ssh-(ed25519|rsa)|ecdsa-sha2-|sk-ssh-)/.test(value)) {
    return 'is an SSH public key: not supported (age-encryption 0.2.4 encrypts only to X25519 age1… recipients); make an age key with ir-triage keygen or age-keygen';
  }
  if (!value.startsWith('age1')) return 'is not an age recipient (age1…)';
  try {
    // The library's own parser: bech32 checksum, the "age" prefix and a 32-byte key.
    new Encrypter().addRecipient(value);
    return null;
  } catch {
    return 'is not a valid age X25519 recipient (age1 and 58 more characters, checksum included; plugin and post-quantum recipients are not supported)';
  }
}

/**
 * A recipients file as age -R reads it: one recipient a line, `#` comments and blank lines
 * ignored. Every bad line is an error naming the file and the line.
 */
export function parseRecipientsText(text: string, source: string): string[] {
  const recipients: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const problem = recipientProblem(line);
    if (problem) throw new CliError(`${source} line ${i + 1} ${problem}`, EXIT.usage);
    recipients.push(line);
  }
  if (recipients.length === 0) throw new CliError(`${source} holds no recipient (age1…)`, EXIT.usage);
  return recipients;
}

async function readKeyFile(file: string, what: string): Promise<string> {
  let st;
  try {
    st = await fsp.stat(file);
  } catch (err) {
    const code = errnoCode(err);
    throw new CliError(`${what} ${file}: ${code === 'ENOENT' ? 'no such file' : code ?? String(err)}`, EXIT.usage);
  }
  if (!st.isFile()) throw new CliError(`${what} ${file} is not a regular file`, EXIT.usage);
  if (st.size > MAX_KEY_FILE_BYTES) throw new CliError(`${what} ${file} is larger than ${MAX_KEY_FILE_BYTES} bytes: not a key file`, EXIT.usage);
  try {
    return await fsp.readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`${what} ${file}: ${errnoCode(err) ?? String(err)}`, EXIT.usage);
  }
}

/**
 * The values of `--encrypt-to`, each an `age1…` recipient, `@FILE` or the path of a recipients
 * file, resolved into the distinct recipients in the order given.
 */
export async function resolveRecipients(values: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const value of values) {
    if (containsSecretKey(value)) throw new CliError(`--encrypt-to ${recipientProblem(value)}`, EXIT.usage);
    if (value.startsWith('age1') || /^(ssh-|ecdsa-|sk-ssh-)/.test(value)) {
      const problem = recipientProblem(value);
      if (problem) throw new CliError(`--encrypt-to ${shown(value)} ${problem}`, EXIT.usage);
      out.push(value);
      continue;
    }
    const file = path.resolve(value.startsWith('@') ? value.slice(1) : value);
    if (!value.startsWith('@')) {
      const exists = await fsp.stat(file).then(() => true, () => false);
      if (!exists) throw new CliError(`--encrypt-to ${shown(value)} is neither an age recipient (age1…) nor a recipients file`, EXIT.usage);
    }
    out.push(...parseRecipientsText(await readKeyFile(file, 'recipients file'), file));
  }
  return [...new Set(out)];
}

/**
 * An identity file as age -i reads it: `AGE-SECRET-KEY-1…` lines, `#` comments and blank lines.
 * Errors name the line, never its content (a damaged line is still most of a secret).
 */
export async function parseIdentityText(text: string, source: string): Promise<string[]> {
  if (text.includes('-----BEGIN') && text.includes('PRIVATE KEY-----')) {
    throw new CliError(`${source} is an SSH private key: not supported; use an age identity (ir-triage keygen or age-keygen)`, EXIT.usage);
  }
  const identities: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('AGE-PLUGIN-')) throw new CliError(`${source} line ${i + 1} is an age plugin identity: plugins are not supported`, EXIT.usage);
    try {
      if (!line.startsWith('AGE-SECRET-KEY-1')) throw new Error('not an identity');
      await identityToRecipient(line);
    } catch {
      throw new CliError(`${source} line ${i + 1} is not an age identity (AGE-SECRET-KEY-1…, as age-keygen writes it)`, EXIT.usage);
    }
    identities.push(line);
  }
  if (identities.length === 0) throw new CliError(`${source} holds no age identity (AGE-SECRET-KEY-1…)`, EXIT.usage);
  return identities;
}

/** A warning when others than the owner may open the identity file, or null. */
export function identityModeWarning(mode: number, file: string): string | null {
  const perms = mode & 0o777;
  if ((perms & 0o077) === 0) return null;
  const who = perms & 0o007 ? 'every user on this machine' : 'the file\'s group';
  return `warning: ${file} has mode ${perms.toString(8).padStart(4, '0')}: ${who} can access this secret key; chmod 600 ${file}`;
}

export interface IdentityFile {
  file: string;
  /** The secret keys: kept in memory only, handed to the decrypter, never printed. */
  identities: string[];
  /** Their public keys (age1…), for messages. */
  recipients: string[];
  warnings: string[];
}

/** Reads and checks an age identity file (the officer's secret key). */
export async function readIdentityFile(file: string): Promise<IdentityFile> {
  if (containsSecretKey(file)) refuseSecretArguments([file]);
  const abs = path.resolve(file);
  const text = await readKeyFile(abs, 'identity file');
  const st = await fsp.stat(abs);
  const warning = identityModeWarning(st.mode, file);
  const identities = await parseIdentityText(text, file);
  const recipients = await Promise.all(identities.map((id) => identityToRecipient(id)));
  return { file: abs, identities, recipients, warnings: warning ? [warning] : [] };
}

/** A new identity file's text in age-keygen's layout, and its recipient. */
export async function formatNewIdentity(identity: string, now: Date): Promise<{ text: string; recipient: string }> {
  const recipient = await identityToRecipient(identity);
  const created = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { text: `# created: ${created}\n# public key: ${recipient}\n${identity}\n`, recipient };
}
