/**
 * Whether a utmp/wtmp host field names a remote peer. Local sessions leave it empty (console,
 * serial) or put something else there: an X display (`:0`, `:0.0`), screen's `:S.1`, tmux's
 * `tmux(1234).%0`. Anything else (an address, a host name, mosh's "203.0.113.5 via mosh [99]") is
 * remote. A loopback address still counts: an SSH login through a local tunnel is a login over SSH.
 */
export function isRemoteHost(host: string): boolean {
  const h = host.trim();
  if (h === '') return false;
  if (/^:[\dS]+(\.\d+)?$/.test(h)) return false; // X display, screen
  if (/^tmux\(\d+\)\.%\d+$/.test(h)) return false;
  return true;
}
