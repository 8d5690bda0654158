import { describeFsError } from '../../host/rooted-fs.js';
import type { AccountFiles, AccountRecord, FileMeta } from '../../model/access.js';
import type { TimelineEvent } from '../../model/sink.js';
import { sourceError, sourceOk, sourceSkipped, type SourceStatus } from '../../model/source.js';
import { fileMeta } from '../file-meta.js';
import { defineCollector, type CollectContext } from '../types.js';
import { isLoginShell, parseGroup, parsePasswd, parseShadow, type GroupEntry, type PasswdEntry } from './parse-accounts.js';
import { errorCode } from '../../host/errors.js';

const MAX_ACCOUNT_FILE_BYTES = 16 * 1024 * 1024;
/** Groups whose members can become root (Debian sudo, RHEL wheel, old Ubuntu admin) and the root group. */
export const PRIVILEGED_GROUPS: ReadonlySet<string> = new Set(['sudo', 'wheel', 'admin', 'root']);
/** Homes that are not an account's own folder: their times say nothing about the account. */
const SHARED_HOMES = new Set(['/', '/nonexistent', '/dev/null', '/bin', '/sbin', '/usr/bin', '/usr/sbin', '/proc', '/sys', '/dev', '/tmp', '/var', '/run', '/usr/games', '/var/spool/news']);

async function readAccountFile(ctx: CollectContext, file: string, id: string, sources: SourceStatus[]): Promise<string | null> {
  try {
    const text = await ctx.host.fs.readText(file, MAX_ACCOUNT_FILE_BYTES);
    sources.push(sourceOk(id, file));
    return text;
  } catch (err) {
    const message = describeFsError(err, file);
    sources.push(errorCode(err) === 'ENOENT' ? sourceSkipped(id, 'not present', file) : sourceError(id, message, file));
    return null;
  }
}

async function metaOrNull(ctx: CollectContext, file: string, owners: ReadonlyMap<number, string>): Promise<FileMeta | null> {
  try {
    return await fileMeta(ctx.host.fs, file, owners);
  } catch {
    return null;
  }
}

function groupsOf(p: PasswdEntry, groups: GroupEntry[]): string[] {
  const names = new Set<string>();
  for (const g of groups) if (g.gid === p.gid || g.members.includes(p.user)) names.add(g.name);
  return [...names].sort();
}

/**
 * Local accounts: /etc/passwd (every field), /etc/group (memberships), /etc/shadow (only whether
 * a password is set, locked or empty, the hash's scheme by name, and the dates — never a hash, a
 * salt or a line), and each home folder's times as a hint of when the account was made.
 */
export const accountsCollector = defineCollector({
  id: 'accounts',
  title: 'Local accounts',
  description: 'Accounts of /etc/passwd and /etc/group, with lock state and dates from /etc/shadow (never a hash) and home folder times.',
  liveOnly: false,
  needsRoot: true,
  artifacts: ['artifacts/accounts.jsonl', 'artifacts/account-files.json'],
  provides: ['accounts', 'accountFiles'],
  reads: [],
  async collect(ctx) {
    const sources: SourceStatus[] = [];
    const passwdText = await readAccountFile(ctx, '/etc/passwd', 'accounts.passwd', sources);
    if (passwdText === null) return { sources };
    const passwd = parsePasswd(passwdText);
    if (passwd.errors.length > 0) {
      sources.push(sourceError('accounts.passwd-lines', `${passwd.errors.length} line(s) not read: ${passwd.errors.slice(0, 3).map((e) => `line ${e.line}: ${e.message}`).join('; ')}`, '/etc/passwd'));
    }
    const groupText = await readAccountFile(ctx, '/etc/group', 'accounts.group', sources);
    const groups = groupText === null ? [] : parseGroup(groupText).entries;
    // Read and classified here; the text is dropped as soon as it is parsed.
    let shadow: ReturnType<typeof parseShadow> | null = null;
    {
      const shadowText = await readAccountFile(ctx, '/etc/shadow', 'accounts.shadow', sources);
      if (shadowText !== null) shadow = parseShadow(shadowText, ctx.host.now());
    }
    if (shadow && shadow.errors.length > 0) {
      sources.push(sourceError('accounts.shadow-lines', `${shadow.errors.length} line(s) not read: ${shadow.errors.slice(0, 3).map((e) => `line ${e.line}: ${e.message}`).join('; ')}`, '/etc/shadow'));
    }

    const owners = new Map<number, string>();
    for (const p of passwd.entries) if (!owners.has(p.uid)) owners.set(p.uid, p.user);
    const privilegedGids = new Set(groups.filter((g) => PRIVILEGED_GROUPS.has(g.name) || g.gid === 0).map((g) => g.name));

    const accounts: AccountRecord[] = [];
    const timeline: TimelineEvent[] = [];
    for (const p of passwd.entries) {
      const names = groupsOf(p, groups);
      const home = p.home && !SHARED_HOMES.has(p.home.replace(/\/+$/, '') || '/') ? await metaOrNull(ctx, p.home, owners) : null;
      const record: AccountRecord = {
        user: p.user,
        uid: p.uid,
        gid: p.gid,
        gecos: p.gecos,
        home: p.home,
        shell: p.shell,
        line: p.line,
        loginShell: isLoginShell(p.shell),
        passwdField: p.passwdField,
        shadow: shadow?.entries.get(p.user) ?? null,
        groups: names,
        privilegedGroups: names.filter((n) => privilegedGids.has(n)),
        homeMeta: home,
      };
      accounts.push(record);
      if (!record.loginShell) continue;
      if (record.shadow?.lastChange) {
        timeline.push({ datetime: `${record.shadow.lastChange}T00:00:00Z`, message: `Password of ${p.user} last changed (day, /etc/shadow)`, timestamp_desc: 'Password changed', source: 'accounts', user: p.user, path: '/etc/shadow' });
      }
      if (home?.birth) {
        timeline.push({ datetime: home.birth, message: `Home folder of ${p.user} created: ${p.home}`, timestamp_desc: 'Home created', source: 'accounts', user: p.user, path: p.home });
      }
    }
    const files: AccountFiles = {
      passwd: await metaOrNull(ctx, '/etc/passwd', owners),
      group: await metaOrNull(ctx, '/etc/group', owners),
      shadow: await metaOrNull(ctx, '/etc/shadow', owners),
    };
    await ctx.sink.writeJsonl('artifacts/accounts.jsonl', accounts);
    await ctx.sink.writeFile('artifacts/account-files.json', JSON.stringify(files, null, 2) + '\n');
    ctx.sink.timeline(timeline);
    const detail = `${accounts.length} account(s), ${accounts.filter((a) => a.loginShell).length} with a login shell${shadow ? '' : '; no shadow metadata'}`;
    sources.push(sourceOk('accounts', 'artifacts/accounts.jsonl', detail));
    return { facts: { accounts, accountFiles: files }, sources };
  },
});
