/**
 * The report for the security officer, as report.html and report.md. Both are rendered from a
 * case folder's own files (loadReportData), never from a run's memory: `collect` renders from its
 * staging folder and `ir-triage report` from a bundle handed over, and the two agree.
 */
export { loadReportData, type Integrity, type ReportData } from './data.js';
export { renderHtml } from './html.js';
export { renderMarkdown } from './markdown.js';
