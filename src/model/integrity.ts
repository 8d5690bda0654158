/**
 * The integrity collector's records: the box's own tools (ps, ss, sshd, libkeyutils…) and every
 * binary and library of the packages that ship them, checked against the package database.
 */

/**
 * ok: content matches the package database; modified: it does not (or a packaged link now leads
 * to a file no package ships, or a link stands where the package ships a file); missing: the
 * package ships it and it is gone; not-packaged: on disk, but no package owns it; unreadable:
 * could not be hashed; diverted: moved aside with dpkg-divert, so the file at this path is not
 * the package's; unverified: hashed, but there is no package database to compare with.
 */
export type IntegrityStatus = 'ok' | 'modified' | 'missing' | 'not-packaged' | 'unreadable' | 'diverted' | 'unverified';

/** One checked file (artifacts/integrity.jsonl). */
export interface IntegrityRecord {
  /** The path as the package names it (/bin/ps on Debian 12), or as found on disk for unpackaged files. */
  path: string;
  /** Where it really lies once folder links (/bin → /usr/bin) and the file's own link are followed; null when missing. */
  realPath: string | null;
  /** Tool names this file answers to (ps, sshd, libkeyutils.so.1…); empty for the other files of the same packages. */
  tools: string[];
  /** The owning package (Debian: the .list file's name, `libc6:amd64` for multi-arch packages); null when none owns it. */
  package: string | null;
  packageVersion: string | null;
  /** dpkg's state of the package (installed, unpacked, half-installed…); anything but installed means an upgrade did not finish. */
  packageState: string | null;
  status: IntegrityStatus;
  /** Why the status is what it is, in one line (null for ok). */
  reason: string | null;
  /** The package database the file was checked against, read as files (dpkg's lists and md5sums, rpm's rpmdb.sqlite); null when none. */
  packageDb: 'dpkg' | 'rpm' | null;
  /** md5 the package database holds for this file (Debian's md5sums; rpm databases from before sha256). */
  expectedMd5: string | null;
  /** sha256 the package database holds for this file (rpm's file digests). */
  expectedSha256: string | null;
  md5: string | null;
  sha256: string | null;
  size: number | null;
  /** Permission bits in octal, with setuid/setgid/sticky (e.g. "4755"). */
  mode: string | null;
  uid: number | null;
  gid: number | null;
  /** User name of uid, from the box's /etc/passwd. */
  owner: string | null;
  mtime: string | null;
  ctime: string | null;
  /** Creation time where the file system records one (statx), else null. */
  birth: string | null;
  /** setuid or setgid bit set where neither the usual setuid programs nor dpkg-statoverride explain it. */
  unexpectedSetuid: boolean;
  /** For an unpackaged file: the packaged file of the same name it comes before in PATH (or beside, for libraries). */
  shadows: string | null;
  /** The dpkg-divert entry for this path: where the package's file went and who diverted it (`:` is the admin). */
  diversion: { to: string; by: string } | null;
  /**
   * The box's own package verifier (`dpkg --verify`, `rpm -V`), live: the flags it printed for
   * this file (null: it printed nothing, i.e. found no problem), and whether that agrees with
   * our own comparison. Null when it did not run.
   */
  secondView: { tool: 'dpkg --verify' | 'rpm -V'; flags: string | null; agrees: boolean } | null;
  /** Running processes (root /) whose executable is this file, live. */
  runningPids: number[];
  /** Of those, the ones whose executable's sha256 (read through /proc/PID/exe) differs from this file's. */
  runningMismatchPids: number[];
  /** Where a flagged file was preserved in the bundle (files/integrity/…). */
  preserved: string | null;
}
