/**
 * The host description: what the host collector learns about the machine.
 * Times are ISO 8601 UTC strings. Each field carries a one-line description; docs/artifacts.md is written from these.
 */

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
