import { describe, expect, it } from 'vitest';
import { recordDuration } from './job-stats.ts';
import { STATE_LIMITS } from './limits.ts';

describe('recordDuration', () => {
  it(`keeps the plain mean of the first ${STATE_LIMITS.durationWindow} durations, then a moving average of weight 1/${STATE_LIMITS.durationWindow}`, () => {
    const stat = { count: 0, meanMs: 0 };
    for (let i = 1; i <= STATE_LIMITS.durationWindow; i++) recordDuration(stat, i * 1000);
    expect(stat).toEqual({ count: 50, meanMs: 25_500 });
    recordDuration(stat, 75_500);
    expect(stat).toEqual({ count: 51, meanMs: 26_500 });
  });
});
