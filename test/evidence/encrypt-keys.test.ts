import { generateIdentity, identityToRecipient } from 'age-encryption';
import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  containsSecretKey,
  formatNewIdentity,
  identityModeWarning,
  parseIdentityText,
  parseRecipientsText,
  readIdentityFile,
  recipientProblem,
  refuseSecretArguments,
  resolveRecipients,
} from '../../src/evidence/encrypt-keys.js';
import { CliError } from '../../src/model/errors.js';
import { tmpDir } from '../helpers/bundle.js';

let secret: string;
let recipient: string;
let secret2: string;
let recipient2: string;
let dir: string;

beforeAll(async () => {
  secret = await generateIdentity();
  recipient = await identityToRecipient(secret);
  secret2 = await generateIdentity();
  recipient2 = await identityToRecipient(secret2);
  dir = tmpDir('irt-keys-');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The error a call throws, checked to be one clear line. */
async function failure(fn: () => unknown): Promise<CliError> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).message).not.toContain('\n');
    return err as CliError;
  }
  throw new Error('expected a failure');
}

/** A recipient with one data character changed: the bech32 checksum no longer matches. */
function corrupt(r: string): string {
  const i = 10;
  return r.slice(0, i) + (r[i] === 'q' ? 'p' : 'q') + r.slice(i + 1);
}

describe('recipients (age1…)', () => {
  it('accepts a real X25519 recipient, and age-keygen -y agrees on what it is', () => {
    expect(recipientProblem(recipient)).toBeNull();
    const keyFile = path.join(dir, 'oracle.txt');
    writeFileSync(keyFile, `${secret}\n`, { mode: 0o600 });
    expect(execFileSync('age-keygen', ['-y', keyFile], { encoding: 'utf8' }).trim()).toBe(recipient);
  });

  it('refuses bad strings, each with its reason', () => {
    expect(recipientProblem(corrupt(recipient))).toMatch(/not a valid age X25519 recipient/);
    expect(recipientProblem(recipient.slice(0, -1))).toMatch(/not a valid age X25519 recipient/);
    expect(recipientProblem(recipient.toUpperCase())).toMatch(/not an age recipient/);
    expect(recipientProblem('age1yubikey1qwt50d05nh5vutpdzmlg5wn80xq5negm4uj9ghv0snvdd3yysf5yw3rhl3t')).toMatch(/plugin and post-quantum recipients are not supported/);
    expect(recipientProblem('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHsKLqeplhpW+uObz5dvMgjz1OxfM/XXUB+VHtZ6isGN alice@example')).toMatch(/SSH public key: not supported/);
    expect(recipientProblem('ssh-rsa AAAAB3NzaC1yc2E')).toMatch(/SSH public key/);
    expect(recipientProblem('bob@example.org')).toMatch(/not an age recipient/);
    expect(recipientProblem('')).toMatch(/not an age recipient/);
  });

  it('calls a secret key a secret key, without repeating it', () => {
    const why = recipientProblem(secret)!;
    expect(why).toMatch(/is a secret key/);
    expect(why).not.toContain(secret);
    expect(recipientProblem(secret.toLowerCase())).toMatch(/is a secret key/);
  });

  it('reads a recipients file as age -R does: comments, blank lines, spaces, CRLF', () => {
    const text = `# the security officer\n\n  ${recipient}  \r\n# a deputy\n${recipient2}\r\n\n`;
    expect(parseRecipientsText(text, 'r.txt')).toEqual([recipient, recipient2]);
  });

  it('names the file and line of a bad recipient line', async () => {
    const e = await failure(() => parseRecipientsText(`# ok\n${recipient}\nnot-a-key\n`, 'r.txt'));
    expect(e.message).toBe('r.txt line 3 is not an age recipient (age1…)');
    expect(e.exitCode).toBe(2);
    const s = await failure(() => parseRecipientsText(`# created: 2024\n# public key: ${recipient}\n${secret}\n`, 'key.txt'));
    expect(s.message).toMatch(/^key\.txt line 3 is a secret key/);
    expect(s.message).not.toContain(secret);
  });

  it('refuses a recipients file with no recipient in it', async () => {
    expect((await failure(() => parseRecipientsText('# nothing\n\n', 'empty.txt'))).message).toBe('empty.txt holds no recipient (age1…)');
    expect((await failure(() => parseRecipientsText('', 'empty.txt'))).message).toMatch(/holds no recipient/);
  });

  it('resolves --encrypt-to values: age1…, @FILE, a plain path; duplicates once, in order', async () => {
    const file = path.join(dir, 'recipients.txt');
    writeFileSync(file, `# team\n${recipient2}\n${recipient}\n`);
    expect(await resolveRecipients([recipient])).toEqual([recipient]);
    expect(await resolveRecipients([`@${file}`])).toEqual([recipient2, recipient]);
    expect(await resolveRecipients([recipient, file])).toEqual([recipient, recipient2]);
    expect(await resolveRecipients([])).toEqual([]);
  });

  it('refuses bad --encrypt-to values with one line each', async () => {
    const missing = path.join(dir, 'nope.txt');
    expect((await failure(() => resolveRecipients([missing]))).message).toBe(`--encrypt-to ${missing} is neither an age recipient (age1…) nor a recipients file`);
    expect((await failure(() => resolveRecipients([`@${missing}`]))).message).toBe(`recipients file ${missing}: no such file`);
    expect((await failure(() => resolveRecipients([`@${dir}`]))).message).toBe(`recipients file ${dir} is not a regular file`);
    expect((await failure(() => resolveRecipients([corrupt(recipient)]))).message).toMatch(/^--encrypt-to age1\S+ is not a valid age X25519 recipient/);
    expect((await failure(() => resolveRecipients(['ssh-ed25519 AAAAC3Nza']))).message).toMatch(/SSH public key: not supported/);
    const s = await failure(() => resolveRecipients([secret]));
    expect(s.message).toMatch(/^--encrypt-to is a secret key/);
    expect(s.message).not.toContain(secret);
    // Terminal controls in a value are never echoed.
    expect((await failure(() => resolveRecipients(['age1\u001b[31mred']))).message).not.toContain('\u001b');
  });
});

describe('identities (AGE-SECRET-KEY-1…)', () => {
  it("reads age-keygen's own file: comments, then the key", async () => {
    const file = path.join(dir, 'age-keygen.txt');
    execFileSync('age-keygen', ['-o', file], { stdio: 'ignore' });
    const r = await readIdentityFile(file);
    expect(r.identities).toHaveLength(1);
    expect(r.recipients).toEqual([execFileSync('age-keygen', ['-y', file], { encoding: 'utf8' }).trim()]);
    expect(r.warnings).toEqual([]);
  });

  it('reads several keys, blank lines and CRLF', async () => {
    expect(await parseIdentityText(`# one\r\n${secret}\r\n\r\n# two\n  ${secret2}\n`, 'k.txt')).toEqual([secret, secret2]);
  });

  it('names the line of a bad identity, never its content', async () => {
    const damaged = secret.slice(0, -3) + 'QQQ';
    const e = await failure(() => parseIdentityText(`# key\n${damaged}\n`, 'k.txt'));
    expect(e.message).toBe('k.txt line 2 is not an age identity (AGE-SECRET-KEY-1…, as age-keygen writes it)');
    expect(e.message).not.toContain(damaged.slice(16, 40));
    expect((await failure(() => parseIdentityText(`${recipient}\n`, 'k.txt'))).message).toMatch(/line 1 is not an age identity/);
    expect((await failure(() => parseIdentityText('AGE-PLUGIN-YUBIKEY-1QQQ\n', 'k.txt'))).message).toBe('k.txt line 1 is an age plugin identity: plugins are not supported');
    expect((await failure(() => parseIdentityText('-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n-----END OPENSSH PRIVATE KEY-----\n', 'id_ed25519'))).message).toMatch(/SSH private key: not supported/);
    expect((await failure(() => parseIdentityText('# only comments\n', 'k.txt'))).message).toBe('k.txt holds no age identity (AGE-SECRET-KEY-1…)');
  });

  it('warns when group or others can open the identity file', () => {
    expect(identityModeWarning(0o100600, 'k.txt')).toBeNull();
    expect(identityModeWarning(0o100400, 'k.txt')).toBeNull();
    expect(identityModeWarning(0o100640, 'k.txt')).toBe("warning: k.txt has mode 0640: the file's group can access this secret key; chmod 600 k.txt");
    expect(identityModeWarning(0o100644, 'k.txt')).toBe('warning: k.txt has mode 0644: every user on this machine can access this secret key; chmod 600 k.txt');
    expect(identityModeWarning(0o100604, 'k.txt')).toMatch(/every user/);
    expect(identityModeWarning(0o100660, 'k.txt')).toMatch(/group/);
  });

  it('reads the real mode of the file for that warning', async () => {
    const file = path.join(dir, 'loose.txt');
    writeFileSync(file, `${secret}\n`);
    chmodSync(file, 0o644);
    expect((await readIdentityFile(file)).warnings).toEqual([`warning: ${file} has mode 0644: every user on this machine can access this secret key; chmod 600 ${file}`]);
    chmodSync(file, 0o600);
    expect((await readIdentityFile(file)).warnings).toEqual([]);
  });

  it('refuses a missing identity file and a key given instead of a file, without echoing it', async () => {
    expect((await failure(() => readIdentityFile(path.join(dir, 'missing.txt')))).message).toMatch(/^identity file \S+missing\.txt: no such file$/);
    const e = await failure(() => readIdentityFile(secret));
    expect(e.message).not.toContain(secret);
    expect(e.message).toMatch(/put it in a file with mode 0600/);
  });

  it('writes new identities in the layout age-keygen uses', async () => {
    const { text, recipient: r } = await formatNewIdentity(secret, new Date('2026-11-22T03:43:40.123Z'));
    expect(r).toBe(recipient);
    expect(text).toBe(`# created: 2026-11-22T03:43:40Z\n# public key: ${recipient}\n${secret}\n`);
  });
});

describe('a secret key on the command line', () => {
  it('is refused wherever it stands, with one line that does not repeat it', async () => {
    for (const argv of [
      ['decrypt', 'x.age', '--identity', secret],
      ['decrypt', 'x.age', `--identity=${secret}`],
      ['decrypt', secret],
      ['collect', '--encrypt-to', secret.toLowerCase()],
    ]) {
      const e = await failure(() => refuseSecretArguments(argv));
      expect(e.exitCode).toBe(2);
      expect(e.message).toMatch(/put it in a file with mode 0600/);
      expect(e.message.toUpperCase()).not.toContain(secret.slice(15));
    }
  });

  it('lets everything else through', () => {
    expect(() => refuseSecretArguments(['decrypt', 'x.age', '--identity', 'key.txt', '--encrypt-to', recipient])).not.toThrow();
    expect(containsSecretKey('# public key: age1…')).toBe(false);
  });
});
