import { Prng } from '../random/prng.ts';

/** A deterministic pseudo-random source for weight initialisation and tests. */
export interface SeededRandom {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
}

/**
 * Creates a generator from a numeric seed and an optional stream name; each name gives an
 * independent stream, so a parameter's values depend only on (seed, its name), never on build order.
 */
export function seededRandom(seed: number, stream = ''): SeededRandom {
  const random = Prng.forStream(seed, stream);
  return {
    uniform: () => random.next(),
    normal: () => random.normalPair()[0],
  };
}
