import { constants, promises as fsp } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import type { CommandResult } from '../host/exec.js';
import { commandOk } from '../host/exec.js';
import type { DraftFinding } from '../model/finding.js';
import type { EvidenceSink } from '../model/sink.js';
import { nextRecordPath, recordHead, RECORD_VERSION, refuseApply, shellQuote, writeRecord, type UndoRecordBase } from './common.js';
import { defineAction, type ActionContext, type ActionPlan, type ActionResult, type ActionTarget, type PlannedChange } from './types.js';
import { errnoCode, errorReason } from '../host/errors.js';

export const NFT_TABLE = ['inet', 'ir_triage'] as const;
export const NFT_CHAIN = 'input';
export const HOSTS_DENY = '/etc/hosts.deny';
/** Where sshd may be linked with libwrap: the daemon, and the per-session binary of OpenSSH 9.8+. */
export const SSHD_BINARIES = ['/usr/sbin/sshd', '/usr/lib/openssh/sshd-session'];
const TIMEOUT_MS = 15_000;

export type Backend = 'nft' | 'iptables';

export interface BlockIpOptions {
  /** The responder's own address (SSH_CONNECTION's first field): never blocked. Passed in, so tests can set it. */
  responderAddress?: string | null;
  /** The box's own addresses; default: the collected host interfaces, and this machine's when live. */
  ownAddresses?: string[];
}

export interface BlockIpData {
  /** Canonical form: IPv4 dotted, IPv6 compressed lower case. */
  address: string;
  family: 4 | 6;
  backend: Backend | null;
  /** nft: our table was already there (an earlier block not yet undone). */
  tableExisted: boolean;
  /** The commands apply runs, in order. */
  commands: string[][];
  /** The commands that undo them (nft: the rule handle is known only after apply). */
  undo: string[][];
  /** The line appended to /etc/hosts.deny, when sshd uses libwrap and the line is not there yet. */
  hostsDeny: { file: string; line: string } | null;
  /** Which sshd binaries link libwrap (from ldd). */
  libwrap: string[];
}

export interface BlockIpRecord extends UndoRecordBase {
  action: 'block-ip';
  address: string;
  family: 4 | 6;
  backend: Backend;
  /** nft: the handle of our rule (`nft -e -a` echoes it). */
  handle: number | null;
  tableExisted: boolean;
  ran: Array<{ argv: string[]; exitCode: number | null; output: string }>;
  /** Commands that undo the block, handle filled in. */
  undo: string[][];
  hostsDeny: { file: string; line: string; preserved: string | null; sha256Before: string | null } | null;
}

/** The responder's address from SSH_CONNECTION ("client_ip client_port server_ip server_port"), or null. */
export function responderFromEnv(env: NodeJS.ProcessEnv = process.env): string | null {
  const first = env.SSH_CONNECTION?.trim().split(/\s+/)[0];
  return first && net.isIP(first) ? canonicalAddress(first) : null;
}

/** IPv4 dotted, or IPv6 compressed and lower case; an IPv4-mapped IPv6 address becomes IPv4. Null when not an address. */
export function canonicalAddress(value: string): string | null {
  const v = value.trim().replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(v);
  if (mapped && net.isIPv4(mapped[1])) return mapped[1];
  if (net.isIPv4(v)) return v;
  if (net.isIPv6(v)) return new URL(`http://[${v}]/`).hostname.slice(1, -1);
  return null;
}

/** Why an address may not be blocked regardless of who asks: loopback, unspecified, multicast. */
function notBlockable(address: string, family: 4 | 6): string | null {
  if (family === 4) {
    const [a] = address.split('.').map(Number);
    if (a === 127) return `${address} is a loopback address`;
    if (address === '0.0.0.0') return `${address} is the unspecified address`;
    if (a >= 224 && a <= 239) return `${address} is a multicast address`;
    if (address === '255.255.255.255') return `${address} is the broadcast address`;
    return null;
  }
  if (address === '::1') return `${address} is the loopback address`;
  if (address === '::') return `${address} is the unspecified address`;
  if (/^ff/i.test(address)) return `${address} is a multicast address`;
  return null;
}

function ownAddressesOf(ctx: ActionContext): string[] {
  const out: string[] = [];
  for (const i of ctx.facts.host?.interfaces ?? []) out.push(...[i.ip4, i.ip6].filter((a): a is string => !!a));
  if (ctx.host.mode === 'live') {
    for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) out.push(a.address);
  }
  return out;
}

export function nftRuleArgs(address: string, family: 4 | 6): string[] {
  return [family === 4 ? 'ip' : 'ip6', 'saddr', address, 'drop'];
}

/** The exact commands for a backend (pure: the plan's heart, tested as such). */
export function blockCommands(backend: Backend, address: string, family: 4 | 6): { commands: string[][]; undo: string[][] } {
  if (backend === 'nft') {
    return {
      commands: [
        ['nft', 'add', 'table', ...NFT_TABLE],
        ['nft', 'add', 'chain', ...NFT_TABLE, NFT_CHAIN, '{ type filter hook input priority -10; policy accept; }'],
        ['nft', '-e', '-a', 'add', 'rule', ...NFT_TABLE, NFT_CHAIN, ...nftRuleArgs(address, family)],
      ],
      undo: [['nft', 'delete', 'rule', ...NFT_TABLE, NFT_CHAIN, 'handle', '<handle>']],
    };
  }
  const bin = family === 4 ? 'iptables' : 'ip6tables';
  return {
    commands: [[bin, '-I', 'INPUT', '1', '-s', address, '-j', 'DROP']],
    undo: [[bin, '-D', 'INPUT', '-s', address, '-j', 'DROP']],
  };
}

export function hostsDenyLine(address: string, family: 4 | 6): string {
  return `sshd: ${family === 6 ? `[${address}]` : address}`;
}

function run(ctx: ActionContext, name: string, argv: string[]): Promise<CommandResult> {
  return ctx.host.exec({ name, argv, timeoutMs: TIMEOUT_MS, maxBytes: 4 * 1024 * 1024 }, ctx.host.signal);
}

/** Rules of our nft chain that drop the address: their handles. */
export function nftHandlesFor(listing: string, address: string, family: 4 | 6): number[] {
  const rule = nftRuleArgs(address, family).join(' ');
  const out: number[] = [];
  for (const line of listing.split('\n')) {
    const m = /^\s*(.*?)\s+# handle (\d+)\s*$/.exec(line);
    if (m && m[1] === rule) out.push(Number(m[2]));
  }
  return out;
}

/** Every rule line (with a handle) in a `nft -a list` of our chain. */
function nftRuleCount(listing: string): number {
  return listing.split('\n').filter((l) => /# handle \d+\s*$/.test(l) && !/^\s*(table|chain)\s/.test(l)).length;
}

async function libwrapBinaries(ctx: ActionContext): Promise<string[]> {
  const out: string[] = [];
  for (const bin of SSHD_BINARIES) {
    if (!(await ctx.host.fs.exists(bin))) continue;
    const r = await run(ctx, `ldd-${bin.split('/').pop()}`, ['ldd', await ctx.host.fs.resolve(bin)]);
    if (r.stdout.toString('utf8').includes('libwrap')) out.push(bin);
  }
  return out;
}

async function hostsDenyHas(ctx: ActionContext, line: string): Promise<boolean> {
  const text = await ctx.host.fs.readTextIfExists(HOSTS_DENY, 16 * 1024 * 1024).catch(() => null);
  return text !== null && text.split('\n').some((l) => l.trim() === line);
}

/**
 * Plans the block of one address: nftables (our own table, so an existing ruleset is left as it
 * is) when nft exists, else iptables/ip6tables; plus a hosts.deny line where sshd uses libwrap.
 * Never the responder's own address, loopback or the box's own. The plan is the dry run: its
 * changes are the exact commands. Read-only (it runs only nft/iptables listings and ldd).
 */
export async function planBlockIp(ctx: ActionContext, target: string, options: BlockIpOptions = {}): Promise<ActionPlan<BlockIpData>> {
  const address = canonicalAddress(target);
  const data: BlockIpData = { address: address ?? target, family: 4, backend: null, tableExisted: false, commands: [], undo: [], hostsDeny: null, libwrap: [] };
  const refuse = (reason: string, warnings: string[] = []): ActionPlan<BlockIpData> => ({ action: 'block-ip', summary: target, changes: [], warnings, refused: reason, data });
  if (address === null) return refuse(`${target} is not an IP address (one address, no prefix length)`);
  const family: 4 | 6 = net.isIPv4(address) ? 4 : 6;
  data.family = family;
  const bad = notBlockable(address, family);
  if (bad) return refuse(bad);
  const responder = options.responderAddress ? canonicalAddress(options.responderAddress) : null;
  if (responder === address) return refuse(`${address} is your own address (SSH_CONNECTION): blocking it locks you out`);
  const own = (options.ownAddresses ?? ownAddressesOf(ctx)).map(canonicalAddress);
  if (own.includes(address)) return refuse(`${address} is one of this machine's own addresses`);
  if (ctx.host.mode !== 'live') return refuse('block-ip changes the running firewall: it needs the live machine, not an image');

  const warnings = [
    'Lock-out risk: "It\'s very easy to block yourself from accessing your own server" (seed 003). Make sure your own path in (and any jump host or VPN address) is not this address.',
    responder
      ? `Your own address (SSH_CONNECTION) is ${responder}: it is not blocked.`
      : 'SSH_CONNECTION is not set (not logged in over SSH?): ir-triage cannot tell your own address; check it yourself.',
    'Established connections from the address survive a new drop rule only until their next packet; kill their sshd sessions (or `conntrack -D -s ADDRESS`) so nothing lingers.',
    'The rule lives in the running kernel only: a reboot or a firewall reload removes it. It blocks this one address: the attacker may have others.',
  ];

  // Which firewall: nft when the box has it (a separate table works beside any existing ruleset), else iptables.
  const nftVersion = await run(ctx, 'nft-version', ['nft', '--version']);
  let backend: Backend;
  if (!nftVersion.notInstalled && commandOk(nftVersion)) backend = 'nft';
  else {
    const ipt = await run(ctx, 'iptables-version', [family === 4 ? 'iptables' : 'ip6tables', '--version']);
    if (ipt.notInstalled || !commandOk(ipt)) return refuse('neither nft nor iptables runs on this machine', warnings);
    backend = 'iptables';
  }
  data.backend = backend;
  const { commands, undo } = blockCommands(backend, address, family);
  data.commands = commands;
  data.undo = undo;

  if (backend === 'nft') {
    const listing = await run(ctx, 'nft-list-table', ['nft', '-a', 'list', 'table', ...NFT_TABLE]);
    const text = listing.stdout.toString('utf8');
    data.tableExisted = commandOk(listing);
    if (!data.tableExisted && /not permitted|permission denied/i.test(listing.stderr)) return refuse('nft cannot read the ruleset (needs root)', warnings);
    const handles = nftHandlesFor(text, address, family);
    if (handles.length > 0) return refuse(`${address} is already blocked (nft handle ${handles.join(', ')})`, warnings);
  } else {
    const check = await run(ctx, 'iptables-check', [commands[0][0], '-C', 'INPUT', '-s', address, '-j', 'DROP']);
    if (commandOk(check)) return refuse(`${address} is already blocked (iptables INPUT)`, warnings);
    if (/not permitted|permission denied/i.test(check.stderr)) return refuse(`${commands[0][0]} cannot read the ruleset (needs root)`, warnings);
  }

  data.libwrap = await libwrapBinaries(ctx);
  const line = hostsDenyLine(address, family);
  if (data.libwrap.length > 0) {
    if (await hostsDenyHas(ctx, line)) warnings.push(`${HOSTS_DENY} already holds "${line}".`);
    else data.hostsDeny = { file: HOSTS_DENY, line };
  } else {
    warnings.push(`sshd is not linked with libwrap here (ldd ${SSHD_BINARIES.join(', ')}): ${HOSTS_DENY} would do nothing, so it is left alone.`);
  }
  if (!ctx.host.isRoot) return { ...refuse('changing the firewall needs root', warnings), changes: planChanges(data) };

  return {
    action: 'block-ip',
    summary: `${address} (${backend === 'nft' ? 'nftables table inet ir_triage' : commands[0][0]}${data.hostsDeny ? ` and ${HOSTS_DENY}` : ''})`,
    changes: planChanges(data),
    warnings,
    refused: null,
    data,
  };
}

function planChanges(data: BlockIpData): PlannedChange[] {
  const changes: PlannedChange[] = data.commands.map((argv) => ({ op: argv[0], target: data.address, detail: shellQuote(argv) }));
  if (data.hostsDeny) changes.push({ op: 'append', target: data.hostsDeny.file, detail: `echo ${shellQuote([data.hostsDeny.line])} >> ${data.hostsDeny.file}` });
  return changes;
}

/** A command name not used yet in the case (commands/NAME.txt is written once). */
function commandName(sink: EvidenceSink, base: string): string {
  let name = base;
  for (let n = 2; sink.has(`commands/${name}.txt`); n++) name = `${base}-${n}`;
  return name;
}

async function runAndKeep(ctx: ActionContext, base: string, argv: string[]): Promise<CommandResult> {
  const r = await run(ctx, commandName(ctx.sink, base), argv);
  await ctx.sink.writeCommand(r);
  return r;
}

function failure(r: CommandResult): string {
  return `${shellQuote(r.argv)} failed: ${r.error ?? `exit ${String(r.exitCode)}`}${r.stderr.trim() ? ` (${r.stderr.trim().split('\n')[0]})` : ''}`;
}

/** Appends one line, never through a symlink, adding the newline the file may lack. */
async function appendLine(hostFile: string, line: string): Promise<void> {
  const fh = await fsp.open(hostFile, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
  try {
    const { size } = await fh.stat();
    let lead = '';
    if (size > 0) {
      const last = Buffer.alloc(1);
      await fh.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) lead = '\n';
    }
    await fh.write(`${lead}${line}\n`);
  } finally {
    await fh.close();
  }
}

/** Runs the planned commands (re-checking first that the address is not blocked meanwhile) and records how to undo them. */
export async function applyBlockIp(ctx: ActionContext, plan: ActionPlan<BlockIpData>): Promise<ActionResult> {
  if (plan.refused) return refuseApply(ctx, plan, plan.refused);
  const d = plan.data;
  if (!d.backend) return refuseApply(ctx, plan, 'no firewall backend in the plan');
  const rel = nextRecordPath(ctx.sink, 'block-ip');
  const n = /-(\d+)\.json$/.exec(rel)![1];
  const tag = `block-ip-${n}`;

  // Re-check what the plan saw: the table's existence and no rule for the address yet.
  let tableExisted = d.tableExisted;
  if (d.backend === 'nft') {
    const listing = await runAndKeep(ctx, `${tag}-before`, ['nft', '-a', 'list', 'table', ...NFT_TABLE]);
    tableExisted = commandOk(listing);
    const handles = nftHandlesFor(listing.stdout.toString('utf8'), d.address, d.family);
    if (handles.length > 0) return refuseApply(ctx, plan, `${d.address} was blocked meanwhile (nft handle ${handles.join(', ')})`);
  } else {
    const check = await runAndKeep(ctx, `${tag}-before`, [d.commands[0][0], '-C', 'INPUT', '-s', d.address, '-j', 'DROP']);
    if (commandOk(check)) return refuseApply(ctx, plan, `${d.address} was blocked meanwhile (iptables INPUT)`);
  }

  // Preserve before you change: hosts.deny as it is now.
  let hostsDeny: BlockIpRecord['hostsDeny'] = null;
  if (d.hostsDeny) {
    const hostFile = await ctx.host.fs.resolve(d.hostsDeny.file);
    let preserved: string | null = null;
    let sha256Before: string | null = null;
    try {
      const fh = await fsp.open(hostFile, constants.O_RDONLY | constants.O_NOFOLLOW);
      try {
        const copy = await ctx.sink.copyIn(`files/${tag}/hosts.deny`, fh.createReadStream({ autoClose: false }), 16 * 1024 * 1024);
        preserved = copy.path;
        sha256Before = copy.sha256;
      } finally {
        await fh.close();
      }
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') return refuseApply(ctx, plan, `could not preserve ${d.hostsDeny.file}: ${errorReason(err)}`);
    }
    hostsDeny = { ...d.hostsDeny, preserved, sha256Before };
  }

  const ran: BlockIpRecord['ran'] = [];
  let handle: number | null = null;
  for (const [i, argv] of d.commands.entries()) {
    const r = await runAndKeep(ctx, `${tag}-${i + 1}-${argv[0]}`, argv);
    const output = r.stdout.toString('utf8');
    ran.push({ argv, exitCode: r.exitCode, output });
    if (!commandOk(r)) {
      // Leave nothing half-made: a table we created goes again.
      if (d.backend === 'nft' && !tableExisted && i > 0) await runAndKeep(ctx, `${tag}-rollback`, ['nft', 'delete', 'table', ...NFT_TABLE]);
      return refuseApply(ctx, plan, failure(r));
    }
    const m = /# handle (\d+)/.exec(output);
    if (m) handle = Number(m[1]);
  }
  if (d.backend === 'nft' && handle === null) return refuseApply(ctx, plan, 'nft did not echo the new rule handle: the rule may be in place; check `nft -a list table inet ir_triage`');

  let hostsDenyError: string | null = null;
  if (hostsDeny) {
    try {
      await appendLine(await ctx.host.fs.resolve(hostsDeny.file), hostsDeny.line);
    } catch (err) {
      hostsDenyError = `${hostsDeny.file}: ${errorReason(err)}`;
      hostsDeny = null;
    }
  }
  const undo = d.undo.map((argv) => argv.map((a) => (a === '<handle>' ? String(handle) : a)));
  const record: BlockIpRecord = {
    ...recordHead(ctx, 'block-ip', rel, plan.summary),
    address: d.address,
    family: d.family,
    backend: d.backend,
    handle,
    tableExisted,
    ran,
    undo,
    hostsDeny,
  };
  await writeRecord(ctx.sink, rel, record);
  ctx.custody('action-applied', {
    action: 'block-ip',
    summary: plan.summary,
    record: rel,
    address: d.address,
    backend: d.backend,
    handle,
    commands: d.commands.map(shellQuote),
    hostsDeny: hostsDeny?.line ?? null,
    hostsDenyError,
  });
  return {
    ok: hostsDenyError === null,
    message: `blocked ${d.address} with ${d.backend === 'nft' ? `nftables (table inet ir_triage, handle ${handle})` : d.commands[0][0]}${hostsDeny ? ` and ${hostsDeny.file}` : ''}${hostsDenyError ? `; ${hostsDenyError} could not be changed` : ''}`,
    undoRecord: rel,
    applied: [
      ...ran.map((r) => ({ target: d.address, ok: true, detail: shellQuote(r.argv) })),
      ...(hostsDeny ? [{ target: hostsDeny.file, ok: true, detail: `appended "${hostsDeny.line}"` }] : []),
      ...(hostsDenyError ? [{ target: d.hostsDeny!.file, ok: false, detail: hostsDenyError }] : []),
    ],
  };
}

/**
 * Undoes a block: the nft rule by its handle (only if that handle still drops the address), and
 * our table once it holds no rule; or the iptables rule; and our hosts.deny line.
 */
export async function unblockIp(ctx: ActionContext, record: BlockIpRecord): Promise<ActionResult> {
  const plan = { action: 'unblock-ip', summary: record.summary, changes: [], warnings: [], refused: null, data: null };
  if (record.action !== 'block-ip' || record.version !== RECORD_VERSION) return refuseApply(ctx, plan, 'not a block-ip record this version of ir-triage knows');
  const n = /-(\d+)\.json$/.exec(record.record)?.[1] ?? '0';
  const tag = `unblock-ip-${n}`;
  const applied: ActionResult['applied'] = [];
  if (record.backend === 'nft') {
    const listing = await runAndKeep(ctx, `${tag}-before`, ['nft', '-a', 'list', 'table', ...NFT_TABLE]);
    const handles = nftHandlesFor(listing.stdout.toString('utf8'), record.address, record.family);
    if (record.handle === null || !handles.includes(record.handle)) {
      applied.push({ target: record.address, ok: false, detail: `nft handle ${String(record.handle)} no longer drops ${record.address}: left alone` });
    } else {
      const r = await runAndKeep(ctx, `${tag}-1-nft`, ['nft', 'delete', 'rule', ...NFT_TABLE, NFT_CHAIN, 'handle', String(record.handle)]);
      applied.push({ target: record.address, ok: commandOk(r), detail: commandOk(r) ? shellQuote(r.argv) : failure(r) });
      // The table is ir-triage's alone: once its last rule is gone, so is the table (and its input hook).
      if (commandOk(r)) {
        const after = await runAndKeep(ctx, `${tag}-after`, ['nft', '-a', 'list', 'table', ...NFT_TABLE]);
        if (commandOk(after) && nftRuleCount(after.stdout.toString('utf8')) === 0) {
          const t = await runAndKeep(ctx, `${tag}-2-nft`, ['nft', 'delete', 'table', ...NFT_TABLE]);
          applied.push({ target: 'table inet ir_triage', ok: commandOk(t), detail: commandOk(t) ? shellQuote(t.argv) : failure(t) });
        }
      }
    }
  } else {
    for (const [i, argv] of record.undo.entries()) {
      const r = await runAndKeep(ctx, `${tag}-${i + 1}-${argv[0]}`, argv);
      applied.push({ target: record.address, ok: commandOk(r), detail: commandOk(r) ? shellQuote(argv) : failure(r) });
    }
  }
  if (record.hostsDeny) {
    const file = record.hostsDeny.file;
    try {
      const hostFile = await ctx.host.fs.resolve(file);
      const fh = await fsp.open(hostFile, constants.O_RDWR | constants.O_NOFOLLOW);
      try {
        const text = (await fh.readFile()).toString('utf8');
        const lines = text.split('\n');
        const at = lines.lastIndexOf(record.hostsDeny.line);
        if (at < 0) applied.push({ target: file, ok: false, detail: `"${record.hostsDeny.line}" is no longer there` });
        else {
          lines.splice(at, 1);
          const next = Buffer.from(lines.join('\n'));
          await fh.truncate(0);
          await fh.write(next, 0, next.length, 0);
          applied.push({ target: file, ok: true, detail: `removed "${record.hostsDeny.line}"` });
        }
      } finally {
        await fh.close();
      }
    } catch (err) {
      applied.push({ target: file, ok: false, detail: `${file}: ${errorReason(err)}` });
    }
  }
  const ok = applied.every((a) => a.ok);
  ctx.custody('action-undone', { action: 'block-ip', record: record.record, address: record.address, backend: record.backend, steps: applied });
  return { ok, message: `${ok ? 'unblocked' : 'partly unblocked'} ${record.address}`, undoRecord: record.record, applied };
}

/** What block-ip offers: every address a finding names, with the rules that flagged it. */
export function flaggedAddressTargets(findings: DraftFinding[]): ActionTarget[] {
  const ips = new Map<string, string[]>();
  for (const f of findings) {
    if (typeof f.subject.ip === 'string' && f.subject.ip) ips.set(f.subject.ip, [...(ips.get(f.subject.ip) ?? []), f.rule]);
  }
  return [...ips].map(([ip, rules]) => ({ value: ip, name: ip, description: [...new Set(rules)].join(', ') }));
}

/** Its undo is `unblockIp` (the recorded rule handles), not yet offered by `ir-triage restore`. */
export const blockIpAction = defineAction({
  id: 'block-ip',
  title: 'Block an address',
  description: 'nftables or iptables rule (and hosts.deny where sshd uses libwrap) for an attacking address.',
  nothingFound: 'Nothing to block: no attacking address was found.',
  declineNote: 'no: keep them as a dry run',
  targets: (_facts, findings) => flaggedAddressTargets(findings),
  plan: (ctx, target) => planBlockIp(ctx, target, { responderAddress: responderFromEnv() }),
  apply: applyBlockIp,
  undo: null,
});
