import path from 'node:path';
import { EXIT } from '../model/errors.js';
import { severityRank, type Severity } from '../model/finding.js';
import { sanitizeForTerminal } from '../report/text.js';
import { CaseRun, type CaseOptions, type CaseSummary } from './case-run.js';

export interface CollectCliOptions extends CaseOptions {
  json: boolean;
  failOn?: Severity;
}

/**
 * `ir-triage collect`: every read-only step of the playbook, then the bundle. Changes nothing
 * outside --out. Returns the exit code.
 */
export async function runCollect(opts: CollectCliOptions, argv: string[]): Promise<number> {
  const tty = process.stderr.isTTY === true && !opts.json;
  const run = await CaseRun.open(opts, argv, {
    onStepStart: (step) => {
      if (tty) process.stderr.write(`• ${step.title}\n`);
    },
  });
  for (const step of run.engine.readOnlySteps()) {
    if (run.interrupted) break;
    await run.runStep(step);
  }
  const summary = await run.close();
  if (opts.json) {
    const { bundle, sha256, case: caseId, partial, findings } = summary;
    process.stdout.write(JSON.stringify({ bundle, sha256, case: caseId, partial, findings }) + '\n');
  } else printSummary(summary);

  if (summary.interrupted) return EXIT.interrupted;
  if (opts.failOn && summary.findings.some((f) => severityRank(f.severity) >= severityRank(opts.failOn!))) return EXIT.findings;
  return EXIT.ok;
}

function printSummary(s: CaseSummary): void {
  const out: string[] = [];
  out.push(`bundle:   ${s.bundle}`);
  out.push(`sha256:   ${s.sha256}`);
  out.push(`case:     ${s.case}`);
  out.push(`partial:  ${s.partial ? `yes — ${s.partialReasons.join('; ')}` : 'no'}`);
  if (s.keptDir) out.push(`kept:     ${s.keptDir}`);
  out.push(`findings: ${s.findings.length}`);
  for (const f of s.findings) out.push(`  ${f.id} ${f.severity.padEnd(13)} ${sanitizeForTerminal(f.title)}`);
  out.push('', `Check it with: sha256sum -c ${path.basename(s.bundle)}.sha256 && ir-triage verify ${s.bundle}`);
  process.stdout.write(out.join('\n') + '\n');
}
