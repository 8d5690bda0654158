import path from 'node:path';
import { readTextFile, shippedPath } from '../../assets.js';
import { describeFsError } from '../../host/rooted-fs.js';
import type { AccountRecord, AuthorizedKeyRecord, FileAttributes, FileMeta, SshdConfigRecord } from '../../model/access.js';
import type { TimelineEvent } from '../../model/sink.js';
import { sourceError, sourceOk, sourceSkipped, type SourceStatus } from '../../model/source.js';
import { parsePasswd } from '../accounts/parse-accounts.js';
import { secretContent } from '../../host/secrets.js';
import { SSHD_DEFAULTS } from '../sshd-config/settings.js';
import { defineCollector, type CollectContext } from '../types.js';
import { fileMeta, readAttributes, unknownAttributes } from '../file-meta.js';
import { matchKnownKeys, parseKnownKeys, type KnownKeyEntry } from './known-keys.js';
import { parseAuthorizedKeys, type ParsedKeyLine } from './parse-authorized-keys.js';
import { errorCode } from '../../host/errors.js';

const COPY_DIR = 'files/ssh-keys';
/** An authorized_keys file larger than this is cut for parsing (and the copy at --max-file-bytes); the cut is recorded. */
const MAX_PARSE_BYTES = 16 * 1024 * 1024;
/** Never read as key files: process memory, devices (AuthorizedKeysFile /proc/self/environ is a finding, not a file to read). */
const PSEUDO = /^\/(proc|sys|dev)(\/|$)/;
/** Key files read at once. */
const READ_CONCURRENCY = 8;

interface FoundFile {
  c: KeyFileCandidate;
  meta: FileMeta;
  dir: FileMeta | null;
  keys: ParsedKeyLine[];
  copy: string;
  truncated: boolean;
}

/** One file sshd may read keys from, for one account. */
export interface KeyFileCandidate {
  user: string;
  uid: number | null;
  home: string;
  /** Inside the root, absolute. */
  file: string;
  /** Named by the AuthorizedKeysFile in force (not only by the default names, or a Match block). */
  inUse: boolean;
}

/** expand_authorized_keys(): %% → %, %h → home, %u → user, %U → uid; a relative result is under the home folder. */
export function expandKeysFile(pattern: string, user: { user: string; uid: number | null; home: string }): string {
  const expanded = pattern.replace(/%([%hUu])/g, (_, c: string) => (c === '%' ? '%' : c === 'h' ? user.home : c === 'u' ? user.user : String(user.uid ?? '')));
  return path.posix.normalize(expanded.startsWith('/') ? expanded : `${user.home.replace(/\/+$/, '')}/${expanded}`);
}

/** The AuthorizedKeysFile patterns: the one in force, every Match block's (they apply to some users), and the defaults. */
export function keysFilePatterns(config: SshdConfigRecord | undefined): { inUse: string[]; all: string[] } {
  const global = config?.settings.authorizedkeysfile?.value ?? [...SSHD_DEFAULTS.authorizedkeysfile];
  const inUse = global.filter((p) => p.toLowerCase() !== 'none');
  const fromMatch = (config?.matchBlocks ?? []).flatMap((b) => b.settings.filter((s) => s.keyword === 'authorizedkeysfile').flatMap((s) => s.value)).filter((p) => p.toLowerCase() !== 'none');
  return { inUse: [...new Set([...inUse, ...fromMatch])], all: [...new Set([...inUse, ...fromMatch, ...SSHD_DEFAULTS.authorizedkeysfile])] };
}

/** Every (account, file) pair to look at, one per file: the first account wins a file shared by several. */
export function keyFileCandidates(accounts: Array<Pick<AccountRecord, 'user' | 'uid' | 'home'>>, config: SshdConfigRecord | undefined): KeyFileCandidate[] {
  const patterns = keysFilePatterns(config);
  const users = [...accounts];
  if (!users.some((a) => a.home === '/root')) users.push({ user: 'root', uid: 0, home: '/root' });
  const seen = new Map<string, KeyFileCandidate>();
  for (const u of users) {
    if (!u.home.startsWith('/')) continue;
    for (const p of patterns.all) {
      const file = expandKeysFile(p, u);
      const inUse = patterns.inUse.includes(p);
      const had = seen.get(file);
      if (had) had.inUse ||= inUse;
      else seen.set(file, { user: u.user, uid: u.uid, home: u.home, file, inUse });
    }
  }
  return [...seen.values()];
}

/** The bundle path of a key file's copy: files/ssh-keys/home/alice/.ssh/authorized_keys, names made safe. */
export function keyCopyPath(file: string): string {
  const parts = file.split('/').filter((p) => p !== '' && p !== '.' && p !== '..');
  return [COPY_DIR, ...parts.map((p) => p.replace(/[^A-Za-z0-9._+-]/g, '_'))].join('/');
}

async function loadKnownKeys(ctx: CollectContext, sources: SourceStatus[]): Promise<KnownKeyEntry[]> {
  const entries: KnownKeyEntry[] = [];
  for (const f of [shippedPath('playbooks', 'tools', 'keys.txt'), ...(ctx.options.toolLists.keys ?? [])]) {
    try {
      const parsed = parseKnownKeys(await readTextFile(f), f);
      entries.push(...parsed.entries);
      const errs = parsed.errors.map((e) => `line ${e.line}: ${e.message}`);
      sources.push(errs.length ? sourceError('ssh-keys.known-keys', `${f}: ${errs.length} bad line(s): ${errs.slice(0, 3).join('; ')}`, f) : sourceOk('ssh-keys.known-keys', f, `${parsed.entries.length} entries`));
    } catch (err) {
      sources.push(sourceError('ssh-keys.known-keys', describeFsError(err, f), f));
    }
  }
  return entries;
}

/**
 * Every account's authorized keys: the files AuthorizedKeysFile names for each /etc/passwd entry
 * (and /root), read through the root. One record per key with its fingerprint as ssh-keygen
 * prints it, its options, its file's times, owner, mode and (live) immutable flag; the raw files
 * are copied (public keys).
 */
export const sshKeysCollector = defineCollector({
  id: 'ssh-keys',
  title: 'Authorized SSH keys',
  description: "Every account's authorized_keys files (as AuthorizedKeysFile names them): keys, fingerprints, options, file times and flags.",
  liveOnly: false,
  needsRoot: true,
  artifacts: ['artifacts/authorized-keys.jsonl', 'files/ssh-keys/…', 'commands/lsattr-ssh-keys.{txt,json}'],
  provides: ['authorizedKeys'],
  reads: ['accounts', 'sshdConfig'],
  async collect(ctx) {
    const sources: SourceStatus[] = [];
    const { fs } = ctx.host;
    let accounts: Array<Pick<AccountRecord, 'user' | 'uid' | 'home'>> = ctx.facts.accounts ?? [];
    if (!ctx.facts.accounts) {
      // The accounts collector failed: read the homes straight from /etc/passwd (root's is added anyway).
      const text = await fs.readTextIfExists('/etc/passwd', 16 * 1024 * 1024).catch(() => null);
      accounts = text ? parsePasswd(text).entries : [];
    }
    const owners = new Map<number, string>();
    for (const a of accounts) if (a.uid !== null && !owners.has(a.uid)) owners.set(a.uid, a.user);
    const known = await loadKnownKeys(ctx, sources);

    const candidates = keyFileCandidates(accounts, ctx.facts.sshdConfig);
    const reserved = new Set<string>();
    /** One candidate: its times, its keys parsed (the text is not kept), its copy. Null when there is no file. */
    const readOne = async (c: KeyFileCandidate, out: SourceStatus[]): Promise<FoundFile | null> => {
      let meta: FileMeta;
      try {
        meta = await fileMeta(fs, c.file, owners);
      } catch (err) {
        const code = errorCode(err);
        if (code !== 'ENOENT' && code !== 'ENOTDIR') out.push(sourceError(`ssh-keys.${c.user}`, describeFsError(err, c.file), c.file));
        return null;
      }
      if (meta.type !== 'file') {
        out.push(sourceError(`ssh-keys.${c.user}`, `${c.file}: not a regular file (${meta.type}${meta.linkTarget ? ` → ${meta.linkTarget}` : ''})`, c.file));
        return null;
      }
      let data: Buffer;
      let truncated = false;
      try {
        const r = await fs.readFile(c.file, MAX_PARSE_BYTES);
        data = r.data;
        truncated = r.truncated;
      } catch (err) {
        // A link the account planted out of its own files: named with its target, not a failed read.
        const status = errorCode(err) === 'ELINKOUT' ? sourceSkipped : sourceError;
        out.push(status(`ssh-keys.${c.user}`, describeFsError(err, c.file), c.file));
        return null;
      }
      // A link to /etc/shadow or a private key planted as a keys file: recorded, never copied or parsed.
      const secret = secretContent(data.toString('utf8'));
      if (secret) {
        out.push(sourceError(`ssh-keys.${c.user}`, `${c.file}: ${secret}: not copied, not read as keys${meta.linkTarget ? ` (a link to ${meta.linkTarget})` : ''}`, c.file));
        return null;
      }
      // Two paths can make the same safe name: the name is reserved before the write awaits.
      let copy = keyCopyPath(c.file);
      for (let n = 2; reserved.has(copy) || ctx.sink.has(copy); n++) copy = `${keyCopyPath(c.file)}.${n}`;
      reserved.add(copy);
      const kept = data.length > ctx.options.maxFileBytes ? data.subarray(0, ctx.options.maxFileBytes) : data;
      await ctx.sink.writeFile(copy, kept);
      const dir = await fileMeta(fs, path.posix.dirname(c.file), owners).catch(() => null);
      return { c, meta, dir, keys: parseAuthorizedKeys(data.toString('utf8')), copy, truncated: truncated || kept.length < data.length };
    };
    const readable = candidates.filter((c) => !PSEUDO.test(c.file));
    const skippedPseudo = candidates.length - readable.length;
    const results: Array<{ found: FoundFile | null; sources: SourceStatus[] }> = new Array(readable.length);
    // A few files at a time: thousands of accounts (each path resolved inside the root) take seconds one by one.
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(READ_CONCURRENCY, readable.length) }, async () => {
        while (next < readable.length && !ctx.host.signal.aborted) {
          const i = next++;
          const out: SourceStatus[] = [];
          results[i] = { found: await readOne(readable[i], out), sources: out };
        }
      }),
    );
    const found: FoundFile[] = [];
    for (const r of results) {
      if (!r) continue;
      sources.push(...r.sources);
      if (r.found) found.push(r.found);
    }

    const flagged = await readAttributes(ctx, found.flatMap((f) => [f.c.file, path.posix.dirname(f.c.file)]), 'lsattr-ssh-keys');
    for (const result of flagged.results) await ctx.sink.writeCommand(result);
    const attrs = (p: string): FileAttributes => flagged.attributes.get(p) ?? unknownAttributes('not asked');

    const records: AuthorizedKeyRecord[] = [];
    const timeline: TimelineEvent[] = [];
    for (const f of found) {
      const keys = f.keys;
      for (const k of keys) {
        records.push({
          user: f.c.user,
          uid: f.c.uid,
          file: f.c.file,
          line: k.line,
          inUse: f.c.inUse,
          type: k.type,
          bits: k.bits,
          fingerprint: k.fingerprint,
          comment: k.comment,
          options: k.options,
          error: k.error,
          fileMeta: f.meta,
          fileAttributes: attrs(f.c.file),
          dirMeta: f.dir,
          dirAttributes: f.dir ? attrs(path.posix.dirname(f.c.file)) : null,
          copy: f.copy,
          knownBad: matchKnownKeys(known, k),
        });
      }
      timeline.push({ datetime: f.meta.mtime, message: `authorized keys file of ${f.c.user} modified (${keys.length} key(s)): ${f.c.file}`, timestamp_desc: 'Modified', source: 'ssh-keys', user: f.c.user, path: f.c.file });
      if (f.meta.birth) timeline.push({ datetime: f.meta.birth, message: `authorized keys file of ${f.c.user} created: ${f.c.file}`, timestamp_desc: 'Created', source: 'ssh-keys', user: f.c.user, path: f.c.file });
      const notes = [`${keys.length} key(s)`];
      if (f.truncated) notes.push(`cut at ${Math.min(MAX_PARSE_BYTES, ctx.options.maxFileBytes)} bytes`);
      if (!f.c.inUse) notes.push('not read by sshd under the AuthorizedKeysFile in force');
      sources.push(sourceOk(`ssh-keys.${f.c.user}`, f.copy ?? f.c.file, `${f.c.file}: ${notes.join('; ')}`));
    }
    await ctx.sink.writeJsonl('artifacts/authorized-keys.jsonl', records);
    ctx.sink.timeline(timeline);
    if (flagged.note) sources.push(sourceSkipped('ssh-keys.lsattr', flagged.note));
    else if (flagged.results.length > 0) sources.push(sourceOk('ssh-keys.lsattr', 'commands/lsattr-ssh-keys.txt', flagged.results.length > 1 ? `${flagged.results.length} runs` : undefined));
    const detail = `${records.length} key(s) in ${found.length} file(s) of ${candidates.length} looked at${skippedPseudo ? `; ${skippedPseudo} under /proc, /sys or /dev not read` : ''}`;
    sources.push(sourceOk('ssh-keys', 'artifacts/authorized-keys.jsonl', detail));
    return { facts: { authorizedKeys: records }, sources };
  },
});
