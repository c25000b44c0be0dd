import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../image/rgb-image.ts';
import { measureAutoencoderFidelity } from './autoencoder-fidelity.ts';

/** Keeps only the mean colour of each `block`x`block` cell, then interpolates back bilinearly: an autoencoder with a coarse latent grid. */
function coarseGrid(image: RgbImage, block: number): RgbImage {
  const { width, height } = image;
  const cells = width / block;
  const means = new Float64Array(cells * cells * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) means[(Math.floor(y / block) * cells + Math.floor(x / block)) * 3 + c]! += image.data[(y * width + x) * 3 + c]! / (block * block);
    }
  }
  const at = (cy: number, cx: number, c: number): number => means[(Math.min(cells - 1, Math.max(0, cy)) * cells + Math.min(cells - 1, Math.max(0, cx))) * 3 + c]!;
  const data = new Uint8Array(image.data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const fy = (y + 0.5) / block - 0.5;
      const fx = (x + 0.5) / block - 0.5;
      const [y0, x0] = [Math.floor(fy), Math.floor(fx)];
      const [wy, wx] = [fy - y0, fx - x0];
      for (let c = 0; c < 3; c++) {
        const top = at(y0, x0, c) * (1 - wx) + at(y0, x0 + 1, c) * wx;
        const bottom = at(y0 + 1, x0, c) * (1 - wx) + at(y0 + 1, x0 + 1, c) * wx;
        data[(y * width + x) * 3 + c] = Math.round(top * (1 - wy) + bottom * wy);
      }
    }
  }
  return { width, height, data };
}

describe('autoencoder fidelity', () => {
  it('scores a lossless round trip as the oracle reads the generator, and a coarse 8x8 grid far lower on shapes, most of all small ones', async () => {
    const lossless = await measureAutoencoderFidelity(async (image) => image, { count: 96 });
    expect(lossless.all.images).toBe(96);
    expect(lossless.all.value).toBeGreaterThanOrEqual(0.98);

    const coarse = await measureAutoencoderFidelity(async (image) => coarseGrid(image, 8), { count: 96 });
    expect(coarse.background.value).toBeGreaterThanOrEqual(0.95);
    expect(coarse.shape.value).toBeLessThan(lossless.shape.value - 0.3);
    expect(coarse.shapeBySize.small.value).toBeLessThan(coarse.shapeBySize.large.value);
    const sizes = coarse.shapeBySize.small.images + coarse.shapeBySize.medium.images + coarse.shapeBySize.large.images;
    expect(sizes).toBe(96);
  });
});
