/**
 * Parses the output of the box's own `ps`, for the cross-view against /proc (a pid in /proc that
 * ps does not list hints at a userland rootkit). Two layouts are understood:
 *
 *  - `ps -eo pid=,ppid=,user=,stat=,comm=` (no header; `args=` instead of `comm=` works too), or the
 *    same columns with their header (`ps -eo pid,ppid,user,stat,comm`); not with `--forest`, and
 *    leading spaces of a comm cannot be told from the column padding;
 *  - `ps aux`, `ps auxww`, `ps auxwwf` (header USER PID %CPU %MEM VSZ RSS TTY STAT START TIME COMMAND),
 *    where COMMAND may contain spaces and, with `f`, is preceded by the forest art.
 *
 * Run ps with LC_ALL=C: in other locales START may be printed with spaces.
 */

export interface PsRow {
  pid: number;
  /** Only in the -eo layout; `ps aux` has no PPID column. */
  ppid?: number;
  /** As ps prints it: a name, a numeric uid, or a long name cut to 7 characters plus "+". */
  user: string;
  stat: string;
  /** comm or the command line as ps prints it (non-printable characters shown as "?"), forest art removed. */
  command: string;
}

const AUX_HEADER = /^\s*USER\s+PID\s+%CPU\s+%MEM\s+VSZ\s+RSS\s+TTY\s+STAT\s+START\s+TIME\s+COMMAND\s*$/;
const EO_HEADER = /^\s*PID\s+PPID\s+USER\s+STAT\s+(?:COMMAND|COMM|CMD|ARGS)\s*$/;

// USER PID %CPU %MEM VSZ RSS TTY STAT START TIME, then one space and COMMAND (kept as is).
const AUX_ROW =
  /^(\S+)\s+(\d+)\s+(\d+(?:[.,]\d+)?)\s+(\d+(?:[.,]\d+)?)\s+(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+) (.*)$/;
const EO_ROW = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(.*)$/;

/**
 * procps draws the forest in 4-character units: "    " or " |  " for each ancestor level, then
 * " \_ " before the command. Top-level processes have none.
 */
const FOREST = /^(?: {4}| \| {2})* \\_ /;

/** Removes the `ps f` forest art in front of a command. */
export function stripForest(command: string): string {
  return command.replace(FOREST, '');
}

/**
 * Parses ps output (layout detected from the first non-empty line). Throws an Error with the
 * line number on a line that does not fit the layout.
 */
export function parsePs(text: string): PsRow[] {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const first = lines.findIndex((l) => l.trim() !== '');
  if (first < 0) return [];
  const rows: PsRow[] = [];
  if (AUX_HEADER.test(lines[first])) {
    for (let i = first + 1; i < lines.length; i++) {
      const line = lines[i];
      if (line.trim() === '') continue;
      const m = AUX_ROW.exec(line);
      if (!m) throw new Error(`ps output line ${i + 1} does not fit the aux layout: ${JSON.stringify(line)}`);
      rows.push({ pid: Number(m[2]), user: m[1], stat: m[8], command: stripForest(m[11]) });
    }
    return rows;
  }
  const start = EO_HEADER.test(lines[first]) ? first + 1 : first;
  for (let i = start; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    const m = EO_ROW.exec(line);
    if (!m) {
      throw new Error(`ps output line ${i + 1} does not fit the pid,ppid,user,stat,comm layout: ${JSON.stringify(line)}`);
    }
    rows.push({ pid: Number(m[1]), ppid: Number(m[2]), user: m[3], stat: m[4], command: m[5] });
  }
  return rows;
}
