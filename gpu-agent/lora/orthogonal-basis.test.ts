import { describe, expect, it } from 'vitest';
import { ORTHOGONAL_ROW_NORM, orthogonalDownProjections, orthogonalSlotCapacity } from './orthogonal-basis.ts';

const targets = [
  { key: 'lora_unet_mid_block_attentions_0_transformer_blocks_0_attn1_to_q', inFeatures: 64 },
  { key: 'lora_unet_mid_block_attentions_0_transformer_blocks_0_attn2_to_k', inFeatures: 48 },
  { key: 'lora_unet_up_blocks_0_attentions_0_transformer_blocks_0_attn2_to_out_0', inFeatures: 33 },
];
const rank = 4;

/** The rows of a `[rank, in]` down-projection. */
function rows(down: Float32Array, inFeatures: number): Float32Array[] {
  return Array.from({ length: down.length / inFeatures }, (_, r) => down.subarray(r * inFeatures, (r + 1) * inFeatures));
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

/** Every row of every slot of one layer, slot after slot. */
function slotRows(target: (typeof targets)[number], slots: number, basisSeed = 3): Float32Array[] {
  return Array.from({ length: slots }, (_, slot) => rows(orthogonalDownProjections([target], rank, { basisSeed, slot }).get(target.key)!, target.inFeatures)).flat();
}

describe('orthogonalDownProjections', () => {
  it('gives [rank, in] rows of norm 1/sqrt(3) (the standard LoRA start\'s expected row norm), orthogonal within a slot and across slots', () => {
    expect(ORTHOGONAL_ROW_NORM).toBeCloseTo(1 / Math.sqrt(3), 12);
    for (const target of targets) {
      const all = slotRows(target, Math.floor(target.inFeatures / rank));
      expect(all).toHaveLength(rank * Math.floor(target.inFeatures / rank));
      for (let a = 0; a < all.length; a++) {
        expect(all[a]).toHaveLength(target.inFeatures);
        expect(Math.abs(Math.sqrt(dot(all[a]!, all[a]!)) - 1 / Math.sqrt(3))).toBeLessThan(1e-5);
        for (let b = 0; b < a; b++) expect(Math.abs(dot(all[a]!, all[b]!))).toBeLessThan(1e-5);
      }
    }
  });

  it('is deterministic: the same inputs give the same bytes, whichever slots were computed before', () => {
    const a = orthogonalDownProjections(targets, rank, { basisSeed: 11, slot: 5 });
    orthogonalDownProjections(targets, rank, { basisSeed: 11, slot: 2 });
    const b = orthogonalDownProjections(targets, rank, { basisSeed: 11, slot: 5 });
    expect([...a.keys()]).toEqual(targets.map((t) => t.key));
    for (const [key, down] of a) {
      expect(down).toHaveLength(rank * targets.find((t) => t.key === key)!.inFeatures);
      expect(Buffer.from(b.get(key)!.buffer)).toEqual(Buffer.from(down.buffer));
    }
  });

  it('draws another basis for another seed and for another layer', () => {
    const a = orthogonalDownProjections([targets[0]!], rank, { basisSeed: 1, slot: 0 }).get(targets[0]!.key)!;
    const b = orthogonalDownProjections([targets[0]!], rank, { basisSeed: 2, slot: 0 }).get(targets[0]!.key)!;
    const renamed = orthogonalDownProjections([{ ...targets[0]!, key: 'lora_unet_other' }], rank, { basisSeed: 1, slot: 0 }).get('lora_unet_other')!;
    expect(Array.from(b)).not.toEqual(Array.from(a));
    expect(Array.from(renamed)).not.toEqual(Array.from(a));
    // Two random directions in R^64 are nearly, not exactly, orthogonal.
    expect(Math.abs(dot(a.subarray(0, 64), b.subarray(0, 64)))).toBeGreaterThan(1e-6);
  });

  it('wraps a slot beyond a layer\'s capacity: subjects beyond it share rows', () => {
    const small = targets[2]!; // 33 input features: 8 slots of rank 4
    const big = targets[0]!; // 64: 16 slots
    const wrapped = orthogonalDownProjections([small, big], rank, { basisSeed: 4, slot: 8 + 3 });
    const same = orthogonalDownProjections([small], rank, { basisSeed: 4, slot: 3 });
    expect(Array.from(wrapped.get(small.key)!)).toEqual(Array.from(same.get(small.key)!));
    const unwrapped = orthogonalDownProjections([big], rank, { basisSeed: 4, slot: 3 });
    expect(Array.from(wrapped.get(big.key)!)).not.toEqual(Array.from(unwrapped.get(big.key)!));
  });

  it('refuses a slot, seed or rank out of range', () => {
    expect(() => orthogonalDownProjections(targets, rank, { basisSeed: 1, slot: -1 })).toThrowError(/non-negative integer/);
    expect(() => orthogonalDownProjections(targets, rank, { basisSeed: 1, slot: 0.5 })).toThrowError(/non-negative integer/);
    expect(() => orthogonalDownProjections(targets, rank, { basisSeed: 2 ** 32, slot: 0 })).toThrowError(/basis seed/);
    expect(() => orthogonalDownProjections(targets, 34, { basisSeed: 1, slot: 0 })).toThrowError(/rank 34 exceeds the 33 input features/);
    expect(() => orthogonalDownProjections(targets, 0, { basisSeed: 1, slot: 0 })).toThrowError(/positive integer/);
  });
});

describe('orthogonalSlotCapacity', () => {
  it('is the smallest floor(in / rank) over the layers', () => {
    expect(orthogonalSlotCapacity(targets, rank)).toBe(8);
    expect(orthogonalSlotCapacity(targets.slice(0, 2), rank)).toBe(12);
    expect(orthogonalSlotCapacity(targets.slice(0, 1), 64)).toBe(1);
    expect(() => orthogonalSlotCapacity([], rank)).toThrowError(/at least one layer/);
  });
});
