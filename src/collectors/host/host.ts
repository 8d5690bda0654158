import type { HostRecord } from '../../model/host.js';
import { sourceError, sourceOk, sourceSkipped, type SourceStatus } from '../../model/source.js';
import { describeFsError } from '../../host/rooted-fs.js';
import { defineCollector, type CollectContext } from '../types.js';
import { parseOsRelease, zoneFromLocaltimeLink } from './parse-os-release.js';

const SI_TIMEOUT_MS = 10_000;

/** systeminformation shells out and can hang; a call that does not answer in time is an error, not a hang. */
async function withTimeout<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${SI_TIMEOUT_MS} ms`)), SI_TIMEOUT_MS);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function readFirstLine(ctx: CollectContext, file: string, sources: SourceStatus[], id: string): Promise<string | null> {
  try {
    const text = await ctx.host.fs.readText(file, 64 * 1024);
    sources.push(sourceOk(id, file));
    return text.split('\n')[0].trim() || null;
  } catch (err) {
    const message = describeFsError(err, file);
    sources.push(message.startsWith('ENOENT') ? sourceSkipped(id, 'not present', file) : sourceError(id, message, file));
    return null;
  }
}

/**
 * The host description. Identity comes from raw files through the root (so an image describes
 * itself); live, systeminformation adds interfaces and disks — never processes, users or
 * connections, which it would take from the box's own tools.
 */
export const hostCollector = defineCollector({
  id: 'host',
  title: 'Host description',
  description: 'Hostname, OS, kernel, boot and uptime, time zone, interfaces and disks.',
  liveOnly: false,
  needsRoot: false,
  artifacts: ['artifacts/host.json'],
  provides: ['host'],
  reads: [],
  async collect(ctx) {
    const sources: SourceStatus[] = [];
    const { fs } = ctx.host;
    const live = ctx.host.mode === 'live';
    const record: HostRecord = {
      hostname: '',
      os: { distro: null, release: null, codename: null, kernel: null, arch: null },
      machineId: null,
      bootId: null,
      bootTime: null,
      uptimeSeconds: null,
      timezone: null,
      interfaces: [],
      disks: [],
    };

    record.hostname = (await readFirstLine(ctx, '/etc/hostname', sources, 'host.hostname')) ?? '';
    record.machineId = await readFirstLine(ctx, '/etc/machine-id', sources, 'host.machine-id');
    try {
      const osr = parseOsRelease(await fs.readText('/etc/os-release', 64 * 1024));
      record.os.distro = osr.PRETTY_NAME ?? osr.NAME ?? null;
      record.os.release = osr.VERSION_ID ?? null;
      record.os.codename = osr.VERSION_CODENAME ?? null;
      sources.push(sourceOk('host.os-release', '/etc/os-release'));
    } catch (err) {
      sources.push(sourceError('host.os-release', describeFsError(err, '/etc/os-release'), '/etc/os-release'));
    }
    record.timezone = await readFirstLine(ctx, '/etc/timezone', sources, 'host.timezone');
    if (!record.timezone) {
      try {
        record.timezone = zoneFromLocaltimeLink(await fs.resolve('/etc/localtime'));
      } catch {
        // No zone information in the image: left unknown.
      }
    }

    if (ctx.host.proc) {
      const proc = ctx.host.proc;
      try {
        record.bootId = (await proc.readText('sys/kernel/random/boot_id')).trim();
        const uptime = Number((await proc.readText('uptime')).split(' ')[0]);
        record.uptimeSeconds = Number.isFinite(uptime) ? uptime : null;
        const btime = /^btime (\d+)$/m.exec(await proc.readText('stat'));
        record.bootTime = btime ? new Date(Number(btime[1]) * 1000).toISOString() : null;
        record.os.kernel = (await proc.readText('sys/kernel/osrelease')).trim();
        sources.push(sourceOk('host.proc', proc.dir));
      } catch (err) {
        sources.push(sourceError('host.proc', describeFsError(err, proc.dir), proc.dir));
      }
    } else {
      sources.push(sourceSkipped('host.proc', 'offline: no running kernel to read'));
    }

    if (live) {
      try {
        // Loaded when the live host is described, not at start-up: the processes and sockets are read first.
        const { default: si } = await import('systeminformation');
        const [osInfo, time, ifaces, disks] = await Promise.all([
          withTimeout('systeminformation osInfo', si.osInfo()),
          withTimeout('systeminformation time', Promise.resolve(si.time())),
          withTimeout('systeminformation networkInterfaces', si.networkInterfaces()),
          withTimeout('systeminformation fsSize', si.fsSize()),
        ]);
        record.os.arch = osInfo.arch || null;
        record.os.kernel ??= osInfo.kernel || null;
        record.os.distro ??= osInfo.distro || null;
        if (!record.hostname) record.hostname = osInfo.hostname;
        record.timezone ??= time.timezone || null;
        const list = Array.isArray(ifaces) ? ifaces : [ifaces];
        record.interfaces = list.map((i) => ({ name: i.iface, ip4: i.ip4 || null, ip6: i.ip6 || null, mac: i.mac || null }));
        record.disks = disks.map((d) => ({ fs: d.fs, type: d.type, mount: d.mount, sizeBytes: d.size, usedBytes: d.used }));
        sources.push(sourceOk('host.systeminformation'));
      } catch (err) {
        sources.push(sourceError('host.systeminformation', (err as Error).message));
      }
    } else {
      sources.push(sourceSkipped('host.systeminformation', 'offline: interfaces and disks describe the examiner\'s machine, not the image'));
    }

    await ctx.sink.writeFile('artifacts/host.json', JSON.stringify(record, null, 2) + '\n');
    return { facts: { host: record }, sources };
  },
});
