/**
 * The record key: where it lives, how it is made, and the states of its folder and file that are
 * refused (a key someone else could have written or read is no key).
 */
import { chmodSync, lstatSync, mkdirSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { canonicalJson, checkRecordMac, KEY_FILE, recordKeyForSigning, ROOT_STATE_DIR, signRecord, STATE_DIR_ENV, stateDir } from '../../src/actions/record-key.js';
import { tmpDir } from '../helpers/bundle.js';

const saved = process.env[STATE_DIR_ENV];
afterEach(() => {
  process.env[STATE_DIR_ENV] = saved;
});

function fresh(): string {
  const dir = path.join(tmpDir('irt-key-'), 'state');
  process.env[STATE_DIR_ENV] = dir;
  return dir;
}

describe('record key', () => {
  it('lives in /var/lib/ir-triage for root, the XDG state folder for others, or where IR_TRIAGE_STATE_DIR says', () => {
    expect(stateDir({}, 0)).toBe(ROOT_STATE_DIR);
    expect(stateDir({ HOME: '/home/alice' }, 1000)).toBe('/home/alice/.local/state/ir-triage');
    expect(stateDir({ HOME: '/home/alice', XDG_STATE_HOME: '/srv/state' }, 1000)).toBe('/srv/state/ir-triage');
    expect(stateDir({ [STATE_DIR_ENV]: '/x/y' }, 0)).toBe('/x/y');
  });

  it('is made on first use: folder 0700, key 0600, 32 bytes; the same key after', () => {
    const dir = fresh();
    const k = recordKeyForSigning();
    expect(statSync(dir).mode & 0o7777).toBe(0o700);
    expect(lstatSync(path.join(dir, KEY_FILE)).mode & 0o7777).toBe(0o600);
    expect(readFileSync(path.join(dir, KEY_FILE))).toHaveLength(32);
    expect(recordKeyForSigning().keyId).toBe(k.keyId);
  });

  it('signs the canonical JSON: key order does not matter, any change of a field does', () => {
    fresh();
    const rec = signRecord({ action: 'quarantine', b: [1, { y: 'é', x: null }], a: 'x' });
    expect(checkRecordMac(JSON.parse(JSON.stringify(rec, null, 2)))).toMatchObject({ ok: true });
    expect(checkRecordMac({ a: 'x', b: [1, { x: null, y: 'é' }], action: 'quarantine', mac: rec.mac })).toMatchObject({ ok: true });
    expect(checkRecordMac({ ...rec, a: 'y' })).toEqual({ ok: false, why: 'its MAC does not match: the record was changed after ir-triage wrote it' });
    expect(checkRecordMac({ ...rec, extra: 1 })).toMatchObject({ ok: false });
    expect(canonicalJson({ b: 1, a: [true, 'x'] })).toBe('{"a":[true,"x"],"b":1}');
    // Another machine's key: named as such, not as an edit.
    fresh();
    recordKeyForSigning();
    expect(checkRecordMac(rec)).toMatchObject({ ok: false, why: expect.stringMatching(/^it was signed with another key/) });
  });

  it('refuses a key open to others, a key that is a link, a state folder open to others', () => {
    let dir = fresh();
    recordKeyForSigning();
    chmodSync(path.join(dir, KEY_FILE), 0o644);
    expect(() => recordKeyForSigning()).toThrow(/open to others \(mode 644\): it must be 0600/);

    dir = fresh();
    mkdirSync(dir, { mode: 0o700 });
    const elsewhere = path.join(path.dirname(dir), 'planted');
    writeFileSync(elsewhere, Buffer.alloc(32, 1), { mode: 0o600 });
    symlinkSync(elsewhere, path.join(dir, KEY_FILE));
    expect(() => recordKeyForSigning()).toThrow(/ELOOP/);
    expect(checkRecordMac({ mac: { alg: 'HMAC-SHA256', keyId: '0123456789abcdef', value: '0'.repeat(64) } })).toMatchObject({ ok: false, why: expect.stringMatching(/cannot be trusted/) });

    dir = fresh();
    recordKeyForSigning();
    chmodSync(dir, 0o755);
    expect(() => recordKeyForSigning()).toThrow(/is open to others \(mode 755\): it must be 0700/);

    // A state folder that is itself a link.
    dir = fresh();
    const real = path.join(path.dirname(dir), 'real');
    mkdirSync(real, { mode: 0o700 });
    symlinkSync(real, dir);
    expect(() => recordKeyForSigning()).toThrow(/not a folder \(or is a symbolic link\)/);
    renameSync(real, `${real}.gone`);
  });

  it('says why when there is no key to check with', () => {
    fresh();
    expect(checkRecordMac({ mac: { alg: 'HMAC-SHA256', keyId: '0123456789abcdef', value: '0'.repeat(64) } })).toMatchObject({ ok: false, why: expect.stringMatching(/^no record key on this machine for this user/) });
    expect(checkRecordMac({})).toMatchObject({ ok: false, why: expect.stringMatching(/carries no MAC/) });
  });
});
