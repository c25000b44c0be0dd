import type { RgbImage } from '../image/rgb-image.ts';
import type { Rgb } from './lab-colour.ts';

/**
 * The foreground coverage of every pixel, in [0, 1], row by row. A pixel's coverage along one
 * foreground colour `f` is its position on the segment from the background `bg` to `f`:
 * `t = (p − bg)·(f − bg) / |f − bg|²`, which recovers the exact anti-aliasing coverage of a clean
 * rendering; with several foreground colours the largest wins. A dead zone `lo` at both ends,
 * `clamp((t − lo) / (1 − 2·lo), 0, 1)`, keeps noise off the background (where it would otherwise pile
 * up mass and pull the centroid and scale) and off the inside; `lo` is three noise sigmas over the
 * colour gap, kept in [0.05, 0.4].
 * @param foreground the foreground colours (at least one).
 * @param noise the per-channel noise sigma (8-bit) of the image.
 */
export function foregroundMask(image: RgbImage, background: Rgb, foreground: readonly Rgb[], noise: number): Float32Array {
  if (foreground.length === 0) throw new RangeError('a foreground mask needs at least one foreground colour');
  const { width, height, data } = image;
  const mask = new Float32Array(width * height);
  const axes = foreground.map((f) => {
    const d = [f[0] - background[0], f[1] - background[1], f[2] - background[2]] as const;
    const length2 = Math.max(d[0] * d[0] + d[1] * d[1] + d[2] * d[2], 1);
    const lo = Math.min(Math.max((3 * noise) / Math.sqrt(length2), 0.05), 0.4);
    return { d, length2, lo };
  });
  for (let p = 0; p < width * height; p++) {
    const r = data[p * 3]! - background[0];
    const g = data[p * 3 + 1]! - background[1];
    const b = data[p * 3 + 2]! - background[2];
    let best = 0;
    for (const { d, length2, lo } of axes) {
      const t = (r * d[0] + g * d[1] + b * d[2]) / length2;
      best = Math.max(best, Math.min(Math.max((t - lo) / (1 - 2 * lo), 0), 1));
    }
    mask[p] = best;
  }
  return mask;
}
