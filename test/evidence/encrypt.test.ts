import { generateIdentity, identityToRecipient } from 'age-encryption';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealCase } from '../../src/evidence/bundle.js';
import { decryptFile, encryptFile } from '../../src/evidence/encrypt.js';
import { sha256Hex } from '../../src/evidence/hash.js';
import { CaseStore } from '../../src/evidence/store.js';
import { verifyBundle } from '../../src/evidence/verify.js';
import { CliError } from '../../src/model/errors.js';
import { tmpDir } from '../helpers/bundle.js';

interface Key {
  secret: string;
  recipient: string;
  file: string;
}

let dir: string;
let officer: Key;
let deputy: Key;
let stranger: Key;

async function makeKey(name: string): Promise<Key> {
  const secret = await generateIdentity();
  const file = path.join(dir, `${name}.txt`);
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return { secret, recipient: await identityToRecipient(secret), file };
}

const keyOf = (k: Key) => ({ identities: [k.secret], recipients: [k.recipient], file: k.file });

beforeAll(async () => {
  dir = tmpDir('irt-enc-');
  officer = await makeKey('officer');
  deputy = await makeKey('deputy');
  stranger = await makeKey('stranger');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function failure(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    expect((err as Error).message).not.toContain('\n');
    return (err as Error).message;
  }
  throw new Error('expected a failure');
}

/** A fresh folder holding one plaintext file of the given bytes, and its encryption to the officer. */
async function encrypted(bytes: Buffer, recipients = [officer.recipient]): Promise<{ d: string; plain: string; age: string }> {
  const d = tmpDir('irt-enc-case-');
  const plain = path.join(d, 'plain.bin');
  writeFileSync(plain, bytes);
  const age = path.join(d, 'plain.bin.age');
  await encryptFile(plain, age, recipients);
  return { d, plain, age };
}

describe('encryptFile and decryptFile, with the age tool as the oracle', () => {
  // Sizes around age's 64 KiB STREAM chunk: empty, one byte, exactly one chunk, one more, several.
  for (const size of [0, 1, 65536, 65537, 3 * 65536 + 17]) {
    it(`round-trips ${size} bytes, and age -d agrees`, async () => {
      const bytes = randomBytes(size);
      const { d, age } = await encrypted(bytes);
      expect(readFileSync(age).subarray(0, 22).toString()).toBe('age-encryption.org/v1\n');
      expect(readdirSync(d).sort()).toEqual(['plain.bin', 'plain.bin.age']);
      const byAge = execFileSync('age', ['-d', '-i', officer.file, age]);
      expect(sha256Hex(byAge)).toBe(sha256Hex(bytes));
      const out = path.join(d, 'back.bin');
      const w = await decryptFile(age, out, keyOf(officer));
      expect(w.sha256).toBe(sha256Hex(bytes));
      expect(w.size).toBe(size);
      expect(readFileSync(out).equals(bytes)).toBe(true);
      rmSync(d, { recursive: true, force: true });
    });
  }

  it('encrypts to several recipients: each key opens it alone', async () => {
    const bytes = randomBytes(1000);
    const { d, age } = await encrypted(bytes, [officer.recipient, deputy.recipient]);
    for (const k of [officer, deputy]) {
      expect(sha256Hex(execFileSync('age', ['-d', '-i', k.file, age]))).toBe(sha256Hex(bytes));
      const out = path.join(d, `${path.basename(k.file)}.out`);
      await decryptFile(age, out, keyOf(k));
      expect(readFileSync(out).equals(bytes)).toBe(true);
    }
    rmSync(d, { recursive: true, force: true });
  });

  it('decrypts what age -r encrypted', async () => {
    const d = tmpDir('irt-enc-age-');
    const bytes = randomBytes(200_000);
    const plain = path.join(d, 'p.bin');
    writeFileSync(plain, bytes);
    execFileSync('age', ['-r', officer.recipient, '-o', `${plain}.age`, plain]);
    await decryptFile(`${plain}.age`, path.join(d, 'out.bin'), keyOf(officer));
    expect(readFileSync(path.join(d, 'out.bin')).equals(bytes)).toBe(true);
    rmSync(d, { recursive: true, force: true });
  });

  it('never replaces an existing file', async () => {
    const { d, plain, age } = await encrypted(randomBytes(10));
    expect(await failure(() => encryptFile(plain, age, [officer.recipient]))).toBe(`could not write the encrypted bundle ${age}: it already exists`);
    expect(readdirSync(d).sort()).toEqual(['plain.bin', 'plain.bin.age']);
    rmSync(d, { recursive: true, force: true });
  });
});

describe('decryptFile refuses, in one line, and leaves nothing behind', () => {
  let bytes: Buffer;
  let d: string;
  let age: string;

  beforeAll(async () => {
    bytes = randomBytes(3 * 65536 + 100);
    ({ d, age } = await encrypted(bytes));
  });
  afterAll(() => rmSync(d, { recursive: true, force: true }));

  /** A damaged copy of the .age file; the decryption into `out` must fail with a message matching `want`. */
  async function refused(edit: (b: Buffer) => Buffer, want: RegExp, key: Key = officer, ageRefusesToo = true): Promise<void> {
    const bad = path.join(d, `bad-${Math.random().toString(36).slice(2)}.age`);
    writeFileSync(bad, edit(readFileSync(age)));
    const out = path.join(d, 'out.bin');
    const message = await failure(() => decryptFile(bad, out, keyOf(key)));
    expect(message).toMatch(want);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.partial`)).toBe(false);
    // age itself refuses the same file.
    if (ageRefusesToo) expect(() => execFileSync('age', ['-d', '-i', key.file, '-o', path.join(d, 'by-age.bin'), bad], { stdio: 'ignore' })).toThrow();
    rmSync(path.join(d, 'by-age.bin'), { force: true });
    rmSync(bad);
  }

  it('the wrong key', async () => {
    await refused((b) => b, new RegExp(`^bad-\\w+\\.age is not encrypted to any key in ${stranger.file} \\(tried ${stranger.recipient}\\)$`), stranger);
  });

  it('a payload cut at a chunk boundary, and one cut mid-chunk', async () => {
    const header = readFileSync(age).indexOf('\n', readFileSync(age).indexOf('\n--- ') + 1) + 1 + 16;
    await refused((b) => b.subarray(0, header + 65536 + 16), /is damaged or truncated/);
    await refused((b) => b.subarray(0, b.length - 1000), /is damaged or truncated/);
    await refused((b) => b.subarray(0, b.length - 1), /is damaged or truncated/);
  });

  it('a flipped bit in the payload, and in the header', async () => {
    await refused((b) => {
      const c = Buffer.from(b);
      c[c.length - 70_000] ^= 1;
      return c;
    }, /is damaged or truncated: its encrypted data does not authenticate; nothing was written/);
    await refused((b) => {
      const c = Buffer.from(b);
      const mac = c.indexOf('\n--- ') + 8;
      c[mac] = c[mac] === 0x41 ? 0x42 : 0x41;
      return c;
    }, /is damaged: its age header does not authenticate/);
  });

  it('a file cut inside its header, a file that is not age, an armored file', async () => {
    await refused((b) => b.subarray(0, 40), /is damaged or truncated: its age header has no end/);
    await refused(() => Buffer.from('hello, this is not age\n'), /is not an age-encrypted file/);
    await refused(() => execFileSync('age', ['-a', '-r', officer.recipient], { input: 'x' }), /is an ASCII-armored age file: not supported/, officer, false);
  });

  it('removes the partial output of a payload that fails near its end', async () => {
    const out = path.join(d, 'late.bin');
    const bad = path.join(d, 'late.age');
    writeFileSync(bad, readFileSync(age));
    truncateSync(bad, readFileSync(age).length - 5);
    await failure(() => decryptFile(bad, out, keyOf(officer)));
    expect(readdirSync(d).filter((n) => n.startsWith('late.bin'))).toEqual([]);
    rmSync(bad);
  });
});

describe('sealCase with encryptTo', () => {
  it('writes only <case>.tar.gz.age and its sidecar, records the recipients in custody, and the plaintext verifies', async () => {
    const out = tmpDir('irt-enc-seal-');
    const store = await CaseStore.create(out, 'ENC-1');
    store.custody.append('ir-triage', 'case-opened', { case: 'ENC-1' });
    await store.writeFile('artifacts/host.json', '{"hostname":"h"}\n');
    await store.writeFile('findings.json', '[]\n');
    await store.writeFile('files/1-bin', randomBytes(200_000));
    const sealed = await sealCase(store, { case: 'ENC-1', sources: [] }, { encryptTo: [officer.recipient, deputy.recipient] });

    expect(sealed.bundle).toBe(path.join(out, 'ENC-1.tar.gz.age'));
    expect(sealed.verified?.ok).toBe(true);
    expect(sealed.encryption).toMatchObject({ format: 'age', recipients: [officer.recipient, deputy.recipient] });
    // The staging folder is the caller's to remove; nothing plaintext was added to it or beside it.
    expect(readdirSync(out).sort()).toEqual(['ENC-1', 'ENC-1.tar.gz.age', 'ENC-1.tar.gz.age.sha256']);
    expect(readdirSync(store.dir)).not.toContain('.sealing');
    expect(readFileSync(`${sealed.bundle}.sha256`, 'utf8')).toBe(`${sealed.sha256}  ENC-1.tar.gz.age\n`);
    execFileSync('sha256sum', ['-c', 'ENC-1.tar.gz.age.sha256'], { cwd: out, stdio: 'ignore' });

    const plain = execFileSync('age', ['-d', '-i', deputy.file, sealed.bundle]);
    expect(sha256Hex(plain)).toBe(sealed.encryption!.plaintextSha256);
    expect(plain.length).toBe(sealed.encryption!.plaintextSize);
    const tgz = path.join(tmpDir('irt-enc-plain-'), 'ENC-1.tar.gz');
    writeFileSync(tgz, plain);
    const r = await verifyBundle(tgz);
    expect(r.problems).toEqual([]);
    const events = r.custody!.trim().split('\n').map((l) => JSON.parse(l));
    expect(events.at(-1)).toMatchObject({ event: 'encrypting-bundle', actor: 'ir-triage', format: 'age', recipients: [officer.recipient, deputy.recipient] });
    // The manifest says nothing about the key.
    expect(JSON.stringify(r.manifest)).not.toContain('age1');
    rmSync(out, { recursive: true, force: true });
    rmSync(path.dirname(tgz), { recursive: true, force: true });
  });
});
