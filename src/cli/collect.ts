import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CollectOptions } from '../collectors/types.js';
import { sealCase } from '../evidence/bundle.js';
import { CaseStore } from '../evidence/store.js';
import { verifyBundle } from '../evidence/verify.js';
import { createHostContext } from '../host/context.js';
import { DEFAULT_TIMEOUT_MS, SAFE_PATH } from '../host/exec.js';
import { RootedFs } from '../host/rooted-fs.js';
import { CliError, EXIT } from '../model/errors.js';
import { numberFindings, severityRank, type Finding, type Severity } from '../model/finding.js';
import { loadPlaybook } from '../playbooks/loader.js';
import { PlaybookEngine } from '../playbooks/engine.js';
import { renderHtml, renderMarkdown, type ReportInput } from '../report/report.js';
import { sanitizeForTerminal } from '../report/text.js';
import { renderTimelineCsv } from '../report/timeline.js';
import { checkCaseId, defaultCaseId } from './case-id.js';
import { TOOL } from './version.js';

export interface CollectCliOptions {
  out: string;
  case?: string;
  examiner?: string;
  playbook: string;
  root?: string;
  sshPort: number[];
  json: boolean;
  failOn?: Severity;
  keepDir: boolean;
  commandTimeout?: number;
  maxFileBytes?: number;
}

export interface CollectSummary {
  bundle: string;
  sha256: string;
  case: string;
  partial: boolean;
  findings: Finding[];
}

const ACTOR = 'ir-triage';

async function imageHostname(root: string): Promise<string> {
  try {
    const text = await new RootedFs(root).readText('/etc/hostname', 4096);
    return text.split('\n')[0].trim() || 'image';
  } catch {
    return 'image';
  }
}

/**
 * `ir-triage collect`: every read-only step of the playbook, then the bundle. Changes nothing
 * outside --out. Returns the exit code.
 */
export async function runCollect(opts: CollectCliOptions, argv: string[]): Promise<number> {
  const startedAt = new Date();
  const rootDir = path.resolve(opts.root ?? '/');
  if (opts.root) {
    const st = await fsp.stat(rootDir).catch(() => null);
    if (!st?.isDirectory()) throw new CliError(`--root ${rootDir} is not a folder`, 2);
  }
  // The box's tools and systeminformation run with the system PATH and the C locale, never ours.
  process.env.PATH = SAFE_PATH;
  process.env.LC_ALL = 'C';

  const playbook = await loadPlaybook(opts.playbook);
  const hostname = rootDir === '/' ? os.hostname() : await imageHostname(rootDir);
  const caseId = checkCaseId(opts.case ?? defaultCaseId(hostname, startedAt));
  const store = await CaseStore.create(opts.out, caseId);

  const abort = new AbortController();
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(EXIT.interrupted);
    interrupted = true;
    process.stderr.write('ir-triage: interrupted: writing what was collected into the bundle (Ctrl-C again to quit now)\n');
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);

  try {
    const host = createHostContext({
      root: rootDir,
      signal: abort.signal,
      warn: (m) => process.stderr.write(`ir-triage: ${sanitizeForTerminal(m)}\n`),
    });
    const options: CollectOptions = {
      sshPorts: opts.sshPort,
      maxFileBytes: opts.maxFileBytes ?? 64 * 1024 * 1024,
      maxCommandBytes: 64 * 1024 * 1024,
      commandTimeoutMs: opts.commandTimeout ?? DEFAULT_TIMEOUT_MS,
      toolLists: {
        names: (playbook.data.toolLists?.names ?? []).map((f) => path.resolve(path.dirname(playbook.file), f)),
        hashes: (playbook.data.toolLists?.hashes ?? []).map((f) => path.resolve(path.dirname(playbook.file), f)),
      },
    };
    const tty = process.stderr.isTTY === true && !opts.json;
    store.custody.append(ACTOR, 'case-opened', {
      case: caseId,
      examiner: opts.examiner ?? null,
      host: hostname,
      mode: host.mode,
      root: host.isRoot,
      command: ['ir-triage', ...argv],
      tool: TOOL,
      playbook: { id: playbook.id, sha256: playbook.sha256 },
    });

    const engine = new PlaybookEngine(playbook, { host, sink: store, options }, {
      onStepStart: (step) => {
        if (tty) process.stderr.write(`• ${step.title}\n`);
      },
      onCollector: (collector, sources) => {
        store.custody.append(ACTOR, 'collected', {
          collector: collector.id,
          sources: sources.map((s) => ({ id: s.id, status: s.status })),
        });
      },
    });
    const drafts = [];
    const ranSteps = new Set<string>();
    for (const step of engine.readOnlySteps()) {
      if (abort.signal.aborted) break;
      const outcome = await engine.runStep(step);
      drafts.push(...outcome.findings);
      ranSteps.add(step.id);
    }
    await engine.finish();
    if (interrupted) store.custody.append(ACTOR, 'interrupted', { reason: 'SIGINT or SIGTERM during collection' });

    const findings = numberFindings(drafts);
    await store.writeFile('findings.json', JSON.stringify(findings, null, 2) + '\n');
    for (const f of findings) store.custody.append(ACTOR, 'finding', { id: f.id, rule: f.rule, severity: f.severity, title: f.title });

    const partialReasons: string[] = [];
    if (!host.isRoot) partialReasons.push("not run as root: other users' processes, sockets and protected logs are not readable");
    const failed = engine.sources.filter((s) => s.status === 'error');
    if (failed.length > 0) partialReasons.push(`${failed.length} source(s) failed: ${failed.map((s) => s.id).join(', ')}`);
    if (interrupted) partialReasons.push('interrupted before every step had run');
    const partial = partialReasons.length > 0;

    const endedAt = new Date();
    const reportInput: ReportInput = {
      caseId,
      examiner: opts.examiner ?? null,
      hostname: engine.facts.host?.hostname || hostname,
      mode: host.mode,
      startedAt: startedAt.toISOString(),
      endedAt: endedAt.toISOString(),
      root: host.isRoot,
      partial,
      partialReasons,
      tool: TOOL,
      playbook: { id: playbook.id, title: playbook.data.title },
      steps: playbook.data.steps.map((s) => ({ id: s.id, title: s.title, why: s.why, kind: s.kind, ran: ranSteps.has(s.id) })),
      findings,
      sources: engine.sources,
      files: [...store.files.values()],
    };
    await store.writeFile('timeline.csv', renderTimelineCsv(store.timelineEvents, reportInput.hostname));
    await store.writeFile('report.md', renderMarkdown(reportInput));
    await store.writeFile('report.html', renderHtml(reportInput));
    store.custody.append(ACTOR, 'case-closed', { findings: findings.length, partial });

    const manifest = {
      tool: TOOL,
      case: caseId,
      examiner: opts.examiner ?? null,
      host: {
        hostname: reportInput.hostname,
        machineId: engine.facts.host?.machineId ?? null,
        bootId: engine.facts.host?.bootId ?? null,
      },
      commandLine: ['ir-triage', ...argv],
      mode: host.mode,
      root: host.isRoot,
      startedAt: startedAt.toISOString(),
      endedAt: endedAt.toISOString(),
      partial,
      partialReasons,
      interrupted,
      playbook: { id: playbook.id, file: playbook.file, sha256: playbook.sha256 },
      timelineCapped: store.timelineCapped,
      sources: engine.sources,
    };
    const sealed = await sealCase(store, manifest);
    const check = await verifyBundle(sealed.bundle);
    if (!check.ok) {
      throw new CliError(`the bundle ${sealed.bundle} did not verify after writing (${check.problems[0]}); the staged evidence is kept in ${store.dir}`);
    }
    if (!opts.keepDir) await fsp.rm(store.dir, { recursive: true, force: true });

    const summary: CollectSummary = { bundle: sealed.bundle, sha256: sealed.sha256, case: caseId, partial, findings };
    if (opts.json) process.stdout.write(JSON.stringify(summary) + '\n');
    else printSummary(summary, partialReasons, findings, opts.keepDir ? store.dir : null);

    if (interrupted) return EXIT.interrupted;
    if (opts.failOn && findings.some((f) => severityRank(f.severity) >= severityRank(opts.failOn!))) return EXIT.findings;
    return EXIT.ok;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}

function printSummary(s: CollectSummary, partialReasons: string[], findings: Finding[], keptDir: string | null): void {
  const out: string[] = [];
  out.push(`bundle:   ${s.bundle}`);
  out.push(`sha256:   ${s.sha256}`);
  out.push(`case:     ${s.case}`);
  out.push(`partial:  ${s.partial ? `yes — ${partialReasons.join('; ')}` : 'no'}`);
  if (keptDir) out.push(`kept:     ${keptDir}`);
  out.push(`findings: ${findings.length}`);
  for (const f of findings) out.push(`  ${f.id} ${f.severity.padEnd(13)} ${sanitizeForTerminal(f.title)}`);
  out.push('', `Check it with: sha256sum -c ${path.basename(s.bundle)}.sha256 && ir-triage verify ${s.bundle}`);
  process.stdout.write(out.join('\n') + '\n');
}
