/**
 * What each finding is about, in the terms incidents are joined on: the live process it names
 * (pid and start time), the files, specific folders, addresses and account it names, and the
 * sessions it happened in. Pure: reads the findings and the facts, nothing else.
 */
import { createHash } from 'node:crypto';
import type { KnownFacts } from '../model/facts.js';
import type { Finding } from '../model/finding.js';
import type { ProcessRecord } from '../model/processes.js';

/** A live process a finding names, proven by pid and start time together (pids are reused). */
export interface NamedProcess {
  pid: number;
  ppid: number;
  /** `pid@startTicks`: the identity two findings must share to be about one process. */
  key: string;
  startTicks: number | null;
  startTime: string | null;
  record: ProcessRecord;
}

export interface FindingSubjects {
  process: NamedProcess | null;
  sha256: string[];
  files: string[];
  folders: string[];
  addresses: string[];
  /** The account it names, when that account may join by itself (not root, not a system account). */
  account: string | null;
  /** The account it names, joinable or not (for titles and the history-to-session match). */
  user: string | null;
}

/** Rules whose finding is a login: the head of its session. */
export const LOGIN_RULES = new Set(['auth.login-after-failures', 'auth.root-login', 'login.root-remote', 'login.remote-host']);

/** Folders any user writes to: two things there are not related because they are there. */
const WRITABLE_ROOTS = ['/tmp', '/var/tmp', '/dev/shm', '/run/shm', '/var/lock', '/run/lock'];

/** Folders the system and its packages own: only a hidden folder below them is specific. */
const SYSTEM_AREAS = ['/etc', '/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/boot', '/var/log', '/var/spool', '/var/lib', '/var/cache', '/var/mail', '/var/run', '/run', '/proc', '/sys', '/dev', '/snap'];

/** Top folders never specific by themselves. */
const ROOT_FOLDERS = new Set(['/', '/home', '/root', '/var', '/opt', '/srv', '/mnt', '/media', '/usr/local', ...WRITABLE_ROOTS, ...SYSTEM_AREAS]);

/** Folders every account has in its home: two things in ~/.ssh are joined by the account, not the folder. */
const HOME_STANDARD = ['.ssh', '.config', '.cache', '.local', '.local/bin', '.local/share', '.gnupg'];

/** Files that list many unrelated things, one per line: naming the file is not naming the same thing. */
const SHARED_FILES = new Set(['/etc/passwd', '/etc/shadow', '/etc/group', '/etc/gshadow', '/etc/sudoers']);

/** Program folders of the packages: a process running /usr/bin/perl is not related to another one running it. */
const PACKAGE_PREFIXES = ['/usr/', '/bin/', '/sbin/', '/lib/', '/lib32/', '/lib64/', '/libx32/', '/snap/'];

/**
 * Files smaller than this share their sha256 by coincidence as easily as by origin (a stub, a
 * one-line wrapper, `#!/bin/sh` and `exit 0`): below it the same hash joins nothing.
 */
const MIN_SHARED_EXECUTABLE_BYTES = 64;

/** Content every box holds many copies of: an empty file, a newline, a bare `#!` line, a script that does nothing. */
const TRIVIAL_CONTENT = [
  '', '\n', ' ', '\r\n', '#!/bin/sh', '#!/bin/sh\n', '#!/bin/bash', '#!/bin/bash\n', '#!/usr/bin/env bash\n', '#!/usr/bin/env sh\n', '#!/usr/bin/env python3\n', '#!/usr/bin/python3\n',
  'exit 0', 'exit 0\n', 'true\n', ':\n', '#!/bin/sh\nexit 0\n', '#!/bin/sh\n\nexit 0\n', '#!/bin/bash\nexit 0\n', '#!/bin/bash\n\nexit 0\n', '#!/bin/sh\ntrue\n', '#!/bin/sh\n:\n', '#!/bin/sh -e\nexit 0\n', '#!/bin/sh\nexit 1\n', '#!/bin/false\n',
];

/** sha256 of trivial content (the empty file's is e3b0c442…b855): never a shared executable, whatever size a fact claims. */
const TRIVIAL_SHA256 = new Set(TRIVIAL_CONTENT.map((c) => createHash('sha256').update(c).digest('hex')));

/** The size the facts give for each sha256 (the changed-file and setuid sweeps, the executables the lsof step preserved whole). */
function sizesBySha(facts: KnownFacts): Map<string, number> {
  const out = new Map<string, number>();
  const add = (sha: string | null | undefined, size: number | null | undefined) => {
    if (typeof sha !== 'string' || typeof size !== 'number' || !Number.isFinite(size)) return;
    // Files with one hash have one size; should a fact disagree, the smallest is believed (the safe side).
    out.set(sha, Math.min(size, out.get(sha) ?? Infinity));
  };
  for (const f of facts.changedFiles ?? []) add(f.sha256, f.size);
  for (const f of facts.setuidFiles ?? []) add(f.sha256, f.size);
  for (const o of facts.openFiles ?? []) if (o.preserved && !o.preserved.truncated) add(o.preserved.sha256, o.preserved.size);
  return out;
}

/**
 * Whether a sha256 may join two findings: never trivial content; a size of at least
 * MIN_SHARED_EXECUTABLE_BYTES from the facts or the finding; with no size known, only the
 * executable of a live process (the kernel runs binaries, never a script's bytes: a stub is run by
 * its interpreter, a package program, which joins nothing).
 */
function isTellingHash(sha: string, size: number | null, liveExe: boolean): boolean {
  if (TRIVIAL_SHA256.has(sha)) return false;
  if (size !== null) return size >= MIN_SHARED_EXECUTABLE_BYTES;
  return liveExe;
}

/** Well-known system account names, used when /etc/passwd was not read. */
const SYSTEM_NAMES = new Set(['root', 'daemon', 'bin', 'sys', 'sync', 'games', 'man', 'lp', 'mail', 'news', 'uucp', 'proxy', 'www-data', 'backup', 'list', 'irc', 'gnats', 'nobody', 'systemd-network', 'systemd-resolve', 'messagebus', 'sshd', 'syslog', '_apt', 'nginx', 'apache', 'mysql', 'postgres', 'ftp', 'operator', 'adm', 'halt', 'shutdown']);

function under(p: string, dir: string): boolean {
  return p === dir || p.startsWith(`${dir}/`);
}

/** A folder component that hides: a dot-name, or a name made of dots and blanks (`.. `). */
function isHiddenName(c: string): boolean {
  return c.startsWith('.') || /^\s|\s$/.test(c);
}

/** The folder holding a file, with a trailing slash so a trailing blank shows: `/tmp/.. /`. */
export function folderOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : `${p.slice(0, i)}/`;
}

/**
 * Whether a folder (with its trailing slash) is specific enough that two findings in it are
 * related: never `/`, /tmp, /var/tmp, /dev/shm, /etc, /usr/bin, /root, a home itself or the
 * standard folders of a home; inside a system area only a hidden folder; anything else (a folder
 * made inside /tmp, a home, /opt) is specific.
 */
export function isSpecificFolder(folder: string, homes: ReadonlySet<string> = new Set()): boolean {
  const f = folder.length > 1 && folder.endsWith('/') ? folder.slice(0, -1) : folder;
  if (!f.startsWith('/') || ROOT_FOLDERS.has(f) || homes.has(f)) return false;
  if (/^\/home\/[^/]+$/.test(f)) return false;
  const home = [...homes, '/root'].find((h) => h !== '/' && under(f, h)) ?? (/^\/home\/[^/]+/.exec(f)?.[0] ?? null);
  if (home !== null && HOME_STANDARD.some((s) => f === `${home}/${s}`)) return false;
  const area = SYSTEM_AREAS.find((a) => under(f, a) && !WRITABLE_ROOTS.some((w) => under(f, w)));
  if (area !== undefined) return f.slice(area.length).split('/').some((c) => c !== '' && isHiddenName(c));
  return true;
}

/** A path two findings may share: not a list file of many unrelated lines, not a package's program. */
function isSpecificFile(p: string, isExe: boolean): boolean {
  if (!p.startsWith('/') || p.endsWith('/') || SHARED_FILES.has(p)) return false;
  if (isExe && PACKAGE_PREFIXES.some((d) => p.startsWith(d))) return false;
  return true;
}

/** The account may join findings by itself: a named, ordinary account (uid 1000 and above). */
export function isJoinableAccount(user: string, facts: KnownFacts): boolean {
  if (user === '' || user === 'root') return false;
  const account = facts.accounts?.find((a) => a.user === user);
  if (account) return account.uid >= 1000 && account.uid !== 65534;
  return !SYSTEM_NAMES.has(user);
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

/**
 * The live process a finding names: its pid must be in the process table, and what the finding
 * says of it (name, executable, start) must be what the table says, so a pid reused between two
 * reads, or a pid from a log, is never taken for the live process.
 */
function namedProcess(f: Finding, byPid: ReadonlyMap<number, ProcessRecord>): NamedProcess | null {
  const pid = f.subject.pid;
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return null;
  const p = byPid.get(pid);
  if (!p || (p.startTicks === null && p.startTime === null)) return null;
  const s = f.subject;
  const comm = str(s.comm);
  const named = comm !== null ? comm === p.comm : (s.path != null && s.path === p.exe) || (str(s.exe) !== null && s.exe === p.exe);
  if (!named) return null;
  if (typeof s.startTicks === 'number' && s.startTicks !== p.startTicks) return null;
  if (typeof s.startTime === 'string' && s.startTime !== p.startTime) return null;
  return { pid, ppid: p.ppid, key: `${pid}@${p.startTicks ?? p.startTime}`, startTicks: p.startTicks, startTime: p.startTime, record: p };
}

function addressesOf(f: Finding): string[] {
  const out: string[] = [];
  for (const v of [f.subject.ip, f.subject.host]) {
    const a = str(v);
    if (a && a !== '0.0.0.0' && a !== '::' && a !== '*') out.push(a);
  }
  return out;
}

/** Paths a command of a cron line, unit, start-up line or history entry runs, as the collectors parsed them. */
function runsOf(f: Finding, facts: KnownFacts): string[] {
  const path = str(f.subject.path);
  const line = f.subject.line;
  const out: string[] = [];
  const runs = str(f.subject.runs);
  if (runs) out.push(runs);
  if (path === null || typeof line !== 'number') return out;
  const lists: Array<ReadonlyArray<{ file: string; line: number; analysis: { runs: Array<{ path: string }> } | null }>> = [];
  if (f.rule.startsWith('activity.')) lists.push(facts.historyCommands ?? []);
  if (f.rule === 'persistence.cron') lists.push(facts.cronEntries ?? []);
  if (f.rule === 'persistence.startup') lists.push(facts.startupEntries ?? []);
  if (f.rule === 'persistence.systemd') lists.push((facts.systemdUnits ?? []).flatMap((u) => u.exec));
  for (const list of lists) for (const e of list) if (e.file === path && e.line === line) for (const r of e.analysis?.runs ?? []) out.push(r.path);
  return out;
}

/** Libraries named by a preload finding (`/lib/x.so /lib/y.so`, or a list). */
function librariesOf(f: Finding): string[] {
  const raw = [f.subject.library, ...(Array.isArray(f.subject.libraries) ? f.subject.libraries : [])];
  return raw.flatMap((v) => (typeof v === 'string' ? v.split(/[\s:]+/) : [])).filter((l) => l.startsWith('/'));
}

/** The text of a command a finding quotes, where flagged paths are looked for. */
export function commandText(f: Finding): string | null {
  return str(f.subject.command) ?? (f.rule.startsWith('persistence.') ? str(f.subject.text) : null);
}

/** The subjects of every finding, in the order given. */
export function subjectsOf(findings: readonly Finding[], facts: KnownFacts): FindingSubjects[] {
  const byPid = new Map((facts.processes ?? []).map((p) => [p.pid, p] as const));
  const userOfUid = new Map((facts.accounts ?? []).map((a) => [a.uid, a.user] as const));
  const homes = new Set((facts.accounts ?? []).map((a) => a.home.replace(/\/+$/, '')).filter((h) => h !== ''));
  const sizes = sizesBySha(facts);
  const base = findings.map((f) => {
    const process = namedProcess(f, byPid);
    const files = new Set<string>();
    const folders = new Set<string>();
    const sha = new Set<string>();
    const path = str(f.subject.path);
    const isExe = process !== null && path !== null && path === process.record.exe;
    if (path && isSpecificFile(path, isExe)) files.add(path);
    if (process?.record.exe && isSpecificFile(process.record.exe, true)) files.add(process.record.exe);
    for (const r of runsOf(f, facts)) if (isSpecificFile(r, true)) files.add(r);
    for (const l of librariesOf(f)) if (isSpecificFile(l, false)) files.add(l);
    for (const file of files) folders.add(folderOf(file));
    if (process?.record.cwd) folders.add(process.record.cwd.endsWith('/') ? process.record.cwd : `${process.record.cwd}/`);
    const hash = str(f.subject.sha256);
    const subjectSize = typeof f.subject.size === 'number' && Number.isFinite(f.subject.size) ? f.subject.size : null;
    if (hash && /^[0-9a-f]{64}$/.test(hash) && (path === null || isSpecificFile(path, true))) {
      const size = sizes.get(hash) ?? subjectSize;
      if (isTellingHash(hash, size, isExe)) sha.add(hash);
    }
    const exeHash = process?.record.exeSha256;
    if (exeHash && process.record.exe && isSpecificFile(process.record.exe, true) && isTellingHash(exeHash, sizes.get(exeHash) ?? null, true)) sha.add(exeHash);
    const owner = typeof f.subject.uid === 'number' ? (userOfUid.get(f.subject.uid) ?? null) : null;
    const user = str(f.subject.user) ?? process?.record.user ?? owner;
    return {
      process,
      sha256: [...sha].sort(),
      files: [...files].sort(),
      folders: [...folders].filter((d) => isSpecificFolder(d, homes)).sort(),
      addresses: addressesOf(f).sort(),
      account: user !== null && isJoinableAccount(user, facts) ? user : null,
      user,
    };
  });
  // A cron line, unit or history entry that names a flagged file in its text joins it (same file).
  const flagged = new Set(base.flatMap((s) => s.files));
  findings.forEach((f, i) => {
    const text = commandText(f);
    if (text === null) return;
    const s = base[i]!;
    for (const p of flagged) {
      if (p.length >= 4 && !s.files.includes(p) && text.includes(p)) s.files.push(p);
    }
    s.files.sort();
  });
  return base;
}
