import type { PREDICTION_TYPES } from './scheduler-config.ts';

/** What a UNet is trained to predict. */
export type PredictionType = (typeof PREDICTION_TYPES)[number];

/**
 * The training target of one noised latent `x_t = sqrt(abar) x0 + sqrt(1 - abar) eps`: the noise
 * `eps` for epsilon prediction, `v = sqrt(abar) eps - sqrt(1 - abar) x0` for v-prediction
 * (Salimans & Ho 2022). Writes it into `out` (the same length as `x0` and `eps`).
 */
export function writePredictionTarget(out: Float32Array, predictionType: PredictionType, alphaCumprod: number, x0: ArrayLike<number>, eps: ArrayLike<number>): void {
  if (predictionType === 'epsilon') {
    out.set(eps);
    return;
  }
  const signal = Math.sqrt(alphaCumprod);
  const spread = Math.sqrt(1 - alphaCumprod);
  for (let i = 0; i < out.length; i++) out[i] = signal * eps[i]! - spread * x0[i]!;
}
