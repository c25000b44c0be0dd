/**
 * Seeded standard-normal noise for the initial latents: xoshiro128** (seeded through splitmix32)
 * feeding the Box-Muller transform. The same seed gives the same values on every platform and
 * every run; nothing here reads `Math.random`.
 */
import { normalValues, Prng } from '../random/prng.ts';

/** The largest seed: seeds are unsigned 32-bit integers. */
export const MAX_SEED = 0xffff_ffff;

/**
 * `length` samples of N(0, 1) drawn from `seed` (an integer in 0..{@link MAX_SEED}). A longer
 * request with the same seed starts with the same values as a shorter one.
 */
export function gaussianNoise(seed: number, length: number): Float32Array {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) throw new RangeError(`seed must be an integer in 0..${MAX_SEED} (got ${seed})`);
  return normalValues(new Prng(seed), length);
}
