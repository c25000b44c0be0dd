import { describe, expect, it } from 'vitest';
import { composeImageGrid } from './image-grid.ts';
import { pooledFigure, qualityTargets, renderQualityMarkdown } from './quality-markdown.ts';
import type { QualityReport, QualitySubjectResult } from './quality-markdown.ts';

const solid = (width: number, height: number, rgb: readonly [number, number, number]) => {
  const data = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) data.set(rgb, p * 3);
  return { width, height, data };
};

describe('composeImageGrid', () => {
  it('lays cells out with gaps and upscales by nearest neighbour, leaving empty cells in the fill colour', () => {
    const red = solid(2, 2, [255, 0, 0]);
    const blue = solid(2, 2, [0, 0, 255]);
    const grid = composeImageGrid([[red, blue], [undefined, red]], { scale: 2, gap: 1, fill: [9, 9, 9] });
    expect([grid.width, grid.height]).toEqual([(1 + 2 * 3) * 2, (1 + 2 * 3) * 2]);
    const at = (x: number, y: number): number[] => [...grid.data.subarray((y * grid.width + x) * 3, (y * grid.width + x) * 3 + 3)];
    expect(at(0, 0)).toEqual([9, 9, 9]);
    expect(at(2, 2)).toEqual([255, 0, 0]);
    expect(at(5, 5)).toEqual([255, 0, 0]);
    expect(at(8, 2)).toEqual([0, 0, 255]);
    expect(at(2, 8)).toEqual([9, 9, 9]);
    expect(at(8, 8)).toEqual([255, 0, 0]);
    expect(() => composeImageGrid([[undefined]])).toThrow(/at least one image/);
  });
});

describe('quality report', () => {
  const subject = (name: string, lora: number, base: number, context: number): QualitySubjectResult => ({
    name,
    token: 'zxq',
    classNoun: 'glyph',
    prompt: 'a photo of zxq glyph',
    backgrounds: ['green', 'blue', 'white', 'red'],
    trainSeconds: 6,
    totalSeconds: 30,
    finalLoss: 0.1,
    subjectFidelity: { value: lora, images: 4 },
    baseSubjectFidelity: { value: base, images: 4 },
    contextFidelity: { value: context, images: 16 },
    contextSubjectFidelity: { value: lora, images: 16 },
    promptFidelity: { value: 0.8, images: 192 },
    drift: { value: -0.05, images: 384 },
  });
  const report = (subjects: QualitySubjectResult[], fidelity: number): QualityReport => ({
    date: '2026-11-26T03:00:00Z',
    machine: '2-core AMD EPYC VM',
    modelId: 'teambooth-tiny-abc',
    weights: 'f'.repeat(64),
    notes: [],
    command: 'npm run quality:report',
    runtimeSeconds: 100,
    sampling: { seeds: 4, steps: 20, guidance: 7.5, scheduler: 'ddim' },
    training: { steps: 400, learningRate: 1e-4, rank: 4, alpha: 4, batchSize: 1, seed: 0 },
    base: {
      all: { value: fidelity, images: 192 },
      background: { value: 1, images: 192 },
      colour: { value: 1, images: 192 },
      shape: { value: fidelity, images: 192 },
      shapeBySize: { small: { value: 0.25, images: 64 }, medium: { value: 0.5, images: 64 }, large: { value: 0.75, images: 64 } },
    },
    autoencoder: {
      all: { value: 0.6, images: 240 },
      background: { value: 1, images: 240 },
      colour: { value: 0.9, images: 240 },
      shape: { value: 0.62, images: 240 },
      shapeBySize: { small: { value: 0.33, images: 88 }, medium: { value: 0.62, images: 63 }, large: { value: 0.91, images: 89 } },
    },
    subjects,
    gridFile: 'quality-grid.png',
    gridLegend: ['rows'],
  });

  it('pools figures weighted by their images', () => {
    expect(pooledFigure([{ value: 1, images: 1 }, { value: 0, images: 3 }])).toEqual({ value: 0.25, images: 4 });
    expect(pooledFigure([])).toEqual({ value: 0, images: 0 });
  });

  it('judges the three targets of the issue', () => {
    const good = qualityTargets(report([subject('a', 0.8, 0.3, 0.75), subject('b', 0.7, 0.4, 0.7)], 0.85));
    expect(good.map((t) => [t.name, t.met])).toEqual([['base prompt fidelity', true], ['subject fidelity', true], ['context fidelity', true]]);
    const weak = qualityTargets(report([subject('a', 0.8, 0.3, 0.9), subject('b', 0.45, 0.4, 0.2)], 0.79));
    expect(weak.map((t) => t.met)).toEqual([false, false, false]);
    expect(qualityTargets(report([], 0.9)).map((t) => t.name)).toEqual(['base prompt fidelity']);
  });

  it('writes every figure with its image count, the weights hash and the verdicts', () => {
    const text = renderQualityMarkdown(report([subject('smiley', 0.8, 0.3, 0.75)], 0.85));
    expect(text).toContain(`| model weights (SHA-256) | \`${'f'.repeat(64)}\` |`);
    expect(text).toContain('| base prompt fidelity | at least 80 % | 85.0 % (192 images) | yes |');
    expect(text).toContain('| smiley | "a photo of zxq glyph" | 0.800 (4) | 0.300 (4) | 75.0 % (16) | 0.800 (16) | 80.0 % (192) | -5.0 points (384) | 6.0 s | 30 s |');
    expect(text).toContain('| prompt fidelity (all three) | 85.0 % | 192 | 60.0 % | 240 |');
    expect(text).toContain('| shape: large (radius 17.5 to 23 px) | 75.0 % | 64 | 91.0 % | 89 |');
    expect(text).toContain('![generated images](quality-grid.png)');
  });
});
