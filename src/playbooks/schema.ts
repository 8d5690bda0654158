import { z } from 'zod';

const id = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'ids are lower-case letters, digits and dashes');
const text = z.string().trim().min(1);

const base = {
  id,
  title: text,
  /** What the responder reads: why this step matters. */
  why: text,
};

export const collectStep = z.strictObject({
  ...base,
  kind: z.literal('collect'),
  collect: z.array(z.string()).min(1),
  rules: z.array(z.string()).default([]),
});

export const detectStep = z.strictObject({
  ...base,
  kind: z.literal('detect'),
  rules: z.array(z.string()).min(1),
});

export const promptStep = z.strictObject({
  ...base,
  kind: z.literal('prompt'),
  question: text,
});

export const actionStep = z.strictObject({
  ...base,
  kind: z.literal('action'),
  action: z.string(),
  confirm: z.boolean().default(true),
});

/** What a note step can show (runner/views.ts): open-files, where the flagged processes live (the lsof step's records). */
export const NOTE_VIEWS = ['open-files'] as const;
export type NoteView = (typeof NOTE_VIEWS)[number];

export const noteStep = z.strictObject({
  ...base,
  kind: z.literal('note'),
  show: z.array(z.enum(NOTE_VIEWS)).default([]),
});

export const step = z.discriminatedUnion('kind', [collectStep, detectStep, promptStep, actionStep, noteStep]);

export const playbookSchema = z.strictObject({
  id: id.optional(),
  title: text,
  description: text,
  /** Per rule, parameter → value; unknown rules or parameters fail validation. */
  thresholds: z.record(z.string(), z.record(z.string(), z.number().nonnegative())).default({}),
  /** Extra tool lists (Loki formats), relative to the playbook file. */
  toolLists: z
    .strictObject({ names: z.array(z.string()).default([]), hashes: z.array(z.string()).default([]), keys: z.array(z.string()).default([]) })
    .optional(),
  /** YARA rule files or folders, relative to the playbook file. */
  yara: z.array(z.string()).optional(),
  steps: z.array(step).min(1),
});

export type PlaybookStep = z.infer<typeof step>;
export type PlaybookData = z.infer<typeof playbookSchema>;

/** Step kinds that change nothing on the system: what `collect` runs. */
export const READ_ONLY_KINDS = new Set<PlaybookStep['kind']>(['collect', 'detect']);
