import { describe, expect, it } from 'vitest';
import { mapLimit } from '../../src/model/concurrency.js';

describe('mapLimit', () => {
  it('keeps the order of the items whatever order they finish in', async () => {
    const out = await mapLimit([30, 5, 20, 1, 10], 3, async (ms) => {
      await new Promise((r) => setTimeout(r, ms));
      return ms * 2;
    });
    expect(out).toEqual([60, 10, 40, 2, 20]);
  });

  it('never has more than `limit` calls in flight, and uses them all', async () => {
    let inFlight = 0;
    let most = 0;
    await mapLimit(Array.from({ length: 20 }, (_, i) => i), 4, async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 2));
      inFlight--;
    });
    expect(most).toBe(4);
  });

  it('handles no items and a limit larger than the list; a failure rejects the whole', async () => {
    expect(await mapLimit([], 8, async () => 1)).toEqual([]);
    expect(await mapLimit([1, 2], 8, async (n) => n + 1)).toEqual([2, 3]);
    await expect(mapLimit([1, 2, 3], 2, async (n) => { if (n === 2) throw new Error('boom'); return n; })).rejects.toThrow('boom');
  });
});
