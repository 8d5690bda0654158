import { RootedFsError } from './rooted-fs.js';

/**
 * Content that must never be copied into a bundle or quoted in a record: password hashes and
 * private keys. A planted link (~/.bashrc → /etc/shadow), an `Include /etc/shadow` in sshd_config
 * or a key dropped where a log should be would otherwise carry them into the evidence. Checked on
 * the bytes, so it holds whatever path, link or collector led there.
 *
 * Each pattern asks for the key's body, not its header alone: binaries such as ssh-keygen or
 * libcrypto hold the header text as a constant, and a preserved executable must not be lost to it.
 */

interface SecretPattern {
  re: RegExp;
  reason: string;
}

const PATTERNS: SecretPattern[] = [
  // PEM: OpenSSH, RSA/EC/DSA (PKCS#1, SEC1), PKCS#8, ENCRYPTED PRIVATE KEY, PGP PRIVATE KEY BLOCK;
  // an optional header block (Proc-Type: 4,ENCRYPTED / DEK-Info / Version) and a blank line before the base64.
  { re: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----\r?\n(?:[A-Za-z][A-Za-z0-9-]*: [^\n]*\r?\n)*(?:\r?\n)?[A-Za-z0-9+/=]{16}/, reason: 'holds a private key' },
  // ssh.com / Tectia (SECSH) format: `---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----`, header lines, base64.
  { re: /---- BEGIN SSH2 (?:ENCRYPTED )?PRIVATE KEY ----\r?\n(?:[A-Za-z][A-Za-z0-9-]*: [^\n]*\r?\n)*[A-Za-z0-9+/=]{16}/, reason: 'holds a private key' },
  // PuTTY .ppk (versions 2 and 3, plain or encrypted): the private half follows Private-Lines.
  { re: /PuTTY-User-Key-File-[0-9]+: [^\r\n]+\r?\n[\s\S]{0,16384}?Private-Lines: [0-9]+\r?\n[A-Za-z0-9+/=]{16}/, reason: 'holds a private key' },
  // age identities (Bech32, upper case) and age plugin identities.
  { re: /AGE-SECRET-KEY-1[02-9ACDEFGHJKLMNPQRSTUVWXYZ]{58}/, reason: 'holds a private key' },
  { re: /AGE-PLUGIN-[A-Z0-9]+-1[02-9ACDEFGHJKLMNPQRSTUVWXYZ]{20,}/, reason: 'holds a private key' },
  // A shadow, passwd or htpasswd line with a crypt(3) hash: name:$6$salt$hash:…, name:!$y$j9T$…, name:$2b$10$…, name:$apr1$…
  { re: /^[^:\s"=]{0,64}:[!*]*\$[A-Za-z0-9]{1,8}\$[^\s:]{8,}(?::|\r?$)/m, reason: 'holds password hashes' },
  // A DES-crypt hash in a passwd or shadow line: name:abJnggxhB/yWI:1000:…
  { re: /^[^:\s"=]{1,64}:[./0-9A-Za-z]{13}:[0-9]*:/m, reason: 'holds password hashes' },
];

/** Why this text (or these bytes) must not be kept; null when they may. */
export function secretContent(content: string | Uint8Array): string | null {
  const text = typeof content === 'string' ? content : Buffer.from(content.buffer, content.byteOffset, content.byteLength).toString('latin1');
  for (const p of PATTERNS) if (p.re.test(text)) return p.reason;
  return null;
}

/** What a secret may span: the tail of one chunk is scanned again with the next. */
const OVERLAP = 20 * 1024;

/**
 * The same check over a stream, chunk by chunk: each chunk is scanned with the tail of the one
 * before it, so a key cut across two chunks is still found.
 */
export class SecretScanner {
  private tail = '';

  /** Feeds one chunk; the reason as soon as a secret is seen, else null. */
  push(chunk: Uint8Array): string | null {
    const text = this.tail + Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1');
    const found = secretContent(text);
    // The tail starts mid-line as a rule: a leading `"` (never part of a user name) keeps `^` in
    // the patterns from taking that cut for a line start.
    if (text.length <= OVERLAP) this.tail = text;
    else {
      const start = text.length - OVERLAP;
      this.tail = (text[start - 1] === '\n' ? '' : '"') + text.slice(start);
    }
    return found;
  }
}

/**
 * Throws ESECRET (a RootedFsError, so the source table names it like any read failure) when what
 * was read from `inside` holds a secret: a reader calls it before it parses, so no record quotes it.
 */
export function refuseSecret(inside: string, content: string | Uint8Array): void {
  const secret = secretContent(content);
  if (secret) throw new RootedFsError('ESECRET', inside, `${inside}: ${secret}: not read, not copied`);
}
