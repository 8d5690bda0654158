import { escapeHtml } from './text.js';

/**
 * Failed and accepted ssh logins over time: counted while the auth events stream past (bounded
 * memory: per minute, coarsened to hours and then days when a log spans years), and drawn as an
 * inline SVG — no script, no external asset, vector for print.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Bucket widths the chart may use, narrowest first. */
const WIDTHS = [MINUTE, 5 * MINUTE, 15 * MINUTE, HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 7 * DAY, 30 * DAY, 91 * DAY, 365 * DAY];
/** Distinct buckets kept while counting before the resolution is coarsened. */
const MAX_KEYS = 50_000;

export interface AuthBar {
  /** Start of the bucket, ms since the epoch (UTC). */
  startMs: number;
  failures: number;
  logins: number;
}

export interface AuthSeries {
  bucketMs: number;
  bars: AuthBar[];
  failures: number;
  logins: number;
}

export class AuthHistogram {
  private resolutionMs = MINUTE;
  private counts = new Map<number, { failures: number; logins: number }>();
  failures = 0;
  logins = 0;

  /** One failed (`failure`, n attempts) or accepted (`login`) ssh login at timeMs. */
  add(timeMs: number, kind: 'failure' | 'login', n = 1): void {
    if (!Number.isFinite(timeMs) || n <= 0) return;
    const key = Math.floor(timeMs / this.resolutionMs) * this.resolutionMs;
    let c = this.counts.get(key);
    if (!c) {
      c = { failures: 0, logins: 0 };
      this.counts.set(key, c);
    }
    if (kind === 'failure') {
      c.failures += n;
      this.failures += n;
    } else {
      c.logins += n;
      this.logins += n;
    }
    if (this.counts.size > MAX_KEYS) this.coarsen();
  }

  private coarsen(): void {
    this.resolutionMs = this.resolutionMs < HOUR ? HOUR : this.resolutionMs < DAY ? DAY : this.resolutionMs * 7;
    const old = this.counts;
    this.counts = new Map();
    for (const [t, c] of old) {
      const key = Math.floor(t / this.resolutionMs) * this.resolutionMs;
      const n = this.counts.get(key) ?? { failures: 0, logins: 0 };
      n.failures += c.failures;
      n.logins += c.logins;
      this.counts.set(key, n);
    }
  }

  /** Buckets from the first event to the last, empty ones included (a linear time axis), at most maxBars. */
  series(maxBars = 96): AuthSeries {
    const keys = [...this.counts.keys()];
    if (keys.length === 0) return { bucketMs: this.resolutionMs, bars: [], failures: 0, logins: 0 };
    let first = Infinity;
    let last = -Infinity;
    for (const k of keys) {
      if (k < first) first = k;
      if (k > last) last = k;
    }
    const span = last - first + this.resolutionMs;
    const bucketMs = WIDTHS.find((w) => w >= this.resolutionMs && Math.ceil(span / w) + 1 <= maxBars) ?? WIDTHS[WIDTHS.length - 1];
    const start = Math.floor(first / bucketMs) * bucketMs;
    const n = Math.floor(last / bucketMs) - Math.floor(first / bucketMs) + 1;
    const bars: AuthBar[] = Array.from({ length: n }, (_, i) => ({ startMs: start + i * bucketMs, failures: 0, logins: 0 }));
    for (const [t, c] of this.counts) {
      const bar = bars[Math.floor(t / bucketMs) - Math.floor(first / bucketMs)];
      bar.failures += c.failures;
      bar.logins += c.logins;
    }
    return { bucketMs, bars, failures: this.failures, logins: this.logins };
  }
}

/** `5 min`, `1 h`, `1 day`: the width of one bar, for the caption. */
export function widthText(ms: number): string {
  if (ms < HOUR) return `${ms / MINUTE} min`;
  if (ms < DAY) return `${ms / HOUR} h`;
  return ms === DAY ? '1 day' : `${Math.round(ms / DAY)} days`;
}

/** A bucket's start as the axis shows it (UTC): the date alone for day-wide buckets. */
export function bucketLabel(startMs: number, bucketMs: number): string {
  const iso = new Date(startMs).toISOString();
  return bucketMs >= DAY ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

/** 1, 2, 5 × 10^k at or above n: round numbers for the axis. */
export function niceCeiling(n: number): number {
  if (n <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 5, 10]) if (m * p >= n) return m * p;
  return 10 * p;
}

const fmt = (n: number) => n.toLocaleString('en-US');

/**
 * The chart as an inline SVG: failed logins as red bars (left axis), accepted logins as green
 * marks on their own lane below (a handful of logins must stay visible next to thousands of
 * failures), dates in UTC.
 */
export function renderAuthChartSvg(series: AuthSeries): string {
  const W = 960;
  const left = 64;
  const right = 16;
  const top = 14;
  const plotH = 150;
  const laneY = top + plotH + 22;
  const H = laneY + 46;
  const plotW = W - left - right;
  const title = 'Failed and accepted ssh logins over time (UTC)';
  if (series.bars.length === 0) {
    return `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} 60" role="img" aria-label="${title}: no events"><title>${title}</title>` +
      `<text x="${W / 2}" y="34" text-anchor="middle" class="empty">No failed or accepted ssh logins in the auth events of this bundle.</text></svg>`;
  }
  const max = niceCeiling(Math.max(...series.bars.map((b) => b.failures)));
  const n = series.bars.length;
  const slot = plotW / n;
  const barW = Math.max(1, Math.min(slot * 0.8, 48));
  const y = (v: number) => top + plotH - (v / max) * plotH;
  const parts: string[] = [];
  parts.push(`<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="chart-title chart-desc">`);
  parts.push(`<title id="chart-title">${title}</title>`);
  parts.push(`<desc id="chart-desc">${escapeHtml(`${fmt(series.failures)} failed and ${fmt(series.logins)} accepted ssh logins from ${bucketLabel(series.bars[0].startMs, series.bucketMs)} to ${bucketLabel(series.bars[n - 1].startMs + series.bucketMs, series.bucketMs)}, ${widthText(series.bucketMs)} per bar.`)}</desc>`);
  // Grid and left axis: 0, half, max.
  for (const v of [0, max / 2, max]) {
    const gy = y(v).toFixed(1);
    parts.push(`<line class="grid" x1="${left}" x2="${W - right}" y1="${gy}" y2="${gy}"/>`);
    parts.push(`<text class="axis" x="${left - 6}" y="${gy}" dy="4" text-anchor="end">${fmt(Math.round(v))}</text>`);
  }
  parts.push(`<text class="axis" x="12" y="${top + plotH / 2}" transform="rotate(-90 12 ${top + plotH / 2})" text-anchor="middle">failed</text>`);
  parts.push(`<text class="axis" x="${left - 6}" y="${laneY + 4}" text-anchor="end">accepted</text>`);
  parts.push(`<line class="lane" x1="${left}" x2="${W - right}" y1="${laneY}" y2="${laneY}"/>`);
  const maxLogins = Math.max(...series.bars.map((b) => b.logins));
  series.bars.forEach((b, i) => {
    const cx = left + i * slot + slot / 2;
    const label = `${bucketLabel(b.startMs, series.bucketMs)} UTC: ${fmt(b.failures)} failed, ${fmt(b.logins)} accepted`;
    if (b.failures > 0) {
      const h = Math.max(1, (b.failures / max) * plotH);
      parts.push(`<rect class="fail" x="${(cx - barW / 2).toFixed(1)}" y="${(top + plotH - h).toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}"><title>${escapeHtml(label)}</title></rect>`);
    }
    if (b.logins > 0) {
      const r = 4 + (maxLogins > 1 ? (4 * Math.log(b.logins)) / Math.log(maxLogins) : 0);
      parts.push(`<circle class="login" cx="${cx.toFixed(1)}" cy="${laneY}" r="${r.toFixed(1)}"><title>${escapeHtml(label)}</title></circle>`);
      if (b.logins > 1) parts.push(`<text class="count" x="${cx.toFixed(1)}" y="${laneY + 20}" text-anchor="middle">${fmt(b.logins)}</text>`);
    }
  });
  // Up to five date labels along the bottom, first and last included.
  const ticks = n === 1 ? [0] : [...new Set([0, 1, 2, 3, 4].map((k) => Math.round((k * (n - 1)) / 4)))];
  for (const i of ticks) {
    const anchor = n === 1 ? 'middle' : i === 0 ? 'start' : i === n - 1 ? 'end' : 'middle';
    const x = n === 1 ? left + slot / 2 : i === 0 ? left : i === n - 1 ? W - right : left + i * slot + slot / 2;
    parts.push(`<text class="axis" x="${x.toFixed(1)}" y="${H - 4}" text-anchor="${anchor}">${escapeHtml(bucketLabel(series.bars[i].startMs, series.bucketMs))}</text>`);
  }
  parts.push('</svg>');
  return parts.join('');
}
