import { describe, expect, it } from 'vitest';
import { DdimScheduler } from './ddim-scheduler.ts';
import { DpmSolverMultistepScheduler } from './dpm-solver-multistep-scheduler.ts';
import { EulerDiscreteScheduler } from './euler-discrete-scheduler.ts';
import { NoiseSchedule } from './noise-schedule.ts';
import type { Scheduler } from './scheduler.ts';
import { parseSchedulerConfig, resolveSchedulerSettings } from './scheduler-config.ts';
import type { SchedulerSettings } from './scheduler-config.ts';

/** Stable Diffusion 1.5's schedule. */
const SD15 = { beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', clip_sample: false } as const;

function settings(kind: Scheduler['kind'], config: Record<string, unknown> = {}): SchedulerSettings {
  return resolveSchedulerSettings(kind, parseSchedulerConfig({ ...SD15, ...config }));
}

const X0 = Float32Array.from([0.9, -0.4, 0.1, -1, 0.55, 0.3]);
const EPS = Float32Array.from([-1.2, 0.3, 2.1, 0.7, -0.05, -1.6]);

function expectAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what = 'sample'): void {
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i]! - expected[i]!) <= tolerance)) expect.fail(`${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

/** The v target of a sample whose signal and noise scales are `alpha` and `sigma` (alpha^2 + sigma^2 = 1). */
function vTarget(alpha: number, sigma: number): Float32Array {
  return X0.map((x0, i) => alpha * EPS[i]! - sigma * x0);
}

describe('samplers given the true noise recover x0', () => {
  for (const prediction of ['epsilon', 'v_prediction'] as const) {
    it(`DDIM (${prediction}) passes through q(x_t | x0) at every step and ends on x0`, () => {
      const s = settings('ddim', { steps_offset: 1, set_alpha_to_one: true, prediction_type: prediction });
      const scheduler = new DdimScheduler(s);
      const schedule = new NoiseSchedule(s);
      const timesteps = scheduler.setTimesteps(10);
      let x = scheduler.addNoise(X0, EPS, timesteps[0]!);
      for (let i = 0; i < timesteps.length; i++) {
        const abar = schedule.alphasCumprod[timesteps[i]!]!;
        x = scheduler.step(prediction === 'epsilon' ? EPS : vTarget(Math.sqrt(abar), Math.sqrt(1 - abar)), i, x);
        if (i + 1 < timesteps.length) expectAllClose(x, scheduler.addNoise(X0, EPS, timesteps[i + 1]!), 1e-5);
      }
      expectAllClose(x, X0, 1e-5);
    });

    for (const karras of [false, true]) {
      it(`DPM-Solver++ 2M (${prediction}${karras ? ', Karras' : ''}) stays on q(x_t | x0) and ends on x0`, () => {
        const scheduler = new DpmSolverMultistepScheduler(settings('dpmpp-2m', { prediction_type: prediction, use_karras_sigmas: karras }));
        const steps = scheduler.setTimesteps(20).length;
        const sigmas = scheduler.stepSigmas;
        let x = scheduler.addNoiseForStep(X0, EPS, 0);
        for (let i = 0; i < steps; i++) {
          const alpha = 1 / Math.sqrt(1 + sigmas[i]! ** 2);
          x = scheduler.step(prediction === 'epsilon' ? EPS : vTarget(alpha, sigmas[i]! * alpha), i, x);
          if (i + 1 < steps) expectAllClose(x, scheduler.addNoiseForStep(X0, EPS, i + 1), 1e-5);
        }
        expectAllClose(x, X0, 1e-5);
      });
    }

    it(`Euler (${prediction}) moves along x0 + sigma * eps and ends on x0`, () => {
      const scheduler = new EulerDiscreteScheduler(settings('euler', { prediction_type: prediction }));
      const steps = scheduler.setTimesteps(15).length;
      const sigmas = scheduler.stepSigmas;
      let x = scheduler.addNoiseForStep(X0, EPS, 0);
      for (let i = 0; i < steps; i++) {
        const alpha = 1 / Math.sqrt(1 + sigmas[i]! ** 2);
        x = scheduler.step(prediction === 'epsilon' ? EPS : vTarget(alpha, sigmas[i]! * alpha), i, x);
        if (i + 1 < steps) expectAllClose(x, scheduler.addNoiseForStep(X0, EPS, i + 1), 1e-4);
      }
      expectAllClose(x, X0, 1e-5);
    });
  }
});

/**
 * Data drawn from N(mu, s^2) per element has an exact denoiser, so the model can be perfect:
 * with x = x0 + sigma * noise, E[x0 | x] = (s^2 x + sigma^2 mu) / (s^2 + sigma^2). The
 * probability-flow ODE then carries x = mu + z * sqrt(s^2 + sigma^2) along exactly, which
 * measures each solver's own error.
 */
const MU = 0.3;
const S = 1;
const Z = [-1.5, -0.3, 0.2, 1.1];

/** The exact model output for an input in the UNet's space (alpha * (x0 + sigma * noise)) at noise level sigma. */
function gaussianOracle(input: Float32Array, sigma: number, prediction: 'epsilon' | 'v_prediction'): Float32Array {
  const alpha = 1 / Math.sqrt(1 + sigma * sigma);
  return input.map((scaled) => {
    const x = scaled / alpha;
    const denoised = (S * S * x + sigma * sigma * MU) / (S * S + sigma * sigma);
    const eps = (x - denoised) / sigma;
    return prediction === 'epsilon' ? eps : alpha * eps - sigma * alpha * denoised;
  });
}

/**
 * Runs a sampler on the Gaussian oracle from sigma(timesteps[0]) down to sigma(t = 0) (all three
 * are set to end there) and returns the largest error against the exact ODE solution.
 */
function gaussianError(scheduler: DdimScheduler | EulerDiscreteScheduler | DpmSolverMultistepScheduler, s: SchedulerSettings, steps: number): number {
  const schedule = new NoiseSchedule(s);
  const timesteps = scheduler.setTimesteps(steps);
  const sigmaOf = (i: number): number => (scheduler instanceof DdimScheduler ? schedule.sigmas[timesteps[i]!]! : scheduler.stepSigmas[i]!);
  // Euler's sample is x0 + sigma * noise; DDIM's and DPM-Solver++'s is that times alpha.
  const toSample = (x: number, sigma: number): number => (scheduler.kind === 'euler' ? x : x / Math.sqrt(1 + sigma * sigma));
  let sample: Float32Array = Float32Array.from(Z, (z) => toSample(MU + z * Math.sqrt(S * S + sigmaOf(0) ** 2), sigmaOf(0)));
  for (let i = 0; i < timesteps.length; i++) {
    sample = scheduler.step(gaussianOracle(scheduler.scaleModelInput(sample, i), sigmaOf(i), s.predictionType), i, sample);
  }
  const sigmaEnd = schedule.sigmas[0]!;
  return Math.max(...Z.map((z, i) => Math.abs(sample[i]! - toSample(MU + z * Math.sqrt(S * S + sigmaEnd ** 2), sigmaEnd))));
}

describe('samplers on a Gaussian target with its exact noise prediction', () => {
  const ddim = settings('ddim', { steps_offset: 1, set_alpha_to_one: false });
  const euler = settings('euler', { use_karras_sigmas: true, final_sigmas_type: 'sigma_min' });
  const dpm = settings('dpmpp-2m', { use_karras_sigmas: true, final_sigmas_type: 'sigma_min' });

  it('DDIM and Euler converge at first order, DPM-Solver++ 2M faster', () => {
    for (const [scheduler, s] of [
      [new DdimScheduler(ddim), ddim],
      [new EulerDiscreteScheduler(euler), euler],
    ] as const) {
      const coarse = gaussianError(scheduler, s, 25);
      const fine = gaussianError(scheduler, s, 100);
      expect(fine, scheduler.kind).toBeLessThan(coarse / 3);
      expect(fine, scheduler.kind).toBeGreaterThan(coarse / 6);
    }
    const coarse = gaussianError(new DpmSolverMultistepScheduler(dpm), dpm, 25);
    const fine = gaussianError(new DpmSolverMultistepScheduler(dpm), dpm, 100);
    expect(fine).toBeLessThan(coarse / 10);
    expect(fine).toBeLessThan(1e-3);
  });

  it('DPM-Solver++ 2M is more accurate than Euler and DDIM at the same step count', () => {
    for (const steps of [20, 50]) {
      const dpmError = gaussianError(new DpmSolverMultistepScheduler(dpm), dpm, steps);
      expect(dpmError).toBeLessThan(gaussianError(new EulerDiscreteScheduler(euler), euler, steps) / 4);
      expect(dpmError).toBeLessThan(gaussianError(new DdimScheduler(ddim), ddim, steps) / 4);
    }
  });

  it('gives the same result with v-prediction', () => {
    for (const [make, s] of [
      [(x: SchedulerSettings) => new DdimScheduler(x), ddim],
      [(x: SchedulerSettings) => new EulerDiscreteScheduler(x), euler],
      [(x: SchedulerSettings) => new DpmSolverMultistepScheduler(x), dpm],
    ] as const) {
      const v: SchedulerSettings = { ...s, predictionType: 'v_prediction' };
      expect(Math.abs(gaussianError(make(v), v, 20) - gaussianError(make(s), s, 20))).toBeLessThan(1e-5);
    }
  });
});

describe('scheduler equivalences', () => {
  it('DDIM (eta 0) is Euler in sigma space: same trajectory for the same timesteps', () => {
    const common = { steps_offset: 1, timestep_spacing: 'leading', set_alpha_to_one: true };
    const ddim = new DdimScheduler(settings('ddim', common));
    const euler = new EulerDiscreteScheduler(settings('euler', common));
    const timesteps = ddim.setTimesteps(12);
    expect(euler.setTimesteps(12)).toEqual(timesteps);
    const sigmas = euler.stepSigmas;
    const model = (input: Float32Array, t: number): Float32Array => input.map((x, k) => 0.7 * x + 0.2 * Math.cos(0.003 * t + k));
    let xDdim: Float32Array = Float32Array.from(Z, (z) => z);
    let xEuler: Float32Array = xDdim.map((x) => x * Math.sqrt(1 + sigmas[0]! ** 2));
    for (let i = 0; i < timesteps.length; i++) {
      const input = euler.scaleModelInput(xEuler, i);
      expectAllClose(input, ddim.scaleModelInput(xDdim, i), 1e-5, `model input ${i}`);
      xDdim = ddim.step(model(xDdim, timesteps[i]!), i, xDdim);
      xEuler = euler.step(model(input, timesteps[i]!), i, xEuler);
      const scale = Math.sqrt(1 + sigmas[i + 1]! ** 2);
      expectAllClose(xEuler, xDdim.map((x) => x * scale), 1e-4, `step ${i}`);
    }
  });

  it('DPM-Solver++ restarts cleanly: setTimesteps drops the multistep history', () => {
    const scheduler = new DpmSolverMultistepScheduler(settings('dpmpp-2m'));
    const run = (): Float32Array => {
      const timesteps = scheduler.setTimesteps(6);
      let x: Float32Array = Float32Array.from(Z);
      for (let i = 0; i < timesteps.length; i++) x = scheduler.step(x.map((v) => 0.5 * v + 0.1), i, x);
      return x;
    };
    const first = run();
    expect(run()).toEqual(first);
  });

  it('DPM-Solver++ starting mid-schedule (img2img) takes a first-order step first, then recovers x0', () => {
    const scheduler = new DpmSolverMultistepScheduler(settings('dpmpp-2m'));
    const steps = scheduler.setTimesteps(10).length;
    let x = scheduler.addNoiseForStep(X0, EPS, 4);
    for (let i = 4; i < steps; i++) x = scheduler.step(EPS, i, x);
    expectAllClose(x, X0, 1e-5);
  });
});

describe('scheduler basics', () => {
  const kinds = [
    new DdimScheduler(settings('ddim', { steps_offset: 1 })),
    new EulerDiscreteScheduler(settings('euler', { timestep_spacing: 'leading', steps_offset: 1 })),
    new DpmSolverMultistepScheduler(settings('dpmpp-2m')),
  ];

  it('initNoiseSigma: 1 for DDIM and DPM-Solver++; Euler per its spacing rule', () => {
    expect(kinds[0]!.initNoiseSigma).toBe(1);
    expect(kinds[2]!.initNoiseSigma).toBe(1);
    const leading = kinds[1] as EulerDiscreteScheduler;
    leading.setTimesteps(50);
    expect(leading.initNoiseSigma).toBeCloseTo(Math.sqrt(leading.stepSigmas[0]! ** 2 + 1), 12);
    const linspace = new EulerDiscreteScheduler(settings('euler'));
    expect(linspace.initNoiseSigma).toBeCloseTo(14.6146, 4);
    linspace.setTimesteps(20);
    expect(linspace.initNoiseSigma).toBe(linspace.stepSigmas[0]);
  });

  it('Euler scales the model input by 1/sqrt(sigma^2 + 1); the others copy it', () => {
    const euler = kinds[1] as EulerDiscreteScheduler;
    euler.setTimesteps(10);
    const sample = Float32Array.from([1, -2, 3]);
    const sigma = euler.stepSigmas[3]!;
    expectAllClose(euler.scaleModelInput(sample, 3), sample.map((x) => x / Math.sqrt(sigma * sigma + 1)), 1e-6);
    for (const scheduler of [kinds[0]!, kinds[2]!]) {
      scheduler.setTimesteps(10);
      const scaled = scheduler.scaleModelInput(sample, 3);
      expect(scaled).toEqual(sample);
      expect(scaled).not.toBe(sample);
    }
  });

  it('addNoise is q(x_t | x0) at a train timestep for every kind; Euler starts img2img in sigma space', () => {
    const abar = new NoiseSchedule(settings('ddim')).alphasCumprod[500]!;
    const expected = X0.map((x0, i) => Math.sqrt(abar) * x0 + Math.sqrt(1 - abar) * EPS[i]!);
    for (const scheduler of kinds) expectAllClose(scheduler.addNoise(X0, EPS, 500), expected, 1e-6, scheduler.kind);
    const euler = kinds[1] as EulerDiscreteScheduler;
    const timesteps = euler.setTimesteps(10);
    const sigma = euler.stepSigmas[2]!;
    const start = euler.addNoiseForStep(X0, EPS, 2);
    expectAllClose(start, X0.map((x0, i) => x0 + sigma * EPS[i]!), 1e-6);
    expectAllClose(euler.scaleModelInput(start, 2), euler.addNoise(X0, EPS, timesteps[2]!), 1e-6);
  });

  it('leaves its inputs untouched and refuses bad calls', () => {
    for (const scheduler of [new DdimScheduler(settings('ddim')), new EulerDiscreteScheduler(settings('euler')), new DpmSolverMultistepScheduler(settings('dpmpp-2m'))]) {
      const sample = Float32Array.from([0.5, -0.5]);
      const output = Float32Array.from([0.1, 0.2]);
      expect(() => scheduler.step(output, 0, sample)).toThrow(/call setTimesteps/);
      scheduler.setTimesteps(5);
      const next = scheduler.step(output, 0, sample);
      expect(next).not.toBe(sample);
      expect(Array.from(sample)).toEqual([0.5, -0.5]);
      expect(Array.from(output)).toEqual([0.1, 0.2].map(Math.fround));
      expect(() => scheduler.step(output, 5, sample)).toThrow(/stepIndex must be an integer in 0\.\.4/);
      expect(() => scheduler.step(Float32Array.of(1), 1, sample)).toThrow(/lengths differ/);
      expect(() => scheduler.addNoise(sample, output, 1000)).toThrow(RangeError);
      expect(() => scheduler.setTimesteps(0)).toThrow(RangeError);
    }
  });
});
