import os from 'node:os';
import { verifyBundle } from '../evidence/verify.js';
import { mapLimit } from '../model/concurrency.js';
import { SEVERITIES, severityRank, type Finding, type Severity } from '../model/finding.js';
import { computeVerdict, verdictRank, type VerdictLevel } from '../report/verdict.js';
import type { FoundBundle } from './find.js';
import { errorLine } from '../host/errors.js';

/** Titles of the most severe findings shown per bundle. */
export const TOP_FINDINGS = 3;

/** One bundle in the fleet summary (the objects `summarize --json` prints). */
export interface FleetRow {
  /** The .tar.gz or case folder, as found under the folder given. */
  bundle: string;
  /** Every hash, the file lists and the custody chain check out (ir-triage verify). */
  ok: boolean;
  /** What is wrong with a bundle that is not intact, one line each; empty when ok. */
  problems: string[];
  /** The host's own name (manifest.json); null when the manifest could not be read. */
  host: string | null;
  case: string | null;
  examiner: string | null;
  /** When the collection started (ISO 8601 UTC). */
  startedAt: string | null;
  /** A bundle written by a containment command (quarantine, restore) names it; null for collect and run. */
  action: string | null;
  /**
   * computeVerdict over findings.json; null for a bundle that is not intact (its content is not
   * trusted) and for one without findings.json (quarantine, restore).
   */
  verdict: VerdictLevel | null;
  headline: string | null;
  partial: boolean | null;
  /** Findings per level; null for a bundle that is not intact. */
  counts: Record<Severity, number> | null;
  findings: number | null;
  /** Titles of the most severe findings, most severe first (box text: sanitise before showing). */
  top: string[];
  /**
   * The incidents of artifacts/incidents.json: how many, the main one's title and every title in
   * the file's order (box text). Null for a bundle without one (written before incidents existed,
   * or by quarantine and restore), with one that does not fit its schema, or not intact.
   */
  incidents: { count: number; main: string | null; titles: string[] } | null;
}

/** Verifies one bundle and reads its verdict; a bundle that cannot be read is a row that says so. */
export async function summarizeBundle(found: FoundBundle): Promise<FleetRow> {
  const row: FleetRow = {
    bundle: found.path,
    ok: false,
    problems: [],
    host: null,
    case: null,
    examiner: null,
    startedAt: null,
    action: null,
    verdict: null,
    headline: null,
    partial: null,
    counts: null,
    findings: null,
    top: [],
    incidents: null,
  };
  let report;
  try {
    report = await verifyBundle(found.path);
  } catch (err) {
    row.problems.push(`could not be read: ${errorLine(err)}`);
    return row;
  }
  // manifest.json passed its schema, or is null: no field is of an unexpected type.
  const manifest = report.manifest;
  row.host = manifest?.host?.hostname ?? null;
  row.case = manifest?.case ?? report.caseId;
  row.examiner = manifest?.examiner ?? null;
  row.startedAt = manifest?.startedAt ?? null;
  row.problems = report.problems;
  row.ok = report.ok;
  if (!report.ok) return row;
  row.action = manifest?.action ?? null;
  row.partial = manifest?.partial === true;
  // Bundles of quarantine and restore hold no findings: listed, with no verdict.
  if (report.findings === null) return row;

  const findings: Finding[] = report.findings.map((f) => ({ ...f })).sort((a, b) => severityRank(b.severity) - severityRank(a.severity));
  const verdict = computeVerdict(findings, row.partial);
  row.verdict = verdict.level;
  row.headline = verdict.headline;
  row.counts = Object.fromEntries(SEVERITIES.map((s) => [s, findings.filter((f) => f.severity === s).length])) as Record<Severity, number>;
  row.findings = findings.length;
  row.top = findings.slice(0, TOP_FINDINGS).map((f) => f.title);
  const incidents = report.incidents?.incidents;
  if (incidents) {
    const main = incidents.find((i) => i.id === report.incidents!.main) ?? incidents[0];
    row.incidents = { count: incidents.length, main: main?.title ?? null, titles: incidents.map((i) => i.title) };
  }
  return row;
}

/**
 * Most severe first: by verdict, then by the count at each level from critical down, then host,
 * case and path. Bundles without a verdict (quarantine, restore) follow; bundles that are not
 * intact come last, where the closing lines name them.
 */
export function compareRows(a: FleetRow, b: FleetRow): number {
  if (a.ok !== b.ok) return a.ok ? -1 : 1;
  if ((a.verdict === null) !== (b.verdict === null)) return a.verdict === null ? 1 : -1;
  if (a.verdict !== null && b.verdict !== null) {
    const byVerdict = verdictRank(a.verdict) - verdictRank(b.verdict);
    if (byVerdict !== 0) return byVerdict;
    for (const s of [...SEVERITIES].reverse()) {
      const byCount = b.counts![s] - a.counts![s];
      if (byCount !== 0) return byCount;
    }
  }
  return (a.host ?? '').localeCompare(b.host ?? '') || (a.case ?? '').localeCompare(b.case ?? '') || (a.bundle < b.bundle ? -1 : a.bundle > b.bundle ? 1 : 0);
}

/** Bundles verified at once: hashing is CPU, reading and gunzip overlap with it. */
const CONCURRENCY = Math.max(2, Math.min(8, os.availableParallelism()));

/** Every bundle verified and summarised, in the order compareRows gives. */
export async function summarizeBundles(found: FoundBundle[], concurrency = CONCURRENCY): Promise<FleetRow[]> {
  const rows = await mapLimit(found, concurrency, summarizeBundle);
  return rows.sort(compareRows);
}
