import { z } from 'zod';
import { SEVERITIES } from '../model/finding.js';
import { TACTICS } from '../model/attack.js';

/**
 * The JSON files of a bundle, as ir-triage writes them. A bundle handed over may have been made
 * by anyone: each file is checked against its schema before any of it is used, and a field of the
 * wrong type is a named problem, not a TypeError later. Fields ir-triage may add later pass
 * through (loose objects); the fields that are there must have their type.
 */

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 (64 lowercase hex digits)');
const nullableString = z.string().nullable();

/** A path inside the case folder: relative, no `..`, no empty part. */
const casePath = z.string().refine((p) => p !== '' && !p.startsWith('/') && !p.split('/').some((s) => s === '' || s === '.' || s === '..') && !p.includes('\0'), {
  message: 'expected a relative path inside the case folder',
});

const ManifestFileSchema = z.object({ path: casePath, size: z.number().int().nonnegative(), sha256 });

const SourceSchema = z.object({
  id: z.string(),
  status: z.enum(['ok', 'error', 'skipped']),
  path: z.string().optional(),
  message: z.string().optional(),
  reason: z.string().optional(),
  detail: z.string().optional(),
  warning: z.string().optional(),
});

/**
 * manifest.json: the one definition of the manifest. `Manifest` (its inferred type) is what the
 * case writes, what verify returns and what the report reads. Fields are optional where a kind of
 * case does not write them (an action case has no playbook, a collect no `action`) or where older
 * bundles lack them; the fields that are there must have their type. A field this schema does
 * not name is not a problem: at the top it passes through, inside a field it is left out of the
 * parsed value (nothing reads it).
 */
const ManifestFields = z.object({
  case: z.string().min(1),
  files: z.array(ManifestFileSchema),
  tool: z.object({ name: z.string(), version: z.string() }).optional(),
  examiner: nullableString.optional(),
  host: z.object({ hostname: z.string(), machineId: nullableString.optional(), bootId: nullableString.optional() }).optional(),
  commandLine: z.array(z.string()).optional(),
  mode: z.string().optional(),
  root: z.boolean().optional(),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  partial: z.boolean().optional(),
  partialReasons: z.array(z.string()).optional(),
  interrupted: z.boolean().optional(),
  /** The action of an action case (quarantine, restore). */
  action: z.string().optional(),
  verdict: z.object({ level: z.string().optional(), headline: z.string().optional(), partial: z.boolean().optional() }).optional(),
  playbook: z.object({ id: z.string(), file: nullableString.optional(), sha256: nullableString.optional() }).optional(),
  steps: z.array(z.object({ id: z.string(), title: z.string(), kind: z.string(), ran: z.boolean() })).optional(),
  timeline: z
    .object({ events: z.number(), dropped: z.number(), droppedSamples: z.array(z.string()).optional(), runs: z.number().optional(), error: z.string().optional() })
    .nullable()
    .optional(),
  sources: z.array(SourceSchema).optional(),
  /** Copies refused for their content (a private key, password hashes), by their path in the case. */
  withheld: z.array(z.object({ path: z.string(), reason: z.string() })).optional(),
  /** Copies that hold only part of their file: which part was kept (`tail`: a log's newest lines), from which byte and line, what was dropped. */
  copiesCut: z
    .array(
      z.object({
        path: z.string(), source: z.string(), size: z.number(), kept: z.enum(['head', 'tail']), fromByte: z.number(), fromLine: z.number().nullable(),
        atLineStart: z.boolean(), keptBytes: z.number(), droppedBytes: z.number(), cap: z.number(), option: z.string(),
      }),
    )
    .optional(),
  /** Links on the box read as links, not followed. */
  linksNotFollowed: z.array(z.object({ path: z.string(), link: z.string(), target: nullableString, reason: z.string() })).optional(),
  /** Action cases: what was acted on, whether it all went, and the undo record in the case. */
  target: z.string().optional(),
  folder: z.string().optional(),
  ok: z.boolean().optional(),
  undoRecord: nullableString.optional(),
  /** quarantine: the caps and depth bound of the walk, and how many entries the case does not cover. */
  limits: z.object({ maxFileBytes: z.number(), maxTotalBytes: z.number(), maxDepth: z.number() }).optional(),
  notCovered: z.number().int().nonnegative().optional(),
  /** restore: the undo records taken (where from, their sha256), and the file given. */
  records: z.array(z.object({ source: z.string(), sha256: z.string() })).optional(),
  from: z.string().optional(),
});
/** Fields ir-triage may add later pass through (a loose object). */
export const ManifestSchema = ManifestFields.loose();
export type Manifest = z.infer<typeof ManifestFields>;

/** One line of custody.jsonl; its other fields are the event's details. */
export const CustodyLineSchema = z.looseObject({
  seq: z.number().int().positive(),
  time: z.string(),
  actor: z.string(),
  event: z.string(),
  prev: sha256,
});

export const FindingSchema = z.looseObject({
  id: z.string(),
  rule: z.string(),
  severity: z.enum(SEVERITIES),
  title: z.string(),
  detail: z.string(),
  mitre: z.array(z.string()),
  subject: z.record(z.string(), z.unknown()),
  evidence: z.array(z.string()),
});

export const FindingsSchema = z.array(FindingSchema);
export type BundleFinding = z.infer<typeof FindingSchema>;

// The artifacts the report reads: only the fields it shows are typed.
const optString = z.string().nullable().optional();
const optNumber = z.number().nullable().optional();

export const AuthTallySchema = z.array(
  z.looseObject({
    address: z.string(),
    failures: z.number().optional(),
    failuresInvalidUser: z.number().optional(),
    users: z.array(z.looseObject({ user: z.string() })).optional(),
    distinctUsers: z.number().optional(),
    firstFailure: optString,
    lastFailure: optString,
    acceptedCount: z.number().optional(),
  }),
);

const OwnerSchema = z.looseObject({ pid: z.number(), comm: z.string(), exe: optString, title: optString, uid: optNumber, user: optString, cwd: optString });

export const SshViewSchema = z.looseObject({
  ports: z.array(z.number()).optional(),
  outbound: z
    .array(
      z.looseObject({
        owner: OwnerSchema.nullable().optional(),
        uid: optNumber,
        user: optString,
        connections: z.number().optional(),
        hosts: z.array(z.string()).optional(),
        states: z.record(z.string(), z.number()).optional(),
        synSent: z.number().optional(),
        established: z.number().optional(),
        remotePorts: z.array(z.number()).optional(),
      }),
    )
    .optional(),
});

export const ActionsListSchema = z.array(z.looseObject({ action: z.string(), target: z.string(), ok: z.boolean(), message: z.string().optional(), undoRecord: optString }));

export const UndoRecordSchema = z.looseObject({ action: z.string().optional(), appliedAt: optString, summary: optString });

export const AuthLogStatsSchema = z.looseObject({ events: z.looseObject({ notWritten: z.number().optional() }).optional() });

export const SessionLineSchema = z.looseObject({
  user: optString,
  line: optString,
  host: optString,
  addr: optString,
  pid: optNumber,
  login: optString,
  logout: optString,
  end: optString,
  source: optString,
  file: optString,
});

export const ProcessLineSchema = z.looseObject({
  pid: z.number(),
  comm: optString,
  user: optString,
  exe: optString,
  exeSha256: optString,
  argv: z.array(z.string()).nullable().optional(),
  startTime: optString,
  cwd: optString,
});

export const OpenFilesLineSchema = z.looseObject({
  pid: z.number(),
  comm: optString,
  user: optString,
  exe: optString,
  exeSha256: optString,
  cwd: optString,
  folders: z.array(z.string()).optional(),
  startedBy: optString,
  unit: optString,
  preserved: z.looseObject({ path: z.string(), sha256: z.string().optional(), size: z.number().optional(), truncated: z.boolean().optional() }).nullable().optional(),
  parents: z.array(z.looseObject({ pid: z.number(), comm: optString, exe: optString, user: optString, command: optString })).optional(),
});

export const AuthEventLineSchema = z.looseObject({ kind: z.string(), time: optString, covered: z.boolean().optional(), pamCount: optNumber, failures: optNumber });

const TacticSchema = z.enum(TACTICS);

/** artifacts/incidents.json (src/model/incident.ts): read by the report and summarize. */
export const IncidentsFileSchema = z.looseObject({
  version: z.number(),
  main: z.string().nullable(),
  incidents: z.array(
    z.looseObject({
      id: z.string(),
      title: z.string(),
      severity: z.enum(SEVERITIES),
      findings: z.array(z.string()),
      subjects: z.looseObject({
        pids: z.array(z.number()),
        paths: z.array(z.string()),
        folders: z.array(z.string()),
        addresses: z.array(z.string()),
        accounts: z.array(z.string()),
        sha256: z.array(z.string()),
      }),
      joins: z.array(z.looseObject({ a: z.string(), b: z.string(), reason: z.string(), value: z.string() })),
      tactics: z.array(TacticSchema),
      first: z.string().nullable(),
      last: z.string().nullable(),
      story: z.array(
        z.looseObject({
          time: z.string().nullable(),
          kind: z.enum(['event', 'gap']),
          tactic: TacticSchema.nullable(),
          techniques: z.array(z.string()),
          text: z.string(),
          evidence: z.array(z.string()),
          findings: z.array(z.string()),
        }),
      ),
    }),
  ),
});

/** A list cut at its cap: the items kept and the count before the cut. */
const bounded = <T extends z.ZodType>(item: T) => z.looseObject({ items: z.array(item), total: z.number().int().nonnegative() });

const SessionCommandSchema = z.looseObject({
  time: z.string().nullable(),
  kind: z.string(),
  text: z.string(),
  file: z.string(),
  line: z.number().int(),
  signals: z.array(z.string()),
});

/** artifacts/session-activity.json (src/model/session-activity.ts). */
export const SessionActivityFileSchema = z.looseObject({
  version: z.number(),
  window: z.looseObject({ start: z.string(), end: z.string() }).nullable(),
  sessions: z.array(
    z.looseObject({
      user: z.string(),
      uid: z.number().int().nullable(),
      address: z.string().nullable(),
      line: z.string().nullable(),
      start: z.string(),
      end: z.string().nullable(),
      endKind: z.string(),
      method: z.string().nullable(),
      sources: z.array(z.string()),
      evidence: z.array(z.string()),
      commands: bounded(SessionCommandSchema),
      files: bounded(
        z.looseObject({
          path: z.string(),
          type: z.string(),
          what: z.enum(['created', 'modified', 'changed']),
          time: z.string(),
          uid: z.number().int(),
          size: z.number(),
          executable: z.enum(['elf', 'script']).nullable(),
          sha256: z.string().nullable(),
        }),
      ),
      findings: bounded(z.looseObject({ id: z.string().nullable(), rule: z.string(), severity: z.enum(SEVERITIES), title: z.string(), tie: z.string() })),
    }),
  ),
  sessionsLeftOut: z.number().int().nonnegative(),
  untied: z.array(z.looseObject({ user: z.string(), reason: z.string(), commands: bounded(SessionCommandSchema) })),
});
