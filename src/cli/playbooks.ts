import { listShipped, loadPlaybook } from '../playbooks/loader.js';
import { sanitizeForTerminal } from '../report/text.js';

/** `ir-triage playbooks`: the shipped playbooks, their steps, and where they come from. */
export async function runPlaybooks(opts: { json: boolean }): Promise<number> {
  const shipped = await listShipped();
  const loaded = await Promise.all(shipped.map((p) => loadPlaybook(p.file)));
  if (opts.json) {
    process.stdout.write(
      JSON.stringify(
        loaded.map((p) => ({ id: p.id, file: p.file, title: p.data.title, steps: p.data.steps.map((s) => ({ id: s.id, kind: s.kind, title: s.title })) })),
      ) + '\n',
    );
    return 0;
  }
  const out: string[] = [];
  for (const p of loaded) {
    out.push(`${p.id} — ${sanitizeForTerminal(p.data.title)}`, `  file: ${p.file}`);
    for (const s of p.data.steps) out.push(`  ${s.kind === 'collect' || s.kind === 'detect' ? '·' : '»'} ${s.id.padEnd(18)} ${s.kind.padEnd(8)} ${sanitizeForTerminal(s.title)}`);
    out.push('');
  }
  out.push('· read-only steps (collect runs them)   » steps of the guided run', 'A playbook of your own: --playbook ./my-playbook.yaml');
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}
