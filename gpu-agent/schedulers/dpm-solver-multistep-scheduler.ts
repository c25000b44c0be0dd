import { blendNoise } from './blend-noise.ts';
import { numpyLike } from './numeric.ts';
import { alphaSigmaFromSigma, karrasSigmas, NoiseSchedule } from './noise-schedule.ts';
import { sampleChecks } from './sample-checks.ts';
import type { Scheduler } from './scheduler.ts';
import type { SchedulerSettings } from './scheduler-config.ts';
import { spaceTimesteps } from './timestep-spacing.ts';

/**
 * DPM-Solver++(2M) (Lu et al. 2022): the second-order multistep solver on the data prediction,
 * midpoint variant, as diffusers' DPMSolverMultistepScheduler with its defaults
 * (`algorithm_type: dpmsolver++`, `solver_order: 2`, `solver_type: midpoint`). Works in the
 * UNet's own sample space (alpha_t x0 + sigma_t noise), so the initial noise sigma is 1 and the
 * model input is not scaled.
 *
 * Steps are first order when the previous step's prediction is not at hand (the first step, or
 * the first after starting mid-schedule) and on the last step when diffusers' `lower_order_final`
 * applies: always with a final sigma of 0, else with fewer than 15 steps (or `euler_at_final`).
 */
export class DpmSolverMultistepScheduler implements Scheduler {
  readonly kind = 'dpmpp-2m';
  readonly initNoiseSigma = 1;
  private readonly settings: SchedulerSettings;
  private readonly schedule: NoiseSchedule;
  private timesteps: readonly number[] | undefined;
  private sigmas: readonly number[] = [];
  /** Data predictions (x0) of recent steps, by step index; at most the last two are kept. */
  private readonly predictions = new Map<number, Float64Array>();

  constructor(settings: SchedulerSettings) {
    this.settings = settings;
    this.schedule = new NoiseSchedule(settings);
  }

  setTimesteps(steps: number): readonly number[] {
    const trainSigmas = this.schedule.sigmas;
    let timesteps = spaceTimesteps({ ...this.settings, spacing: this.settings.timestepSpacing, steps, layout: 'multistep', integer: true });
    let sigmas: number[];
    if (this.settings.useKarrasSigmas) {
      sigmas = karrasSigmas(trainSigmas[0]!, trainSigmas[trainSigmas.length - 1]!, steps);
      timesteps = sigmas.map((sigma) => numpyLike.round(this.schedule.timestepForSigma(sigma)));
    } else {
      sigmas = timesteps.map((t) => this.schedule.sigmaAt(t));
    }
    const last = this.settings.finalSigmasType === 'zero' ? 0 : trainSigmas[0]!;
    this.sigmas = Object.freeze([...sigmas, last]);
    this.timesteps = Object.freeze(timesteps);
    this.predictions.clear();
    return this.timesteps;
  }

  /** The sigmas of the current schedule, one more than the timesteps. */
  get stepSigmas(): readonly number[] {
    return this.sigmas;
  }

  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array {
    sampleChecks.stepIndex(stepIndex, this.timesteps);
    return sample.slice();
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): Float32Array {
    const timesteps = sampleChecks.stepIndex(stepIndex, this.timesteps);
    sampleChecks.sameLength(modelOutput, sample, 'step(modelOutput, sample)');
    const { alpha: alphaS0, sigma: sigmaS0 } = alphaSigmaFromSigma(this.sigmas[stepIndex]!);
    const x0 = new Float64Array(sample.length);
    const vPrediction = this.settings.predictionType === 'v_prediction';
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i]!;
      const m = modelOutput[i]!;
      x0[i] = vPrediction ? alphaS0 * x - sigmaS0 * m : (x - sigmaS0 * m) / alphaS0;
    }
    for (const index of this.predictions.keys()) if (index !== stepIndex - 1) this.predictions.delete(index);
    const previous = this.predictions.get(stepIndex - 1);
    this.predictions.set(stepIndex, x0);

    const sigmaNext = this.sigmas[stepIndex + 1]!;
    if (sigmaNext === 0) return Float32Array.from(x0);

    const { alpha: alphaT, sigma: sigmaT } = alphaSigmaFromSigma(sigmaNext);
    const lambdaT = Math.log(alphaT) - Math.log(sigmaT);
    const lambdaS0 = Math.log(alphaS0) - Math.log(sigmaS0);
    const h = lambdaT - lambdaS0;
    const sampleScale = sigmaT / sigmaS0;
    const x0Scale = -alphaT * Math.expm1(-h);
    const out = new Float32Array(sample.length);

    if (previous === undefined || this.lowerOrderFinal(stepIndex, timesteps.length)) {
      for (let i = 0; i < sample.length; i++) out[i] = sampleScale * sample[i]! + x0Scale * x0[i]!;
      return out;
    }
    const { alpha: alphaS1, sigma: sigmaS1 } = alphaSigmaFromSigma(this.sigmas[stepIndex - 1]!);
    const lambdaS1 = Math.log(alphaS1) - Math.log(sigmaS1);
    const r0 = (lambdaS0 - lambdaS1) / h;
    for (let i = 0; i < sample.length; i++) {
      const d1 = (x0[i]! - previous[i]!) / r0;
      out[i] = sampleScale * sample[i]! + x0Scale * x0[i]! + 0.5 * x0Scale * d1;
    }
    return out;
  }

  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    const abar = this.schedule.alphaCumprodAt(timestep);
    return blendNoise(original, noise, Math.sqrt(abar), Math.sqrt(1 - abar));
  }

  addNoiseForStep(original: Float32Array, noise: Float32Array, stepIndex: number): Float32Array {
    sampleChecks.stepIndex(stepIndex, this.timesteps);
    const { alpha, sigma } = alphaSigmaFromSigma(this.sigmas[stepIndex]!);
    return blendNoise(original, noise, alpha, sigma);
  }

  private lowerOrderFinal(stepIndex: number, steps: number): boolean {
    if (stepIndex !== steps - 1) return false;
    const { eulerAtFinal, lowerOrderFinal, finalSigmasType } = this.settings;
    return eulerAtFinal || (lowerOrderFinal && steps < 15) || finalSigmasType === 'zero';
  }
}
