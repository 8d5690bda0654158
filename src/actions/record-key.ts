/**
 * Undo records are authenticated with a key only their maker can read: a random 256-bit key in a
 * state folder of the user that ran the action (root: /var/lib/ir-triage, 0700), made by the first
 * action and kept 0600. Each record carries an HMAC-SHA256 over its canonical JSON; `restore`
 * recomputes it. Hashes (a bundle's manifest, SHA256SUMS) prove a record was not changed since
 * some bundle was sealed, not who sealed it: anyone can make a bundle that verifies. The MAC says
 * this machine's ir-triage, run by this user, wrote the record.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, constants, fstatSync, fsyncSync, linkSync, lstatSync, mkdirSync, openSync, readSync, realpathSync, unlinkSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errnoCode } from '../host/errors.js';

/** Overrides the state folder (tests, or a responder who keeps it elsewhere): it must pass the same checks. */
export const STATE_DIR_ENV = 'IR_TRIAGE_STATE_DIR';
export const ROOT_STATE_DIR = '/var/lib/ir-triage';
export const KEY_FILE = 'record-key';
const KEY_BYTES = 32;
export const MAC_ALG = 'HMAC-SHA256';
const MAC_CONTEXT = 'ir-triage undo record v1\n';

export interface RecordMac {
  alg: typeof MAC_ALG;
  /** Which key made it (a hash of the key, never the key): tells "another machine's key" from "changed". */
  keyId: string;
  value: string;
}

export interface RecordKey {
  key: Buffer;
  keyId: string;
  file: string;
}

function euid(): number {
  return typeof process.geteuid === 'function' ? process.geteuid() : 0;
}

/** The state folder: $IR_TRIAGE_STATE_DIR, else /var/lib/ir-triage for root, else $XDG_STATE_HOME/ir-triage (~/.local/state/ir-triage). */
export function stateDir(env: NodeJS.ProcessEnv = process.env, uid = euid()): string {
  const override = env[STATE_DIR_ENV];
  if (override) return path.resolve(override);
  if (uid === 0) return ROOT_STATE_DIR;
  const xdg = env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : path.join(env.HOME || os.homedir(), '.local', 'state');
  return path.join(xdg, 'ir-triage');
}

export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('ir-triage record key id\n').update(key).digest('hex').slice(0, 16);
}

class KeyError extends Error {}

/**
 * Every folder above the state folder must be owned by root or by us and not writable by others
 * (unless sticky, like /tmp): otherwise someone else could rename it and put their own key there.
 */
function checkAncestors(dir: string, uid: number): void {
  for (let p = path.dirname(dir); ; p = path.dirname(p)) {
    const st = lstatSync(p);
    if (!st.isDirectory()) throw new KeyError(`${p} (above the state folder ${dir}) is not a folder`);
    if (st.uid !== 0 && st.uid !== uid) throw new KeyError(`${p} (above the state folder ${dir}) belongs to uid ${st.uid}: another user could replace the key`);
    if ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0) throw new KeyError(`${p} (above the state folder ${dir}) is writable by others: they could replace the key`);
    if (p === '/') return;
  }
}

/** The state folder, made 0700 when missing; refused when a link, not ours, or open to others. */
function openStateDir(create: boolean): string | null {
  const uid = euid();
  const wanted = stateDir();
  let dir = wanted;
  try {
    dir = realpathSync(path.dirname(wanted)) + path.sep + path.basename(wanted);
  } catch {
    if (!create) return null;
  }
  let st = lstatSync(dir, { throwIfNoEntry: false });
  if (!st) {
    if (!create) return null;
    mkdirSync(path.dirname(dir), { recursive: true, mode: 0o700 });
    dir = realpathSync(path.dirname(dir)) + path.sep + path.basename(dir);
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw err;
    }
    st = lstatSync(dir);
  }
  if (st.isSymbolicLink() || !st.isDirectory()) throw new KeyError(`the state folder ${dir} is not a folder (or is a symbolic link)`);
  if (st.uid !== uid) throw new KeyError(`the state folder ${dir} belongs to uid ${st.uid}, not to this user (${uid})`);
  if ((st.mode & 0o077) !== 0) throw new KeyError(`the state folder ${dir} is open to others (mode ${(st.mode & 0o7777).toString(8)}): it must be 0700`);
  checkAncestors(dir, uid);
  return dir;
}

/** Reads the key through a descriptor that never follows a link, checking owner, mode and size on that descriptor. */
function readKey(file: string): RecordKey {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new KeyError(`${file} is not a regular file`);
    if (st.uid !== euid()) throw new KeyError(`${file} belongs to uid ${st.uid}, not to this user`);
    if ((st.mode & 0o077) !== 0) throw new KeyError(`${file} is open to others (mode ${(st.mode & 0o7777).toString(8)}): it must be 0600`);
    if (st.size !== KEY_BYTES) throw new KeyError(`${file} is not a record key (${st.size} bytes, not ${KEY_BYTES})`);
    const key = Buffer.alloc(KEY_BYTES);
    if (readSync(fd, key, 0, KEY_BYTES, 0) !== KEY_BYTES) throw new KeyError(`${file}: short read`);
    return { key, keyId: keyIdOf(key), file };
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a new key under a temporary name (O_CREAT | O_EXCL | O_NOFOLLOW, 0600), then link(2)s it
 * to its name, which fails when the name exists: two first actions at once agree on one key.
 */
function createKey(dir: string): RecordKey {
  const file = path.join(dir, KEY_FILE);
  const tmp = path.join(dir, `.${KEY_FILE}.${process.pid}.${randomBytes(6).toString('hex')}`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, randomBytes(KEY_BYTES));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, file);
  } catch (err) {
    if (errnoCode(err) !== 'EEXIST') throw err;
  } finally {
    unlinkSync(tmp);
  }
  return readKey(file);
}

/** This user's record key, made (with its folder) when there is none yet. */
export function recordKeyForSigning(): RecordKey {
  const dir = openStateDir(true)!;
  const file = path.join(dir, KEY_FILE);
  try {
    return readKey(file);
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
    return createKey(dir);
  }
}

/** This user's record key for checking, or why there is none (never made here). */
export function recordKeyForChecking(): RecordKey | { missing: string } {
  const dir = openStateDir(false);
  const file = path.join(dir ?? stateDir(), KEY_FILE);
  if (!dir) return { missing: `no record key on this machine for this user (${file} does not exist: no action was run here by this user)` };
  try {
    return readKey(file);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return { missing: `no record key on this machine for this user (${file} does not exist: no action was run here by this user)` };
    throw err;
  }
}

/** JSON with object keys sorted and no spaces: the same record always gives the same bytes. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined || typeof v === 'function' ? 'null' : canonicalJson(v))).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined && typeof obj[k] !== 'function').sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/** The MAC of a record (its `mac` field left out). */
export function macOf(record: object, key: Buffer): string {
  const { mac: _mac, ...rest } = record as { mac?: unknown };
  return createHmac('sha256', key).update(MAC_CONTEXT).update(canonicalJson(rest)).digest('hex');
}

/** The record with its MAC, made with this user's key. */
export function signRecord<T extends object>(record: T, key: RecordKey = recordKeyForSigning()): T & { mac: RecordMac } {
  const { mac: _old, ...rest } = record as T & { mac?: unknown };
  return { ...(rest as T), mac: { alg: MAC_ALG, keyId: key.keyId, value: macOf(rest, key.key) } };
}

export type MacCheck = { ok: true; keyId: string } | { ok: false; why: string };

/** Whether a record (as parsed from its file) carries a MAC this user's key made over exactly these fields. */
export function checkRecordMac(record: unknown): MacCheck {
  const mac = (record as { mac?: Partial<RecordMac> } | null)?.mac;
  if (!mac || typeof mac !== 'object') return { ok: false, why: 'it carries no MAC (written by hand, by another tool, or by an ir-triage without record keys)' };
  if (mac.alg !== MAC_ALG || typeof mac.value !== 'string' || !/^[0-9a-f]{64}$/.test(mac.value) || typeof mac.keyId !== 'string' || !/^[0-9a-f]{16}$/.test(mac.keyId)) return { ok: false, why: 'its MAC is malformed' };
  let key: RecordKey | { missing: string };
  try {
    key = recordKeyForChecking();
  } catch (err) {
    return { ok: false, why: `this machine's record key cannot be trusted: ${(err as Error).message}` };
  }
  if ('missing' in key) return { ok: false, why: key.missing };
  if (mac.keyId !== key.keyId) return { ok: false, why: `it was signed with another key (key id ${mac.keyId}; this machine's is ${key.keyId}): made on another machine, by another user, or forged` };
  const want = Buffer.from(macOf(record as object, key.key), 'hex');
  if (!timingSafeEqual(want, Buffer.from(mac.value, 'hex'))) return { ok: false, why: 'its MAC does not match: the record was changed after ir-triage wrote it' };
  return { ok: true, keyId: key.keyId };
}
