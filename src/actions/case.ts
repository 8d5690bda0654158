import { sealCase, type SealedBundle } from '../evidence/bundle.js';
import { CaseStore } from '../evidence/store.js';
import { verifyBundle } from '../evidence/verify.js';
import type { HostContext } from '../host/context.js';
import { CliError } from '../model/errors.js';
import type { KnownFacts } from '../model/facts.js';
import type { ActionContext } from './types.js';

/**
 * A case of its own for an action run outside the guided playbook (`ir-triage quarantine`,
 * `ir-triage restore`): the same store, custody chain, manifest and sealed bundle as collect, so
 * `ir-triage verify` and `sha256sum -c` check it the same way.
 */
export interface ActionCase {
  store: CaseStore;
  ctx: ActionContext;
  caseId: string;
  examiner: string | null;
  hostname: string;
  command: string[];
  tool: { name: string; version: string };
  startedAt: Date;
}

export interface ActionCaseOptions {
  out: string;
  caseId: string;
  examiner: string | null;
  hostname: string;
  /** The command line, for the manifest and the custody log. */
  command: string[];
  host: HostContext;
  maxFileBytes: number;
  force: boolean;
  facts?: KnownFacts;
  /** The tool's name and version, as collect records them. */
  tool: { name: string; version: string };
}

/** Creates <out>/<case>/ and opens its custody log; the actor of the events is the examiner, or ir-triage. */
export async function openActionCase(o: ActionCaseOptions): Promise<ActionCase> {
  const startedAt = o.host.now();
  const store = await CaseStore.create(o.out, o.caseId, o.host.now);
  const actor = o.examiner ?? 'ir-triage';
  store.custody.append(actor, 'case-opened', {
    case: o.caseId,
    examiner: o.examiner,
    host: o.hostname,
    mode: o.host.mode,
    root: o.host.isRoot,
    command: o.command,
    tool: o.tool,
  });
  const ctx: ActionContext = {
    host: o.host,
    sink: store,
    custody: (event, details) => {
      store.custody.append(actor, event, details);
    },
    facts: o.facts ?? {},
    maxFileBytes: o.maxFileBytes,
    force: o.force,
  };
  return { store, ctx, caseId: o.caseId, examiner: o.examiner, hostname: o.hostname, command: o.command, tool: o.tool, startedAt };
}

/**
 * Closes the custody log, writes manifest.json and SHA256SUMS, seals the .tar.gz and its sidecar,
 * verifies what was written, and removes the staging folder.
 */
export async function closeActionCase(c: ActionCase, action: string, extra: Record<string, unknown> = {}): Promise<SealedBundle> {
  c.ctx.custody('case-closed', { action });
  const endedAt = c.ctx.host.now();
  const partialReasons = c.ctx.host.isRoot ? [] : ['not run as root: files and processes of other users could not be changed or copied'];
  const manifest = {
    tool: c.tool,
    case: c.caseId,
    examiner: c.examiner,
    host: { hostname: c.hostname },
    commandLine: c.command,
    mode: c.ctx.host.mode,
    root: c.ctx.host.isRoot,
    startedAt: c.startedAt.toISOString(),
    endedAt: endedAt.toISOString(),
    partial: partialReasons.length > 0,
    partialReasons,
    action,
    ...extra,
    sources: [],
  };
  const sealed = await sealCase(c.store, manifest);
  const check = await verifyBundle(sealed.bundle);
  if (!check.ok) {
    throw new CliError(`the bundle ${sealed.bundle} did not verify after writing (${check.problems[0]}); the staged evidence is kept in ${c.store.dir}`);
  }
  c.store.removeStaging();
  return sealed;
}
