import { describe, expect, it } from 'vitest';
import { deferred } from '../../test/support/deferred.ts';
import { mapConcurrent } from './map-concurrent.ts';

describe('mapConcurrent', () => {
  it('keeps input order with at most `limit` calls in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const results = await mapConcurrent([5, 1, 4, 2, 3], 2, async (n) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, n));
      inFlight--;
      return n * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30]);
    expect(most).toBe(2);
  });

  it('rejects with the first failure only after the calls already started have ended, and starts no more', async () => {
    const slow = deferred();
    const started: number[] = [];
    const ended: number[] = [];
    const run = mapConcurrent([0, 1, 2, 3], 2, async (n) => {
      started.push(n);
      if (n === 1) throw new Error('item 1 is bad');
      await slow.promise;
      ended.push(n);
    });
    let settled = false;
    run.catch(() => undefined).finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(settled).toBe(false);
    slow.resolve();
    await expect(run).rejects.toThrow('item 1 is bad');
    expect(started).toEqual([0, 1]);
    expect(ended).toEqual([0]);
  });
});
