import type { RgbImage } from '../image/rgb-image.ts';
import { foregroundMask } from './foreground-mask.ts';
import { analyseImageColours } from './image-colours.ts';
import { rgbToLab } from './lab-colour.ts';
import { paletteLab, paletteWeights } from './nearest-colour.ts';
import { maskFrame, NORMALISED_GRID, resampleNormalised, softIou } from './normalised-mask.ts';

/** Cells per side of a signature's colour histogram grid (each covers 4×4 cells of the mask grid). */
export const HISTOGRAM_CELLS = 8;

/** What a subject photo looks like, independent of where it sits, how big it is and what it stands on. */
export interface SubjectSignature {
  /** The foreground coverage on the normalised grid (`NORMALISED_GRID²`, see {@link resampleNormalised}). */
  mask: Float32Array;
  /**
   * Per histogram cell (`HISTOGRAM_CELLS²`, row by row), the foreground's soft palette histogram
   * (12 colours, vocabulary order): each grid cell at least half covered adds its coverage, spread
   * over the palette by {@link paletteWeights} of the ink (foreground colour group) nearest its
   * un-blended colour.
   */
  histogram: Float32Array;
}

/** The parts of a subject comparison, each in [0, 1]. */
export interface SignatureComparison {
  /** Soft IoU of the two normalised masks. */
  shape: number;
  /** Colour-balanced overlap of the two per-cell colour histograms (see {@link compareSignatures}). */
  colour: number;
  /** `(shape + colour) / 2`. */
  similarity: number;
}

/**
 * The signature of a photo of a subject (one figure, of one or more colours, on a solid
 * background), or undefined when nothing stands out from the background. The mask covers every
 * foreground colour group (see {@link analyseImageColours}); a grid cell's colour is un-blended from
 * the background, `(c − (1 − m)·bg) / m`, so anti-aliased edges do not carry the background's tint.
 */
export function subjectSignature(image: RgbImage): SubjectSignature | undefined {
  const colours = analyseImageColours(image, { clusters: true });
  if (colours.foreground === undefined) return undefined;
  const bg = colours.background.rgb;
  const inks = colours.clusters.length > 0 ? colours.clusters.map((c) => c.rgb) : [colours.foreground.rgb];
  const coverage = foregroundMask(image, bg, inks, colours.noise);
  const frame = maskFrame(coverage, image.width, image.height);
  if (frame === undefined) return undefined;

  // Coverage and premultiplied foreground colour per pixel, resampled together.
  const pixels = image.width * image.height;
  const field = new Float32Array(pixels * 4);
  for (let p = 0; p < pixels; p++) {
    const m = coverage[p]!;
    field[p * 4] = m;
    for (let c = 0; c < 3; c++) field[p * 4 + 1 + c] = image.data[p * 3 + c]! - (1 - m) * bg[c]!;
  }
  const sampled = resampleNormalised(field, 4, image.width, image.height, frame);
  const grid = NORMALISED_GRID;
  const mask = new Float32Array(grid * grid);
  const histogram = new Float32Array(HISTOGRAM_CELLS * HISTOGRAM_CELLS * 12);
  // Each ink's soft palette membership, computed once: a cell takes the membership of the ink nearest
  // its colour, so blends along an edge between two inks do not invent a third colour.
  const palette = paletteLab();
  const inkWeights = inks.map((ink) => paletteWeights(rgbToLab(ink), palette));
  for (let gy = 0; gy < grid; gy++) {
    for (let gx = 0; gx < grid; gx++) {
      const at = gy * grid + gx;
      const m = sampled[at * 4]!;
      mask[at] = m;
      if (m < 0.5) continue;
      let nearest = 0;
      let nearestDistance = Infinity;
      inks.forEach((ink, k) => {
        let d = 0;
        for (let c = 0; c < 3; c++) d += (sampled[at * 4 + 1 + c]! / m - ink[c]!) ** 2;
        if (d < nearestDistance) {
          nearestDistance = d;
          nearest = k;
        }
      });
      const weights = inkWeights[nearest]!;
      const cell = Math.floor((gy * HISTOGRAM_CELLS) / grid) * HISTOGRAM_CELLS + Math.floor((gx * HISTOGRAM_CELLS) / grid);
      for (let k = 0; k < palette.length; k++) histogram[cell * palette.length + k] += m * weights[k]!;
    }
  }
  return { mask, histogram };
}

/**
 * Compares two subject signatures: mask overlap, colour-pattern overlap, and their mean. The colour
 * term is balanced across colours: for each palette colour `c`, the soft IoU of where it lies
 * (its histogram channel over the cells), weighted by `√max(mass_a(c), mass_b(c))`. The square root
 * lets a small second colour (a smiley's eyes, 1/10 of its area) count for about a third, so a plain
 * yellow disc does not pass for a smiley; for a one-colour subject it is the plain soft IoU.
 */
export function compareSignatures(a: SubjectSignature, b: SubjectSignature): SignatureComparison {
  const shape = softIou(a.mask, b.mask);
  const colours = a.histogram.length / (HISTOGRAM_CELLS * HISTOGRAM_CELLS);
  let weighted = 0;
  let weights = 0;
  for (let k = 0; k < colours; k++) {
    let both = 0;
    let either = 0;
    let massA = 0;
    let massB = 0;
    for (let at = k; at < a.histogram.length; at += colours) {
      const x = a.histogram[at]!;
      const y = b.histogram[at]!;
      both += Math.min(x, y);
      either += Math.max(x, y);
      massA += x;
      massB += y;
    }
    if (either === 0) continue;
    const weight = Math.sqrt(Math.max(massA, massB));
    weighted += (weight * both) / either;
    weights += weight;
  }
  const colour = weights === 0 ? 0 : weighted / weights;
  return { shape, colour, similarity: (shape + colour) / 2 };
}
