import { describe, expect, it } from 'vitest';
import { karrasSigmas, NoiseSchedule } from './noise-schedule.ts';
import { numpyLike } from './numeric.ts';
import { spaceTimesteps } from './timestep-spacing.ts';
import type { TimestepSpacingOptions } from './timestep-spacing.ts';

const base: TimestepSpacingOptions = { spacing: 'leading', numTrainTimesteps: 1000, stepsOffset: 0, steps: 10, layout: 'standard', integer: true };
const range = (from: number, step: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i * step);

describe('spaceTimesteps', () => {
  it('leading: multiples of floor(N/steps), descending, plus steps_offset (SD 1.5: 981 ... 1)', () => {
    expect(spaceTimesteps({ ...base, steps: 50, stepsOffset: 1 })).toEqual(range(981, -20, 50));
    expect(spaceTimesteps({ ...base, steps: 3 })).toEqual([666, 333, 0]);
  });

  it('trailing: from N-1 down in steps of N/steps', () => {
    expect(spaceTimesteps({ ...base, spacing: 'trailing', steps: 50 })).toEqual(range(999, -20, 50));
    expect(spaceTimesteps({ ...base, spacing: 'trailing', steps: 7 })).toEqual([999, 856, 713, 570, 428, 285, 142]);
  });

  it('linspace: 0..N-1 evenly, rounded half to even like NumPy (166.5 -> 166, 499.5 -> 500)', () => {
    expect(spaceTimesteps({ ...base, spacing: 'linspace' })).toEqual(range(999, -111, 10));
    expect(spaceTimesteps({ ...base, spacing: 'linspace', steps: 7 })).toEqual([999, 832, 666, 500, 333, 166, 0]);
    expect(spaceTimesteps({ ...base, spacing: 'linspace', steps: 7, integer: false })).toEqual([999, 832.5, 666, 499.5, 333, 166.5, 0]);
  });

  it('multistep layout: steps + 1 points with t = 0 dropped (DPM-Solver++)', () => {
    const multistep = { ...base, layout: 'multistep' } as const;
    expect(spaceTimesteps({ ...multistep, spacing: 'linspace' })).toEqual([999, 899, 799, 699, 599, 500, 400, 300, 200, 100]);
    expect(spaceTimesteps({ ...multistep, stepsOffset: 1 })).toEqual(range(901, -90, 10));
    expect(spaceTimesteps({ ...multistep, spacing: 'trailing' })).toEqual(range(999, -100, 10));
  });

  it('refuses step counts that do not fit the train timesteps', () => {
    expect(() => spaceTimesteps({ ...base, steps: 0 })).toThrow(/steps must be an integer in 1\.\.1000/);
    expect(() => spaceTimesteps({ ...base, steps: 2.5 })).toThrow(RangeError);
    expect(() => spaceTimesteps({ ...base, steps: 1001 })).toThrow(RangeError);
    expect(() => spaceTimesteps({ ...base, steps: 1000, stepsOffset: 1 })).toThrow(/gives timestep 1000, outside 0\.\.999/);
    expect(() => spaceTimesteps({ ...base, steps: 1000, layout: 'multistep' })).toThrow(/at most 999/);
  });
});

describe('NoiseSchedule', () => {
  const sd15 = new NoiseSchedule({ numTrainTimesteps: 1000, betaStart: 0.00085, betaEnd: 0.012, betaSchedule: 'scaled_linear' });

  it('scaled_linear: sqrt(beta) is linear from sqrt(beta_start) to sqrt(beta_end)', () => {
    expect(sd15.betas[0]).toBeCloseTo(0.00085, 15);
    expect(sd15.betas[999]).toBeCloseTo(0.012, 15);
    const step = Math.sqrt(sd15.betas[1]!) - Math.sqrt(sd15.betas[0]!);
    expect(step).toBeCloseTo((Math.sqrt(0.012) - Math.sqrt(0.00085)) / 999, 15);
    for (const t of [10, 500, 998]) expect(Math.sqrt(sd15.betas[t + 1]!) - Math.sqrt(sd15.betas[t]!)).toBeCloseTo(step, 14);
  });

  it('alpha_bar is the running product of 1 - beta, decreasing; sigma increasing', () => {
    let product = 1;
    for (let t = 0; t < 1000; t++) {
      product *= 1 - sd15.betas[t]!;
      expect(sd15.alphasCumprod[t]).toBe(product);
      if (t > 0) expect(sd15.sigmas[t]!).toBeGreaterThan(sd15.sigmas[t - 1]!);
    }
    expect(sd15.alphasCumprod[0]).toBeCloseTo(1 - 0.00085, 15);
    expect(sd15.alphasCumprod[999]).toBeCloseTo(0.0046601, 6);
    expect(sd15.sigmas[999]).toBeCloseTo(14.6146, 4);
  });

  it('linear: betas evenly spaced', () => {
    const linear = new NoiseSchedule({ numTrainTimesteps: 11, betaStart: 0.01, betaEnd: 0.02, betaSchedule: 'linear' });
    expect(Array.from(linear.betas).map((b) => Number(b.toFixed(12)))).toEqual(range(0.01, 0.001, 11).map((b) => Number(b.toFixed(12))));
  });

  it('interpolates sigma at fractional timesteps and inverts it in log space', () => {
    expect(sd15.sigmaAt(10.25)).toBeCloseTo(0.75 * sd15.sigmas[10]! + 0.25 * sd15.sigmas[11]!, 15);
    expect(sd15.alphaCumprodAt(10.25)).toBeCloseTo(1 / (1 + sd15.sigmaAt(10.25) ** 2), 15);
    for (const t of [0, 1, 37, 500, 999]) expect(sd15.timestepForSigma(sd15.sigmas[t]!)).toBeCloseTo(t, 9);
    expect(sd15.timestepForSigma(Math.exp((sd15.logSigmas[40]! + sd15.logSigmas[41]!) / 2))).toBeCloseTo(40.5, 9);
    expect(sd15.timestepForSigma(1e-6)).toBe(0);
    expect(sd15.timestepForSigma(1e6)).toBe(999);
    expect(() => sd15.alphaCumprodAt(1000)).toThrow(RangeError);
    expect(() => sd15.alphaCumprodAt(-1)).toThrow(RangeError);
  });

  it('Karras sigmas run from sigma_max to sigma_min evenly in sigma^(1/7)', () => {
    const sigmas = karrasSigmas(0.03, 14.6, 5);
    expect(sigmas[0]).toBeCloseTo(14.6, 12);
    expect(sigmas[4]).toBeCloseTo(0.03, 12);
    const roots = sigmas.map((s) => s ** (1 / 7));
    for (let i = 1; i < 4; i++) expect(roots[i + 1]! - roots[i]!).toBeCloseTo(roots[1]! - roots[0]!, 12);
  });
});

describe('numpyLike', () => {
  it('rounds half to even and spaces like np.linspace', () => {
    expect([0.5, 1.5, 2.5, 3.5, 2.4999, 2.5001].map(numpyLike.round)).toEqual([0, 2, 2, 4, 2, 3]);
    expect(numpyLike.linspace(0, 1, 1)).toEqual([0]);
    expect(numpyLike.linspace(0, 999, 4)).toEqual([0, 333, 666, 999]);
    expect(numpyLike.interpIndex(-3, [1, 2, 3])).toBe(1);
    expect(numpyLike.interpIndex(7, [1, 2, 3])).toBe(3);
  });
});
