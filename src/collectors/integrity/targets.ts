import { SAFE_PATH } from '../../host/exec.js';
import { SSHD_EXES } from '../../model/sshd-exes.js';

/**
 * What the integrity collector checks. Every path is inside the root, so an image mounted with
 * --root is read the same way as the running box. The packages that own these files are then
 * verified whole: procps ships ps, so pgrep, top, w and pwdx are checked as well.
 */
export interface IntegrityTargets {
  /** Command names looked up in every folder of `pathDirs`: the tools a responder (and ir-triage) runs. */
  tools: string[];
  /** Folders searched for `tools`, in the order a shell's PATH tries them. */
  pathDirs: string[];
  /** Files checked wherever they exist (sshd's per-session helpers). */
  fixedPaths: string[];
  /** Library names looked up in `libDirs` (and their tls/ and security/ subfolders): every file whose name starts with one. */
  libraries: string[];
  /** Folders searched for `libraries`; `*-linux-gnu*` folders inside them are searched too (multiarch). */
  libDirs: string[];
  /** Verify every binary and library of the owning packages, not only the listed files. */
  wholePackages: boolean;
}

/** The tools SSH kits replace so that the box lies to its admin, and the ones that hand out root. */
export const DEFAULT_TOOLS = [
  'sshd', 'ssh', 'ps', 'ss', 'netstat', 'lsof', 'who', 'w', 'last', 'lastb', 'login', 'top',
  'pgrep', 'pkill', 'find', 'ls', 'su', 'sudo', 'crontab', 'systemctl',
];

export const DEFAULT_TARGETS: IntegrityTargets = {
  tools: DEFAULT_TOOLS,
  pathDirs: SAFE_PATH.split(':'),
  // sshd's per-session helpers (sshd itself is found on the PATH with the tools).
  fixedPaths: SSHD_EXES.filter((p) => p !== '/usr/sbin/sshd'),
  // Ebury's trojaned libkeyutils (and its libkeyutils.so.1.9 drop), libc, libpam and the PAM
  // module that checks passwords: the code under sshd that sees every password.
  libraries: ['libkeyutils.so', 'libc.so.6', 'libpam.so', 'pam_unix.so'],
  libDirs: ['/lib', '/lib64', '/usr/lib', '/usr/lib64', '/usr/local/lib'],
  wholePackages: true,
};

/** Folders whose files are programs or code that programs load; the rest of a package (docs, man pages) is not checked. */
const CODE_DIR = /^\/(?:usr\/)?(?:local\/)?(?:s?bin|lib(?:32|64|x32|exec)?)\//;

export function isCodePath(p: string): boolean {
  return CODE_DIR.test(p);
}

/**
 * Programs that are setuid or setgid on a stock Debian, Ubuntu, RHEL or Fedora: a set bit on one
 * of these is normal. A setuid `find` or `ls` is the classic root backdoor.
 */
export const USUAL_SETUID = new Set([
  'su', 'sudo', 'sudoedit', 'passwd', 'chsh', 'chfn', 'gpasswd', 'newgrp', 'sg', 'mount', 'umount',
  'pkexec', 'fusermount', 'fusermount3', 'ssh-keysign', 'ssh-agent', 'unix_chkpwd', 'pam_timestamp_check',
  'chage', 'expiry', 'crontab', 'wall', 'write', 'bsd-write', 'at', 'dotlockfile', 'utempter',
  'dbus-daemon-launch-helper', 'polkit-agent-helper-1', 'ping', 'ping6', 'traceroute6', 'mtr-packet',
  'Xorg.wrap', 'ntfs-3g', 'userhelper', 'usernetctl', 'pt_chown', 'mount.nfs', 'mount.cifs',
  'newuidmap', 'newgidmap', 'ksu', 'pam_extrausers_chkpwd', 'locate', 'mlocate', 'plocate', 'screen',
  'lockfile', 'mail-lock', 'mail-unlock', 'mail-touchlock', 'procmail', 'chrome-sandbox', 'staprun',
  'vmware-user-suid-wrapper', 'lppasswd', 'snap-confine', 'ssh-keysign.real',
]);
