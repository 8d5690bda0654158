import { createHash } from 'node:crypto';
import type { AuthorizedKeyOption, AuthorizedKeyRecord } from '../../model/access.js';
import { lookup } from '../../model/lookup.js';

/**
 * authorized_keys lines, read the way sshd reads them (auth2-pubkeyfile.c check_authkey_line,
 * sshkey.c sshkey_read, auth-options.c sshauthopt_parse), and fingerprints exactly as
 * `ssh-keygen -lf` prints them. Pure.
 *
 * A line is: optional options, a key type, the base64 key, an optional comment. sshd first
 * tries the line as a key; only when that fails does it take the first field as options.
 */

/** Key type names sshd accepts at the start of a key (sshkey.c keytypes[]). */
export const KEY_TYPES: ReadonlySet<string> = new Set([
  'ssh-ed25519',
  'sk-ssh-ed25519@openssh.com',
  'ssh-rsa',
  'ssh-dss',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ecdsa-sha2-nistp256@openssh.com',
  'ssh-xmss@openssh.com',
  'ssh-ed25519-cert-v01@openssh.com',
  'sk-ssh-ed25519-cert-v01@openssh.com',
  'ssh-rsa-cert-v01@openssh.com',
  'ssh-dss-cert-v01@openssh.com',
  'ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'ecdsa-sha2-nistp384-cert-v01@openssh.com',
  'ecdsa-sha2-nistp521-cert-v01@openssh.com',
  'sk-ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'ssh-xmss-cert-v01@openssh.com',
]);

/** ssh-keygen's name for a key type, printed in parentheses after the comment. */
const SHORT_NAMES: Record<string, string> = {
  'ssh-ed25519': 'ED25519',
  'sk-ssh-ed25519@openssh.com': 'ED25519-SK',
  'ssh-rsa': 'RSA',
  'ssh-dss': 'DSA',
  'ecdsa-sha2-nistp256': 'ECDSA',
  'ecdsa-sha2-nistp384': 'ECDSA',
  'ecdsa-sha2-nistp521': 'ECDSA',
  'sk-ecdsa-sha2-nistp256@openssh.com': 'ECDSA-SK',
  'ssh-xmss@openssh.com': 'XMSS',
};

/** Options that take no value; those marked negatable also exist as `no-NAME`. */
const FLAG_OPTIONS: ReadonlyMap<string, boolean> = new Map([
  ['restrict', false],
  ['cert-authority', false],
  ['port-forwarding', true],
  ['agent-forwarding', true],
  ['x11-forwarding', true],
  ['pty', true],
  ['user-rc', true],
  ['touch-required', true],
  ['verify-required', false],
]);
const VALUE_OPTIONS: ReadonlySet<string> = new Set(['command', 'principals', 'from', 'expiry-time', 'environment', 'permitopen', 'permitlisten', 'tunnel']);

/** One line of an authorized_keys file as parsed: the record's own fields, before the file and account are added. */
export type ParsedKeyLine = Pick<AuthorizedKeyRecord, 'line' | 'type' | 'bits' | 'fingerprint' | 'comment' | 'options' | 'error'>;

/** The option string sshd skips before the key (sshkey_advance_past_options): up to unquoted blank; `\"` does not close a quote. */
export function splitOptionsField(s: string): { options: string; rest: string } | null {
  let quoted = false;
  let i = 0;
  for (; i < s.length && (quoted || (s[i] !== ' ' && s[i] !== '\t')); i++) {
    if (s[i] === '\\' && s[i + 1] === '"') i++;
    else if (s[i] === '"') quoted = !quoted;
  }
  if (quoted) return null;
  return { options: s.slice(0, i), rest: s.slice(i) };
}

/** opt_dequote: a value in double quotes, where only `\"` is an escape. */
function dequote(s: string, at: number): { value: string; end: number } | { error: string } {
  if (s[at] !== '"') return { error: 'missing start quote' };
  let value = '';
  let i = at + 1;
  while (i < s.length && s[i] !== '"') {
    if (s[i] === '\\' && s[i + 1] === '"') i++;
    value += s[i++];
  }
  if (i >= s.length) return { error: 'missing end quote' };
  return { value, end: i + 1 };
}

/**
 * The options field (`command="…",from="…",no-pty`). Every option is returned, unknown ones
 * marked; `error` says why sshd would refuse the line (an unknown option or broken quoting).
 */
export function parseKeyOptions(s: string): { options: AuthorizedKeyOption[]; error: string | null } {
  const options: AuthorizedKeyOption[] = [];
  let i = 0;
  let error: string | null = null;
  while (i < s.length && s[i] !== ' ' && s[i] !== '\t') {
    const m = /^[^=, \t]*/.exec(s.slice(i))!;
    const name = m[0];
    i += name.length;
    const lower = name.toLowerCase();
    let value: string | null = null;
    if (s[i] === '=') {
      const dq = dequote(s, i + 1);
      if ('error' in dq) {
        options.push({ name, value: s.slice(i + 1), known: VALUE_OPTIONS.has(lower) });
        return { options, error: error ?? `option ${name}: ${dq.error}` };
      }
      value = dq.value;
      i = dq.end;
    }
    const flag = lower.startsWith('no-') && FLAG_OPTIONS.get(lower.slice(3)) === true ? lower.slice(3) : lower;
    const known = value === null ? FLAG_OPTIONS.has(flag) && (flag === lower || FLAG_OPTIONS.get(flag) === true) : VALUE_OPTIONS.has(lower);
    options.push({ name, value, known });
    if (!known && error === null) error = name === '' ? 'empty option' : `unsupported option "${name}"`;
    if (i >= s.length || s[i] === ' ' || s[i] === '\t') break;
    if (s[i] !== ',') return { options, error: error ?? 'unexpected end of option string' };
    i++;
  }
  return { options, error };
}

/** A reader of SSH wire-format strings (RFC 4251 `string`, `mpint`). */
class Wire {
  private at = 0;
  constructor(private readonly buf: Buffer) {}

  get remaining(): number {
    return this.buf.length - this.at;
  }

  /** One length-prefixed field, or null when the blob is too short. */
  field(): Buffer | null {
    if (this.remaining < 4) return null;
    const len = this.buf.readUInt32BE(this.at);
    if (len > this.remaining - 4) return null;
    const out = this.buf.subarray(this.at + 4, this.at + 4 + len);
    this.at += 4 + len;
    return out;
  }
}

function encodeFields(fields: Buffer[]): Buffer {
  return Buffer.concat(
    fields.flatMap((f) => {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(f.length);
      return [len, f];
    }),
  );
}

/** Bits of an mpint (two's complement, big-endian, positive here). */
function mpintBits(m: Buffer): number {
  let i = 0;
  while (i < m.length && m[i] === 0) i++;
  if (i === m.length) return 0;
  return (m.length - i - 1) * 8 + (32 - Math.clz32(m[i]));
}

const CURVE_BITS: Record<string, number> = { nistp256: 256, nistp384: 384, nistp521: 521 };

/** The plain key type under a certificate type ("ssh-ed25519-cert-v01@openssh.com" → "ssh-ed25519"). */
export function plainType(type: string): string {
  const m = /^(.*)-cert-v01@openssh\.com$/.exec(type);
  if (!m) return type;
  return KEY_TYPES.has(m[1]) ? m[1] : `${m[1]}@openssh.com`;
}

/**
 * The plain public key blob of a key or certificate blob (what sshd and ssh-keygen fingerprint:
 * sshkey_fingerprint_raw serialises a certificate's key without the certificate), and its size
 * in bits as ssh-keygen prints it.
 */
export function plainKey(type: string, blob: Buffer): { blob: Buffer; bits: number } | { error: string } {
  const w = new Wire(blob);
  const name = w.field();
  if (!name) return { error: 'key blob too short' };
  if (name.toString('latin1') !== type) return { error: `key type mismatch: the line says ${type}, the key is ${name.toString('latin1')}` };
  const cert = type.endsWith('-cert-v01@openssh.com');
  if (cert && !w.field()) return { error: 'certificate blob too short' };
  const plain = plainType(type);
  const counts: Record<string, number> = {
    'ssh-ed25519': 1,
    'sk-ssh-ed25519@openssh.com': 2,
    'ssh-rsa': 2,
    'ssh-dss': 4,
    'ecdsa-sha2-nistp256': 2,
    'ecdsa-sha2-nistp384': 2,
    'ecdsa-sha2-nistp521': 2,
    'sk-ecdsa-sha2-nistp256@openssh.com': 3,
    'ssh-xmss@openssh.com': 2,
  };
  const n = counts[plain];
  if (n === undefined) return { error: `unknown key type ${type}` };
  const fields: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const f = w.field();
    if (!f) return { error: 'key blob too short' };
    fields.push(f);
  }
  if (!cert && w.remaining !== 0) return { error: 'unexpected data after the key' };
  let bits: number;
  if (plain === 'ssh-rsa') bits = mpintBits(fields[1]);
  else if (plain === 'ssh-dss') bits = mpintBits(fields[0]);
  else if (plain.startsWith('ecdsa-') || plain.startsWith('sk-ecdsa-')) {
    const curve = fields[0].toString('latin1');
    const want = /nistp\d+/.exec(plain)![0];
    if (curve !== want) return { error: `curve mismatch: ${plain} with curve ${curve}` };
    bits = lookup(CURVE_BITS, curve) ?? 0;
  } else bits = 256;
  if (plain === 'ssh-ed25519' || plain === 'sk-ssh-ed25519@openssh.com') {
    if (fields[0].length !== 32) return { error: 'ed25519 key of the wrong length' };
  }
  return { blob: encodeFields([Buffer.from(plain, 'latin1'), ...fields]), bits };
}

/** SHA256 fingerprint of a plain key blob: base64 of the digest without padding, as ssh-keygen prints it. */
export function sha256Fingerprint(plainBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(plainBlob).digest('base64').replace(/=+$/, '')}`;
}

/** ssh-keygen's short type name ("ED25519", "RSA", "ECDSA-SK"; "-CERT" for a certificate). */
export function shortTypeName(type: string): string {
  const base = lookup(SHORT_NAMES, plainType(type)) ?? type;
  return type.endsWith('-cert-v01@openssh.com') ? `${base}-CERT` : base;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** sshkey_read on `type base64 [comment]`; null when the text does not start with a key type. */
function readKey(text: string): { type: string; bits: number | null; fingerprint: string | null; comment: string; error: string | null } | null {
  const m = /^([^ \t]+)[ \t]*([^ \t]*)(.*)$/.exec(text);
  if (!m || !KEY_TYPES.has(m[1])) return null;
  const type = m[1];
  const b64 = m[2];
  const comment = m[3].replace(/^[ \t]+/, '');
  if (!b64 || !BASE64.test(b64) || b64.length % 4 === 1) return { type, bits: null, fingerprint: null, comment, error: 'the key is not valid base64' };
  const plain = plainKey(type, Buffer.from(b64, 'base64'));
  if ('error' in plain) return { type, bits: null, fingerprint: null, comment, error: plain.error };
  return { type, bits: plain.bits, fingerprint: sha256Fingerprint(plain.blob), comment, error: null };
}

/** One line of an authorized_keys file; null for a blank or comment line. */
export function parseAuthorizedKeyLine(raw: string, line: number): ParsedKeyLine | null {
  // A CRLF file: sshd's base64 decoder skips the \r, and so does the comment here.
  const text = raw.replace(/\r$/, '').replace(/^[ \t]+/, '');
  if (text === '' || text.startsWith('#')) return null;
  const direct = readKey(text);
  if (direct && direct.error === null) return { line, ...direct, options: [] };
  // Not a key at the start: the first field is options (sshd tries this even after a bad key).
  const split = splitOptionsField(text);
  if (split === null) return { line, type: null, bits: null, fingerprint: null, comment: '', options: [], error: 'invalid key option string (unterminated quote)' };
  const opts = parseKeyOptions(split.options);
  const key = readKey(split.rest.replace(/^[ \t]+/, ''));
  if (key === null) {
    if (direct) return { line, ...direct, options: [] };
    return { line, type: null, bits: null, fingerprint: null, comment: '', options: opts.options, error: 'no key sshd can read on this line' };
  }
  return { line, ...key, options: opts.options, error: key.error ?? opts.error };
}

/** Every key line of a file. */
export function parseAuthorizedKeys(text: string): ParsedKeyLine[] {
  const out: ParsedKeyLine[] = [];
  text.split('\n').forEach((l, i) => {
    const parsed = parseAuthorizedKeyLine(l, i + 1);
    if (parsed) out.push(parsed);
  });
  return out;
}
