import { describe, expect, it } from 'vitest';
import { AuthHistogram, bucketLabel, niceCeiling, renderAuthChartSvg, widthText } from '../../src/report/chart.js';

const T0 = Date.parse('2026-11-19T00:00:00Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

const count = (svg: string, re: RegExp) => (svg.match(re) ?? []).length;

describe('the auth chart', () => {
  it('draws no bar and says so when there are no events', () => {
    const h = new AuthHistogram();
    const s = h.series();
    expect(s).toMatchObject({ bars: [], failures: 0, logins: 0 });
    const svg = renderAuthChartSvg(s);
    expect(svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('No failed or accepted ssh logins');
    expect(count(svg, /<rect/g)).toBe(0);
    expect(svg.endsWith('</svg>')).toBe(true);
  });

  it('draws one bar for one point, labelled with its minute', () => {
    const h = new AuthHistogram();
    h.add(T0 + 10 * HOUR + 7 * MIN + 12_000, 'failure');
    const s = h.series();
    expect(s.bucketMs).toBe(MIN);
    expect(s.bars).toEqual([{ startMs: T0 + 10 * HOUR + 7 * MIN, failures: 1, logins: 0 }]);
    const svg = renderAuthChartSvg(s);
    expect(count(svg, /<rect class="fail"/g)).toBe(1);
    expect(count(svg, /<circle/g)).toBe(0);
    expect(svg).toContain('>2026-11-19 10:07</text>');
    expect(svg).toContain('<title>2026-11-19 10:07 UTC: 1 failed, 0 accepted</title>');
    // A single bar is not stretched over the whole width.
    expect(Number(/<rect class="fail" x="[\d.]+" y="[\d.]+" width="([\d.]+)"/.exec(svg)![1])).toBeLessThanOrEqual(48);
  });

  it('spreads many days over at most maxBars buckets, empty ones included, and keeps every count', () => {
    const h = new AuthHistogram();
    let failures = 0;
    for (let d = 0; d < 30; d++) {
      for (let k = 0; k < 50 + d; k++) {
        h.add(T0 + d * DAY + ((k * 37) % 1440) * MIN, 'failure');
        failures++;
      }
      if (d % 7 === 0) h.add(T0 + d * DAY + 9 * HOUR, 'login');
    }
    const s = h.series(40);
    expect(s.bucketMs).toBe(DAY);
    expect(s.bars).toHaveLength(30);
    expect(s.bars.map((b) => b.startMs)).toEqual(Array.from({ length: 30 }, (_, d) => T0 + d * DAY));
    expect(s.bars.reduce((a, b) => a + b.failures, 0)).toBe(failures);
    expect(s.bars.filter((b) => b.logins > 0).map((b) => (b.startMs - T0) / DAY)).toEqual([0, 7, 14, 21, 28]);
    expect(s).toMatchObject({ failures, logins: 5 });
    const svg = renderAuthChartSvg(s);
    expect(count(svg, /<rect class="fail"/g)).toBe(30);
    expect(count(svg, /<circle class="login"/g)).toBe(5);
    // Day-wide buckets are labelled by date; first and last are on the axis.
    expect(svg).toContain('>2026-11-19</text>');
    expect(svg).toContain(`>${bucketLabel(T0 + 29 * DAY, DAY)}</text>`);
    // The axis ends on a round number at or above the busiest day (79 failures).
    expect(svg).toContain('>100</text>');
  });

  it('keeps a gap as empty buckets so the time axis stays linear', () => {
    const h = new AuthHistogram();
    h.add(T0, 'failure', 3);
    h.add(T0 + 10 * DAY, 'login');
    const s = h.series(96);
    expect(s.bars[0]).toMatchObject({ failures: 3, logins: 0 });
    expect(s.bars.at(-1)).toMatchObject({ logins: 1 });
    expect(s.bars.slice(1, -1).every((b) => b.failures === 0 && b.logins === 0)).toBe(true);
    const widths = s.bars.slice(1).map((b, i) => b.startMs - s.bars[i].startMs);
    expect(new Set(widths)).toEqual(new Set([s.bucketMs]));
  });

  it('stays bounded over years of events by counting coarser, and counts every one', () => {
    const h = new AuthHistogram();
    let n = 0;
    for (let m = 0; m < 3 * 365 * 1440; m += 7) {
      h.add(T0 + m * MIN, 'failure');
      n++;
    }
    const s = h.series(96);
    expect(s.failures).toBe(n);
    expect(s.bars.reduce((a, b) => a + b.failures, 0)).toBe(n);
    expect(s.bars.length).toBeLessThanOrEqual(96);
    expect(s.bucketMs).toBeGreaterThanOrEqual(7 * DAY);
  });

  it('ignores times that are not times', () => {
    const h = new AuthHistogram();
    h.add(Number.NaN, 'failure');
    h.add(Date.parse('not a date'), 'login');
    expect(h.series().bars).toEqual([]);
  });

  it('rounds axes and names widths plainly', () => {
    expect([0, 1, 3, 79, 100, 101, 4999].map(niceCeiling)).toEqual([1, 1, 5, 100, 100, 200, 5000]);
    expect([MIN, 15 * MIN, 3 * HOUR, DAY, 7 * DAY].map(widthText)).toEqual(['1 min', '15 min', '3 h', '1 day', '7 days']);
  });
});
