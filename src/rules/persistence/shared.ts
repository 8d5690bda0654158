/** What the persistence rules share: judging what a command runs, and pointing at the preserved files. */
import type { Severity } from '../../model/finding.js';
import type { KnownFacts } from '../../model/facts.js';
import type { CommandAnalysis, CommandToolHit } from '../../model/persistence.js';
import { inWritableDir, isDeceptiveName } from '../process/paths.js';

const ORDER: Severity[] = ['informational', 'low', 'medium', 'high', 'critical'];

export function maxSeverity(a: Severity | null, b: Severity): Severity {
  return a === null || ORDER.indexOf(b) > ORDER.indexOf(a) ? b : a;
}

/**
 * Dot-folders that language and certificate tools install into a home and run from cron or a
 * start-up file (acme.sh's renewal line, rustup's `. ~/.cargo/env`). Only in a home: the same
 * name under /tmp is judged as /tmp.
 */
export const TOOL_DOT_FOLDERS = ['.acme.sh', '.local', '.nvm', '.cargo', '.rustup', '.pyenv', '.rbenv', '.sdkman', '.deno', '.bun', '.volta', '.asdf'];

function inHome(p: string): boolean {
  return /^(?:~|\/root|\/home\/[^/]+)\//.test(p);
}

/** Folder components (not the file name) that look hidden: dot-names, and names made to pass for `.` or `..`. */
export function hiddenFolders(p: string): string[] {
  const parts = p.split('/').slice(1, -1);
  return parts.filter((c) => c.startsWith('.') || isDeceptiveName(c));
}

export interface Verdict {
  severity: Severity;
  reasons: string[];
  /** The file run that made the verdict (the first), or null for a fetch or reverse shell. */
  runs: string | null;
  tool: CommandToolHit | null;
}

/**
 * How bad one command is, or null when nothing is wrong with it: fetch-and-pipe and a file run
 * from a world-writable or hidden folder are high, a reverse shell and a known tool critical.
 * `sourcedOk`: a script sourced by a shell start-up file from a dot-folder in a home is normal.
 */
export function judgeCommand(a: CommandAnalysis | null, hits: CommandToolHit[], minScore: number, opts: { sourcedOk?: boolean } = {}): Verdict | null {
  const reasons: string[] = [];
  let severity: Severity | null = null;
  let runs: string | null = null;
  if (a?.fetchPipe) {
    reasons.push(`it downloads or decodes code and runs it at once (${a.fetchPipe}): what runs is whatever the server sends that day, and nothing of it stays on disk`);
    severity = maxSeverity(severity, 'high');
  }
  if (a?.reverseShell) {
    reasons.push(`it opens a reverse shell (${a.reverseShell}): a remote shell for whoever listens at the other end`);
    severity = maxSeverity(severity, 'critical');
  }
  for (const r of a?.runs ?? []) {
    const writable = inWritableDir(r.path);
    const hidden = hiddenFolders(r.path);
    const deceptive = hidden.filter((h) => isDeceptiveName(h));
    const unknownHidden = hidden.filter((h) => !(TOOL_DOT_FOLDERS.includes(h) && inHome(r.path)));
    const what = r.as === 'script' ? 'a script' : 'a program';
    let reason: string | null = null;
    if (writable) reason = `it runs ${what} from ${writable}, which any user can write to${hidden.length ? `, inside the hidden folder ${JSON.stringify(hidden[0])}` : ''}: ${JSON.stringify(r.path)}`;
    else if (deceptive.length) reason = `it runs ${what} from a folder named to pass for . or ..: ${JSON.stringify(r.path)}`;
    else if (unknownHidden.length && !(opts.sourcedOk && r.as === 'script')) reason = `it runs ${what} from the hidden folder ${JSON.stringify(unknownHidden[0])}: ${JSON.stringify(r.path)}`;
    if (!reason) continue;
    reasons.push(reason);
    runs ??= r.path;
    severity = maxSeverity(severity, 'high');
  }
  const tool = hits.find((h) => h.score >= minScore) ?? null;
  if (tool) {
    reasons.push(`it names a known tool: ${tool.description ?? tool.pattern} (${JSON.stringify(tool.value)} on ${tool.list}, score ${tool.score})`);
    severity = maxSeverity(severity, tool.score >= 80 ? 'critical' : reasons.length > 1 ? 'high' : 'medium');
  }
  if (!severity) return null;
  return { severity, reasons, runs, tool };
}

/** The preserved copy of a file the persistence collectors read, for a finding's evidence. */
export function copyOf(facts: KnownFacts, file: string): string[] {
  const f = (facts.persistenceFiles ?? []).find((x) => x.path === file);
  return f?.copy ? [f.copy] : [];
}

/** A command or line for a title: one line, at most 120 characters. */
export function short(text: string, max = 120): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** Allocators administrators preload on purpose; still reported, at a lower level. */
export function isKnownAllocator(value: string): boolean {
  return value
    .split(/[\s:]+/)
    .filter(Boolean)
    .every((lib) => /^\/(?:usr\/)?lib(?:64|32)?\/(?:[^/]+\/)?lib(?:jemalloc|tcmalloc(?:_minimal)?|mimalloc)\.so(?:\.[0-9.]+)?$/.test(lib));
}
