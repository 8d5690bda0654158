import { ACT_NOW, findAction } from '../actions/index.js';
import type { Action } from '../actions/types.js';
import type { CaseRun, CaseSummary } from '../case/case-run.js';
import type { DraftFinding } from '../model/finding.js';
import type { PlaybookStep } from '../playbooks/schema.js';
import { incidentTitles } from '../report/incidents.js';
import { renderTable } from '../report/table.js';
import { sanitizeForTerminal } from '../report/text.js';
import type { Containment } from './containment.js';
import { renderPlan } from './plan-view.js';
import { PromptAborted, type Prompter } from './prompter.js';
import { findingLines, incidentLines, stepView } from './views.js';

export interface GuidedDeps {
  run: CaseRun;
  prompter: Prompter;
  write: (text: string) => void;
  spinner: (text: string) => { succeed(t: string): void; fail(t: string): void };
  color: boolean;
  /** Apply confirmed actions without asking again (--yes). */
  yes: boolean;
  containment: Containment;
}

type Next = 'continue' | 'details' | 'act' | 'finish';

/** The registered action a step names (the playbook loader has checked every name). */
function unitOf(id: string): Action {
  const unit = findAction(id);
  if (!unit) throw new Error(`unknown action ${id}`);
  return unit;
}

function wrap(text: string, width = 78): string {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + word.length + 1 > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out.map((l) => `  ${l}`).join('\n');
}

/**
 * The guided playbook: each step says why it matters, shows what it found, and asks before it
 * changes anything. Every answer is a custody event. Ends with the bundle.
 */
export class GuidedRun {
  private readonly steps: PlaybookStep[];

  constructor(private readonly d: GuidedDeps) {
    this.steps = d.run.playbook.data.steps;
  }

  private answer(step: string, question: string, answer: unknown): void {
    this.d.run.custody('answer', { step, question, answer }, this.d.run.examinerActor);
  }

  private async ask<T extends string>(step: PlaybookStep, question: string, choices: Array<{ value: T; name: string; description?: string }>): Promise<T> {
    const a = await this.d.prompter.select(question, choices);
    this.answer(step.id, question, a);
    return a;
  }

  async start(): Promise<CaseSummary> {
    const { run, write } = this.d;
    write(`\nir-triage · ${sanitizeForTerminal(run.playbook.data.title)} · case ${run.caseId}\n`);
    if (!run.host.isRoot) write('! Not running as root: other users\' processes, sockets and logs are hidden from this run.\n');
    try {
      for (const [i, step] of this.steps.entries()) {
        write(`\n── Step ${i + 1}/${this.steps.length} · ${sanitizeForTerminal(step.title)} ──\n${wrap(step.why)}\n`);
        const next = await this.runStep(step);
        if (next === 'finish') {
          this.d.run.custody('steps-skipped', { from: step.id });
          break;
        }
      }
    } catch (err) {
      if (!(err instanceof PromptAborted)) throw err;
      run.markInterrupted('Ctrl-C at a prompt');
      write('\nInterrupted: writing what was collected into the bundle.\n');
    }
    const summary = await run.close();
    write(this.closing(summary));
    return summary;
  }

  private async runStep(step: PlaybookStep): Promise<Next> {
    const { run, write } = this.d;
    if (step.kind === 'collect' || step.kind === 'detect') {
      const spin = this.d.spinner(`${step.title}…`);
      const outcome = await run.runStep(step);
      const ok = outcome.sources.filter((s) => s.status === 'ok').length;
      const failed = outcome.sources.filter((s) => s.status === 'error');
      const skipped = outcome.sources.filter((s) => s.status === 'skipped').length;
      const line = `${ok} source(s) read${skipped ? `, ${skipped} skipped` : ''}${failed.length ? `, ${failed.length} failed` : ''}`;
      if (failed.length) spin.fail(line);
      else spin.succeed(line);
      const view = stepView(step, run.engine.facts, outcome.findings, run.drafts);
      if (view) write(`${view}\n`);
      write(`${findingLines(outcome.findings, this.d.color)}\n`);
      return this.afterStep(step, outcome.findings, outcome.sources.filter((s) => s.status !== 'ok').map((s) => [s.id, s.status, s.status === 'error' ? s.message : s.status === 'skipped' ? s.reason : '']));
    }
    if (step.kind === 'note') {
      const view = stepView(step, run.engine.facts, run.drafts);
      if (view) write(`${view}\n`);
      return this.ask(step, 'Next?', [
        { value: 'continue', name: 'Continue' },
        { value: 'finish', name: 'Skip to the evidence bundle' },
      ]);
    }
    if (step.kind === 'prompt') {
      const yes = await this.d.prompter.confirm(step.question, true);
      this.answer(step.id, step.question, yes);
      return 'continue';
    }
    await this.actionStep(step.id, unitOf(step.action), step.title);
    return 'continue';
  }

  private async afterStep(step: PlaybookStep, findings: DraftFinding[], notOk: string[][]): Promise<Next> {
    const actionable = findings.some((f) => typeof f.subject.pid === 'number' || typeof f.subject.ip === 'string');
    for (;;) {
      const choices: Array<{ value: Next; name: string; description?: string }> = [{ value: 'continue', name: 'Continue' }];
      if (findings.length || notOk.length) choices.push({ value: 'details', name: 'Show details', description: 'why each finding matters, evidence, sources that failed' });
      if (actionable) choices.push({ value: 'act', name: 'Act now', description: 'freeze, quarantine or block what this step flagged' });
      choices.push({ value: 'finish', name: 'Skip to the evidence bundle' });
      const next = await this.ask(step, 'What next?', choices);
      if (next === 'details') {
        this.d.write(`${findingLines(findings, this.d.color, true)}\n`);
        if (notOk.length) this.d.write(`${renderTable(['source', 'status', 'why'], notOk)}\n`);
        continue;
      }
      if (next === 'act') {
        for (const action of ACT_NOW.map(unitOf)) {
          if (action.targets(this.d.run.engine.facts, findings).length) await this.actionStep(step.id, action, action.id, findings);
        }
        continue;
      }
      return next;
    }
  }

  private async actionStep(stepId: string, unit: Action, title: string, findings: DraftFinding[] = this.d.run.drafts): Promise<void> {
    const { run, write, prompter } = this.d;
    const action = unit.id;
    const targets = unit.targets(run.engine.facts, findings);
    if (targets.length === 0) {
      write(`${unit.nothingFound}\n`);
      return;
    }
    const question = `${sanitizeForTerminal(title)}: which ones? (space to select, enter when done; none to skip)`;
    const chosen = await prompter.checkbox(question, targets);
    this.answer(stepId, question, chosen);
    for (const target of chosen) {
      const plan = await this.d.containment.plan(action, target);
      run.custody('action-planned', { action, target, summary: plan.summary, changes: plan.changes.length, refused: plan.refused });
      write(renderPlan(plan, 'step'));
      if (plan.refused) continue;
      let apply = this.d.yes;
      if (!apply) {
        const q = `Apply these ${plan.changes.length} change(s)?${unit.declineNote ? ` (${unit.declineNote})` : ''}`;
        apply = await prompter.confirm(q, false);
        this.answer(stepId, q, apply);
      }
      if (!apply) {
        run.custody('action-declined', { action, target });
        write('  Not applied.\n');
        continue;
      }
      const result = await this.d.containment.apply(action, plan);
      run.actions.push({ action, target, ok: result.ok, message: result.message, undoRecord: result.undoRecord });
      write(`  ${result.ok ? '✔' : '✖'} ${sanitizeForTerminal(result.message)}${result.undoRecord ? ` (undo record: ${result.undoRecord})` : ''}\n`);
    }
  }

  private closing(s: CaseSummary): string {
    return [
      '',
      '── The evidence bundle ──',
      `  bundle:  ${s.bundle}`,
      `  sha256:  ${s.sha256}`,
      `  partial: ${s.partial ? `yes — ${s.partialReasons.join('; ')}` : 'no'}`,
      `  verdict: ${sanitizeForTerminal(s.verdict.headline)}`,
      `  findings: ${s.findings.length}, actions: ${this.d.run.actions.length}`,
      ...(s.incidents.length ? [incidentLines(incidentTitles(s.incidents), this.d.color)] : []),
      '',
      wrap(
        `Hand the bundle and its .sha256 file to the security officer, and send the sha256 above by a second channel (phone, ticket) so they can trust what arrives. They check it with "sha256sum -c" and "ir-triage verify"; report.html inside is the summary for them. Keep the bundle off this box: copy it to removable media or another host, since an intruder with root can change anything left here. Containment is not clean-up: rebuilding the server from known-good media is the safe end.`,
      ),
      '',
    ].join('\n');
  }
}
