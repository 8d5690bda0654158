/**
 * systemd unit files as systemd.syntax(7) reads them: `[Section]` headers, `Key=Value` lines,
 * comments starting with `#` or `;`, a trailing backslash continuing the line (comment lines inside
 * a continuation are skipped), drop-ins (`NAME.d/*.conf`) applied after the unit in file-name
 * order, an empty assignment resetting a list (`ExecStart=` before a new `ExecStart=`). Pure.
 */
import { lex } from '../persistence/parse-command.js';

export interface UnitSetting {
  section: string;
  key: string;
  value: string;
  /** The file and 1-based line where the setting starts. */
  file: string;
  line: number;
}

/** Every setting of one file, in order. */
export function parseUnitFile(text: string, file: string): UnitSetting[] {
  const out: UnitSetting[] = [];
  const lines = text.split('\n');
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i].replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    if (line.startsWith('[')) {
      const end = line.indexOf(']');
      section = end > 0 ? line.slice(1, end) : line.slice(1);
      continue;
    }
    while (line.endsWith('\\') && i + 1 < lines.length) {
      line = `${line.slice(0, -1)} `;
      // Comment lines inside a continued value are skipped, as systemd does.
      while (i + 1 < lines.length && /^\s*[#;]/.test(lines[i + 1])) i++;
      if (i + 1 >= lines.length) break;
      i++;
      line += lines[i].replace(/\r$/, '').trim();
    }
    if (line.endsWith('\\')) line = line.slice(0, -1);
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    out.push({ section, key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim(), file, line: start + 1 });
  }
  return out;
}

/** Keys whose every assignment adds to a list (an empty one clears it). */
const LIST_KEYS = new Set([
  'ExecStart', 'ExecStartPre', 'ExecStartPost', 'ExecReload', 'ExecStop', 'ExecStopPost', 'ExecCondition',
  'Environment', 'EnvironmentFile', 'OnCalendar', 'OnBootSec', 'OnStartupSec', 'OnActiveSec', 'OnUnitActiveSec', 'OnUnitInactiveSec',
  'WantedBy', 'RequiredBy', 'Also', 'Alias',
]);

export type MergedUnit = Map<string, UnitSetting[]>;

/** The unit after its drop-ins: `Section.Key` → the settings in force (the last one for single-valued keys). */
export function mergeUnit(files: Array<{ file: string; text: string }>): MergedUnit {
  const merged: MergedUnit = new Map();
  for (const { file, text } of files) {
    for (const s of parseUnitFile(text, file)) {
      const k = `${s.section}.${s.key}`;
      if (!LIST_KEYS.has(s.key)) {
        merged.set(k, [s]);
        continue;
      }
      if (s.value === '') merged.set(k, []);
      else merged.set(k, [...(merged.get(k) ?? []), s]);
    }
  }
  return merged;
}

export function lastValue(u: MergedUnit, key: string): string | null {
  const v = u.get(key);
  return v && v.length ? v[v.length - 1].value : null;
}

export interface ExecLine {
  /** The special prefixes as written: `-` (failure ignored), `@` (argv[0] given), `+`/`!`/`!!` (privileges), `:` (no variable expansion), `|` (login shell). */
  prefixes: string;
  /** The executable: the first word after the prefixes. */
  path: string;
  /** The command without its prefixes. */
  command: string;
  argv: string[];
}

/** One Exec*= value: prefixes, executable and words (systemd quotes like the shell). */
export function parseExec(value: string): ExecLine {
  const m = /^([-@:+!|]*)\s*(.*)$/s.exec(value.trim())!;
  const command = m[2];
  const argv = lex(command)
    .filter((t) => t.t === 'word')
    .map((t) => (t as { v: string }).v);
  // With `@`, the second word is what the process sees as argv[0]: the executable is still the first.
  return { prefixes: m[1], path: argv[0] ?? '', command, argv };
}

/** `Environment=` words: `A=1 "B=two words"` → [A, 1], [B, two words]. */
export function parseEnvironment(value: string): Array<{ name: string; value: string }> {
  const out: Array<{ name: string; value: string }> = [];
  for (const t of lex(value)) {
    if (t.t !== 'word') continue;
    const eq = t.v.indexOf('=');
    if (eq > 0) out.push({ name: t.v.slice(0, eq), value: t.v.slice(eq + 1) });
  }
  return out;
}

/** The unit a file name defines: `foo.service`, `getty@.service` (template), or null for other files. */
export function unitName(fileName: string): { name: string; type: string } | null {
  const m = /^([^/]+)\.(service|socket|timer|path|target|mount|automount|swap|slice|scope|device)$/.exec(fileName);
  return m ? { name: fileName, type: m[2] } : null;
}

/** `getty@tty1.service` → `getty@.service`; other names unchanged. */
export function templateOf(name: string): string {
  return name.replace(/@[^.]*\./, '@.');
}
