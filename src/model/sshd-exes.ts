/** Where the packaged OpenSSH server lives: what a process must run to be the system's sshd. */

/** The real executables of sshd and its per-session helpers, as the distributions install them. */
export const SSHD_EXES = [
  '/usr/sbin/sshd',
  '/usr/lib/openssh/sshd-session',
  '/usr/lib/openssh/sshd-auth',
  '/usr/libexec/openssh/sshd-session',
  '/usr/libexec/openssh/sshd-auth',
  '/usr/libexec/sshd-session',
  '/usr/libexec/sshd-auth',
];

/** The packaged path `exe` names (/usr-merged systems reach /usr/sbin/sshd as /sbin/sshd too), or null. */
export function packagedSshdPath(exe: string): string | null {
  const norm = (p: string) => p.replace(/^\/usr\//, '/');
  return SSHD_EXES.find((a) => norm(a) === norm(exe)) ?? null;
}
