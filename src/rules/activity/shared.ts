/** What the activity rules share: how a history command is named in a finding. */
import type { ActivitySignal, HistoryCommand } from '../../model/activity.js';
import type { DraftFinding, Severity } from '../../model/finding.js';
import type { KnownFacts } from '../../model/facts.js';
import { short } from '../persistence/shared.js';

/** "alice's session from 203.0.113.9 (login 2024-…)", or a sentence on why no session is named. */
export function sessionPhrase(c: HistoryCommand): string {
  if (c.session) return `in ${c.user}'s session${c.session.address ? ` from ${c.session.address}` : ''} (login ${c.session.login}${c.session.logout ? `, logout ${c.session.logout}` : ', still open or end unknown'}; ${c.session.source})`;
  if (c.time) return `at ${c.time}, when no recorded session of ${c.user} was open (su/sudo from another account, a cron job, or a login whose record was removed)`;
  return 'at an unknown time (the history keeps no timestamps: the file was last written at its mtime)';
}

/** The history file's copy in the bundle, when it was copied. */
export function historyEvidence(facts: KnownFacts, file: string): string[] {
  const f = (facts.historyFiles ?? []).find((x) => x.path === file);
  return ['artifacts/history-commands.jsonl', ...(f?.copy ? [f.copy] : [])];
}

/** One finding about one history command. */
export function commandFinding(facts: KnownFacts, rule: { id: string; mitre: string[] }, c: HistoryCommand, severity: Severity, title: string, reasons: string[], advice: string, extra: Record<string, unknown> = {}): DraftFinding {
  return {
    rule: rule.id,
    severity,
    title: `${title}: ${short(c.text, 80)} (${c.file} line ${c.line})`,
    detail: `${c.user} typed ${JSON.stringify(short(c.text, 300))} (${c.file}, line ${c.line}) ${sessionPhrase(c)}: ${reasons.join('; ')}. ${advice}`,
    mitre: rule.mitre,
    subject: {
      pid: null,
      path: c.file,
      line: c.line,
      user: c.user,
      ip: c.session?.address ?? null,
      command: c.text.length > 1000 ? c.text.slice(0, 1000) : c.text,
      time: c.time,
      session: c.session,
      ...extra,
    },
    evidence: historyEvidence(facts, c.file),
  };
}

/** The signals of one kind a command carries. */
export function signalsOf(c: HistoryCommand, kind: ActivitySignal['kind']): ActivitySignal[] {
  return c.signals.filter((s) => s.kind === kind);
}
