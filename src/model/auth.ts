/**
 * Auth-log records: sshd, sudo and su events, and the per-address tallies and logins built from them.
 * Times are ISO 8601 UTC strings. Each field carries a one-line description; docs/artifacts.md is written from these.
 */

/** One sshd (or sudo/su) event from a log or the journal. */
export interface AuthEvent {
  /** ISO 8601 UTC. */
  time: string;
  host: string | null;
  /** sshd, sshd-session, sshd-auth, sudo, su, … */
  program: string;
  pid: number | null;
  kind:
    | 'failed' | 'accepted' | 'invalid-user' | 'max-attempts' | 'preauth-disconnect'
    | 'pam-failure' | 'session-opened' | 'session-closed' | 'sudo' | 'su' | 'no-identification'
    | 'root-refused' | 'kex-failed' | 'auth-timeout'
    | 'other';
  /** Auth method for accepted/failed: password, publickey, keyboard-interactive/pam, none. */
  method: string | null;
  user: string | null;
  /** The user name was not a valid account ("invalid user"). */
  invalidUser: boolean;
  ip: string | null;
  port: number | null;
  /** Key type and fingerprint for publickey logins ("ED25519 SHA256:…"). */
  key: string | null;
  /** File (relative to the root) or "journal". */
  source: string;
  /** Line number in the source (1-based), for the investigator. */
  lineNo: number | null;
  /** The raw message, as data. */
  message: string;
}

/** How often one user was tried from one address (the auth-log tally; bounded counting). */
export interface AuthUserCount {
  user: string;
  count: number;
  /** False when the counter was taken over from another user: count may be too high by at most `error`. */
  exact: boolean;
  error: number;
}

/** An accepted ssh login as the tally keeps it. */
export interface AuthAcceptedLogin {
  time: string;
  user: string | null;
  method: string | null;
  port: number | null;
  key: string | null;
}

/** The auth log's view of one remote address (artifacts/auth-tally.json; the auth-log collector). */
export interface AuthAddressRow {
  /** An IP address, or the host name sshd or PAM logged (UseDNS, rhost=). */
  address: string;
  isIp: boolean;
  /** Failed ssh logins (rsyslog repeats expanded; a PAM failure counted only when no Failed line reports it). */
  failures: number;
  firstFailure: string | null;
  lastFailure: string | null;
  /** Failures per method (password, publickey, none, keyboard-interactive/pam; pam = PAM lines standing alone). */
  failuresByMethod: Record<string, number>;
  /** Failures for user names that are not accounts on the box ("invalid user"). */
  failuresInvalidUser: number;
  /** `Invalid user X from ADDRESS` lines (and `User X not allowed`, Dropbear's `nonexistent user`). */
  invalidUsers: number;
  /** The names of those lines, most first (bounded as `users`). */
  invalidNames: AuthUserCount[];
  /** Distinct names of those lines (an upper bound past the counter's capacity). */
  invalidNamesDistinct: number;
  /** Most-tried users, count desc. */
  users: AuthUserCount[];
  distinctUsers: number;
  distinctUsersExact: boolean;
  /** Connections cut at MaxAuthTries. */
  maxAttempts: number;
  /** Connections closed or reset before authenticating (`Connection closed by … [preauth]`, Dropbear's `Exit before auth`). */
  preauthDisconnects: number;
  /** No ssh identification or a bad banner (`Did not receive identification string`, `banner exchange`, `kex_exchange_identification`). */
  noIdentification: number;
  /** Key exchange failed (`Unable to negotiate`, `Protocol major versions differ`). */
  kexFailures: number;
  /** `Timeout before authentication` (LoginGraceTime): the CVE-2024-6387 probing pattern when many. */
  authTimeouts: number;
  /** `ROOT LOGIN REFUSED FROM`: root's key was accepted, then PermitRootLogin refused the login. */
  rootRefused: number;
  firstRootRefused: string | null;
  lastRootRefused: string | null;
  /** `Failed publickey` lines of connections that then logged in: keys offered before the accepted one (not failures). */
  keysBeforeLogin: number;
  acceptedCount: number;
  /** The first accepted logins (bounded). */
  accepted: AuthAcceptedLogin[];
  lastAccepted: AuthAcceptedLogin | null;
  firstSeen: string | null;
  lastSeen: string | null;
}

/** Failed logins counted before an accepted login. */
export interface AuthPriorFailures {
  count: number;
  first: string | null;
  last: string | null;
}

/** An accepted ssh login (auth log or journal), with the failures that came before it. */
export interface AuthLoginRecord {
  time: string;
  user: string | null;
  /** The IP address, or the host name sshd logged (UseDNS). */
  address: string | null;
  port: number | null;
  /** password, publickey, keyboard-interactive/pam, … */
  method: string | null;
  /** Key type and fingerprint for publickey logins ("ED25519 SHA256:…"). */
  key: string | null;
  /** The syslog host field. */
  host: string | null;
  program: string;
  pid: number | null;
  /** File (as seen inside the root, or as given to analyze) or "journal". */
  source: string;
  lineNo: number | null;
  /** PAM's `session closed` of the same sshd pid; null when not logged or still open. */
  logout: string | null;
  /** Failed logins from this address since its previous accepted login (any user, any method). */
  failuresFromAddress: AuthPriorFailures;
  /** Password failures for this user (an account: not "invalid user") since its previous accepted login, from any address. */
  failuresForUser: AuthPriorFailures & { addresses: number; addressesCapped: boolean };
}

/** root's accepted ssh logins from one address. */
export interface AuthRootLogins {
  address: string;
  count: number;
  /** Logins per method. */
  methods: Record<string, number>;
  /** Distinct keys used (at most 10). */
  keys: string[];
  first: AuthLoginRecord;
  last: AuthLoginRecord;
}
