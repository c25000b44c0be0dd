/**
 * The project's one seeded pseudo-random generator (xoshiro128**, seeded through splitmix32):
 * initial latents, weight initialisation, simulations. Same seed, same sequence, on every
 * platform; nothing seeded reads `Math.random`.
 */
export class Prng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** @param seed any 32-bit integer; different seeds give unrelated sequences. */
  constructor(seed: number) {
    let x = seed >>> 0;
    const split = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = split();
    this.s1 = split();
    this.s2 = split();
    this.s3 = split();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** The next 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /**
   * A generator for one named stream of a seed: each name gives an independent sequence, so a
   * value drawn for a name depends only on (seed, name), never on the order of other draws.
   */
  static forStream(seed: number, stream: string): Prng {
    return new Prng((hashString(`${seed}:${stream}`) ^ Math.imul(seed | 0, 0x9e3779b1)) >>> 0);
  }

  /** A float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Two independent N(0, 1) samples (Box-Muller), from two draws. */
  normalPair(): [number, number] {
    // u1 in (0, 1) so that the logarithm is finite; u2 in [0, 1).
    const u1 = (this.nextUint32() + 1) / 4294967297;
    const u2 = this.nextUint32() / 4294967296;
    const radius = Math.sqrt(-2 * Math.log(u1));
    const angle = 2 * Math.PI * u2;
    return [radius * Math.cos(angle), radius * Math.sin(angle)];
  }

  /** An integer in [min, max] (both inclusive). */
  int(min: number, max: number): number {
    if (max < min) throw new RangeError(`empty range [${min}, ${max}]`);
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty array');
    return items[this.int(0, items.length - 1)] as T;
  }

  /** A shuffled copy (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out;
  }

  /** An independent generator derived from this one (for giving each component its own stream). */
  fork(): Prng {
    return new Prng(this.nextUint32());
  }

  /** A `() => number` in [0, 1) bound to this generator, as RaftConfig.random expects. */
  asFunction(): () => number {
    return () => this.next();
  }
}

/** `count` samples of N(0, 1) from `random`, drawn in Box-Muller pairs. */
export function normalValues(random: Prng, count: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const [a, b] = random.normalPair();
    out[i] = a;
    if (i + 1 < count) out[i + 1] = b;
  }
  return out;
}

/** FNV-1a hash of a string, as an unsigned 32-bit integer. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
