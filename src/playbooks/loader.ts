import { createHash } from 'node:crypto';
import path from 'node:path';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import { findAction } from '../actions/index.js';
import { readdir, readTextFile, shippedPath } from '../assets.js';
import { findCollector } from '../collectors/index.js';
import { CliError } from '../model/errors.js';
import { findRule } from '../rules/index.js';
import type { Thresholds } from '../rules/types.js';
import { playbookSchema, type PlaybookData } from './schema.js';
import { errnoCode } from '../host/errors.js';

/** The shipped playbooks, next to the package root (embedded in a single-file build: see src/assets.ts). */
export const SHIPPED_DIR = shippedPath('playbooks/');

export interface Playbook {
  id: string;
  file: string;
  sha256: string;
  data: PlaybookData;
  /** Every rule the playbook runs, with the shipped defaults overlaid by the playbook's values. */
  thresholds: Record<string, Thresholds>;
}

/** A playbook that does not validate: the file, the line and what is wrong. */
export class PlaybookError extends CliError {
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly reason: string,
  ) {
    super(`${file}${line ? `:${line}` : ''}: ${reason}`, 1);
  }
}

function lineOf(doc: Document, lc: LineCounter, at: Array<string | number>): number | null {
  for (let n = at.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(at.slice(0, n), true);
    if (isNode(node) && node.range) return lc.linePos(node.range[0]).line;
  }
  return null;
}

function describePath(at: Array<string | number>): string {
  return at.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${p}` : p), '');
}

/** Parses and validates playbook text; `file` is only used in messages. */
export function parsePlaybook(text: string, file: string, fallbackId: string): Playbook {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    throw new PlaybookError(file, e.linePos?.[0].line ?? null, `not valid YAML: ${e.message.split('\n')[0]}`);
  }
  const parsed = playbookSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    const where = describePath(at);
    throw new PlaybookError(file, lineOf(doc, lc, at), `${where ? `${where}: ` : ''}${issue.message}`);
  }
  const data = parsed.data;
  const fail = (at: Array<string | number>, reason: string): never => {
    throw new PlaybookError(file, lineOf(doc, lc, at), `${describePath(at)}: ${reason}`);
  };

  const seen = new Set<string>();
  const ruleIds = new Set<string>();
  data.steps.forEach((step, i) => {
    if (seen.has(step.id)) fail(['steps', i, 'id'], `step id "${step.id}" is used twice`);
    seen.add(step.id);
    if (step.kind === 'collect') {
      step.collect.forEach((c, j) => {
        if (!findCollector(c)) fail(['steps', i, 'collect', j], `unknown collector "${c}"`);
      });
    }
    if (step.kind === 'collect' || step.kind === 'detect') {
      step.rules.forEach((r, j) => {
        if (!findRule(r)) fail(['steps', i, 'rules', j], `unknown rule "${r}"`);
        ruleIds.add(r);
      });
    }
    if (step.kind === 'action' && !findAction(step.action)) fail(['steps', i, 'action'], `unknown action "${step.action}"`);
  });

  const thresholds: Record<string, Thresholds> = {};
  for (const r of ruleIds) thresholds[r] = { ...findRule(r)!.thresholds };
  for (const [ruleId, values] of Object.entries(data.thresholds)) {
    const rule = findRule(ruleId);
    if (!rule) fail(['thresholds', ruleId], `unknown rule "${ruleId}"`);
    for (const [param, value] of Object.entries(values)) {
      if (!(param in rule!.thresholds)) {
        fail(['thresholds', ruleId, param], `rule ${ruleId} has no threshold "${param}" (it has: ${Object.keys(rule!.thresholds).join(', ') || 'none'})`);
      }
      (thresholds[ruleId] ??= { ...rule!.thresholds })[param] = value;
    }
  }

  const sha256 = createHash('sha256').update(text).digest('hex');
  return { id: data.id ?? fallbackId, file, sha256, data, thresholds };
}

/** Loads a playbook by shipped name (`ssh-compromise`) or by path. */
export async function loadPlaybook(nameOrPath: string): Promise<Playbook> {
  const looksLikePath = nameOrPath.includes('/') || /\.ya?ml$/i.test(nameOrPath);
  const file = looksLikePath ? path.resolve(nameOrPath) : path.join(SHIPPED_DIR, `${nameOrPath}.yaml`);
  let text: string;
  try {
    text = await readTextFile(file);
  } catch (err) {
    const code = errnoCode(err);
    if (!looksLikePath && code === 'ENOENT') {
      const known = (await listShipped()).map((p) => p.id).join(', ');
      throw new CliError(`unknown playbook "${nameOrPath}" (shipped: ${known || 'none'}; or give a path to a .yaml file)`, 2);
    }
    throw new CliError(`cannot read playbook ${file}: ${code ?? String(err)}`);
  }
  return parsePlaybook(text, file, path.basename(file).replace(/\.ya?ml$/i, ''));
}

export async function listShipped(): Promise<Array<{ id: string; file: string }>> {
  let names: string[] = [];
  try {
    names = await readdir(SHIPPED_DIR);
  } catch {
    return [];
  }
  return names
    .filter((n) => /\.ya?ml$/.test(n))
    .sort()
    .map((n) => ({ id: n.replace(/\.ya?ml$/, ''), file: path.join(SHIPPED_DIR, n) }));
}
