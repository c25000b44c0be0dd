import { blendNoise } from './blend-noise.ts';
import { NoiseSchedule } from './noise-schedule.ts';
import { sampleChecks } from './sample-checks.ts';
import type { Scheduler } from './scheduler.ts';
import type { SchedulerSettings } from './scheduler-config.ts';
import { spaceTimesteps } from './timestep-spacing.ts';

/**
 * DDIM (Song et al. 2020) with eta = 0: deterministic. As diffusers' DDIMScheduler, the step
 * from timestep t goes to t - N/steps (floored), or to the final alpha_bar (1 with
 * set_alpha_to_one, else alpha_bar[0]) when that is below 0.
 */
export class DdimScheduler implements Scheduler {
  readonly kind = 'ddim';
  readonly initNoiseSigma = 1;
  private readonly settings: SchedulerSettings;
  private readonly schedule: NoiseSchedule;
  private readonly finalAlphaCumprod: number;
  private timesteps: readonly number[] | undefined;

  constructor(settings: SchedulerSettings) {
    this.settings = settings;
    this.schedule = new NoiseSchedule(settings);
    this.finalAlphaCumprod = settings.setAlphaToOne ? 1 : this.schedule.alphasCumprod[0]!;
  }

  setTimesteps(steps: number): readonly number[] {
    const timesteps = spaceTimesteps({ ...this.settings, spacing: this.settings.timestepSpacing, steps, layout: 'standard', integer: true });
    this.timesteps = Object.freeze(timesteps);
    return this.timesteps;
  }

  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array {
    sampleChecks.stepIndex(stepIndex, this.timesteps);
    return sample.slice();
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): Float32Array {
    const timesteps = sampleChecks.stepIndex(stepIndex, this.timesteps);
    sampleChecks.sameLength(modelOutput, sample, 'step(modelOutput, sample)');
    const t = timesteps[stepIndex]!;
    const prevT = t - Math.floor(this.settings.numTrainTimesteps / timesteps.length);
    const abar = this.schedule.alphasCumprod[t]!;
    const abarPrev = prevT >= 0 ? this.schedule.alphasCumprod[prevT]! : this.finalAlphaCumprod;
    const sqrtAbar = Math.sqrt(abar);
    const sqrtOneMinusAbar = Math.sqrt(1 - abar);
    const sqrtAbarPrev = Math.sqrt(abarPrev);
    const sqrtOneMinusAbarPrev = Math.sqrt(1 - abarPrev);
    const { clipSample, clipSampleRange: range, predictionType } = this.settings;

    const out = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i]!;
      const m = modelOutput[i]!;
      let x0: number;
      let eps: number;
      if (predictionType === 'epsilon') {
        x0 = (x - sqrtOneMinusAbar * m) / sqrtAbar;
        eps = m;
      } else {
        x0 = sqrtAbar * x - sqrtOneMinusAbar * m;
        eps = sqrtAbar * m + sqrtOneMinusAbar * x;
      }
      if (clipSample) x0 = Math.min(Math.max(x0, -range), range);
      out[i] = sqrtAbarPrev * x0 + sqrtOneMinusAbarPrev * eps;
    }
    return out;
  }

  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    const abar = this.schedule.alphaCumprodAt(timestep);
    return blendNoise(original, noise, Math.sqrt(abar), Math.sqrt(1 - abar));
  }

  addNoiseForStep(original: Float32Array, noise: Float32Array, stepIndex: number): Float32Array {
    const timesteps = sampleChecks.stepIndex(stepIndex, this.timesteps);
    return this.addNoise(original, noise, timesteps[stepIndex]!);
  }
}
