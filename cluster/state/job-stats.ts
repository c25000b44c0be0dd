import { STATE_LIMITS } from './limits.ts';
import type { DurationStat, JobKind } from './types.ts';

/** Statistics with no recorded duration, for a fresh state. */
export function emptyDurationStats(): Record<JobKind, DurationStat> {
  return { imagine: { count: 0, meanMs: 0 }, train: { count: 0, meanMs: 0 }, merge: { count: 0, meanMs: 0 } };
}

/**
 * Adds one run duration to `stat`. The weight 1/min(count, window) makes `meanMs` the plain mean
 * of the first {@link STATE_LIMITS.durationWindow} durations and a moving average after, which
 * needs no stored samples and gives every replica the same float (the same operations in the
 * same order).
 */
export function recordDuration(stat: DurationStat, durationMs: number): void {
  stat.count += 1;
  stat.meanMs += (durationMs - stat.meanMs) / Math.min(stat.count, STATE_LIMITS.durationWindow);
}
