/**
 * Socket records: /proc/net tables and the ssh-port views built from them.
 * Times are ISO 8601 UTC strings. Each field carries a one-line description; docs/artifacts.md is written from these.
 */

export type TcpState =
  | 'ESTABLISHED' | 'SYN_SENT' | 'SYN_RECV' | 'FIN_WAIT1' | 'FIN_WAIT2' | 'TIME_WAIT' | 'CLOSE'
  | 'CLOSE_WAIT' | 'LAST_ACK' | 'LISTEN' | 'CLOSING' | 'NEW_SYN_RECV' | `UNKNOWN_${string}`;

/** One socket from /proc/net/{tcp,tcp6,udp,udp6}. */
export interface ConnectionRecord {
  /** tcp or udp. */
  protocol: 'tcp' | 'udp';
  /** 4 or 6 (a v4-mapped IPv6 socket is reported with its IPv4 address and family 6). */
  family: 4 | 6;
  /** Local address, IPv4 dotted or IPv6 compressed. */
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** TCP state name (UDP sockets use the same codes: CLOSE = unconnected, ESTABLISHED = connected). */
  state: TcpState;
  /** Effective uid of the socket owner (the uid column). */
  uid: number;
  /** Socket inode; 0 for TIME_WAIT and request sockets. */
  inode: number;
  /** Pids holding the socket open (several after fork); empty when no visible process owns it. */
  pids: number[];
  /** Network namespace inode of the table it was read from. */
  netns: number | null;
}

/** A process holding sockets, as the network views name it (the connections collector). */
export interface SocketOwner {
  pid: number;
  comm: string;
  /** Target of /proc/PID/exe; null when unreadable. */
  exe: string | null;
  /** argv[0], the process title: sshd shows the session's user there (`sshd: alice@pts/0`). */
  title: string;
  uid: number | null;
  user: string | null;
  cwd: string | null;
}

/** Inbound connections to an ssh port from one remote address. */
export interface SshInboundGroup {
  remoteAddress: string;
  /** Open connections (every state but TIME_WAIT). */
  connections: number;
  /** TIME_WAIT sockets: connections already closed. */
  timeWait: number;
  /** Connections by TCP state. */
  states: Record<string, number>;
  localPorts: number[];
  /** Pids holding the sockets (sshd and its session processes), ascending. */
  sshdPids: number[];
  /** Users named by the owning sshd titles, distinct, sorted. */
  users: string[];
  /** One entry per open connection. */
  sessions: Array<{ localPort: number; remotePort: number; state: string; pids: number[]; user: string | null }>;
  /** Network namespaces the connections were seen in. */
  netns: Array<number | null>;
}

/** Outbound connections to ssh ports elsewhere held by one process (or by one uid when no owner is visible). */
export interface SshOutboundGroup {
  /** The owning process; null when no visible process holds the sockets (grouped by uid). */
  owner: SocketOwner | null;
  /** The owner's uid, or the sockets' uid column. */
  uid: number | null;
  user: string | null;
  /** Open connections (every state but TIME_WAIT, which has no owner). */
  connections: number;
  /** Distinct remote addresses of its ESTABLISHED and SYN_SENT connections, sorted. */
  hosts: string[];
  /** Connections by TCP state. */
  states: Record<string, number>;
  synSent: number;
  established: number;
  remotePorts: number[];
  netns: Array<number | null>;
}

/** A socket listening on an ssh port. */
export interface SshListener {
  family: 4 | 6;
  localAddress: string;
  localPort: number;
  /** The socket's uid column. */
  uid: number;
  user: string | null;
  inode: number;
  netns: number | null;
  /** Processes holding it (sshd; PID 1 for systemd socket activation). */
  owners: SocketOwner[];
  /** False when we could not have seen its owners (not root, another user's socket). */
  ownersVisible: boolean;
}

/** The port-22 view: `netstat | grep :22 | awk | sort | uniq -c`, done from /proc. */
export interface SshView {
  ports: number[];
  inbound: SshInboundGroup[];
  outbound: SshOutboundGroup[];
  /** Outbound TIME_WAIT sockets to ssh ports: targets recently hit (no owner, no uid). */
  outboundTimeWait: { connections: number; hosts: string[] };
  listeners: SshListener[];
}

/** A TCP socket in /proc/net that the box's ss did not show, on two looks. */
export interface HiddenSocket {
  /** socketKey: `tcp 127.0.0.1:22 10.0.0.5:50000`. */
  key: string;
  socket: ConnectionRecord;
  owners: SocketOwner[];
}
