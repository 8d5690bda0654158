/**
 * What was done in each ssh session: the commands the histories tie to it, the files its account
 * created or changed while it was open, and the findings about it (artifacts/session-activity.json).
 * Times are ISO 8601 UTC. Every string is as the box wrote it: renderers escape it.
 */
import type { HistoryEntryKind } from './activity.js';
import type { Severity } from './finding.js';

/** A list cut at its cap: the items kept and how many there were in all. */
export interface Bounded<T> {
  items: T[];
  /** Items before the cut; total - items.length were left out. */
  total: number;
}

/** A history entry shown in a session (or with the account's untied entries). */
export interface SessionCommand {
  /** From the history's own stamp; null when the history keeps no time. */
  time: string | null;
  kind: HistoryEntryKind;
  text: string;
  /** The history file, as seen inside the root, and the entry's 1-based line. */
  file: string;
  line: number;
  /** The kinds of what it does (download-run, log-wipe, …), from the shell-history collector. */
  signals: string[];
}

/** A file or folder the session's account created or changed while the session was open. */
export interface SessionFile {
  path: string;
  type: 'file' | 'dir' | 'link' | 'other';
  /** created: born in the span; modified: content changed in it; changed: only its inode (owner, mode, name) changed in it. */
  what: 'created' | 'modified' | 'changed';
  /** The earliest of its times that falls in the span. */
  time: string;
  uid: number;
  size: number;
  /** elf or script for an executable; null otherwise. */
  executable: 'elf' | 'script' | null;
  sha256: string | null;
}

/** Why a finding is tied to a session. */
export type SessionTie =
  /** The finding names the session (a history command typed in it). */
  | 'session'
  /** It is about the session's account at a time inside the session. */
  | 'account-time'
  /** It is about a file of the session's list. */
  | 'file'
  /** It is about the address the session came from. */
  | 'address';

export interface SessionFindingRef {
  /** F-0001…; null while the run has not numbered its findings yet (the guided run). */
  id: string | null;
  rule: string;
  severity: Severity;
  title: string;
  tie: SessionTie;
}

/** One ssh session as the login records and the auth log saw it: who, from where, when, how. */
export interface SessionHeader {
  user: string;
  /** The remote address or host name; null when no record gave one. */
  address: string | null;
  /** Terminal (pts/0) from the login records; null for an auth-log login alone. */
  line: string | null;
  start: string;
  /** Logout, or the boot or crash that ended it; null while it is still open or its end is unknown. */
  end: string | null;
  /** logout, still-logged-in, gone, crash, reboot, shutdown (login records) or closed/open (auth log alone). */
  endKind: string;
  /** password, publickey, … from the auth log; null when no accepted line matched. */
  method: string | null;
  /** Where it was seen: utmp, wtmp, wtmpdb, auth-log. */
  sources: string[];
  /** The auth log's line for it (file:line), when one matched. */
  evidence: string[];
}

/** One ssh session in the incident window, with what was done in it. */
export interface SessionActivity extends SessionHeader {
  /** The account's uid (passwd, or the history files); null when unknown. */
  uid: number | null;
  commands: Bounded<SessionCommand>;
  files: Bounded<SessionFile>;
  findings: Bounded<SessionFindingRef>;
}

/** History entries of one account that no listed session holds, once per account. */
export interface UntiedCommands {
  user: string;
  /** no-time: the history keeps no timestamps; no-session: a time that no session listed here covers (su, sudo, cron, a removed record, or a session outside the window). */
  reason: 'no-time' | 'no-session';
  commands: Bounded<SessionCommand>;
}

/** artifacts/session-activity.json */
export interface SessionActivityFile {
  version: 1;
  /** The incident window the sessions were chosen in; null when the run had none. */
  window: { start: string; end: string } | null;
  /** Most recent first. */
  sessions: SessionActivity[];
  /** Sessions in the window past the cap, not listed. */
  sessionsLeftOut: number;
  untied: UntiedCommands[];
}
