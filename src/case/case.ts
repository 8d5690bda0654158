import { sealCase, type SealedBundle } from '../evidence/bundle.js';
import { examinerActor, TOOL_ACTOR } from '../evidence/custody.js';
import { CaseStore } from '../evidence/store.js';
import { verifyBundle } from '../evidence/verify.js';
import type { HostContext } from '../host/context.js';
import { CliError } from '../model/errors.js';
import type { Progress } from '../model/progress.js';
import { checkCaseId, defaultCaseId } from './case-id.js';
import { TOOL } from './tool.js';
import { buildManifest, type ManifestBody, type ManifestHead, type ManifestRest } from './manifest.js';

export interface CaseOpening {
  /** --out: <out>/<case>/ is staged there, the bundle written beside it. */
  out: string;
  caseId: string;
  examiner: string | null;
  /** The host's name as the case first knows it (collect may learn a better one from the host facts). */
  hostname: string;
  /** The command line, for the manifest and the custody log. */
  command: string[];
  /** The host door: its clock times the case, its mode and root go into the manifest. */
  host: HostContext;
  tool: { name: string; version: string };
  /** When the case started, if the caller already read the clock (for a default case id); default host.now(). */
  startedAt?: Date;
  /** case-opened details after the common ones (collect: the playbook). */
  opened?: Record<string, unknown>;
}

/**
 * The opening of a case a command names: --case, or the default id from the host name and the
 * clock (`startedAt` when the caller read it already); the command line and the tool.
 */
export function commandCaseOpening(o: { out: string; case?: string; examiner?: string }, host: HostContext, hostname: string, argv: readonly string[], startedAt?: Date): CaseOpening {
  const caseId = checkCaseId(o.case ?? defaultCaseId(hostname, startedAt ?? host.now()));
  return { out: o.out, caseId, examiner: o.examiner ?? null, hostname, command: ['ir-triage', ...argv], host, tool: TOOL, ...(startedAt ? { startedAt } : {}) };
}

export interface SealOptions {
  /** age recipients: the bundle is written as <case>.tar.gz.age. */
  encryptTo?: readonly string[];
  /** Where the compression reports how far it is. */
  progress?: Progress;
  /** Keep the staging folder <out>/<case>/ (--keep-dir). */
  keepDir?: boolean;
}

/**
 * A case, from opening to the sealed bundle: the store under <out>/<case>/, its custody log (one
 * actor convention: the tool, or `examiner:NAME` for what the examiner decided), the manifest
 * and the seal. Every clock reading is the host door's. Collect, the guided run and the action
 * commands (quarantine, restore) each open one.
 */
export class Case {
  private constructor(
    readonly store: CaseStore,
    readonly host: HostContext,
    readonly caseId: string,
    readonly examiner: string | null,
    readonly hostname: string,
    readonly command: string[],
    readonly tool: { name: string; version: string },
    readonly startedAt: Date,
  ) {}

  /** Creates <out>/<case>/ (new, never through a link) and writes case-opened, the tool's event. */
  static async open(o: CaseOpening): Promise<Case> {
    const startedAt = o.startedAt ?? o.host.now();
    const store = await CaseStore.create(o.out, o.caseId, o.host.now);
    const c = new Case(store, o.host, o.caseId, o.examiner, o.hostname, o.command, o.tool, startedAt);
    c.custody('case-opened', {
      case: o.caseId,
      examiner: o.examiner,
      host: o.hostname,
      mode: o.host.mode,
      root: o.host.isRoot,
      command: o.command,
      tool: o.tool,
      ...o.opened,
    });
    return c;
  }

  /** The examiner's actor in the custody log. */
  get examinerActor(): string {
    return examinerActor(this.examiner);
  }

  /** Appends a custody event; the tool's unless another actor is given. */
  custody(event: string, details: Record<string, unknown> = {}, actor: string = TOOL_ACTOR): void {
    this.store.custody.append(actor, event, details);
  }

  /** Appends a custody event the examiner decided (an answer, an action). */
  byExaminer(event: string, details: Record<string, unknown> = {}): void {
    this.custody(event, details, this.examinerActor);
  }

  /** The manifest: the head every case has (ended now, partial when there is a reason), then `rest`. */
  manifest(host: ManifestHead['host'], partialReasons: string[], rest: ManifestRest): ManifestBody {
    return buildManifest(
      {
        tool: this.tool,
        case: this.caseId,
        examiner: this.examiner,
        host,
        commandLine: this.command,
        mode: this.host.mode,
        root: this.host.isRoot,
        startedAt: this.startedAt.toISOString(),
        endedAt: this.host.now().toISOString(),
        partialReasons,
      },
      rest,
    );
  }

  /**
   * Writes manifest.json and SHA256SUMS, seals the bundle and its sidecar, verifies what was
   * written, and removes the staging folder (kept with keepDir, and whenever something failed).
   */
  async seal(manifest: ManifestBody, opts: SealOptions = {}): Promise<SealedBundle> {
    const sealed = await sealCase(this.store, manifest, { encryptTo: opts.encryptTo, progress: opts.progress });
    const check = sealed.verified ?? (await verifyBundle(sealed.bundle));
    if (!check.ok) {
      throw new CliError(`the bundle ${sealed.bundle} did not verify after writing (${check.problems[0]}); the staged evidence is kept in ${this.store.dir}`);
    }
    if (opts.keepDir) this.store.out.close();
    else this.store.removeStaging();
    return sealed;
  }
}
