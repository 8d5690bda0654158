import type { ProcFs } from '../../host/proc.js';
import type { PacketSocketRecord } from '../../model/kernel.js';
import type { ProcessRecord } from '../../model/processes.js';
import { sourceError, sourceOk, sourceSkipped, type SourceStatus } from '../../model/source.js';
import { defineCollector } from '../types.js';
import { parseProcNetPacket, type PacketLine } from './parse-packet.js';

const RECHECK_DELAY_MS = 300;

/** /proc/net/packet of our namespace, and /proc/PID/net/packet of one pid of every other namespace the processes show. */
function readTables(proc: ProcFs, processes: ProcessRecord[], errors: string[]): Array<{ netns: number | null; line: PacketLine }> {
  const out: Array<{ netns: number | null; line: PacketLine }> = [];
  const seen = new Set<string>();
  const own = processes.find((p) => p.pid === process.pid)?.netns ?? null;
  const tables: Array<{ rel: string; netns: number | null }> = [{ rel: 'net/packet', netns: own }];
  for (const p of processes) if (p.netns !== null && p.netns !== own && !tables.some((t) => t.netns === p.netns)) tables.push({ rel: `${p.pid}/net/packet`, netns: p.netns });
  for (const t of tables) {
    let text: string;
    try {
      text = proc.readTextSync(t.rel, 16 * 1024 * 1024);
    } catch (err) {
      // A process that ended since: its namespace is read through no one else here.
      if (t.rel !== 'net/packet') continue;
      errors.push(`${proc.path(t.rel)}: ${(err as Error).message}`);
      continue;
    }
    for (const line of parseProcNetPacket(text)) {
      const key = `${t.netns}:${line.inode}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ netns: t.netns, line });
    }
  }
  return out;
}

export const packetSocketsCollector = defineCollector({
  id: 'packet-sockets',
  title: 'Raw packet sockets',
  description: 'AF_PACKET sockets from /proc/net/packet (every network namespace the processes show), tied to their processes by socket inode.',
  liveOnly: true,
  volatile: true,
  needsRoot: true,
  artifacts: ['artifacts/packet-sockets.jsonl'],
  provides: ['packetSockets'],
  reads: ['processes'],
  async collect(ctx) {
    const proc = ctx.host.proc;
    if (!proc) return { sources: [sourceSkipped('packet-sockets', 'no /proc to read')] };
    const processes = ctx.facts.processes ?? [];
    const sources: SourceStatus[] = [];
    const errors: string[] = [];
    const first = readTables(proc, processes, errors);
    let kept = first;
    if (first.length > 0) {
      // Only a socket still open a moment later counts: a DHCP client's short-lived one is gone by then.
      await new Promise((r) => setTimeout(r, RECHECK_DELAY_MS));
      const again = new Set(readTables(proc, processes, []).map((s) => `${s.netns}:${s.line.inode}`));
      kept = first.filter((s) => again.has(`${s.netns}:${s.line.inode}`));
    }
    const byInode = new Map<number, ProcessRecord[]>();
    for (const p of processes) for (const inode of p.socketInodes) byInode.set(inode, [...(byInode.get(inode) ?? []), p]);
    const packetSockets: PacketSocketRecord[] = kept.map(({ netns, line }) => ({
      inode: line.inode,
      protocol: line.protocol,
      type: line.type,
      ifindex: line.ifindex,
      uid: line.uid,
      netns,
      owners: (byInode.get(line.inode) ?? []).map((p) => ({ pid: p.pid, comm: p.comm, exe: p.exe, exeDeleted: p.exeDeleted, user: p.user })),
    }));
    await ctx.sink.writeJsonl('artifacts/packet-sockets.jsonl', packetSockets);
    sources.push(errors.length > 0 ? sourceError('packet-sockets', errors.join('; '), 'artifacts/packet-sockets.jsonl') : sourceOk('packet-sockets', 'artifacts/packet-sockets.jsonl', `${packetSockets.length} packet socket(s)`));
    return { facts: { packetSockets }, sources };
  },
});
