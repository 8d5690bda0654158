import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { CliError } from '../model/errors.js';
import { OutputFolder, publishNewFile } from './new-files.js';
import { errnoCode } from '../host/errors.js';

/**
 * Bundle encryption with age (age-encryption.org/v1) through the age-encryption library, by the
 * age author. Both directions stream: the library's Encrypter and Decrypter take a web
 * ReadableStream and run age's STREAM construction (64 KiB chunks, ChaCha20-Poly1305) over it, so
 * memory stays flat whatever the bundle's size. No cryptography is done here, only file plumbing.
 */

/** The first line of every binary age file. */
export const AGE_MAGIC = 'age-encryption.org/v1\n';
const ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----';
/** A header is a few hundred bytes per recipient; the library reads it line by line without a cap. */
const MAX_HEADER_BYTES = 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;

/** A file as a web stream, read on demand (pull) so the consumer's pace bounds memory. */
function readableFrom(fh: FileHandle): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const buf = new Uint8Array(CHUNK_BYTES);
      const { bytesRead } = await fh.read(buf, 0, CHUNK_BYTES, null);
      if (bytesRead === 0) controller.close();
      else controller.enqueue(buf.subarray(0, bytesRead));
    },
  });
}

/** Writes a stream to an open file, hashing what is written. */
async function drainTo(stream: ReadableStream<Uint8Array>, out: FileHandle): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    await out.write(value);
    hash.update(value);
    size += value.length;
  }
  return { sha256: hash.digest('hex'), size };
}

export interface WrittenFile {
  path: string;
  sha256: string;
  size: number;
}

/** Where a new file goes: a path, or a name in a folder already held open. */
export type NewFileTarget = string | { folder: OutputFolder; name: string };

function targetPath(t: NewFileTarget): string {
  return typeof t === 'string' ? path.resolve(t) : t.folder.show(t.name);
}

function publishTo<T>(t: NewFileTarget, write: (fh: FileHandle) => Promise<T>): Promise<T> {
  return typeof t === 'string' ? publishNewFile(t, 0o600, write) : t.folder.publish(t.name, 0o600, write);
}

/**
 * Encrypts `input` to the recipients into `output`, written in a private folder and linked to its
 * name only when whole and of the size age's format predicts; a failure leaves no output behind,
 * and an existing name (a planted link too) is never written through nor replaced.
 */
export async function encryptFile(input: string, target: NewFileTarget, recipients: readonly string[]): Promise<WrittenFile> {
  if (recipients.length === 0) throw new Error('encryptFile needs at least one recipient');
  const { Encrypter } = await import('age-encryption');
  const encrypter = new Encrypter();
  for (const r of recipients) encrypter.addRecipient(r);
  const output = targetPath(target);
  const src = await fsp.open(input, 'r');
  try {
    const plainSize = (await src.stat()).size;
    const encrypted = await encrypter.encrypt(readableFrom(src));
    const written = await publishTo(target, async (dst) => {
      const w = await drainTo(encrypted, dst);
      if (w.size !== encrypted.size(plainSize)) throw new Error(`wrote ${w.size} bytes where age's format needs ${encrypted.size(plainSize)}`);
      return w;
    });
    return { path: output, ...written };
  } catch (err) {
    const code = errnoCode(err);
    const why = code === 'ENOSPC' ? 'the disk is full' : code === 'EEXIST' ? 'it already exists' : code ?? (err as Error).message;
    throw new CliError(`could not write the encrypted bundle ${output}: ${why}`);
  } finally {
    await src.close();
  }
}

/** Checks the start of a file before the library reads it: a clear line for what is not age. */
async function checkAgeHeader(fh: FileHandle, file: string): Promise<void> {
  const buf = Buffer.alloc(MAX_HEADER_BYTES);
  const { bytesRead } = await fh.read(buf, 0, MAX_HEADER_BYTES, 0);
  const head = buf.subarray(0, bytesRead);
  const name = path.basename(file);
  if (head.subarray(0, ARMOR_BEGIN.length).toString('latin1') === ARMOR_BEGIN) {
    throw new CliError(`${name} is an ASCII-armored age file: not supported; de-armor it with age -d, or ask for the binary .age file`);
  }
  if (head.subarray(0, AGE_MAGIC.length).toString('latin1') !== AGE_MAGIC) {
    throw new CliError(`${name} is not an age-encrypted file (it does not start with "age-encryption.org/v1")`);
  }
  if (head.indexOf('\n--- ') < 0) {
    throw new CliError(`${name} is damaged or truncated: its age header has no end within ${MAX_HEADER_BYTES} bytes`);
  }
}

/** The library's header errors as one line for the officer. */
function headerError(err: unknown, file: string, identityFile: string, keys: readonly string[]): CliError {
  const message = err instanceof Error ? err.message : String(err);
  const name = path.basename(file);
  if (/no identity matched/.test(message)) {
    return new CliError(`${name} is not encrypted to any key in ${identityFile} (tried ${keys.length === 1 ? keys[0] : `${keys.length} keys: ${keys.join(', ')}`})`);
  }
  if (/HMAC/.test(message)) return new CliError(`${name} is damaged: its age header does not authenticate`);
  if (/stream ended/.test(message)) return new CliError(`${name} is damaged or truncated: it ends inside its age header`);
  return new CliError(`${name} is damaged: its age header cannot be read (${message})`);
}

/**
 * Decrypts an age file with the identities into `output`, written in a private folder and linked
 * to its name only when every chunk has authenticated: a wrong key, a damaged header, a truncated
 * or altered payload all leave no output behind; an existing name is refused, never replaced.
 */
export async function decryptFile(
  input: string,
  target: NewFileTarget,
  key: { identities: readonly string[]; recipients: readonly string[]; file: string },
): Promise<WrittenFile> {
  const { Decrypter } = await import('age-encryption');
  const decrypter = new Decrypter();
  for (const id of key.identities) decrypter.addIdentity(id);
  const name = path.basename(input);
  const output = targetPath(target);
  const src = await fsp.open(input, 'r');
  try {
    await checkAgeHeader(src, input);
    const cipherSize = (await src.stat()).size;
    let plain;
    try {
      plain = await decrypter.decrypt(readableFrom(src));
    } catch (err) {
      throw headerError(err, input, key.file, key.recipients);
    }
    let expected: number;
    try {
      expected = plain.size(cipherSize);
    } catch {
      // The payload's length is not one age can produce: cut or padded, before any byte is written.
      throw new CliError(`${name} is damaged or truncated: its size is not that of an age file; nothing was written`);
    }
    const written = await publishTo(target, async (dst) => {
      let w;
      try {
        w = await drainTo(plain, dst);
      } catch (err) {
        if (errnoCode(err)) throw err;
        throw new CliError(`${name} is damaged or truncated: its encrypted data does not authenticate; nothing was written`);
      }
      if (w.size !== expected) throw new CliError(`${name} decrypted to ${w.size} bytes where ${expected} were expected; nothing was written`);
      return w;
    });
    return { path: output, ...written };
  } catch (err) {
    if (err instanceof CliError) throw err;
    const code = errnoCode(err);
    if (code === 'EEXIST') throw new CliError(`${output} already exists: move it away or choose another --out`);
    throw new CliError(`could not decrypt ${name} to ${output}: ${code === 'ENOSPC' ? 'the disk is full' : code ?? (err as Error).message}`);
  } finally {
    await src.close();
  }
}
