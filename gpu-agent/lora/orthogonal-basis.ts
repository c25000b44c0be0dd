import { normalValues, Prng } from '../random/prng.ts';

/** A subject's place in the orthogonal merge: which basis (by seed) and which block of its rows. */
export interface OrthogonalSlot {
  /** Seed of the basis, shared by every subject of a model (an integer in 0..2^32-1). */
  basisSeed: number;
  /** The subject's slot (a non-negative integer); subjects with different slots get orthogonal rows. */
  slot: number;
}

/** The largest basis seed (seeds are unsigned 32-bit integers). */
const MAX_BASIS_SEED = 2 ** 32 - 1;

/** A residual norm below this means the drawn vectors were linearly dependent (never seen in practice). */
const DEPENDENT_NORM = 1e-10;

/**
 * The norm of every row: `1/sqrt(3)`, the expected row norm of the standard LoRA start (`down`
 * uniform in `±1/sqrt(in)`, see lora-weights.ts), so an up-projection trained on these rows takes
 * the same step sizes as a standard LoRA's at the same learning rate.
 */
export const ORTHOGONAL_ROW_NORM = 1 / Math.sqrt(3);

/**
 * Down-projections for one subject: for each target, rows `[slot*rank, (slot+1)*rank)` of a seeded
 * random orthonormal basis of R^inFeatures (seeded by (basisSeed, key)), scaled by
 * {@link ORTHOGONAL_ROW_NORM}, row-major `[rank, in]` float32. The rows stay mutually orthogonal;
 * their norm is the expected row norm of the standard LoRA start rather than 1, so the delta
 * `up down` grows at the same rate as a standard LoRA's under the same optimiser and learning
 * rate (unit rows would make it grow about sqrt(3) times faster). Only the first `(slot+1)*rank`
 * gaussian vectors of the basis are drawn and orthonormalised in float64 by modified Gram-Schmidt
 * applied twice, so the cost is `O(((slot+1) rank)^2 in)` per layer; a basis vector depends only
 * on the vectors before it, so every process computes the same rows for a slot whatever slots it
 * computed before. A layer holds `floor(in / rank)` slots: a slot beyond that uses
 * `slot mod floor(in / rank)`, so subjects beyond a layer's capacity share its rows (see
 * {@link orthogonalSlotCapacity}).
 * @throws RangeError on a rank, slot or seed that is not a whole number in range, or a rank above a layer's `inFeatures`.
 */
export function orthogonalDownProjections(targets: readonly { key: string; inFeatures: number }[], rank: number, slot: OrthogonalSlot): Map<string, Float32Array> {
  checkRank(rank);
  if (!Number.isSafeInteger(slot.slot) || slot.slot < 0) throw new RangeError(`an orthogonal slot is a non-negative integer (got ${slot.slot})`);
  if (!Number.isInteger(slot.basisSeed) || slot.basisSeed < 0 || slot.basisSeed > MAX_BASIS_SEED) {
    throw new RangeError(`an orthogonal basis seed is an integer from 0 to ${MAX_BASIS_SEED} (got ${slot.basisSeed})`);
  }
  const projections = new Map<string, Float32Array>();
  for (const target of targets) {
    const slots = slotsOf(target, rank);
    const first = (slot.slot % slots) * rank;
    const basis = orthonormalRows(Prng.forStream(slot.basisSeed, `orthogonal-basis:${target.key}`), first + rank, target.inFeatures, target.key);
    projections.set(target.key, Float32Array.from(basis.subarray(first * target.inFeatures), (v) => v * ORTHOGONAL_ROW_NORM));
  }
  return projections;
}

/**
 * How many subjects fit before slots repeat: the minimum over targets of `floor(inFeatures / rank)`.
 * @throws RangeError when there is no target, or the rank is not a whole number from 1 to every layer's `inFeatures`.
 */
export function orthogonalSlotCapacity(targets: readonly { inFeatures: number }[], rank: number): number {
  checkRank(rank);
  if (targets.length === 0) throw new RangeError('the slot capacity of an orthogonal basis needs at least one layer');
  return Math.min(...targets.map((target) => slotsOf(target, rank)));
}

function checkRank(rank: number): void {
  if (!Number.isInteger(rank) || rank < 1) throw new RangeError(`LoRA rank must be a positive integer (got ${rank})`);
}

function slotsOf(target: { key?: string; inFeatures: number }, rank: number): number {
  if (!Number.isInteger(target.inFeatures) || target.inFeatures < 1) throw new RangeError(`${target.key ?? 'a layer'} has ${target.inFeatures} input features; expected a positive integer`);
  const slots = Math.floor(target.inFeatures / rank);
  if (slots < 1) {
    throw new RangeError(`LoRA rank ${rank} exceeds the ${target.inFeatures} input features of ${target.key ?? 'a layer'}; an orthogonal basis needs rank <= inFeatures`);
  }
  return slots;
}

/**
 * `count` orthonormal rows of length `size` (float64, row-major): each of `count` gaussian vectors
 * from `random` has the rows before it subtracted twice (modified Gram-Schmidt with one
 * re-orthogonalisation, which keeps rows orthogonal to rounding error), then is normalised.
 */
function orthonormalRows(random: Prng, count: number, size: number, key: string): Float64Array {
  const rows = new Float64Array(count * size);
  for (let j = 0; j < count; j++) {
    const v = rows.subarray(j * size, (j + 1) * size);
    v.set(normalValues(random, size));
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        const q = rows.subarray(k * size, (k + 1) * size);
        let dot = 0;
        for (let i = 0; i < size; i++) dot += q[i]! * v[i]!;
        for (let i = 0; i < size; i++) v[i] = v[i]! - dot * q[i]!;
      }
    }
    let norm = 0;
    for (let i = 0; i < size; i++) norm += v[i]! * v[i]!;
    norm = Math.sqrt(norm);
    if (!(norm > DEPENDENT_NORM)) throw new Error(`the random vectors of the orthogonal basis of ${key} are linearly dependent at row ${j}`);
    for (let i = 0; i < size; i++) v[i] = v[i]! / norm;
  }
  return rows;
}
