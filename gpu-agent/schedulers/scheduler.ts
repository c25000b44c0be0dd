/** The scheduler kinds the agent implements. */
export const SCHEDULER_KINDS = ['ddim', 'euler', 'dpmpp-2m'] as const;

/** One of {@link SCHEDULER_KINDS}. */
export type SchedulerKind = (typeof SCHEDULER_KINDS)[number];

/**
 * A diffusion sampler in the diffusers style, with explicit step indices instead of hidden
 * counters. The denoising loop is:
 *
 * ```ts
 * const timesteps = scheduler.setTimesteps(steps);
 * let x = noise.map((v) => v * scheduler.initNoiseSigma);
 * for (let i = 0; i < timesteps.length; i++) {
 *   const eps = unet(scheduler.scaleModelInput(x, i), timesteps[i], text);
 *   x = scheduler.step(eps, i, x);
 * }
 * ```
 *
 * All arithmetic is done in float64; arrays in and out are float32 and never modified in place.
 */
export interface Scheduler {
  readonly kind: SchedulerKind;
  /**
   * Timesteps (descending) for `steps` inference steps; resets internal multistep state.
   * Euler's may be fractional (linspace spacing, Karras sigmas): round them for a UNet whose
   * timestep input is an integer type.
   */
  setTimesteps(steps: number): readonly number[];
  /** Standard deviation of the initial noise (1 for DDIM and DPM-Solver++, sigma_max-based for Euler, per diffusers). */
  readonly initNoiseSigma: number;
  /** Scales the model input at step i (Euler divides by sqrt(sigma^2+1); DDIM identity). Returns a new array. */
  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array;
  /** One denoising step from step i with the model output; returns the new sample (new array). */
  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): Float32Array;
  /**
   * Forward noising q(x_t|x_0) for training: sqrt(abar)*x0 + sqrt(1-abar)*noise at a train
   * timestep (0..num_train_timesteps-1; a fractional one is interpolated in sigma). This is the
   * UNet's own input space, whatever the scheduler.
   */
  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array;
  /**
   * Noises `original` to the level of inference step `stepIndex`, in this scheduler's sample
   * space, so denoising can start there (img2img: start at `steps - strength * steps`). Equal to
   * {@link addNoise} at `timesteps[stepIndex]` for DDIM and DPM-Solver++; Euler works on
   * `x0 + sigma * noise` (the UNet input divided by sqrt(abar)), as diffusers' Euler does.
   */
  addNoiseForStep(original: Float32Array, noise: Float32Array, stepIndex: number): Float32Array;
}
