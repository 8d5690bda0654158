/**
 * The bodyfile format of The Sleuth Kit 3.x, which mactime, UAC and Plaso read:
 * `MD5|name|inode|mode_as_string|UID|GID|size|atime|mtime|ctime|crtime`, times in Unix seconds
 * (0 when unknown). Pure.
 */
import type { ChangedFile } from '../../model/activity.js';

const TYPE_CHAR: Record<ChangedFile['type'], string> = { file: '-', dir: 'd', link: 'l', other: '-' };

/** `-rwsr-xr-x` as ls prints it (set-id and sticky bits included). */
export function modeString(type: ChangedFile['type'], mode: number): string {
  const bit = (m: number, c: string) => (mode & m ? c : '-');
  const special = (x: number, s: number, lower: string, upper: string) => (mode & s ? (mode & x ? lower : upper) : mode & x ? 'x' : '-');
  return (
    TYPE_CHAR[type] +
    bit(0o400, 'r') + bit(0o200, 'w') + special(0o100, 0o4000, 's', 'S') +
    bit(0o40, 'r') + bit(0o20, 'w') + special(0o10, 0o2000, 's', 'S') +
    bit(0o4, 'r') + bit(0o2, 'w') + special(0o1, 0o1000, 't', 'T')
  );
}

/** A name made safe for one `|`-separated line: `|`, `%`, and control characters percent-encoded. */
export function bodyfileName(name: string): string {
  return name.replace(/[|%\u0000-\u001f\u007f]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

function secs(iso: string | null): number {
  if (!iso) return 0;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? Math.floor(t / 1000) : 0;
}

export function bodyfileLine(f: ChangedFile): string {
  return bodyfileLineAt(f, secs(f.atime), secs(f.mtime), secs(f.ctime), secs(f.btime));
}

/** bodyfileLine with the four times given in Unix seconds (the sweep has them as numbers). */
export function bodyfileLineAt(f: ChangedFile, atime: number, mtime: number, ctime: number, btime: number): string {
  const name = bodyfileName(f.linkTarget !== null ? `${f.path} -> ${f.linkTarget}` : f.path);
  return `${f.md5 ?? '0'}|${name}|${f.ino}|${modeString(f.type, f.mode)}|${f.uid}|${f.gid}|${f.size}|${atime}|${mtime}|${ctime}|${btime}\n`;
}
