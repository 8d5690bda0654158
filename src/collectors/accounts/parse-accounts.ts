import type { AccountRecord, ShadowMeta } from '../../model/access.js';
import { passwdLines } from '../../model/passwd.js';

/**
 * /etc/passwd, /etc/group and /etc/shadow (passwd(5), group(5), shadow(5)). Pure.
 *
 * The shadow parser returns metadata only: whether a password is set, locked or empty, the
 * hash's scheme by name, and the dates. The hash and its salt never leave parseShadow: not in
 * the result, not in an error message.
 */

export interface PasswdEntry extends Pick<AccountRecord, 'user' | 'uid' | 'gid' | 'gecos' | 'home' | 'shell' | 'line'> {
  /** x, empty, a hash (old systems), `*`/`!`: classified, never kept. */
  passwdField: 'shadow' | 'empty' | 'hash' | 'locked' | 'other';
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
  line: number;
}

export interface ParseError {
  line: number;
  /** Never quotes the line: a shadow line holds a hash. */
  message: string;
}

/** Shells that refuse an interactive login. An empty shell field means /bin/sh, which does not. */
const NO_LOGIN_SHELLS = new Set(['nologin', 'false', 'true', 'sync', 'shutdown', 'halt']);

export function isLoginShell(shell: string): boolean {
  if (shell.trim() === '') return true;
  const base = shell.trim().split('/').pop() ?? '';
  return !NO_LOGIN_SHELLS.has(base);
}

/** The crypt(3) scheme of a hash, by name; null when the text is not a hash. */
export function hashAlgorithm(hash: string): string | null {
  const m = /^\$([^$]+)\$/.exec(hash);
  if (m) {
    const id = m[1].split(',')[0];
    const names: Record<string, string> = {
      '1': 'md5crypt',
      '2': 'bcrypt',
      '2a': 'bcrypt',
      '2b': 'bcrypt',
      '2x': 'bcrypt',
      '2y': 'bcrypt',
      '3': 'nthash',
      '5': 'sha256crypt',
      '6': 'sha512crypt',
      '7': 'scrypt',
      y: 'yescrypt',
      gy: 'gost-yescrypt',
      sha1: 'sha1crypt',
      md5: 'sunmd5',
    };
    return names[id] ?? `unknown ($${id.length <= 8 ? id.replace(/[^A-Za-z0-9]/g, '?') : '…'}$)`;
  }
  if (/^\$md5[,$]/.test(hash)) return 'sunmd5';
  if (/^_[./0-9A-Za-z]{19}$/.test(hash)) return 'bsdicrypt';
  if (/^[./0-9A-Za-z]{13}$/.test(hash)) return 'descrypt';
  return null;
}

/** How a password field reads, without keeping it. */
export function classifyPassword(field: string): { state: ShadowMeta['state']; algorithm: string | null } {
  if (field === '') return { state: 'empty', algorithm: null };
  if (field.startsWith('!')) {
    const rest = field.replace(/^!+/, '');
    const algorithm = hashAlgorithm(rest);
    return algorithm ? { state: 'locked', algorithm } : { state: 'no-password', algorithm: null };
  }
  if (field.startsWith('*')) return { state: 'no-password', algorithm: null };
  const algorithm = hashAlgorithm(field);
  return algorithm ? { state: 'hash', algorithm } : { state: 'invalid', algorithm: null };
}

function intField(s: string): number | null {
  if (!/^-?\d+$/.test(s.trim())) return null;
  return Number(s.trim());
}

/** yyyy-mm-dd of a day number (days since 1970-01-01 UTC). */
export function dayToDate(day: number | null): string | null {
  if (day === null || !Number.isFinite(day)) return null;
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

export function parsePasswd(text: string): { entries: PasswdEntry[]; errors: ParseError[] } {
  const entries: PasswdEntry[] = [];
  const errors: ParseError[] = [];
  for (const { line, fields: f } of passwdLines(text)) {
    const uid = intField(f[2] ?? '');
    const gid = intField(f[3] ?? '');
    if (f.length < 7 || uid === null || gid === null || f[0] === '') {
      errors.push({ line, message: `not a passwd entry (${f.length} fields)` });
      continue;
    }
    const pw = f[1];
    const c = classifyPassword(pw);
    const passwdField: PasswdEntry['passwdField'] =
      pw === 'x' ? 'shadow' : c.state === 'empty' ? 'empty' : c.state === 'hash' ? 'hash' : c.state === 'locked' || c.state === 'no-password' ? 'locked' : 'other';
    entries.push({ user: f[0], passwdField, uid, gid, gecos: f[4], home: f[5], shell: f.slice(6).join(':'), line });
  }
  return { entries, errors };
}

export function parseGroup(text: string): { entries: GroupEntry[]; errors: ParseError[] } {
  const entries: GroupEntry[] = [];
  const errors: ParseError[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.startsWith('#') || line.startsWith('+') || line.startsWith('-')) return;
    const f = line.split(':');
    const gid = intField(f[2] ?? '');
    if (f.length < 4 || gid === null || f[0] === '') {
      errors.push({ line: i + 1, message: `not a group entry (${f.length} fields)` });
      return;
    }
    entries.push({ name: f[0], gid, members: f[3].split(',').map((m) => m.trim()).filter(Boolean), line: i + 1 });
  });
  return { entries, errors };
}

/**
 * Metadata of every /etc/shadow entry, by user. `now` decides whether an account has expired.
 * The password field is classified and dropped on the spot.
 */
export function parseShadow(text: string, now: Date): { entries: Map<string, ShadowMeta>; errors: ParseError[] } {
  const entries = new Map<string, ShadowMeta>();
  const errors: ParseError[] = [];
  const today = Math.floor(now.getTime() / 86_400_000);
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.startsWith('#') || line.startsWith('+') || line.startsWith('-')) return;
    const f = line.split(':');
    if (f.length < 2 || f[0] === '') {
      errors.push({ line: i + 1, message: `not a shadow entry (${f.length} fields)` });
      return;
    }
    const { state, algorithm } = classifyPassword(f[1]);
    const lastChangeDay = intField(f[2] ?? '');
    const expireDay = intField(f[7] ?? '');
    entries.set(f[0], {
      state,
      algorithm,
      lastChangeDay,
      lastChange: lastChangeDay !== null && lastChangeDay > 0 ? dayToDate(lastChangeDay) : null,
      minDays: intField(f[3] ?? ''),
      maxDays: intField(f[4] ?? ''),
      warnDays: intField(f[5] ?? ''),
      inactiveDays: intField(f[6] ?? ''),
      expireDay,
      expire: dayToDate(expireDay),
      expired: expireDay !== null && expireDay >= 0 && expireDay <= today,
      line: i + 1,
    });
  });
  return { entries, errors };
}
