import type { CommandResult } from '../host/exec.js';
import type { AuthEvent, ConnectionRecord, ProcessCrossView, ProcessRecord, SessionRecord, ToolHit, UtmpRecord } from './records.js';

/** The host description (artifacts/host.json). */
export interface HostRecord {
  hostname: string;
  os: { distro: string | null; release: string | null; codename: string | null; kernel: string | null; arch: string | null };
  machineId: string | null;
  bootId: string | null;
  bootTime: string | null;
  uptimeSeconds: number | null;
  timezone: string | null;
  interfaces: Array<{ name: string; ip4: string | null; ip6: string | null; mac: string | null }>;
  disks: Array<{ fs: string; type: string; mount: string; sizeBytes: number; usedBytes: number }>;
}

/**
 * What collectors learned, in memory, for the rules. Each collector fills its own keys; a rule
 * runs only when the keys it needs are present.
 */
export interface Facts {
  host?: HostRecord;
  processes?: ProcessRecord[];
  /** Our own process and the commands it started: never reported. */
  selfPids?: number[];
  /** Known-tool list hits, by pid. */
  toolHits?: ToolHit[];
  /** /proc against the box's ps. */
  processCrossView?: ProcessCrossView;
  /** Entries of /etc/ld.so.preload (null when the file does not exist). */
  ldSoPreload?: string[] | null;
  connections?: ConnectionRecord[];
  sessions?: SessionRecord[];
  utmp?: UtmpRecord[];
  authEvents?: AuthEvent[];
  /** Raw results of the box's own tools, by command name (ps-auxwwf, ss-tanp, …). */
  commands?: Record<string, CommandResult>;
  /** SSH ports in force: 22, the box's sshd_config, and --ssh-port. */
  sshPorts?: number[];
  [key: string]: unknown;
}
