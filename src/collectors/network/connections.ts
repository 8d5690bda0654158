import { commandOk } from '../../host/exec.js';
import type { ProcFs } from '../../host/proc.js';
import { describeFsError } from '../../host/rooted-fs.js';
import type { ConnectionRecord, HiddenSocket, SocketOwner } from '../../model/network.js';
import type { ProcessRecord } from '../../model/processes.js';
import { sourceError, sourceOk, sourceSkipped, type SourceStatus } from '../../model/source.js';
import { parseExeLink, parseStatus, splitCmdline } from '../processes/parse-proc.js';
import { defineCollector, type CollectContext } from '../types.js';
import { inodeMapFromFdLinks, joinOwners } from './owners.js';
import { parseSsDetailed } from './parse-ss.js';
import { NET_TABLES, parseNetnsLink, readNetTable, type TableRead } from './read-net.js';
import { confirm, crossViewSocket, firstLook, SocketKeys, type SocketCrossView } from './socket-crossview.js';
import { readSshdConfigPorts } from '../sshd-config/ports.js';
import { buildSshView, ownerFromProcess } from './ssh-view.js';
import { userNames } from '../../model/passwd.js';

const RECHECK_DELAY_MS = 300;
const READ_CONCURRENCY = 32;
/** Pids tried per foreign namespace before giving up (each may exit while we read it). */
const PIDS_PER_NAMESPACE = 5;
export const DEFAULT_SSH_PORT = 22;

interface Namespace {
  netns: number | null;
  /** `net` for ours, `PID/net` for another namespace. */
  base: string;
  /** The pid whose view was read (null for ours). */
  pid: number | null;
}

async function hostNetns(ctx: CollectContext, proc: ProcFs): Promise<number | null> {
  try {
    return parseNetnsLink(await proc.readlink('self/ns/net'));
  } catch {
    // A /proc without `self` (a fake tree): our own record says it too.
    return ctx.facts.processes?.find((p) => p.pid === ctx.host.selfPid)?.netns ?? null;
  }
}

/** Reads the four tables of every namespace: ours, then one pid per other namespace seen in /proc. */
async function readAllTables(proc: ProcFs, ours: number | null, processes: ProcessRecord[], sources: SourceStatus[]): Promise<{ records: ConnectionRecord[]; namespaces: Namespace[] }> {
  const records: ConnectionRecord[] = [];
  const namespaces: Namespace[] = [{ netns: ours, base: 'net', pid: null }];
  const foreign = new Map<number, number[]>();
  for (const p of processes) {
    if (p.netns === null || p.netns === ours) continue;
    const pids = foreign.get(p.netns);
    if (pids) pids.push(p.pid);
    else foreign.set(p.netns, [p.pid]);
  }
  const report = (t: TableRead, ns: Namespace) => {
    const id = `connections.${t.rel.replaceAll('/', '.')}`;
    if (t.error === 'ENOENT' && t.rel.endsWith('6') && ns.pid === null) sources.push(sourceSkipped(id, 'no IPv6 in this kernel', `/proc/${t.rel}`));
    else if (t.error) sources.push(sourceError(id, `${t.error}: /proc/${t.rel}: ${t.message}`, `/proc/${t.rel}`));
    else if (t.truncated) sources.push(sourceError(id, `/proc/${t.rel} is longer than the cap: the sockets past it are not in the bundle`, `/proc/${t.rel}`));
    else if (t.badLines > 0) sources.push(sourceError(id, `/proc/${t.rel}: ${t.badLines} line(s) that are not socket rows`, `/proc/${t.rel}`));
  };

  for (const table of NET_TABLES) {
    const t = await readNetTable(proc, 'net', table, ours);
    records.push(...t.records);
    report(t, namespaces[0]);
  }
  for (const [netns, pids] of [...foreign].sort((a, b) => a[0] - b[0])) {
    // Any process of the namespace shows its tables; one that exits meanwhile is replaced by the next.
    for (const pid of pids.sort((a, b) => a - b).slice(0, PIDS_PER_NAMESPACE)) {
      const reads = await Promise.all(NET_TABLES.map((table) => readNetTable(proc, `${pid}/net`, table, netns)));
      if (reads[0].error === 'ENOENT' || reads[0].error === 'ESRCH') continue;
      const ns = { netns, base: `${pid}/net`, pid };
      namespaces.push(ns);
      for (const t of reads) {
        records.push(...t.records);
        if (!(t.error === 'ENOENT' && t.rel.endsWith('6'))) report(t, ns);
      }
      break;
    }
  }
  return { records, namespaces };
}

/** Socket inode → pids, from the fds the processes collector read. */
function inodeOwners(processes: ProcessRecord[]): Map<number, number[]> {
  const map = new Map<number, number[]>();
  for (const p of processes) {
    for (const inode of p.socketInodes) {
      const pids = map.get(inode);
      if (pids) pids.push(p.pid);
      else map.set(inode, [p.pid]);
    }
  }
  return map;
}

/**
 * One more walk of /proc/PID/fd for sockets that had no owner: a socket opened after the processes
 * were read (an sshd session accepted a moment ago, a scanner's newest connect) is found here.
 * Sockets still without an owner then are held by no process we can see.
 */
async function scanFdOwners(proc: ProcFs, wanted: Set<number>): Promise<Map<number, number[]>> {
  const links: Array<{ pid: number; target: string }> = [];
  await forEachLimit(await proc.pids(), READ_CONCURRENCY, async (pid) => {
    let fds: string[];
    try {
      fds = await proc.readdir(`${pid}/fd`);
    } catch {
      return; // gone, or not ours to read
    }
    for (const fd of fds) {
      try {
        const target = await proc.readlink(`${pid}/fd/${fd}`);
        const m = /^socket:\[(\d+)\]$/.exec(target);
        if (m && wanted.has(Number(m[1]))) links.push({ pid, target });
      } catch {
        // closed between readdir and readlink
      }
    }
  });
  return inodeMapFromFdLinks(links);
}

/** Runs fn over items with at most `limit` in flight. */
async function forEachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

/** The few facts the view needs about a process the processes collector did not see. */
async function describeOwner(proc: ProcFs, pid: number, users: Map<number, string>): Promise<SocketOwner> {
  const get = async <T>(read: () => Promise<T>): Promise<T | null> => read().catch(() => null);
  const status = await get(async () => parseStatus(await proc.readText(`${pid}/status`)));
  const uid = status?.uid.real ?? null;
  const argv = (await get(async () => splitCmdline((await proc.readFile(`${pid}/cmdline`, 64 * 1024)).data))) ?? [];
  const exe = parseExeLink(await get(() => proc.readlink(`${pid}/exe`))).exe;
  const cwd = await get(() => proc.readlink(`${pid}/cwd`));
  return { pid, comm: status?.name ?? '', exe, title: argv[0] ?? '', uid, user: uid === null ? null : (users.get(uid) ?? null), cwd };
}

async function sshdConfig(ctx: CollectContext, sources: SourceStatus[]): Promise<number[]> {
  const main = '/etc/ssh/sshd_config';
  try {
    const config = await readSshdConfigPorts(ctx.host.fs, main);
    await ctx.sink.writeFile('artifacts/sshd-config-ports.json', JSON.stringify(config, null, 2) + '\n');
    if (config.missing) sources.push(sourceSkipped('connections.sshd-config', `no ${main}: sshd is not configured on this box`, 'artifacts/sshd-config-ports.json'));
    else if (config.readErrors.length > 0) sources.push(sourceError('connections.sshd-config', config.readErrors.join('; '), 'artifacts/sshd-config-ports.json'));
    else {
      const notes = config.errors.length ? `; ${config.errors.length} line(s) sshd would reject or skip` : '';
      sources.push(sourceOk('connections.sshd-config', 'artifacts/sshd-config-ports.json', `ports ${config.ports.join(', ') || '22 (default)'} from ${config.files.length} file(s)${notes}`));
    }
    return config.ports;
  } catch (err) {
    sources.push(sourceError('connections.sshd-config', describeFsError(err, main)));
    return [];
  }
}

/** The box's ss -tanp (from box-network) against /proc/net, re-checked with a fresh ss -tan. */
async function socketCrossView(
  ctx: CollectContext,
  proc: ProcFs,
  ours: number | null,
  records: ConnectionRecord[],
  sources: SourceStatus[],
): Promise<{ view: SocketCrossView; hidden: ConnectionRecord[] } | null> {
  const ss = ctx.facts.boxNetworkTools?.['ss-tanp'];
  if (!ss || ss.notInstalled) {
    sources.push(sourceSkipped('connections.crossview', "the box's ss -tanp output is not available (box-network did not run it or ss is not installed)"));
    return null;
  }
  if (!commandOk(ss) || ss.truncated) {
    sources.push(sourceSkipped('connections.crossview', `the box's ss -tanp ${ss.truncated ? 'output was cut at its cap' : 'failed'}: nothing to compare with`, 'commands/ss-tanp.txt'));
    return null;
  }
  const mine = records.filter((r) => r.netns === ours);
  const parsedFirst = parseSsDetailed(ss.stdout.toString('utf8'));
  const keys = new SocketKeys();
  const first = firstLook(mine, parsedFirst.rows, keys);
  const view: SocketCrossView = {
    views: ['ss -tanp (box-network)'],
    procSockets: first.procSockets,
    ssRows: first.ssRows,
    onlyInProc: [],
    onlyInSs: [],
    transient: [],
    rechecked: false,
  };
  const hidden: ConnectionRecord[] = [];
  if (first.onlyInProc.length > 0 || first.onlyInSs.length > 0) {
    await new Promise((r) => setTimeout(r, RECHECK_DELAY_MS));
    const again = await ctx.host.exec(
      { name: 'ss-tan-recheck', argv: ['ss', '-tan'], timeoutMs: ctx.options.commandTimeoutMs, maxBytes: ctx.options.maxCommandBytes },
      ctx.host.signal,
    );
    await ctx.sink.writeCommand(again);
    if (!commandOk(again) || again.truncated) {
      // Unconfirmed differences are not findings; the run says the comparison is incomplete.
      view.transient = [...first.onlyInProc.map((r) => keys.record(r)), ...first.onlyInSs];
      await ctx.sink.writeFile('artifacts/socket-crossview.json', JSON.stringify(view, null, 2) + '\n');
      sources.push(sourceError('connections.crossview', `the re-check ss -tan failed (${again.error ?? (again.truncated ? 'output cut at its cap' : `exit ${again.exitCode}`)}): ${first.onlyInProc.length} socket(s) ss did not show could not be confirmed`, 'artifacts/socket-crossview.json'));
      return { view, hidden: [] };
    }
    const recheck: ConnectionRecord[] = [];
    for (const table of NET_TABLES.filter((t) => t.protocol === 'tcp')) recheck.push(...(await readNetTable(proc, 'net', table, ours)).records);
    const confirmed = confirm(first, { records: recheck, rows: parseSsDetailed(again.stdout.toString('utf8')).rows }, keys);
    view.views.push('ss -tan (re-check)');
    view.rechecked = true;
    view.onlyInProc = confirmed.onlyInProc.map((r) => crossViewSocket(r, keys));
    hidden.push(...confirmed.onlyInProc);
    view.onlyInSs = confirmed.onlyInSs;
    view.transient = confirmed.transient;
  }
  await ctx.sink.writeFile('artifacts/socket-crossview.json', JSON.stringify(view, null, 2) + '\n');
  const bad = parsedFirst.badLines.length ? `; ${parsedFirst.badLines.length} ss line(s) unreadable` : '';
  sources.push(sourceOk('connections.crossview', 'artifacts/socket-crossview.json', `${view.procSockets} TCP sockets against ${view.ssRows} ss rows: ${view.onlyInProc.length} hidden from ss, ${view.onlyInSs.length} only in ss, ${view.transient.length} transient${bad}`));
  return { view, hidden };
}

export const connectionsCollector = defineCollector({
  id: 'connections',
  title: 'Sockets from /proc/net',
  description: "Every TCP and UDP socket from /proc/net in each network namespace, tied to its processes; the port-22 view; the box's ss compared with it.",
  liveOnly: true,
  volatile: true,
  needsRoot: true,
  provides: ['connections', 'sshPorts', 'sshView', 'hiddenSockets'],
  reads: ['processes', 'boxNetworkTools'],
  artifacts: [
    'artifacts/connections.jsonl',
    'artifacts/ssh-view.json',
    'artifacts/sshd-config-ports.json',
    'artifacts/socket-crossview.json',
    'commands/ss-tan-recheck.txt',
    'commands/ss-tan-recheck.json',
  ],
  async collect(ctx) {
    const proc = ctx.host.proc;
    if (!proc) return { sources: [sourceSkipped('connections', 'no /proc to read')] };
    const sources: SourceStatus[] = [];
    const processes = ctx.facts.processes ?? [];
    if (!ctx.facts.processes) sources.push(sourceError('connections.owners', 'no process records: sockets cannot be tied to processes'));

    let users = new Map<number, string>();
    try {
      users = userNames((await ctx.host.fs.readTextIfExists('/etc/passwd')) ?? '');
    } catch (err) {
      sources.push(sourceError('connections.passwd', describeFsError(err, '/etc/passwd'), '/etc/passwd'));
    }

    const ours = await hostNetns(ctx, proc);
    const { records: raw, namespaces } = await readAllTables(proc, ours, processes, sources);
    const configPorts = await sshdConfig(ctx, sources);
    const sshPorts = [...new Set([DEFAULT_SSH_PORT, ...configPorts, ...ctx.options.sshPorts])].sort((a, b) => a - b);
    const portSet = new Set(sshPorts);

    let records = joinOwners(raw, inodeOwners(processes));
    const owners = new Map<number, SocketOwner>(processes.map((p) => [p.pid, ownerFromProcess(p)]));
    // Unowned sockets that the port-22 view and its rules judge get one more look for an owner.
    const unowned = new Set(records.filter((r) => r.inode !== 0 && r.pids.length === 0 && r.protocol === 'tcp' && (portSet.has(r.localPort) || portSet.has(r.remotePort))).map((r) => r.inode));
    let rescanned = 0;
    if (unowned.size > 0 && !ctx.host.signal.aborted) {
      const found = await scanFdOwners(proc, unowned);
      records = joinOwners(records, found);
      for (const pid of new Set([...found.values()].flat())) {
        if (!owners.has(pid)) owners.set(pid, await describeOwner(proc, pid, users));
      }
      rescanned = found.size;
    }

    const euid = typeof process.geteuid === 'function' ? process.geteuid() : -1;
    const sshView = buildSshView({
      connections: records,
      owners,
      ports: sshPorts,
      users,
      canSeeOwners: (uid) => ctx.host.isRoot || uid === euid,
    });

    const crossView = await socketCrossView(ctx, proc, ours, records, sources);
    const keys = new SocketKeys();
    const hiddenSockets: HiddenSocket[] = (crossView?.hidden ?? []).map((socket) => ({
      key: keys.record(socket),
      socket,
      owners: socket.pids.flatMap((pid) => owners.get(pid) ?? []),
    }));

    await ctx.sink.writeJsonl('artifacts/connections.jsonl', records);
    await ctx.sink.writeFile('artifacts/ssh-view.json', JSON.stringify(sshView, null, 2) + '\n');
    const tcp = records.filter((r) => r.protocol === 'tcp').length;
    const noOwner = records.filter((r) => r.inode !== 0 && r.pids.length === 0).length;
    const detail = [
      `${records.length} sockets (${tcp} TCP, ${records.length - tcp} UDP) in ${namespaces.length} network namespace(s)`,
      `${noOwner} without a visible owner${rescanned ? ` (${rescanned} found on a second look)` : ''}`,
      `ssh ports ${sshPorts.join(', ')}`,
    ].join('; ');
    sources.push(sourceOk('connections', 'artifacts/connections.jsonl', detail));
    return { facts: { connections: records, sshPorts, sshView, hiddenSockets }, sources };
  },
});
