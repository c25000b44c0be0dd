import type { RgbImage } from '../image/rgb-image.ts';
import type { Rgb } from './lab-colour.ts';

/** Where a figure goes in an image: its centre and radius in pixels and a turn in degrees. */
export interface Placement {
  /** Centre, in pixels from the left edge (pixel `i` spans [i, i + 1]). */
  x: number;
  /** Centre, in pixels from the top edge. */
  y: number;
  /** Radius in pixels: the figure's unit disc maps onto a circle of this radius. */
  radius: number;
  /** Clockwise turn on screen, in degrees. */
  rotationDeg: number;
}

/**
 * Colours a point (u, v) of a figure's frame (u right, v down, the figure inside the unit disc),
 * or returns undefined where the background shows through.
 */
export type Painter = (u: number, v: number) => Rgb | undefined;

/** Options of {@link rasterise}. */
export interface RasteriseOptions {
  /** Image width and height (default 64). */
  size?: number;
  /** Samples per pixel along each axis (default 4, so 16 samples a pixel). */
  supersample?: number;
}

/**
 * Draws one figure on a solid background, anti-aliased by supersampling: each pixel is the mean
 * of `supersample²` evenly spaced samples, each the painter's colour or the background's.
 * Pure and deterministic; pixels outside the figure's bounding circle are left as background.
 */
export function rasterise(background: Rgb, painter: Painter, placement: Placement, options: RasteriseOptions = {}): RgbImage {
  const size = options.size ?? 64;
  const ss = options.supersample ?? 4;
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`image size must be a positive integer (got ${size})`);
  if (!Number.isInteger(ss) || ss < 1) throw new RangeError(`supersample must be a positive integer (got ${ss})`);
  if (!(placement.radius > 0)) throw new RangeError(`radius must be positive (got ${placement.radius})`);
  const data = new Uint8Array(size * size * 3);
  for (let i = 0; i < size * size; i++) data.set(background, i * 3);

  const { x, y, radius } = placement;
  const angle = (placement.rotationDeg * Math.PI) / 180;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const x0 = Math.max(0, Math.floor(x - radius - 1));
  const x1 = Math.min(size - 1, Math.ceil(x + radius + 1));
  const y0 = Math.max(0, Math.floor(y - radius - 1));
  const y1 = Math.min(size - 1, Math.ceil(y + radius + 1));
  const samples = ss * ss;
  for (let py = y0; py <= y1; py++) {
    for (let px = x0; px <= x1; px++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let sy = 0; sy < ss; sy++) {
        const dy = (py + (sy + 0.5) / ss - y) / radius;
        for (let sx = 0; sx < ss; sx++) {
          const dx = (px + (sx + 0.5) / ss - x) / radius;
          // Undo the figure's clockwise turn: rotate the sample anticlockwise into its frame.
          const colour = painter(dx * cos + dy * sin, -dx * sin + dy * cos) ?? background;
          r += colour[0];
          g += colour[1];
          b += colour[2];
        }
      }
      const at = (py * size + px) * 3;
      data[at] = Math.round(r / samples);
      data[at + 1] = Math.round(g / samples);
      data[at + 2] = Math.round(b / samples);
    }
  }
  return { width: size, height: size, data };
}
