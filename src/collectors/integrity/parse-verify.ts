/**
 * Pure parsers for the box's own package verifiers, `dpkg --verify` and `rpm -V`: the second
 * view beside our own reading of the package database.
 */

/** The columns of rpm's verify string, in order; dpkg prints the same layout. */
export const VERIFY_COLUMNS = [
  { letter: 'S', check: 'size' },
  { letter: 'M', check: 'mode' },
  { letter: '5', check: 'digest' },
  { letter: 'D', check: 'device' },
  { letter: 'L', check: 'link' },
  { letter: 'U', check: 'user' },
  { letter: 'G', check: 'group' },
  { letter: 'T', check: 'mtime' },
  { letter: 'P', check: 'capabilities' },
] as const;

export type VerifyCheck = (typeof VERIFY_COLUMNS)[number]['check'];
/** `.` passed, `?` not checked (dpkg checks only the digest), the letter: failed. */
export type CheckResult = 'pass' | 'fail' | 'unchecked';

export interface VerifyLine {
  /** The flag field as printed: nine columns, or `missing`. */
  flags: string;
  missing: boolean;
  /** Per column; every column unchecked for a missing file. */
  checks: Record<VerifyCheck, CheckResult>;
  /** The file attribute: `c` for a conffile (rpm also d doc, g ghost, l license, r readme); null when blank. */
  attr: string | null;
  path: string;
  /** Why a file counts as missing when it is not simply absent (`Permission denied`). */
  error: string | null;
}

export interface VerifyParse {
  lines: VerifyLine[];
  /** Lines of another shape (warnings, `package 'x' is not installed`). */
  other: string[];
}

function readChecks(flags: string): Record<VerifyCheck, CheckResult> | null {
  const checks = {} as Record<VerifyCheck, CheckResult>;
  for (const [i, col] of VERIFY_COLUMNS.entries()) {
    const c = flags[i];
    if (c === undefined) checks[col.check] = 'unchecked';
    else if (c === '.') checks[col.check] = 'pass';
    else if (c === '?') checks[col.check] = 'unchecked';
    else if (c === col.letter) checks[col.check] = 'fail';
    else return null;
  }
  return checks;
}

function allUnchecked(): Record<VerifyCheck, CheckResult> {
  return Object.fromEntries(VERIFY_COLUMNS.map((c) => [c.check, 'unchecked'])) as Record<VerifyCheck, CheckResult>;
}

/** ` (Permission denied)` after a missing file's name: the errno when it was not ENOENT. */
function splitError(rest: string): { path: string; error: string | null } {
  const m = / \(([^()/]+)\)$/.exec(rest);
  return m ? { path: rest.slice(0, m.index), error: m[1] } : { path: rest, error: null };
}

/**
 * `dpkg --verify` in its only format (rpm's): `printf("%.9s %c %s%s\n", flags, attr, path,
 * error)`, the flags being nine columns of which dpkg fills only the digest, or `missing  `.
 * `??5?????? c /etc/ssh/sshd_config`, `??5??????   /usr/bin/ps`, `missing     /usr/bin/tload`
 */
export function parseDpkgVerify(text: string): VerifyParse {
  const out: VerifyParse = { lines: [], other: [] };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const m = /^(.{9}) ([ c]) (\/.*)$/s.exec(line);
    if (!m) {
      out.other.push(line);
      continue;
    }
    const attr = m[2] === 'c' ? 'c' : null;
    if (m[1] === 'missing  ') {
      const { path, error } = splitError(m[3]);
      out.lines.push({ flags: 'missing', missing: true, checks: allUnchecked(), attr, path, error });
      continue;
    }
    const checks = readChecks(m[1]);
    if (!checks) {
      out.other.push(line);
      continue;
    }
    out.lines.push({ flags: m[1], missing: false, checks, attr, path: m[3], error: null });
  }
  return out;
}

/**
 * `rpm -V`: `%s  %s %s` (flags, attribute letters, path) or `missing   %c %s`; rpm 4.x prints
 * nine columns, older ones eight (no P).
 * `S.5....T.  c /etc/ssh/sshd_config`, `..5......    /usr/bin/ps`, `missing     /usr/bin/ss`
 */
export function parseRpmVerify(text: string): VerifyParse {
  const out: VerifyParse = { lines: [], other: [] };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const missing = /^missing {2,3}([a-zA-Z ]) (\/.*)$/s.exec(line);
    if (missing) {
      const { path, error } = splitError(missing[2]);
      out.lines.push({ flags: 'missing', missing: true, checks: allUnchecked(), attr: missing[1].trim() || null, path, error });
      continue;
    }
    const m = /^([SM5DLUGTP.?]{8,9}) {2}([a-zA-Z]*) +(\/.*)$/s.exec(line);
    const checks = m ? readChecks(m[1]) : null;
    if (!m || !checks) {
      out.other.push(line);
      continue;
    }
    out.lines.push({ flags: m[1], missing: false, checks, attr: m[2] || null, path: m[3], error: null });
  }
  return out;
}

/** The content differs: the digest column failed (or a link points elsewhere). */
export function contentChanged(line: VerifyLine): boolean {
  return line.checks.digest === 'fail' || line.checks.link === 'fail';
}
