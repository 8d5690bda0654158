import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { decryptFile } from '../evidence/encrypt.js';
import { readIdentityFile, refuseSecretArguments } from '../evidence/encrypt-keys.js';
import { sha256File } from '../evidence/hash.js';
import { makeUserFolders, OutputFolder } from '../evidence/new-files.js';
import { readRegular } from '../evidence/safe-open.js';
import { verifyBundle } from '../evidence/verify.js';
import { CliError, EXIT } from '../model/errors.js';
import { safeJson, sanitizeForTerminal } from '../report/text.js';
import { errnoCode } from '../host/errors.js';

export interface DecryptCliOptions {
  identity?: string[];
  out?: string;
  json: boolean;
}

/** `<case>.tar.gz.age` → `<case>.tar.gz`; any other name gets `.decrypted` appended. */
export function decryptedName(input: string): string {
  const base = path.basename(input);
  return base.endsWith('.age') && base.length > 4 ? base.slice(0, -4) : `${base}.decrypted`;
}

/**
 * Checks the .age file against its sidecar before anything else: a file changed on the way is
 * refused before the key is ever used on it. Returns a note, or null when there is no sidecar.
 */
async function checkSidecar(input: string): Promise<string | null> {
  const sidecar = `${input}.sha256`;
  let text: string;
  try {
    // Non-blocking, no final link, fstat on the descriptor: a FIFO or a link to /dev/zero is refused, not waited on.
    text = (await readRegular(sidecar, 4096)).toString('utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw new CliError(`${(err as Error).message}; nothing was decrypted`);
  }
  const m = /^([0-9a-f]{64}) [ *](.+)$/m.exec(text.trim());
  if (!m) throw new CliError(`${path.basename(sidecar)} is not in sha256sum format; nothing was decrypted`);
  const actual = (await sha256File(input)).sha256;
  if (m[1] !== actual) {
    throw new CliError(`${path.basename(input)} does not match ${path.basename(sidecar)} (sha256 ${actual}, the sidecar says ${m[1]}): changed or damaged on the way; nothing was decrypted`);
  }
  return `${path.basename(input)} sha256 ${actual} matches ${path.basename(sidecar)}`;
}

/** The recipients the custody log inside the bundle says it was encrypted to. */
function recipientsFromCustody(custody: string | null): string[] {
  for (const line of (custody ?? '').split('\n')) {
    try {
      const e = JSON.parse(line) as { event?: unknown; recipients?: unknown };
      if (e.event === 'encrypting-bundle' && Array.isArray(e.recipients)) return e.recipients.map(String);
    } catch {
      // verify reports a damaged log; here it only means no recipients to show.
    }
  }
  return [];
}

/**
 * `ir-triage decrypt FILE.age --identity FILE`: the officer's side of `--encrypt-to`. Checks the
 * sidecar, decrypts next to the file (or into --out) with a fresh .sha256 sidecar, then verifies
 * the bundle. Exit 0 when the decrypted bundle is intact, 1 otherwise.
 */
export async function runDecrypt(input: string, opts: DecryptCliOptions, argv: string[]): Promise<number> {
  refuseSecretArguments(argv);
  const identityFiles = opts.identity ?? [];
  if (identityFiles.length === 0) throw new CliError('--identity FILE is required: the age identity file (AGE-SECRET-KEY-1… lines) of the key the bundle was encrypted to', EXIT.usage);

  const identities: string[] = [];
  const recipients: string[] = [];
  for (const file of identityFiles) {
    const key = await readIdentityFile(file);
    for (const w of key.warnings) process.stderr.write(`ir-triage: ${sanitizeForTerminal(w)}\n`);
    identities.push(...key.identities);
    recipients.push(...key.recipients);
  }
  const keyName = identityFiles.join(', ');

  const st = await fsp.stat(input).catch(() => null);
  if (!st?.isFile()) throw new CliError(`${input}: ${st ? 'not a regular file' : 'no such file'}`);
  const sidecarNote = await checkSidecar(input);

  const outDir = path.resolve(opts.out ?? path.dirname(input));
  let folder: OutputFolder;
  try {
    await makeUserFolders(outDir, 0o700);
    folder = OutputFolder.open(outDir);
  } catch (err) {
    throw new CliError(`cannot create the output folder ${outDir}: ${errnoCode(err) ?? String(err)}`);
  }
  const name = decryptedName(input);
  const output = folder.show(name);
  let written;
  try {
    // Both names are created new: an existing file or a planted link is refused, never written through.
    for (const taken of [name, `${name}.sha256`]) {
      if (folder.has(taken)) throw new CliError(`${folder.show(taken)} already exists: move it away or choose another --out`);
    }
    written = await decryptFile(input, { folder, name }, { identities, recipients, file: keyName });
    await folder.writeFile(`${name}.sha256`, `${written.sha256}  ${name}\n`, 0o644).catch((err: unknown) => {
      throw new CliError(`could not write ${output}.sha256: ${errnoCode(err) === 'EEXIST' ? 'it already exists (moved there during the run)' : errnoCode(err) ?? String(err)}`);
    });
  } finally {
    folder.close();
  }

  const r = await verifyBundle(output);
  const encryptedTo = recipientsFromCustody(r.custody);
  if (opts.json) {
    process.stdout.write(
      safeJson({
        input,
        output,
        sha256: written.sha256,
        size: written.size,
        sidecarChecked: sidecarNote !== null,
        encryptedTo,
        verify: { case: r.caseId, ok: r.ok, files: r.files, problems: r.problems, notes: r.notes },
      }) + '\n',
    );
  } else {
    const lines = [`decrypted: ${sanitizeForTerminal(output)} (sha256 ${written.sha256}, ${written.size} bytes)`];
    lines.push(`  note: ${sidecarNote ? sanitizeForTerminal(sidecarNote) : `no sidecar ${sanitizeForTerminal(path.basename(input))}.sha256: the encrypted file's hash was not checked`}`);
    if (encryptedTo.length > 0) lines.push(`  note: the custody log says it was encrypted to ${encryptedTo.map((x) => sanitizeForTerminal(x)).join(', ')}`);
    lines.push(`${r.ok ? 'intact' : 'NOT INTACT'}: ${sanitizeForTerminal(path.basename(output))}${r.caseId ? ` (case ${sanitizeForTerminal(r.caseId)}, ${r.files} files)` : ''}`);
    for (const n of r.notes) lines.push(`  note: ${sanitizeForTerminal(n)}`);
    for (const p of r.problems) lines.push(`  problem: ${sanitizeForTerminal(p)}`);
    if (r.ok) lines.push('  every file matches SHA256SUMS and manifest.json; the custody chain is unbroken');
    process.stdout.write(lines.join('\n') + '\n');
  }
  return r.ok ? EXIT.ok : EXIT.error;
}
