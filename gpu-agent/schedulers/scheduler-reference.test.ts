import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createScheduler } from './create-scheduler.ts';
import { NoiseSchedule } from './noise-schedule.ts';
import { parseSchedulerConfig, resolveSchedulerSettings } from './scheduler-config.ts';

/**
 * Trajectories computed by scripts/fixtures/generate-scheduler-fixtures.py, an independent
 * NumPy implementation of the published formulas. Regenerate with
 * `python3 scripts/fixtures/generate-scheduler-fixtures.py`.
 */
interface Reference {
  alphasCumprod: Record<string, { config: Record<string, unknown>; timesteps: number[]; alphasCumprod: number[] }>;
  runs: {
    name: string;
    kind: 'ddim' | 'euler' | 'dpmpp-2m';
    config: Record<string, unknown>;
    steps: number;
    timesteps: number[];
    sigmas: number[] | null;
    initNoiseSigma: number;
    modelInputs: number[][];
    samples: number[][];
  }[];
}

const reference = JSON.parse(readFileSync(new URL('../../scripts/fixtures/scheduler-reference.json', import.meta.url), 'utf8')) as Reference;

/** The fixture's stand-in for a UNet (same formula as the script's `fake_model`). */
function fakeModel(input: Float32Array, timestep: number): Float32Array {
  return input.map((x, k) => 0.8 * x + 0.1 * Math.sin(0.01 * timestep + 0.7 * k));
}

function expectClose(actual: ArrayLike<number>, expected: readonly number[], tolerance: number, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const error = Math.abs(actual[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!));
    if (!(error <= tolerance)) expect.fail(`${what}[${i}]: ${actual[i]} vs ${expected[i]} (relative error ${error})`);
  }
}

describe('alphas_cumprod against the NumPy reference', () => {
  for (const [name, entry] of Object.entries(reference.alphasCumprod)) {
    it(name, () => {
      const schedule = new NoiseSchedule(resolveSchedulerSettings('ddim', parseSchedulerConfig(entry.config)));
      expectClose(entry.timesteps.map((t) => schedule.alphasCumprod[t]!), entry.alphasCumprod, 1e-13, 'alphas_cumprod');
    });
  }
});

describe('scheduler trajectories against the NumPy reference', () => {
  for (const run of reference.runs) {
    it(run.name, () => {
      const scheduler = createScheduler(undefined, run.config);
      expect(scheduler.kind).toBe(run.kind);
      const timesteps = scheduler.setTimesteps(run.steps);
      expectClose(timesteps, run.timesteps, 1e-12, 'timesteps');
      expect(scheduler.initNoiseSigma).toBeCloseTo(run.initNoiseSigma, 10);
      if (run.sigmas !== null) expectClose((scheduler as unknown as { stepSigmas: number[] }).stepSigmas, run.sigmas, 1e-12, 'sigmas');

      let sample: Float32Array = Float32Array.from(run.samples[0]!);
      for (let i = 0; i < timesteps.length; i++) {
        const input = scheduler.scaleModelInput(sample, i);
        expectClose(input, run.modelInputs[i]!, 1e-6, `model input ${i}`);
        sample = scheduler.step(fakeModel(input, timesteps[i]!), i, sample);
        expectClose(sample, run.samples[i + 1]!, 1e-6, `sample after step ${i}`);
      }
    });
  }
});
