import { numpyLike } from './numeric.ts';
import type { SchedulerSettings } from './scheduler-config.ts';

/**
 * The training noise schedule of a DDPM-style model, in float64: betas, alpha_bar (cumulative
 * product of 1 - beta) and the equivalent sigmas sqrt((1 - alpha_bar) / alpha_bar), indexed by
 * train timestep 0..numTrainTimesteps-1 (sigma grows with t).
 */
export class NoiseSchedule {
  readonly numTrainTimesteps: number;
  readonly betas: Float64Array;
  readonly alphasCumprod: Float64Array;
  readonly sigmas: Float64Array;
  readonly logSigmas: Float64Array;

  constructor(settings: Pick<SchedulerSettings, 'numTrainTimesteps' | 'betaStart' | 'betaEnd' | 'betaSchedule'>) {
    const n = settings.numTrainTimesteps;
    this.numTrainTimesteps = n;
    const betas =
      settings.betaSchedule === 'linear'
        ? numpyLike.linspace(settings.betaStart, settings.betaEnd, n)
        : numpyLike.linspace(Math.sqrt(settings.betaStart), Math.sqrt(settings.betaEnd), n).map((b) => b * b);
    this.betas = Float64Array.from(betas);
    this.alphasCumprod = new Float64Array(n);
    let product = 1;
    for (let t = 0; t < n; t++) {
      product *= 1 - betas[t]!;
      this.alphasCumprod[t] = product;
    }
    this.sigmas = this.alphasCumprod.map((abar) => Math.sqrt((1 - abar) / abar));
    this.logSigmas = this.sigmas.map(Math.log);
  }

  /** Sigma at a (possibly fractional) train timestep, linearly interpolated as diffusers does. */
  sigmaAt(timestep: number): number {
    return numpyLike.interpIndex(timestep, this.sigmas);
  }

  /**
   * alpha_bar at a train timestep; a fractional one goes through the interpolated sigma
   * (alpha_bar = 1 / (1 + sigma^2)).
   * @throws RangeError outside 0..numTrainTimesteps-1.
   */
  alphaCumprodAt(timestep: number): number {
    if (!(timestep >= 0 && timestep <= this.numTrainTimesteps - 1)) {
      throw new RangeError(`timestep must be in 0..${this.numTrainTimesteps - 1} (got ${timestep})`);
    }
    if (Number.isInteger(timestep)) return this.alphasCumprod[timestep]!;
    const sigma = this.sigmaAt(timestep);
    return 1 / (1 + sigma * sigma);
  }

  /**
   * The fractional train timestep whose sigma is `sigma`, by linear interpolation in log sigma
   * between neighbouring timesteps (clamped to the schedule's ends).
   */
  timestepForSigma(sigma: number): number {
    const logSigma = Math.log(Math.max(sigma, 1e-10));
    const logs = this.logSigmas;
    let atOrBelow = 0;
    while (atOrBelow < logs.length && logs[atOrBelow]! <= logSigma) atOrBelow++;
    const low = Math.min(Math.max(atOrBelow - 1, 0), logs.length - 2);
    const high = low + 1;
    const w = Math.min(Math.max((logs[low]! - logSigma) / (logs[low]! - logs[high]!), 0), 1);
    return (1 - w) * low + w * high;
  }
}

/** Karras et al. (2022) sigmas: `steps` values from sigmaMax down to sigmaMin, evenly spaced in sigma^(1/7). */
export function karrasSigmas(sigmaMin: number, sigmaMax: number, steps: number): number[] {
  const rho = 7;
  const minInv = sigmaMin ** (1 / rho);
  const maxInv = sigmaMax ** (1 / rho);
  return numpyLike.linspace(0, 1, steps).map((ramp) => (maxInv + ramp * (minInv - maxInv)) ** rho);
}

/** The variance-preserving pair for a sigma: alpha = 1/sqrt(1+sigma^2), sigma_t = sigma * alpha. */
export function alphaSigmaFromSigma(sigma: number): { alpha: number; sigma: number } {
  const alpha = 1 / Math.sqrt(sigma * sigma + 1);
  return { alpha, sigma: sigma * alpha };
}
