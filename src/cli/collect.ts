import path from 'node:path';
import { EXIT } from '../model/errors.js';
import { severityRank, type Severity } from '../model/finding.js';
import { sanitizeForTerminal } from '../report/text.js';
import { CaseRun, type CaseOptions, type CaseSummary } from '../case/case-run.js';
import { stderrProgress } from '../runner/progress-line.js';
import { encryptedNextSteps, encryptionFields, prepareEncryptTo } from './encrypt-to.js';

export interface CollectCliOptions extends CaseOptions {
  json: boolean;
  failOn?: Severity;
}

/**
 * `ir-triage collect`: every read-only step of the playbook, then the bundle (encrypted with age
 * to each --encrypt-to recipient, if any). Changes nothing outside --out. Returns the exit code.
 */
export async function runCollect(opts: CollectCliOptions, argv: string[]): Promise<number> {
  const tty = process.stderr.isTTY === true && !opts.json;
  const encryptTo = await prepareEncryptTo(opts, argv);
  // A line on stderr for the long reads (a big auth log, the journal, the bundle), on a terminal only.
  const run = await CaseRun.open({ ...opts, encryptTo, progress: stderrProgress(opts.json) }, argv, {
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
    const { bundle, sha256, case: caseId, partial, verdict, findings, incidents, encryption } = summary;
    const encrypted = encryption ? { encrypted: true, recipients: encryption.recipients, plaintextSha256: encryption.plaintextSha256 } : {};
    process.stdout.write(JSON.stringify({ bundle, sha256, case: caseId, partial, verdict, findings, incidents, ...encrypted }) + '\n');
  } else printSummary(summary);

  if (summary.interrupted) return EXIT.interrupted;
  if (opts.failOn && summary.findings.some((f) => severityRank(f.severity) >= severityRank(opts.failOn!))) return EXIT.findings;
  return EXIT.ok;
}

function printSummary(s: CaseSummary): void {
  const out: string[] = [];
  out.push(`bundle:   ${s.bundle}`);
  out.push(`sha256:   ${s.sha256}`);
  if (s.encryption) out.push(...encryptionFields(s.encryption));
  out.push(`case:     ${s.case}`);
  out.push(`partial:  ${s.partial ? `yes — ${s.partialReasons.join('; ')}` : 'no'}`);
  out.push(`verdict:  ${sanitizeForTerminal(s.verdict.headline)}`);
  if (s.keptDir) out.push(`kept:     ${s.keptDir}`);
  out.push(`incidents: ${s.incidents.length}`);
  for (const i of s.incidents) out.push(`  ${i.id} ${i.severity.padEnd(13)} ${sanitizeForTerminal(i.title)} (${i.findings.length === 1 ? '1 finding' : `${i.findings.length} findings`})`);
  out.push(`findings: ${s.findings.length}`);
  for (const f of s.findings) out.push(`  ${f.id} ${f.severity.padEnd(13)} ${sanitizeForTerminal(f.title)}`);
  if (s.encryption) out.push('', ...encryptedNextSteps(s.bundle));
  else out.push('', `Check it with: sha256sum -c ${path.basename(s.bundle)}.sha256 && ir-triage verify ${s.bundle}`);
  process.stdout.write(out.join('\n') + '\n');
}
