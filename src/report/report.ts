import type { Finding } from '../model/finding.js';
import type { SourceStatus } from '../model/source.js';
import type { StoredFile } from '../model/sink.js';
import { escapeHtml, escapeMarkdown } from './text.js';

export interface ReportInput {
  caseId: string;
  examiner: string | null;
  hostname: string;
  mode: 'live' | 'offline';
  startedAt: string;
  endedAt: string;
  root: boolean;
  partial: boolean;
  partialReasons: string[];
  tool: { name: string; version: string };
  playbook: { id: string; title: string };
  steps: Array<{ id: string; title: string; why: string; kind: string; ran: boolean }>;
  findings: Finding[];
  sources: SourceStatus[];
  files: StoredFile[];
}

function sourceDetail(s: SourceStatus): string {
  if (s.status === 'error') return s.message;
  if (s.status === 'skipped') return s.reason;
  return s.detail ?? '';
}

function verdict(input: ReportInput): string {
  const top = input.findings[0];
  if (!top) return 'No findings from the checks that ran.';
  return `${input.findings.length} finding(s); most severe: ${top.severity} — ${top.title}`;
}

/** report.md: the summary for the security officer, as plain Markdown. */
export function renderMarkdown(input: ReportInput): string {
  const md = escapeMarkdown;
  const out: string[] = [];
  out.push(`# ir-triage report: ${md(input.caseId)}`, '');
  out.push(`**${md(verdict(input))}**`, '');
  out.push('## Collection', '');
  out.push('| | |', '|---|---|');
  out.push(`| Host | ${md(input.hostname)} |`);
  out.push(`| Mode | ${input.mode} |`);
  out.push(`| Examiner | ${md(input.examiner ?? '(not given)')} |`);
  out.push(`| Started | ${input.startedAt} |`, `| Ended | ${input.endedAt} |`);
  out.push(`| Run as root | ${input.root ? 'yes' : 'no'} |`);
  out.push(`| Partial | ${input.partial ? `yes: ${md(input.partialReasons.join('; '))}` : 'no'} |`);
  out.push(`| Tool | ${md(input.tool.name)} ${md(input.tool.version)} |`);
  out.push(`| Playbook | ${md(input.playbook.id)} (${md(input.playbook.title)}) |`, '');

  out.push('## Findings', '');
  if (input.findings.length === 0) out.push('None from the checks that ran.', '');
  else {
    out.push('| id | level | rule | title |', '|---|---|---|---|');
    for (const f of input.findings) out.push(`| ${f.id} | ${f.severity} | ${md(f.rule)} | ${md(f.title)} |`);
    out.push('');
    for (const f of input.findings) {
      out.push(`### ${f.id} ${md(f.title)}`, '', md(f.detail), '');
      if (f.mitre.length) out.push(`ATT&CK: ${f.mitre.map(md).join(', ')}`, '');
      if (f.evidence.length) out.push(`Evidence: ${f.evidence.map((e) => `\`${e.replace(/`/g, "'")}\``).join(', ')}`, '');
    }
  }

  out.push('## Steps', '');
  out.push('| step | kind | ran | why |', '|---|---|---|---|');
  for (const s of input.steps) out.push(`| ${md(s.title)} | ${s.kind} | ${s.ran ? 'yes' : 'no (needs the guided run)'} | ${md(s.why)} |`);
  out.push('');

  out.push('## Sources', '');
  out.push('| source | status | detail |', '|---|---|---|');
  for (const s of input.sources) out.push(`| ${md(s.id)} | ${s.status} | ${md(sourceDetail(s))} |`);
  out.push('');

  out.push('## Files in the bundle', '');
  out.push('| file | bytes | sha256 |', '|---|---:|---|');
  for (const f of input.files) out.push(`| ${md(f.path)} | ${f.size} | \`${f.sha256}\` |`);
  out.push('');
  return out.join('\n');
}

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:70em;color:#111}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
code{font-size:12px;word-break:break-all}.critical{background:#7f0000;color:#fff}.high{background:#d32f2f;color:#fff}
.medium{background:#f9a825}.low{background:#fff59d}.informational{background:#e0e0e0}.verdict{font-size:1.2em;font-weight:600}
@media print{body{margin:0}}`;

/** report.html: one self-contained file (no external asset); every string from the box escaped. */
export function renderHtml(input: ReportInput): string {
  const h = escapeHtml;
  const rows = (cells: string[][]) => cells.map((c) => `<tr>${c.map((x) => `<td>${x}</td>`).join('')}</tr>`).join('\n');
  const findings =
    input.findings.length === 0
      ? '<p>None from the checks that ran.</p>'
      : input.findings
          .map(
            (f) => `<section><h3><span class="${f.severity}">${f.severity}</span> ${h(f.id)} ${h(f.title)}</h3>
<p>${h(f.detail)}</p><p>Rule <code>${h(f.rule)}</code>${f.mitre.length ? `; ATT&amp;CK ${f.mitre.map(h).join(', ')}` : ''}</p>
${f.evidence.length ? `<p>Evidence: ${f.evidence.map((e) => `<code>${h(e)}</code>`).join(', ')}</p>` : ''}</section>`,
          )
          .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>ir-triage report ${h(input.caseId)}</title><style>${CSS}</style></head>
<body>
<h1>ir-triage report: ${h(input.caseId)}</h1>
<p class="verdict">${h(verdict(input))}</p>
<h2>Collection</h2>
<table>${rows([
    ['Host', h(input.hostname)],
    ['Mode', h(input.mode)],
    ['Examiner', h(input.examiner ?? '(not given)')],
    ['Started', h(input.startedAt)],
    ['Ended', h(input.endedAt)],
    ['Run as root', input.root ? 'yes' : 'no'],
    ['Partial', input.partial ? `yes: ${h(input.partialReasons.join('; '))}` : 'no'],
    ['Tool', `${h(input.tool.name)} ${h(input.tool.version)}`],
    ['Playbook', `${h(input.playbook.id)} (${h(input.playbook.title)})`],
  ])}</table>
<h2>Findings</h2>
${findings}
<h2>Steps</h2>
<table><tr><th>step</th><th>kind</th><th>ran</th><th>why</th></tr>
${rows(input.steps.map((s) => [h(s.title), h(s.kind), s.ran ? 'yes' : 'no (needs the guided run)', h(s.why)]))}</table>
<h2>Sources</h2>
<table><tr><th>source</th><th>status</th><th>detail</th></tr>
${rows(input.sources.map((s) => [h(s.id), h(s.status), h(sourceDetail(s))]))}</table>
<h2>Files in the bundle</h2>
<table><tr><th>file</th><th>bytes</th><th>sha256</th></tr>
${rows(input.files.map((f) => [h(f.path), String(f.size), `<code>${h(f.sha256)}</code>`]))}</table>
</body></html>
`;
}
