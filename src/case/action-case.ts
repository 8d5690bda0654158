import type { ActionContext } from '../actions/types.js';
import type { SealedBundle } from '../evidence/bundle.js';
import type { CaseStore } from '../evidence/store.js';
import type { KnownFacts } from '../model/facts.js';
import { Case, type CaseOpening } from './case.js';
import type { Manifest } from './manifest.js';

/**
 * A case of its own for an action run outside the guided playbook (`ir-triage quarantine`,
 * `ir-triage restore`): the same store, custody chain, manifest and sealed bundle as collect, so
 * `ir-triage verify` and `sha256sum -c` check it the same way.
 */
export interface ActionCase {
  case: Case;
  store: CaseStore;
  ctx: ActionContext;
  caseId: string;
  examiner: string | null;
  hostname: string;
  command: string[];
  tool: { name: string; version: string };
  startedAt: Date;
}

/** What opens any case (the out folder, id, examiner, host name, command line, host door, tool), and what the action's context needs. */
export interface ActionCaseOptions extends Omit<CaseOpening, 'startedAt' | 'opened'> {
  maxFileBytes: number;
  force: boolean;
  facts?: KnownFacts;
}

/** What an action case adds to its manifest after `action`; partialReasons replace the default (not run as root). */
export type ActionManifestFields = Pick<Manifest, 'partial' | 'partialReasons' | 'target' | 'folder' | 'ok' | 'undoRecord' | 'limits' | 'notCovered' | 'records' | 'from'>;

/**
 * Creates <out>/<case>/ and opens its custody log. case-opened and case-closed are the tool's
 * events; what the action's context appends (planned, applied, undone, answers) is the examiner's.
 */
export async function openActionCase(o: ActionCaseOptions): Promise<ActionCase> {
  const c = await Case.open({ out: o.out, caseId: o.caseId, examiner: o.examiner, hostname: o.hostname, command: o.command, host: o.host, tool: o.tool });
  const ctx: ActionContext = {
    host: o.host,
    sink: c.store,
    custody: (event, details) => c.byExaminer(event, details),
    facts: o.facts ?? {},
    maxFileBytes: o.maxFileBytes,
    force: o.force,
  };
  return { case: c, store: c.store, ctx, caseId: o.caseId, examiner: o.examiner, hostname: o.hostname, command: o.command, tool: o.tool, startedAt: c.startedAt };
}

/**
 * Closes the custody log, writes manifest.json and SHA256SUMS, seals the .tar.gz and its sidecar,
 * verifies what was written, and removes the staging folder.
 */
export async function closeActionCase(a: ActionCase, action: string, extra: Partial<ActionManifestFields> = {}): Promise<SealedBundle> {
  a.case.custody('case-closed', { action });
  // `partial` follows from the reasons; the manifest's head places both.
  const { partial: _partial, partialReasons, ...rest } = extra;
  const reasons = partialReasons ?? (a.ctx.host.isRoot ? [] : ['not run as root: files and processes of other users could not be changed or copied']);
  const manifest = a.case.manifest({ hostname: a.hostname }, reasons, { action, ...rest, sources: [] });
  return a.case.seal(manifest);
}
