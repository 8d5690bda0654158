import { lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Folders quarantine refuses without --force: chmod a-rx on them breaks the box (or a user's
 * whole home) rather than containing anything. Paths are real paths as seen inside the root.
 */

/** The system roots: each of them and every folder directly inside it (/usr/bin, /var/log, /etc/ssh, /home/alice). */
const SYSTEM_ROOTS = ['/bin', '/etc', '/home', '/lib', '/lib32', '/lib64', '/libx32', '/run', '/sbin', '/srv', '/usr', '/var'];
/** Kernel and boot trees: nothing inside them is a malware folder we should chmod. */
const WHOLE_TREES = ['/proc', '/sys', '/dev', '/boot'];
/** Writable trees inside WHOLE_TREES where malware does hide: what lies below them may be quarantined. */
const WRITABLE_INSIDE = ['/dev/shm', '/dev/mqueue'];
/** Library and data folders whose plain (not dot-named) subfolders belong to packages: /usr/lib/x86_64-linux-gnu, /var/lib/dpkg. */
const PACKAGE_TREES = ['/usr/lib', '/usr/lib32', '/usr/lib64', '/usr/libx32', '/usr/libexec', '/usr/local', '/usr/share', '/var/lib', '/var/spool', '/var/cache'];

function under(p: string, dir: string): boolean {
  return p === dir || p.startsWith(`${dir}/`);
}

/** Why a folder may not be quarantined without --force, or null when it may. */
export function protectedReason(realPath: string): string | null {
  const p = realPath.length > 1 ? realPath.replace(/\/+$/, '') : realPath;
  if (p === '/') return '/ is the whole system';
  const parts = p.split('/').filter(Boolean);
  if (parts.length === 1) return `${p} is a top-level system folder`;
  const inWritable = WRITABLE_INSIDE.find((w) => p.startsWith(`${w}/`));
  if (!inWritable) {
    const tree = WHOLE_TREES.find((t) => under(p, t));
    if (tree) return `${p} lies in ${tree}, which belongs to the kernel and the boot`;
  } else return null;
  const root = `/${parts[0]}`;
  if (SYSTEM_ROOTS.includes(root) && parts.length === 2) {
    return root === '/home' ? `${p} is a whole home folder` : `${p} is a system folder`;
  }
  const pkg = PACKAGE_TREES.find((t) => p.startsWith(`${t}/`) && p.split('/').length === t.split('/').length + 1);
  if (pkg && !parts[parts.length - 1].startsWith('.')) return `${p} is a package folder in ${pkg}`;
  return null;
}

/** Deeper folders whose loss of r/x breaks boot, logins, packages or services, whatever name reaches them. */
const DEEPER = [
  '/etc/systemd/system', '/etc/systemd/user', '/etc/systemd/network', '/usr/lib/systemd/system', '/usr/lib/systemd/user', '/lib/systemd/system', '/lib/systemd/user',
  '/usr/local/lib/systemd/system', '/run/systemd/system', '/usr/lib/modules', '/lib/modules', '/var/lib/dpkg', '/var/lib/apt', '/var/lib/systemd', '/var/lib/dbus',
  '/var/spool/cron/crontabs', '/root/.ssh', '/etc/ssh', '/etc/pam.d', '/etc/sudoers.d', '/etc/security', '/etc/ld.so.conf.d', '/usr/local/bin', '/usr/local/sbin',
];

/** A folder's identity: the same folder under any name (a bind mount, another mount of its filesystem) has it. */
export type DevIno = `${string}:${string}`;

/** What quarantine refuses by identity: device:inode → why, and devices that belong to the kernel as a whole. */
export interface ProtectedSet {
  inodes: Map<DevIno, string>;
  devices: Map<string, string>;
}

function devIno(st: { dev: bigint; ino: bigint }): DevIno {
  return `${st.dev}:${st.ino}`;
}

/**
 * The device and inode of every protected folder, found by name under each root given (the
 * system's /, and the image's root for a movable root): the checks that follow use these, so a
 * bind mount of /etc, or /usr/lib/systemd/system reached by another name, is still /etc.
 */
export function protectedSet(roots: string[]): ProtectedSet {
  const inodes = new Map<DevIno, string>();
  const devices = new Map<string, string>();
  for (const root of [...new Set(roots.map((r) => path.resolve(r)))]) {
    const host = (p: string) => (root === '/' ? p : path.join(root, p));
    const add = (p: string, follow = false) => {
      try {
        const st = follow ? statSync(host(p), { bigint: true }) : lstatSync(host(p), { bigint: true });
        if (!st.isDirectory()) return;
        const key = devIno(st);
        if (!inodes.has(key)) inodes.set(key, protectedReason(p) ?? `${p} is a protected system folder`);
      } catch {
        // not on this system
      }
    };
    const children = (dir: string): string[] => {
      try {
        return readdirSync(host(dir)).map((n) => path.posix.join(dir, n));
      } catch {
        return [];
      }
    };
    add('/', true);
    for (const top of children('/')) add(top, true);
    for (const r of [...SYSTEM_ROOTS, '/boot']) for (const c of children(r)) add(c);
    for (const t of PACKAGE_TREES) for (const c of children(t)) if (!path.posix.basename(c).startsWith('.')) add(c);
    for (const d of DEEPER) add(d, true);
    for (const h of homes(host('/etc/passwd'))) add(h, true);
    let rootDev: bigint | null = null;
    try {
      rootDev = statSync(host('/'), { bigint: true }).dev;
    } catch {
      rootDev = null;
    }
    for (const t of ['/proc', '/sys', '/dev', '/boot']) {
      try {
        const st = statSync(host(t), { bigint: true });
        if (rootDev !== null && st.dev !== rootDev) devices.set(String(st.dev), `lies on the filesystem of ${t}, which belongs to the kernel and the boot`);
      } catch {
        // not mounted here
      }
    }
  }
  return { inodes, devices };
}

/** Home folders of the accounts in a passwd file (not / and not the usual "no home" names). */
function homes(passwd: string): string[] {
  let text: string;
  try {
    text = readFileSync(passwd, 'utf8').slice(0, 4 * 1024 * 1024);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const home = line.split(':')[5];
    if (home && home.startsWith('/') && home !== '/' && !/^\/(nonexistent|dev\/null)$/.test(home)) out.push(path.posix.normalize(home));
  }
  return out;
}

/** Why a folder (by its device and inode) may not be quarantined, or null. */
export function protectedIdentity(set: ProtectedSet, st: { dev: bigint; ino: bigint }): string | null {
  return set.inodes.get(devIno(st)) ?? (set.devices.has(String(st.dev)) ? set.devices.get(String(st.dev))! : null);
}
