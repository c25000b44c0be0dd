/**
 * Numeric helpers that reproduce NumPy's results exactly, because diffusers computes its
 * schedules with NumPy and a timestep that lands on x.5 must round the same way.
 */
export const numpyLike = Object.freeze({
  /** `np.linspace(start, stop, num)`: `start + i * step`, the last value exactly `stop`. */
  linspace(start: number, stop: number, num: number): number[] {
    if (num <= 0) return [];
    if (num === 1) return [start];
    const step = (stop - start) / (num - 1);
    const out = Array.from({ length: num }, (_, i) => i * step + start);
    out[num - 1] = stop;
    return out;
  },

  /**
   * The first `count` values of `np.arange(start, stop, step)` for floats: NumPy stores
   * `start` and `start + step`, then fills `start + i * delta` with `delta` their difference.
   */
  arange(start: number, step: number, count: number): number[] {
    const second = start + step;
    const delta = second - start;
    return Array.from({ length: count }, (_, i) => (i === 0 ? start : i === 1 ? second : start + i * delta));
  },

  /** `np.round`: to the nearest integer, ties to even. */
  round(x: number): number {
    const floor = Math.floor(x);
    const fraction = x - floor;
    if (fraction > 0.5) return floor + 1;
    if (fraction < 0.5) return floor;
    return floor % 2 === 0 ? floor : floor + 1;
  },

  /** `np.interp(x, [0, 1, ..., n-1], values)`: linear interpolation, clamped at both ends. */
  interpIndex(x: number, values: ArrayLike<number>): number {
    const last = values.length - 1;
    if (x <= 0) return values[0]!;
    if (x >= last) return values[last]!;
    const low = Math.floor(x);
    const w = x - low;
    if (w === 0) return values[low]!;
    return values[low]! + w * (values[low + 1]! - values[low]!);
  },
});
