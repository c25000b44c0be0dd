import { describe, expect, it } from 'vitest';
import { gaussianNoise, MAX_SEED } from './gaussian-noise.ts';
import { float16BitsToFloat32, float32ToFloat16Bits, floatTensor, toFloat32 } from './host-tensors.ts';

describe('float16 conversion', () => {
  it('matches IEEE binary16 on known values, rounding to nearest even', () => {
    const values = Float32Array.of(0, -0, 1, -2, 0.5, 65504, 65520, 1e-8, 2 ** -24, 2 ** -14, 1 + 2 ** -11, 1 + 3 * 2 ** -11, Infinity, -Infinity);
    expect([...float32ToFloat16Bits(values)]).toEqual([
      0x0000, 0x8000, 0x3c00, 0xc000, 0x3800, 0x7bff, 0x7c00, 0x0000, 0x0001, 0x0400, 0x3c00, 0x3c02, 0x7c00, 0xfc00,
    ]);
    expect(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(Float32Array.of(NaN)))[0])).toBe(true);
  });

  it('round-trips every finite half exactly', () => {
    const halves = new Uint16Array(0x10000).map((_, i) => i);
    const finite = halves.filter((h) => (h & 0x7c00) !== 0x7c00);
    expect([...float32ToFloat16Bits(float16BitsToFloat32(finite))]).toEqual([...finite]);
  });

  it('builds feeds of the dtype a session asks for', () => {
    expect(floatTensor(Float32Array.of(1.5, -2.5), [2], 'int64').data).toEqual(BigInt64Array.of(1n, -2n));
    expect(floatTensor([7], [1], 'int32').data).toEqual(Int32Array.of(7));
    expect(toFloat32(floatTensor([0.25, 3], [2], 'float16'))).toEqual(Float32Array.of(0.25, 3));
  });
});

describe('gaussianNoise', () => {
  it('is the same for the same seed, different for another, and a prefix for a shorter length', () => {
    const a = gaussianNoise(42, 1001);
    expect(gaussianNoise(42, 1001)).toEqual(a);
    expect(gaussianNoise(42, 10)).toEqual(a.subarray(0, 10));
    expect(gaussianNoise(43, 1001)).not.toEqual(a);
    expect(gaussianNoise(MAX_SEED, 3)).toHaveLength(3);
    expect(() => gaussianNoise(-1, 3)).toThrow(RangeError);
    expect(() => gaussianNoise(1.5, 3)).toThrow(RangeError);
  });

  it('has mean 0 and variance 1', () => {
    const noise = gaussianNoise(7, 200_000);
    const mean = noise.reduce((s, v) => s + v, 0) / noise.length;
    const variance = noise.reduce((s, v) => s + (v - mean) ** 2, 0) / noise.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1)).toBeLessThan(0.01);
  });
});
