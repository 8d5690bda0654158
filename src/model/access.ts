/**
 * Records of the ways back in: authorized keys, the sshd configuration in force, and the local
 * accounts (the ssh-keys, sshd-config and accounts collectors). Times are ISO 8601 UTC.
 */

/** One file or folder as stat sees it through the root. */
export interface FileMeta {
  /** As seen inside the root. */
  path: string;
  type: 'file' | 'dir' | 'link' | 'other';
  /** Where the path points when it is itself a symbolic link (stat then describes the target). */
  linkTarget: string | null;
  size: number;
  /** Permission bits in octal, "0600". */
  mode: string;
  uid: number;
  gid: number;
  /** The owner's name from the box's /etc/passwd. */
  owner: string | null;
  mtime: string;
  ctime: string;
  /** Creation time (statx birth); null where the file system does not keep it. */
  birth: string | null;
}

/** The ext2/3/4 attributes of a file (`lsattr`): the immutable flag that kits set on ~/.ssh. */
export interface FileAttributes {
  /** lsattr's flag field as printed ("----i---------e-------"); null when unknown. */
  flags: string | null;
  immutable: boolean | null;
  appendOnly: boolean | null;
  /** Why the flags are unknown (offline, lsattr not installed, unsupported file system). */
  note: string | null;
}

/** One option before the key type (`command="…"`, `from="…"`, `no-pty`). */
export interface AuthorizedKeyOption {
  /** As written (sshd compares names case-insensitively). */
  name: string;
  /** The value without its quotes (`\"` unescaped); null for a flag. */
  value: string | null;
  /** An option sshd knows; an unknown one makes sshd refuse the whole line. */
  known: boolean;
}

/** An entry of the known-bad key list (playbooks/tools/keys.txt) that a key matches. */
export interface KnownKeyHit {
  field: 'comment' | 'comment-re' | 'fingerprint';
  value: string;
  description: string;
  /** "keys.txt:12". */
  list: string;
}

/** One line of an authorized_keys file that holds a key (comments and blank lines are not recorded). */
export interface AuthorizedKeyRecord {
  /** The account whose file this is. */
  user: string;
  uid: number | null;
  /** As seen inside the root. */
  file: string;
  /** 1-based. */
  line: number;
  /** sshd reads this file under the configuration in force (AuthorizedKeysFile); false for a default name it no longer reads. */
  inUse: boolean;
  /** "ssh-ed25519", "ssh-rsa", "sk-ssh-ed25519@openssh.com", …; null when the line has no key sshd could read. */
  type: string | null;
  /** As `ssh-keygen -l` prints it: 2048 for RSA, 256 for ED25519. */
  bits: number | null;
  /** "SHA256:…" exactly as `ssh-keygen -lf` prints it. */
  fingerprint: string | null;
  /** The text after the key, as written (attacker-controlled). */
  comment: string;
  options: AuthorizedKeyOption[];
  /** Why sshd would not accept this line; null when it would. */
  error: string | null;
  fileMeta: FileMeta;
  fileAttributes: FileAttributes;
  /** The folder holding the file (~/.ssh). */
  dirMeta: FileMeta | null;
  dirAttributes: FileAttributes | null;
  /** Bundle path of the raw copy of the file. */
  copy: string | null;
  knownBad: KnownKeyHit[];
}

/** One setting as sshd resolves it: the first value wins. */
export interface SshdSetting {
  /** Arguments of the line that won (for AuthorizedKeysFile, every file name). */
  value: string[];
  /** Where it was set; null with source "default". */
  file: string | null;
  line: number | null;
  source: 'config' | 'default';
}

/** A Match block and the settings it changes for the connections it matches. */
export interface SshdMatchBlock {
  /** The criteria as written ("User backup Address 192.0.2.0/24"). */
  criteria: string;
  file: string;
  line: number;
  settings: Array<{ keyword: string; value: string[]; file: string; line: number }>;
}

/** The sshd configuration (artifacts/sshd-config.json). */
export interface SshdConfigRecord {
  /** The main file, as seen inside the root. */
  main: string;
  /** No main file: sshd is not configured on this box. */
  missing: boolean;
  /** Files read, in the order sshd reads them. */
  files: string[];
  /** Keyword (lower case) → its effective global value (first one wins, as in sshd). */
  settings: Record<string, SshdSetting>;
  ports: number[];
  listenAddresses: Array<{ host: string; port: number | null; file: string; line: number }>;
  matchBlocks: SshdMatchBlock[];
  /** What sshd would reject, and files that could not be read. */
  errors: string[];
  /** Live: `sshd -T`'s view (keyword → values); null offline or when sshd -T did not answer. */
  sshdT: Record<string, string[]> | null;
  /** Why there is no sshd -T view, or how it was had (in a private mount namespace when the box lacks /run/sshd). */
  sshdTNote: string | null;
  /** Settings where the files and sshd -T disagree (a sshd that lies, or an option we do not model). */
  disagreements: Array<{ keyword: string; files: string; sshdT: string }>;
}

/** What /etc/shadow says about one account: never the hash, never the salt. */
export interface ShadowMeta {
  /**
   * hash: a password is set; empty: the field is empty (no password needed where PAM allows
   * nullok); locked: `!` before a hash; no-password: `*`, `!`, `!!` or another non-hash (no
   * password login); invalid: something else.
   */
  state: 'hash' | 'empty' | 'locked' | 'no-password' | 'invalid';
  /** The hash's scheme by name ("sha512crypt", "yescrypt"); null when there is no hash. */
  algorithm: string | null;
  /** Day of the last password change (days since 1970-01-01); 0: must change at next login; null: aging off. */
  lastChangeDay: number | null;
  /** That day as a date (yyyy-mm-dd). */
  lastChange: string | null;
  minDays: number | null;
  maxDays: number | null;
  warnDays: number | null;
  inactiveDays: number | null;
  /** Day the account expires; null: never. */
  expireDay: number | null;
  expire: string | null;
  /** The account expired before the collection. */
  expired: boolean;
  /** 1-based line in /etc/shadow. */
  line: number;
}

/** One account of /etc/passwd (artifacts/accounts.jsonl). */
export interface AccountRecord {
  user: string;
  uid: number;
  gid: number;
  gecos: string;
  home: string;
  shell: string;
  /** 1-based line in /etc/passwd. */
  line: number;
  /** The shell is not one that refuses logins (nologin, false, sync, …). */
  loginShell: boolean;
  /** The password field of /etc/passwd: x (in shadow), empty, or a hash kept there (old systems; the hash is never recorded). */
  passwdField: 'shadow' | 'empty' | 'hash' | 'locked' | 'other';
  /** Its entry in /etc/shadow; null when there is none or shadow was not readable. */
  shadow: ShadowMeta | null;
  /** Primary group name and every group listing the account. */
  groups: string[];
  /** Of those, the ones that give root: sudo, wheel, admin, root (or gid 0). */
  privilegedGroups: string[];
  /** The home folder; null when it does not exist. */
  homeMeta: FileMeta | null;
}

/** Times of the account files themselves (adding an account rewrites them). */
export interface AccountFiles {
  passwd: FileMeta | null;
  group: FileMeta | null;
  shadow: FileMeta | null;
}
