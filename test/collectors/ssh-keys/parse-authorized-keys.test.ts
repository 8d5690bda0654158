import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  parseAuthorizedKeyLine,
  parseAuthorizedKeys,
  parseKeyOptions,
  plainType,
  shortTypeName,
  splitOptionsField,
} from '../../../src/collectors/ssh-keys/parse-authorized-keys.js';
import { tmpDir } from '../../helpers/bundle.js';

/*
 * The fingerprints are checked against the real ssh-keygen: for every key line, `ssh-keygen -lf`
 * on a file holding that line must print the same bits, fingerprint, comment and type name.
 */

const SSH_KEYGEN = '/usr/bin/ssh-keygen';
const missing = existsSync(SSH_KEYGEN) ? null : 'ssh-keygen (openssh-client) is not installed';
let dir = '';

function keygen(args: string[]): string {
  return execFileSync(SSH_KEYGEN, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A fresh key pair of this type; returns the public key line. */
function newKey(name: string, type: string, bits?: number, comment = `${name}@test`): string {
  const file = path.join(dir, name);
  keygen(['-q', '-t', type, ...(bits ? ['-b', String(bits)] : []), '-N', '', '-C', comment, '-f', file]);
  return readFileSync(`${file}.pub`, 'utf8').trim();
}

/** What ssh-keygen -lf prints for a file holding these lines. */
function oracle(lines: string[]): string[] {
  const file = path.join(dir, `oracle-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, lines.join('\n') + '\n');
  return keygen(['-lf', file]).trim().split('\n');
}

/** Our line in ssh-keygen's format: "BITS FINGERPRINT COMMENT (TYPE)". */
function ours(line: string): string {
  const p = parseAuthorizedKeyLine(line, 1);
  if (!p || p.type === null || p.fingerprint === null) throw new Error(`no key in ${line}: ${p?.error}`);
  return `${p.bits} ${p.fingerprint} ${p.comment || 'no comment'} (${shortTypeName(p.type)})`;
}

/** A public key line from type and wire fields (SSH `string`s). */
function wireLine(type: string, fields: Buffer[], comment: string): string {
  const all = [Buffer.from(type), ...fields];
  const blob = Buffer.concat(all.flatMap((f) => [Buffer.from([0, 0, 0, 0].map((_, i) => (f.length >>> (24 - 8 * i)) & 0xff)), f]));
  return `${type} ${blob.toString('base64')} ${comment}`;
}

function wireFields(line: string): Buffer[] {
  const blob = Buffer.from(line.split(' ')[1], 'base64');
  const out: Buffer[] = [];
  for (let at = 0; at < blob.length; ) {
    const len = blob.readUInt32BE(at);
    out.push(blob.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  return out;
}

describe.skipIf(missing)('fingerprints against ssh-keygen -lf', () => {
  beforeAll(() => {
    dir = tmpDir('irt-keys-');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['ed25519', 'ed25519', undefined],
    ['rsa-2048', 'rsa', 2048],
    ['rsa-3072', 'rsa', 3072],
    ['rsa-1024', 'rsa', 1024],
    ['ecdsa-256', 'ecdsa', 256],
    ['ecdsa-384', 'ecdsa', 384],
    ['ecdsa-521', 'ecdsa', 521],
    ['dsa', 'dsa', undefined],
  ])('%s', (name, type, bits) => {
    const line = newKey(name, type, bits);
    expect(oracle([line])).toEqual([ours(line)]);
  });

  it('sk- keys (FIDO): built from real key material, read by ssh-keygen', () => {
    const ed = wireFields(newKey('sk-src-ed', 'ed25519'));
    const ec = wireFields(newKey('sk-src-ec', 'ecdsa', 256));
    const lines = [
      wireLine('sk-ssh-ed25519@openssh.com', [ed[1], Buffer.from('ssh:')], 'yubi@desk'),
      wireLine('sk-ecdsa-sha2-nistp256@openssh.com', [ec[1], ec[2], Buffer.from('ssh:')], 'token'),
    ];
    expect(oracle(lines)).toEqual(lines.map(ours));
    expect(ours(lines[0])).toMatch(/\(ED25519-SK\)$/);
    expect(ours(lines[1])).toMatch(/^256 .*\(ECDSA-SK\)$/);
  });

  it('options, comments with spaces, no comment, blank and comment lines, CRLF', () => {
    const ed = newKey('opt-ed', 'ed25519', undefined, 'first');
    const rsa = newKey('opt-rsa', 'rsa', 2048, 'second');
    const [t1, k1] = ed.split(' ');
    const [t2, k2] = rsa.split(' ');
    const lines = [
      '# a comment line',
      '',
      `command="echo \\"hi, there\\"",from="10.0.0.1,192.0.2.*",no-pty ${t1} ${k1} a comment with  spaces`,
      `   ${t2} ${k2}`,
      `restrict,environment="A=b c" ${t1} ${k1} mdrfckr`,
      `${t2} ${k2} crlf\r`,
    ];
    const parsed = parseAuthorizedKeys(lines.join('\n'));
    expect(parsed.map((p) => p.line)).toEqual([3, 4, 5, 6]);
    // One line a file: ssh-keygen 9.2 repeats the previous line's comment for a key with none.
    const expected = lines.slice(2).map((l) => oracle([l.replace(/\r$/, '')])[0]);
    expect(parsed.map((p) => `${p.bits} ${p.fingerprint} ${p.comment || 'no comment'} (${shortTypeName(p.type!)})`)).toEqual(expected);
    expect(parsed[1].comment).toBe('');
    expect(parsed[0].options).toEqual([
      { name: 'command', value: 'echo "hi, there"', known: true },
      { name: 'from', value: '10.0.0.1,192.0.2.*', known: true },
      { name: 'no-pty', value: null, known: true },
    ]);
    expect(parsed.every((p) => p.error === null)).toBe(true);
  });

  it('certificates: the fingerprint of the certified key, as ssh-keygen prints it', () => {
    newKey('ca', 'ed25519');
    for (const [name, type, bits] of [['cert-ed', 'ed25519', undefined], ['cert-rsa', 'rsa', 2048], ['cert-ec', 'ecdsa', 384]] as const) {
      newKey(name, type, bits);
      keygen(['-q', '-s', path.join(dir, 'ca'), '-I', 'test-cert', '-n', 'root', path.join(dir, `${name}.pub`)]);
      const cert = readFileSync(path.join(dir, `${name}-cert.pub`), 'utf8').trim();
      expect(oracle([cert])).toEqual([ours(cert)]);
      expect(ours(cert)).toMatch(/-CERT\)$/);
    }
  });

  it('a key whose blob says another type than the line is refused, as ssh-keygen refuses it', () => {
    const ed = newKey('mismatch', 'ed25519');
    const line = `ssh-rsa ${ed.split(' ')[1]} lie`;
    const p = parseAuthorizedKeyLine(line, 7)!;
    expect(p.fingerprint).toBeNull();
    expect(p.error).toMatch(/type mismatch/);
    const file = path.join(dir, 'mismatch-file');
    writeFileSync(file, `${line}\n`);
    expect(() => keygen(['-lf', file])).toThrow();
  });
});

describe('parseKeyOptions', () => {
  it.each([
    ['no-pty', [{ name: 'no-pty', value: null, known: true }], null],
    ['NO-PTY,Restrict', [{ name: 'NO-PTY', value: null, known: true }, { name: 'Restrict', value: null, known: true }], null],
    ['command="a,b"', [{ name: 'command', value: 'a,b', known: true }], null],
    ['command="say \\"x,y\\" now"', [{ name: 'command', value: 'say "x,y" now', known: true }], null],
    ['command="back\\\\slash"', [{ name: 'command', value: 'back\\\\slash', known: true }], null],
    ['permitopen="host:22",permitlisten="localhost:8080"', [{ name: 'permitopen', value: 'host:22', known: true }, { name: 'permitlisten', value: 'localhost:8080', known: true }], null],
    ['environment="LD_PRELOAD=/tmp/x.so"', [{ name: 'environment', value: 'LD_PRELOAD=/tmp/x.so', known: true }], null],
    ['tunnel="0",expiry-time="20300101",principals="a,b",cert-authority,verify-required,no-touch-required', null, null],
    ['bogus', [{ name: 'bogus', value: null, known: false }], 'unsupported option "bogus"'],
    ['no-restrict', [{ name: 'no-restrict', value: null, known: false }], 'unsupported option "no-restrict"'],
    ['command=ls', [{ name: 'command', value: 'ls', known: true }], 'option command: missing start quote'],
    ['command="ls', [{ name: 'command', value: '"ls', known: true }], 'option command: missing end quote'],
    ['no-pty;x', [{ name: 'no-pty;x', value: null, known: false }], 'unsupported option "no-pty;x"'],
    ['command="x"junk', [{ name: 'command', value: 'x', known: true }], 'unexpected end of option string'],
  ])('%s', (text, options, error) => {
    const r = parseKeyOptions(text);
    if (options) expect(r.options).toEqual(options);
    else expect(r.options.every((o) => o.known)).toBe(true);
    expect(r.error).toBe(error);
  });

  it('the options field ends at the first blank outside quotes; \\" does not close a quote', () => {
    expect(splitOptionsField('command="a b",no-pty ssh-ed25519 AAAA c')).toEqual({ options: 'command="a b",no-pty', rest: ' ssh-ed25519 AAAA c' });
    expect(splitOptionsField('command="say \\" hi" ssh-rsa AAAA')).toEqual({ options: 'command="say \\" hi"', rest: ' ssh-rsa AAAA' });
    expect(splitOptionsField('command="open ssh-rsa AAAA')).toBeNull();
  });
});

describe('parseAuthorizedKeyLine', () => {
  it('records lines sshd would refuse, with the reason', () => {
    expect(parseAuthorizedKeyLine('not a key at all', 2)).toMatchObject({ type: null, error: 'no key sshd can read on this line', line: 2 });
    expect(parseAuthorizedKeyLine('ssh-ed25519 !!!notbase64 x', 3)).toMatchObject({ type: 'ssh-ed25519', fingerprint: null, error: 'the key is not valid base64' });
    expect(parseAuthorizedKeyLine('command="x ssh-ed25519 AAAA', 4)).toMatchObject({ type: null, error: /unterminated quote/ });
    expect(parseAuthorizedKeyLine('   # indented comment', 5)).toBeNull();
    expect(parseAuthorizedKeyLine('\t', 6)).toBeNull();
  });

  it('plain types of certificates', () => {
    expect(plainType('ssh-ed25519-cert-v01@openssh.com')).toBe('ssh-ed25519');
    expect(plainType('sk-ssh-ed25519-cert-v01@openssh.com')).toBe('sk-ssh-ed25519@openssh.com');
    expect(plainType('sk-ecdsa-sha2-nistp256-cert-v01@openssh.com')).toBe('sk-ecdsa-sha2-nistp256@openssh.com');
    expect(plainType('ssh-xmss-cert-v01@openssh.com')).toBe('ssh-xmss@openssh.com');
    expect(plainType('ssh-rsa')).toBe('ssh-rsa');
  });
});
