/**
 * Where a foreground sits and how big it is: the centroid and RMS radius of its coverage. Dividing
 * by these makes masks of any position and size comparable.
 */
export interface MaskFrame {
  /** Centroid, in pixels from the left edge (pixel `i` spans [i, i + 1]). */
  x: number;
  /** Centroid, in pixels from the top edge. */
  y: number;
  /** RMS distance of the coverage from the centroid, in pixels. */
  scale: number;
  /** Total coverage, in pixels. */
  mass: number;
}

/** Cells per side of a normalised grid. */
export const NORMALISED_GRID = 32;

/**
 * Half the side of the normalised grid, in RMS radii: wide enough for every tiny-world shape and
 * subject (the farthest reach, an arrow's tip, lies about 1.8 RMS radii from its centroid).
 */
export const NORMALISED_EXTENT = 2.4;

/** The frame of a coverage mask, or undefined when it holds (almost) nothing. */
export function maskFrame(mask: Float32Array, width: number, height: number): MaskFrame | undefined {
  let mass = 0;
  let sx = 0;
  let sy = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const m = mask[y * width + x]!;
      mass += m;
      sx += m * (x + 0.5);
      sy += m * (y + 0.5);
    }
  }
  if (mass < 1) return undefined;
  const cx = sx / mass;
  const cy = sy / mass;
  let spread = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) spread += mask[y * width + x]! * ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2);
  }
  return { x: cx, y: cy, scale: Math.max(Math.sqrt(spread / mass), 0.5), mass };
}

/**
 * Resamples a per-pixel field (`channels` values a pixel, row by row) onto a `grid`×`grid` grid
 * that spans ±`extent` RMS radii around the frame's centroid: each cell is the mean of 2×2
 * bilinear samples, and the field counts as 0 outside the image. Returns `grid·grid·channels` values.
 */
export function resampleNormalised(
  field: Float32Array,
  channels: number,
  width: number,
  height: number,
  frame: MaskFrame,
  grid = NORMALISED_GRID,
  extent = NORMALISED_EXTENT,
): Float32Array {
  const out = new Float32Array(grid * grid * channels);
  const cell = (2 * extent) / grid;
  const value = (x: number, y: number, c: number): number =>
    x < 0 || y < 0 || x >= width || y >= height ? 0 : field[(y * width + x) * channels + c]!;
  for (let gy = 0; gy < grid; gy++) {
    for (let gx = 0; gx < grid; gx++) {
      for (let s = 0; s < 4; s++) {
        const a = -extent + (gx + 0.25 + 0.5 * (s & 1)) * cell;
        const b = -extent + (gy + 0.25 + 0.5 * (s >> 1)) * cell;
        // Pixel centres sit at i + 0.5; bilinear weights between the four nearest.
        const fx = frame.x + a * frame.scale - 0.5;
        const fy = frame.y + b * frame.scale - 0.5;
        const x0 = Math.floor(fx);
        const y0 = Math.floor(fy);
        const tx = fx - x0;
        const ty = fy - y0;
        for (let c = 0; c < channels; c++) {
          const top = value(x0, y0, c) * (1 - tx) + value(x0 + 1, y0, c) * tx;
          const bottom = value(x0, y0 + 1, c) * (1 - tx) + value(x0 + 1, y0 + 1, c) * tx;
          out[(gy * grid + gx) * channels + c] += 0.25 * (top * (1 - ty) + bottom * ty);
        }
      }
    }
  }
  return out;
}

/** Soft intersection over union of two equally long non-negative arrays: Σ min / Σ max (1 when both are empty). */
export function softIou(a: Float32Array, b: Float32Array): number {
  let both = 0;
  let either = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x < y) {
      both += x;
      either += y;
    } else {
      both += y;
      either += x;
    }
  }
  return either === 0 ? 1 : both / either;
}
