/** A containment action a playbook step may name: it changes the system, so it is never part of `collect`. */
export interface ActionInfo {
  id: string;
  title: string;
  description: string;
}

/** Every containment action, sorted by id. */
export const ACTIONS: readonly ActionInfo[] = [
  { id: 'block-ip', title: 'Block an address', description: 'nftables or iptables rule (and hosts.deny where sshd uses libwrap) for an attacking address.' },
  { id: 'disable', title: 'Neutralise a persistence entry', description: 'Copy the file, then comment out a cron, start-up or authorized_keys line, chmod a-x a cron script or at job, or disable a systemd unit; undone by restore.' },
  { id: 'freeze', title: 'Freeze a process tree', description: 'SIGSTOP the process and its children, parent first; undone by unfreeze.' },
  { id: 'kill', title: 'Kill a process tree', description: 'Only once its executable is preserved; then watches for a respawn.' },
  { id: 'quarantine', title: 'Quarantine a folder', description: 'Copy and hash every file, then chmod a-rx everything inside; undone by restore.' },
];

export function findAction(id: string): ActionInfo | undefined {
  return ACTIONS.find((a) => a.id === id);
}
