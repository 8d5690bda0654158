/** Path facts the process rules share. */

/** Folders any user can write to: an executable there was put there, not installed. */
export const WRITABLE_DIRS = ['/tmp', '/var/tmp', '/dev/shm', '/run/shm', '/var/lock', '/run/lock'];

/** Folders the package manager owns. */
const SYSTEM_PREFIXES = ['/usr/', '/bin/', '/sbin/', '/lib/', '/lib64/', '/lib32/', '/opt/'];

export function isUnder(p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

export function inWritableDir(p: string): string | null {
  return WRITABLE_DIRS.find((d) => isUnder(p, d)) ?? null;
}

export function inSystemDir(p: string): boolean {
  return SYSTEM_PREFIXES.some((d) => p.startsWith(d));
}

/**
 * The first folder component that looks hidden: a dot-name, or the classic tricks `.`, `..`, `...`
 * and `.. ` (dot-dot-space), which read like a parent folder in a listing. Only folders count,
 * not the file name itself.
 */
export function hiddenComponent(p: string): string | null {
  const parts = p.split('/').slice(1, -1);
  return parts.find((c) => c.startsWith('.')) ?? null;
}

/** Names made to look like `..`: whitespace or extra dots. They are never legitimate. */
export function isDeceptiveName(component: string): boolean {
  return /^\.+\s*$/.test(component) || /^\.+\s+\S*/.test(component) || /^\s/.test(component) || /\s$/.test(component);
}

/** /usr-merged systems reach the same file as /sbin/x and /usr/sbin/x. */
export function samePath(a: string, b: string): boolean {
  const norm = (p: string) => p.replace(/^\/usr\//, '/');
  return norm(a) === norm(b);
}

/** The folder holding a file. */
export function folderOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}
