import { verifyBundle } from '../evidence/verify.js';
import { EXIT } from '../model/errors.js';
import { safeJson, sanitizeForTerminal } from '../report/text.js';

/** `ir-triage verify BUNDLE`: exit 0 when intact, 1 naming each problem. */
export async function runVerify(target: string, opts: { json: boolean }): Promise<number> {
  const r = await verifyBundle(target);
  if (opts.json) {
    process.stdout.write(safeJson({ target: r.target, case: r.caseId, ok: r.ok, files: r.files, problems: r.problems, notes: r.notes }) + '\n');
  } else {
    const lines = [`${r.ok ? 'intact' : 'NOT INTACT'}: ${sanitizeForTerminal(target)}${r.caseId ? ` (case ${sanitizeForTerminal(r.caseId)}, ${r.files} files)` : ''}`];
    for (const n of r.notes) lines.push(`  note: ${sanitizeForTerminal(n)}`);
    for (const p of r.problems) lines.push(`  problem: ${sanitizeForTerminal(p)}`);
    if (r.ok) lines.push('  every file matches SHA256SUMS and manifest.json; the custody chain is unbroken');
    process.stdout.write(lines.join('\n') + '\n');
  }
  return r.ok ? EXIT.ok : EXIT.error;
}
