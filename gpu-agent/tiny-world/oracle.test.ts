import { describe, expect, it } from 'vitest';
import { Prng } from '../random/prng.ts';
import { TINY_WORLD_WORDS } from '../tokenizer/tiny-world-words.ts';
import { generateDataset } from './dataset.ts';
import type { TinyWorldSample } from './dataset.ts';
import { degradeImage } from './degrade-image.ts';
import type { Degradation } from './degrade-image.ts';
import { evaluationPrompts } from './evaluation-prompts.ts';
import { TinyWorldOracle } from './oracle.ts';
import { TINY_PALETTE } from './palette.ts';
import { renderShape } from './render.ts';
import { SIZE_RADII } from './size-classes.ts';

const oracle = new TinyWorldOracle();

/** Share of samples whose background, foreground colour and shape are all read right, and of sizes read right. */
function accuracy(samples: readonly TinyWorldSample[], degradation?: Degradation): { all: number; size: number } {
  const prng = new Prng(99);
  let all = 0;
  let size = 0;
  for (const { image, labels } of samples) {
    const reading = oracle.read(degradation === undefined ? image : degradeImage(image, degradation, prng));
    if (reading.background.colour === labels.background && reading.foreground?.colour === labels.colour && reading.shape?.shape === labels.shape) all++;
    if (reading.size?.size === labels.size) size++;
  }
  return { all: all / samples.length, size: size / samples.length };
}

describe('TinyWorldOracle.read', () => {
  const samples = generateDataset(2024, 500);

  it("reads the generator's own images: background, foreground and shape all right on at least 98 %", () => {
    const { all, size } = accuracy(samples);
    expect(all).toBeGreaterThanOrEqual(0.98);
    expect(size).toBeGreaterThanOrEqual(0.9);
  });

  it.each([
    ['blurred (sigma 1 px)', { blurSigma: 1 }],
    ['noisy (sigma 10 levels)', { noiseSigma: 10 }],
    ['blurred and noisy', { blurSigma: 1, noiseSigma: 10 }],
  ] as const)('reads %s copies at least 95 %% right', (_name, degradation) => {
    expect(accuracy(samples.slice(0, 200), degradation).all).toBeGreaterThanOrEqual(0.95);
  });

  it('reads every shape of the evaluation prompts, rendered as asked', () => {
    for (const [i, prompt] of evaluationPrompts().entries()) {
      const [min, max] = SIZE_RADII[prompt.size];
      const image = renderShape({ ...prompt, x: 28 + (i % 8), y: 36 - (i % 5), radius: (min + max) / 2, rotationDeg: 0 });
      const reading = oracle.read(image);
      expect([reading.background.colour, reading.foreground?.colour, reading.shape?.shape, reading.size?.size], prompt.prompt).toEqual([
        prompt.background,
        prompt.colour,
        prompt.shape,
        prompt.size,
      ]);
    }
  });

  it('gives confidences in [0, 1], high on clean images, and a score for every shape', () => {
    const reading = oracle.read(samples[0]!.image);
    expect(Object.keys(reading.shape!.scores).sort()).toEqual([...TINY_WORLD_WORDS.shapes].sort());
    for (const sample of samples.slice(0, 50)) {
      const { background, foreground, shape } = oracle.read(sample.image);
      for (const confidence of [background.confidence, foreground!.confidence, shape!.confidence]) {
        expect(confidence).toBeGreaterThanOrEqual(0);
        expect(confidence).toBeLessThanOrEqual(1);
      }
      expect(background.confidence).toBeGreaterThan(0.99);
      expect(shape!.margin).toBeGreaterThan(0);
    }
  });

  it('finds the centre and radius of a shape', () => {
    const image = renderShape({ shape: 'circle', colour: 'green', background: 'white', x: 20.5, y: 41.25, radius: 14, rotationDeg: 0 });
    const { mask, size } = oracle.read(image);
    expect(mask!.x).toBeCloseTo(20.5, 1);
    expect(mask!.y).toBeCloseTo(41.25, 1);
    expect(size!.radius).toBeCloseTo(14, 0);
    expect(mask!.mass).toBeCloseTo(Math.PI * 14 * 14, -1);
  });

  it('reports no foreground on a plain or merely noisy background', () => {
    const plain = { width: 64, height: 64, data: new Uint8Array(64 * 64 * 3) };
    for (let p = 0; p < 64 * 64; p++) plain.data.set(TINY_PALETTE.pink, p * 3);
    for (const image of [plain, degradeImage(plain, { noiseSigma: 10 }, new Prng(1))]) {
      const reading = oracle.read(image);
      expect(reading.background.colour).toBe('pink');
      expect(reading.foreground).toBeUndefined();
      expect(reading.shape).toBeUndefined();
    }
  });

  it('is deterministic', () => {
    const image = degradeImage(samples[3]!.image, { blurSigma: 0.8, noiseSigma: 6 }, new Prng(4));
    expect(oracle.read(image)).toEqual(new TinyWorldOracle().read(image));
  });
});
