import type { Severity } from './finding.js';
import type { Tactic } from './attack.js';

/**
 * Why two findings belong to one incident. Each join names the subject the two share, so the
 * officer can check it: the same process (pid and start time, never a pid alone: pids are
 * reused), one process the parent or child of the other, the same executable (sha256), the same
 * file, the same non-system folder, the same remote address, the same account, or something done
 * inside a session's time span by that session's account. Addresses that only attacked ssh (failed
 * logins, user-name sweeps, probes, floods of connections) and never logged in are one campaign
 * (attack-only), however many they are.
 */
export type JoinReason =
  | 'same-process'
  | 'process-tree'
  | 'same-executable'
  | 'same-file'
  | 'same-folder'
  | 'same-address'
  | 'same-account'
  | 'in-session'
  | 'attack-only';

export interface IncidentJoin {
  /** Finding ids (F-0001…), a before b in id order. */
  a: string;
  b: string;
  reason: JoinReason;
  /** The shared subject as the officer reads it: `pid 5617`, `/tmp/.. /pscan2`, `127.0.0.3`, `deploy 22:26:09–22:40:12`. */
  value: string;
}

/** What an incident is about; each list sorted, no duplicates. */
export interface IncidentSubjects {
  pids: number[];
  paths: string[];
  folders: string[];
  addresses: string[];
  accounts: string[];
  sha256: string[];
}

/** One link of an incident's story: a sentence with its time, its ATT&CK tactic and its evidence. */
export interface StoryLink {
  /** ISO 8601 with zone, or null when nothing dates it (then it is placed by its tactic). */
  time: string | null;
  /** `event` for what happened, `gap` for a stretch nothing covers (said plainly). */
  kind: 'event' | 'gap';
  tactic: Tactic | null;
  techniques: string[];
  /** Plain text, untrusted fields included as they are: every renderer escapes it. */
  text: string;
  /** Evidence paths inside the case (auth.log:497, files/history/…); may be empty for a gap. */
  evidence: string[];
  /** The findings this link tells of. */
  findings: string[];
}

export interface Incident {
  /** I-01, I-02…, worst first (severity, then the campaign of addresses that only attacked after the others, then number of findings, then first time). */
  id: string;
  title: string;
  /** Its worst finding's severity. */
  severity: Severity;
  /** Member finding ids in id order; every finding of the run is in exactly one incident. */
  findings: string[];
  subjects: IncidentSubjects;
  /** The joins that made it (a spanning set: enough to connect every member, each with its reason). */
  joins: IncidentJoin[];
  /** Tactics seen among its findings, in ATT&CK order. */
  tactics: Tactic[];
  first: string | null;
  last: string | null;
  /** Time-ordered chain with gaps; the main incident's story is what the report opens with. */
  story: StoryLink[];
}

/** artifacts/incidents.json */
export interface IncidentsFile {
  version: 1;
  /** The id of the main incident (the first), or null when there are no findings. */
  main: string | null;
  incidents: Incident[];
}
