import { blendNoise } from './blend-noise.ts';
import { karrasSigmas, NoiseSchedule } from './noise-schedule.ts';
import { sampleChecks } from './sample-checks.ts';
import type { Scheduler } from './scheduler.ts';
import type { SchedulerSettings } from './scheduler-config.ts';
import { spaceTimesteps } from './timestep-spacing.ts';

/**
 * Euler's method on the probability-flow ODE in sigma space (Karras et al. 2022, algorithm 1
 * without churn), as diffusers' EulerDiscreteScheduler: the sample is x0 + sigma * noise, sigmas
 * are interpolated from alpha_bar at the timesteps (or Karras-spaced), and the last step goes
 * to sigma 0 (or to sigma at t = 0 with `final_sigmas_type: sigma_min`).
 */
export class EulerDiscreteScheduler implements Scheduler {
  readonly kind = 'euler';
  private readonly settings: SchedulerSettings;
  private readonly schedule: NoiseSchedule;
  private timesteps: readonly number[] | undefined;
  /** One more than the timesteps: the sigma after the last step. */
  private sigmas: readonly number[] = [];
  private maxSigma: number;

  constructor(settings: SchedulerSettings) {
    this.settings = settings;
    this.schedule = new NoiseSchedule(settings);
    this.maxSigma = this.schedule.sigmas[settings.numTrainTimesteps - 1]!;
  }

  /**
   * diffusers' rule: sigma_max for `linspace` and `trailing` spacing, sqrt(sigma_max^2 + 1) for
   * `leading`. Before {@link setTimesteps}, sigma_max is the largest train sigma.
   */
  get initNoiseSigma(): number {
    const spacing = this.settings.timestepSpacing;
    return spacing === 'linspace' || spacing === 'trailing' ? this.maxSigma : Math.sqrt(this.maxSigma * this.maxSigma + 1);
  }

  setTimesteps(steps: number): readonly number[] {
    let timesteps = spaceTimesteps({ ...this.settings, spacing: this.settings.timestepSpacing, steps, layout: 'standard', integer: false });
    let sigmas = timesteps.map((t) => this.schedule.sigmaAt(t));
    if (this.settings.useKarrasSigmas) {
      sigmas = karrasSigmas(sigmas[sigmas.length - 1]!, sigmas[0]!, steps);
      timesteps = sigmas.map((sigma) => this.schedule.timestepForSigma(sigma));
    }
    const last = this.settings.finalSigmasType === 'zero' ? 0 : this.schedule.sigmas[0]!;
    this.sigmas = Object.freeze([...sigmas, last]);
    this.maxSigma = Math.max(...sigmas);
    this.timesteps = Object.freeze(timesteps);
    return this.timesteps;
  }

  /** The sigmas of the current schedule, one more than the timesteps. */
  get stepSigmas(): readonly number[] {
    return this.sigmas;
  }

  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array {
    sampleChecks.stepIndex(stepIndex, this.timesteps);
    const sigma = this.sigmas[stepIndex]!;
    const scale = 1 / Math.sqrt(sigma * sigma + 1);
    return sample.map((x) => x * scale);
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): Float32Array {
    sampleChecks.stepIndex(stepIndex, this.timesteps);
    sampleChecks.sameLength(modelOutput, sample, 'step(modelOutput, sample)');
    const sigma = this.sigmas[stepIndex]!;
    const dt = this.sigmas[stepIndex + 1]! - sigma;
    const vPrediction = this.settings.predictionType === 'v_prediction';
    const vScale = -sigma / Math.sqrt(sigma * sigma + 1);
    const xScale = 1 / (sigma * sigma + 1);
    const out = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i]!;
      const m = modelOutput[i]!;
      const x0 = vPrediction ? m * vScale + x * xScale : x - sigma * m;
      const derivative = (x - x0) / sigma;
      out[i] = x + derivative * dt;
    }
    return out;
  }

  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    const abar = this.schedule.alphaCumprodAt(timestep);
    return blendNoise(original, noise, Math.sqrt(abar), Math.sqrt(1 - abar));
  }

  /** x0 + sigma_i * noise: Euler's sample space, not the UNet's (see {@link Scheduler.addNoiseForStep}). */
  addNoiseForStep(original: Float32Array, noise: Float32Array, stepIndex: number): Float32Array {
    sampleChecks.stepIndex(stepIndex, this.timesteps);
    return blendNoise(original, noise, 1, this.sigmas[stepIndex]!);
  }
}
