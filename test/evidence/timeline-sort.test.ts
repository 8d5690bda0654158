import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TimelineEvent } from '../../src/model/sink.js';
import { arraySource, mergeSorted, TimelineSpool, type BatchSource, type KeyedEvent } from '../../src/evidence/timeline-sort.js';
import { timeKey, timelineDatetime } from '../../src/evidence/timeline.js';
import { tmpDirsOfThisFile } from '../helpers/bundle.js';

/** Temporary folders of this file, removed after its tests whatever their outcome. */
const tmp = tmpDirsOfThisFile();

const ev = (datetime: string, message: string): TimelineEvent => ({ datetime, message, timestamp_desc: 'Test', source: 'test' });

async function drain(spool: TimelineSpool): Promise<TimelineEvent[]> {
  const out: TimelineEvent[] = [];
  for await (const batch of spool.sorted()) out.push(...batch);
  return out;
}

/** A deterministic shuffle of n events whose times repeat (many ties), each message its arrival number. */
function shuffled(n: number, distinctTimes: number): TimelineEvent[] {
  let s = 7;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0);
  return Array.from({ length: n }, (_, i) => {
    const t = Date.parse('2026-01-01T00:00:00Z') + (next() % distinctTimes) * 1000;
    return ev(new Date(t).toISOString(), String(i));
  });
}

/** What the spool must produce: a stable sort by time (ties in arrival order). */
function oracle(events: TimelineEvent[]): string[] {
  return events
    .map((e, i) => ({ e, i }))
    .sort((a, b) => Date.parse(a.e.datetime) - Date.parse(b.e.datetime) || a.i - b.i)
    .map((x) => x.e.message);
}

describe('the timeline spool (external merge sort)', () => {
  it('sorts runs written out of order, and removes its scratch folder', async () => {
    const dir = path.join(tmp('irt-spool-'), 'runs');
    const spool = new TimelineSpool(dir, { runEvents: 4 });
    spool.add([ev('2026-01-01T00:00:05Z', 'e'), ev('2026-01-01T00:00:01Z', 'a'), ev('2026-01-01T00:00:09Z', 'i'), ev('2026-01-01T00:00:03Z', 'c')]);
    spool.add([ev('2026-01-01T00:00:02Z', 'b'), ev('2026-01-01T00:00:08Z', 'h'), ev('2026-01-01T00:00:04Z', 'd'), ev('2026-01-01T00:00:07Z', 'g')]);
    spool.add([ev('2026-01-01T00:00:06Z', 'f')]);
    expect(spool.runs).toBe(2);
    expect(readdirSync(dir)).toHaveLength(2);
    expect((await drain(spool)).map((e) => e.message).join('')).toBe('abcdefghi');
    spool.dispose();
    expect(existsSync(dir)).toBe(false);
  });

  it('keeps events of equal time in the order they arrived, across runs', async () => {
    const spool = new TimelineSpool(path.join(tmp('irt-spool-'), 'runs'), { runEvents: 3 });
    const same = '2026-01-01T00:00:00Z';
    spool.add(['1', '2', '3', '4', '5', '6', '7'].map((m) => ev(same, m)));
    spool.add([ev('2025-12-31T23:59:59Z', '0')]);
    expect((await drain(spool)).map((e) => e.message)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
    spool.dispose();
  });

  it('merges many runs in stages when they are more than it opens at once, matching an in-memory sort', async () => {
    const events = shuffled(5000, 700);
    const spool = new TimelineSpool(path.join(tmp('irt-spool-'), 'runs'), { runEvents: 37, fanIn: 4 });
    for (let i = 0; i < events.length; i += 100) spool.add(events.slice(i, i + 100));
    expect(spool.runs).toBe(Math.floor(5000 / 37));
    const sorted = await drain(spool);
    expect(sorted.map((e) => e.message)).toEqual(oracle(events));
    expect(spool.count).toBe(5000);
    spool.dispose();
  });

  it('never spills a small timeline, and reads it back in arrival order', async () => {
    const dir = path.join(tmp('irt-spool-'), 'runs');
    const spool = new TimelineSpool(dir);
    const events = shuffled(200, 50);
    spool.add(events);
    expect(spool.runs).toBe(0);
    expect(existsSync(dir)).toBe(false);
    expect(spool.buffered().map((e) => e.message)).toEqual(events.map((e) => e.message));
    expect((await drain(spool)).map((e) => e.message)).toEqual(oracle(events));
  });

  it('degrades when a run cannot be written: keeps what it holds, counts the rest, stays bounded', async () => {
    // A scratch folder below a plain file cannot be made, for root too (ENOTDIR).
    const file = path.join(tmp('irt-spool-'), 'not-a-folder');
    writeFileSync(file, '');
    const spool = new TimelineSpool(path.join(file, 'runs'), { runEvents: 3 });
    spool.add([ev('2026-01-01T00:00:03Z', 'c'), ev('2026-01-01T00:00:01Z', 'a'), ev('2026-01-01T00:00:02Z', 'b'), ev('2026-01-01T00:00:00Z', 'late'), ev('2026-01-01T00:00:04Z', 'later')]);
    expect(spool.failure).toBe('could not write a timeline run: ENOTDIR');
    expect({ count: spool.count, dropped: spool.dropped, runs: spool.runs }).toEqual({ count: 3, dropped: 2, runs: 0 });
    expect((await drain(spool)).map((e) => e.message)).toEqual(['a', 'b', 'c']);
  });

  it('spills on size as well as on count', () => {
    const spool = new TimelineSpool(path.join(tmp('irt-spool-'), 'runs'), { runBytes: 10_000 });
    spool.add(Array.from({ length: 20 }, (_, i) => ev('2026-01-01T00:00:00Z', 'x'.repeat(1000) + i)));
    expect(spool.runs).toBeGreaterThanOrEqual(3);
    spool.dispose();
  });

  it('sorts by microseconds, whatever the zone or the precision of the stamp', async () => {
    const spool = new TimelineSpool(path.join(tmp('irt-spool-'), 'runs'), { runEvents: 2 });
    spool.add([
      ev('2024-03-01T08:59:04.500300Z', 'c'),
      ev('2024-03-01T09:59:04.5+01:00', 'b'),
      ev('2024-03-01T08:59:04.500001Z', 'b2'),
      ev('2024-03-01T08:59:04Z', 'a'),
      ev('2024-03-01T08:59:05.000000Z', 'd'),
    ]);
    expect((await drain(spool)).map((e) => e.message)).toEqual(['a', 'b', 'b2', 'c', 'd']);
    spool.dispose();
  });

  it('leaves out events without a usable time and counts them, keeping stamps that carry a zone as they are', async () => {
    const spool = new TimelineSpool(path.join(tmp('irt-spool-'), 'runs'));
    spool.add([ev('', 'empty'), ev('yesterday', 'words'), ev('2024-03-01 08:00:00', 'no zone'), ev('2024-03-01T08:00:00.000000Z', 'kept'), ev('Fri, 01 Mar 2024 09:00:00 GMT', 'rewritten')]);
    expect({ count: spool.count, dropped: spool.dropped, samples: spool.droppedSamples }).toEqual({ count: 2, dropped: 3, samples: ['', 'yesterday', '2024-03-01 08:00:00'] });
    expect((await drain(spool)).map((e) => [e.message, e.datetime])).toEqual([
      ['kept', '2024-03-01T08:00:00.000000Z'],
      ['rewritten', '2024-03-01T09:00:00.000Z'],
    ]);
  });

  it('merges sorted sources with a heap, batch by batch, including empty sources and batches of one', async () => {
    const keyed = (keys: number[], tag: string): KeyedEvent[] => keys.map((key, i) => ({ key, seq: i, event: ev('2026-01-01T00:00:00Z', `${tag}${key}`) }));
    /** A source that hands out its events one at a time: every refill path is taken. */
    const oneByOne = (items: KeyedEvent[]): BatchSource => {
      let i = 0;
      return async () => (i < items.length ? [items[i++]] : []);
    };
    const out: string[] = [];
    const batches: number[] = [];
    const sources = [arraySource(keyed([1, 4, 9], 'a')), arraySource([]), oneByOne(keyed([2, 3, 10, 11], 'c')), oneByOne(keyed([5], 'd'))];
    for await (const batch of mergeSorted(sources, 3)) {
      batches.push(batch.length);
      out.push(...batch.map((k) => k.event.message));
    }
    expect(out).toEqual(['a1', 'c2', 'c3', 'a4', 'd5', 'a9', 'c10', 'c11']);
    expect(batches).toEqual([3, 3, 2]);
  });
});

describe('timeline times', () => {
  it('keys times in microseconds', () => {
    expect(timeKey('1970-01-01T00:00:01.000002Z')).toBe(1_000_002);
    expect(timeKey('1970-01-01T01:00:00+01:00')).toBe(0);
    expect(timeKey('nope')).toBeNull();
  });

  it('writes a time as ISO 8601 with its zone', () => {
    expect(timelineDatetime('2024-03-01T08:59:04.500000Z')).toBe('2024-03-01T08:59:04.500000Z');
    expect(timelineDatetime('2024-03-01T09:59:04+01:00')).toBe('2024-03-01T09:59:04+01:00');
    expect(timelineDatetime('2024-03-01T08:59:04+0100')).toBe('2024-03-01T07:59:04.000Z');
    expect(timelineDatetime('2024-03-01T08:59:04')).toBeNull();
  });
});
