/**
 * The record disable writes and its undo reads, and the file and systemd helpers both halves use:
 * lines cut on bytes, unit names and folders as systemd accepts them, systemctl through the host door.
 */
import { createHash } from 'node:crypto';
import { commandOk } from '../host/exec.js';
import type { UndoRecordBase } from './common.js';
import type { ActionContext } from './types.js';
import { errnoCode } from '../host/errors.js';

export type DisableMethod = 'comment-line' | 'chmod-x' | 'unit';

/** A file as the plan (or the apply) saw it. */
export interface FileState {
  sha256: string;
  size: number;
  dev: string;
  ino: string;
  mode: number;
  uid: number;
  gid: number;
}

export interface UnitLink {
  /** The link, as seen inside the root. */
  link: string;
  /** The same on this machine. */
  hostLink: string;
  /** readlink of it, exactly, to recreate it. */
  target: string;
}

export interface UnitToDisable {
  name: string;
  /** The unit file, inside the root. */
  path: string;
  scope: 'system' | 'user';
  links: UnitLink[];
}

export interface DisableRecord extends UndoRecordBase {
  action: 'disable';
  method: DisableMethod;
  path: string;
  hostPath: string;
  /** The copy taken right before the change. */
  copy: { path: string; sha256: string; size: number; truncated: boolean } | null;
  /** The file before, and after the change (what undo expects to find). */
  before: FileState;
  after: FileState | null;
  line: number | null;
  /** The line as text (bytes that are not UTF-8 show as U+FFFD here; the file itself keeps them). */
  lineBefore: string | null;
  lineAfter: string | null;
  /** The bytes put before the line, taken off again by undo. */
  prefix: string | null;
  modeBefore: number | null;
  modeAfter: number | null;
  units: Array<UnitToDisable & { wasActive: boolean | null; removed: string[] }>;
  systemctl: boolean;
  outcome: string;
}

/** systemd's unit name grammar: letters, digits, `:_.\\-`, at most one @ (a template or an instance), a known type; 255 bytes at most; never an option. */
const UNIT_NAME = /^[A-Za-z0-9:_.\\-]+(?:@[A-Za-z0-9:_.\\-]*)?\.(?:service|socket|device|mount|automount|swap|target|path|timer|slice|scope)$/;

export function isUnitName(name: unknown): name is string {
  return typeof name === 'string' && name.length <= 255 && !name.startsWith('-') && !name.startsWith('.') && UNIT_NAME.test(name);
}

/** Where systemd reads units and enablement links from (inside the root): system folders, /etc/systemd/user and a home's user folders. */
const SYSTEM_UNIT_DIRS = ['/etc/systemd/system', '/run/systemd/system', '/usr/local/lib/systemd/system', '/usr/lib/systemd/system', '/lib/systemd/system', '/etc/systemd/user', '/usr/lib/systemd/user'];

export function isUnitDir(dir: string): boolean {
  return SYSTEM_UNIT_DIRS.includes(dir) || /^\/(?:[^/\0\n]+\/)*[^/\0\n]+\/(?:\.config|\.local\/share)\/systemd\/user$/.test(dir);
}

export function sha(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The byte range of 1-based line n (without its newline), or null when there is no such line.
 * Lines are cut on bytes, never decoded and re-encoded: a file with bytes that are not UTF-8
 * (an intruder's, or Latin-1 comments) keeps every other byte as it was.
 */
export function lineRange(data: Buffer, n: number): { start: number; end: number } | null {
  let start = 0;
  for (let i = 1; i < n; i++) {
    const nl = data.indexOf(0x0a, start);
    if (nl < 0) return null;
    start = nl + 1;
  }
  if (start >= data.length) return null;
  const nl = data.indexOf(0x0a, start);
  return { start, end: nl < 0 ? data.length : nl };
}

/** The file with `prefix` put before line n (or taken off it, with remove). */
export function withPrefix(data: Buffer, n: number, prefix: string, remove = false): Buffer | null {
  const r = lineRange(data, n);
  if (!r) return null;
  const p = Buffer.from(prefix, 'utf8');
  if (remove) {
    if (!data.subarray(r.start, r.end).subarray(0, p.length).equals(p)) return null;
    return Buffer.concat([data.subarray(0, r.start), data.subarray(r.start + p.length)]);
  }
  return Buffer.concat([data.subarray(0, r.start), p, data.subarray(r.start)]);
}

export function explain(err: unknown): string {
  const code = errnoCode(err);
  if (code === 'EPERM') return 'EPERM: the file or its folder is immutable or append-only (lsattr shows i or a): preserve it, chattr -ia it, and try again';
  return code ?? String(err);
}

export async function runSystemctl(ctx: ActionContext, args: string[]): Promise<{ ok: boolean; text: string }> {
  // is-active exits 3 for an inactive unit: that is an answer, not a failure.
  const r = await ctx.host.exec({ name: `systemctl-${args[0]}`, argv: ['systemctl', ...args], timeoutMs: 60_000, maxBytes: 1024 * 1024 });
  const text = `${r.stdout.toString('utf8')}${r.stderr}${r.error ?? ''}`.trim();
  return { ok: commandOk(r), text };
}
