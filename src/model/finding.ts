/** Sigma's levels, least to most severe. */
export const SEVERITIES = ['informational', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(level: Severity): number {
  return SEVERITIES.indexOf(level);
}

export function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}

export interface FindingSubject {
  pid?: number | null;
  path?: string | null;
  user?: string | null;
  ip?: string | null;
  [key: string]: unknown;
}

/** A finding as it appears in findings.json (SPEC.md, "Findings"). */
export interface Finding {
  id: string;
  rule: string;
  severity: Severity;
  title: string;
  detail: string;
  mitre: string[];
  subject: FindingSubject;
  evidence: string[];
}

/** What a rule returns; the engine numbers findings once they are sorted. */
export type DraftFinding = Omit<Finding, 'id'>;

/** Most severe first; ties keep rule order then title order, so output is stable. */
export function numberFindings(drafts: DraftFinding[]): Finding[] {
  const sorted = [...drafts].sort(
    (a, b) =>
      severityRank(b.severity) - severityRank(a.severity) ||
      a.rule.localeCompare(b.rule) ||
      a.title.localeCompare(b.title),
  );
  return sorted.map((f, i) => ({ id: `F-${String(i + 1).padStart(4, '0')}`, ...f }));
}
