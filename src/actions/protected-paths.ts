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
