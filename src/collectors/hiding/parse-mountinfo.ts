/** One line of /proc/PID/mountinfo (proc_pid_mountinfo(5)). */
export interface MountInfoLine {
  mountId: number;
  parentId: number;
  /** major:minor of the file system. */
  device: string;
  /** The folder of the file system mounted here (a bind mount's source folder). */
  root: string;
  mountPoint: string;
  options: string;
  fsType: string;
  source: string;
  superOptions: string;
  /** The line as the kernel wrote it. */
  line: string;
}

/** mountinfo escapes space, tab, newline and backslash as three octal digits. */
export function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * Parses mountinfo text; lines that are not in its shape are skipped.
 * `36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue`
 */
export function parseMountInfo(text: string): MountInfoLine[] {
  const out: MountInfoLine[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const fields = line.split(' ');
    const dash = fields.indexOf('-', 6);
    if (fields.length < 10 || dash < 0 || dash + 3 > fields.length) continue;
    const mountId = Number(fields[0]);
    const parentId = Number(fields[1]);
    if (!Number.isInteger(mountId) || !Number.isInteger(parentId)) continue;
    out.push({
      mountId,
      parentId,
      device: fields[2],
      root: unescapeMountField(fields[3]),
      mountPoint: unescapeMountField(fields[4]),
      options: fields[5],
      fsType: unescapeMountField(fields[dash + 1]),
      source: unescapeMountField(fields[dash + 2]),
      superOptions: fields[dash + 3] ?? '',
      line,
    });
  }
  return out;
}

/**
 * Mounts at or below a process folder of a proc file system: `/proc/4242` when procfs is mounted
 * on /proc. Returns the pid each one covers.
 */
export function mountsOverPids(lines: MountInfoLine[]): Array<{ pid: number; mount: MountInfoLine }> {
  const procPoints = lines.filter((l) => l.fsType === 'proc').map((l) => l.mountPoint.replace(/\/+$/, ''));
  const out: Array<{ pid: number; mount: MountInfoLine }> = [];
  for (const mount of lines) {
    for (const point of procPoints) {
      const prefix = point === '' ? '/' : `${point}/`;
      if (!mount.mountPoint.startsWith(prefix)) continue;
      const first = mount.mountPoint.slice(prefix.length).split('/')[0];
      if (/^[1-9]\d{0,9}$/.test(first)) {
        out.push({ pid: Number(first), mount });
        break;
      }
    }
  }
  return out;
}
