import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { BundleEncryption } from '../evidence/bundle.js';
import { refuseSecretArguments, resolveRecipients } from '../evidence/encrypt-keys.js';
import { CliError, EXIT } from '../model/errors.js';
import { checkCaseId } from '../case/case-id.js';

/** The `--encrypt-to` option as collect and run take it, before the case opens. */
export interface EncryptToOptions {
  out: string;
  case?: string;
  keepDir: boolean;
  encryptTo?: string[];
}

/**
 * Checks what `--encrypt-to` needs before a single step runs, so a typo costs seconds, not a
 * whole collection: no secret key anywhere on the command line (the manifest and custody log
 * record it), valid recipients, no plaintext staging folder kept beside the encrypted bundle,
 * and no earlier encrypted bundle of the same case in the way. Returns the recipients.
 */
export async function prepareEncryptTo(opts: EncryptToOptions, argv: readonly string[]): Promise<string[]> {
  refuseSecretArguments(argv);
  const values = opts.encryptTo ?? [];
  if (values.length === 0) return [];
  const recipients = await resolveRecipients(values);
  if (opts.keepDir) {
    throw new CliError('--keep-dir would leave the plaintext evidence beside the encrypted bundle: use one or the other', EXIT.usage);
  }
  if (opts.case) {
    const taken = path.join(path.resolve(opts.out), `${checkCaseId(opts.case)}.tar.gz.age`);
    if (await fsp.lstat(taken).then(() => true, () => false)) {
      throw new CliError(`${taken} already exists: choose another --case or --out`);
    }
  }
  return recipients;
}

/** The summary's lines about an encrypted bundle, under its sha256. */
export function encryptionFields(e: BundleEncryption): string[] {
  return [`encrypted: age, to ${e.recipients.join(', ')}`, `plaintext sha256: ${e.plaintextSha256} (of the .tar.gz that ir-triage decrypt writes back)`];
}

/** What the responder and the officer do next with an encrypted bundle. */
export function encryptedNextSteps(bundle: string): string[] {
  return [
    `Check it with: sha256sum -c ${path.basename(bundle)}.sha256 (no key needed)`,
    `The security officer opens it with: ir-triage decrypt ${path.basename(bundle)} --identity KEYFILE`,
  ];
}
