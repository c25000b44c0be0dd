import type { TinyColour } from '../tokenizer/tiny-world-words.ts';
import { deltaE, rgbToLab } from './lab-colour.ts';
import type { Lab, Rgb } from './lab-colour.ts';
import { TINY_COLOURS, TINY_PALETTE } from './palette.ts';

/** A colour read off an image and named after the nearest palette colour. */
export interface ColourReading {
  /** The nearest palette colour. */
  colour: TinyColour;
  /** The measured colour (8-bit RGB, possibly fractional). */
  rgb: Rgb;
  /** ΔE 1976 from the measured colour to the named palette colour. */
  distance: number;
  /**
   * How sure the name is, in [0, 1]: the named colour's share of a softmax over the palette with
   * weights `exp(-ΔE² / (2 · 12²))` (12 ΔE is about a quarter of the smallest palette gap), so a colour
   * right on a palette value reads ~1 and one midway between two reads ~0.5.
   */
  confidence: number;
}

/** Scale (ΔE) of the softmax in {@link ColourReading.confidence} and of soft colour histograms. */
export const COLOUR_SOFTNESS = 12;

/** The palette in CIELAB, in {@link TINY_COLOURS} order. */
export function paletteLab(): Lab[] {
  return TINY_COLOURS.map((name) => rgbToLab(TINY_PALETTE[name]));
}

/**
 * Soft membership of a CIELAB colour in each palette colour, in {@link TINY_COLOURS} order (sums to
 * 1): `exp(-ΔE² / (2 · COLOUR_SOFTNESS²))`, normalised. Writes into `out` when given.
 */
export function paletteWeights(lab: Lab, palette: readonly Lab[], out: Float64Array = new Float64Array(palette.length)): Float64Array {
  let min = Infinity;
  for (let i = 0; i < palette.length; i++) {
    out[i] = deltaE(lab, palette[i]!);
    min = Math.min(min, out[i]!);
  }
  let total = 0;
  for (let i = 0; i < palette.length; i++) {
    // Subtracting the smallest squared distance keeps the largest weight at 1 (no underflow far from every colour).
    const d = out[i]!;
    out[i] = Math.exp(-(d * d - min * min) / (2 * COLOUR_SOFTNESS * COLOUR_SOFTNESS));
    total += out[i]!;
  }
  for (let i = 0; i < palette.length; i++) out[i] /= total;
  return out;
}

/**
 * Names an RGB colour after the nearest palette colour (ΔE 1976), with a distance and a confidence.
 * @param palette the palette in CIELAB ({@link paletteLab}), passed in by callers that name many colours.
 */
export function nearestTinyColour(rgb: Rgb, palette: readonly Lab[] = paletteLab()): ColourReading {
  const lab = rgbToLab(rgb);
  const weights = paletteWeights(lab, palette);
  let best = 0;
  for (let i = 1; i < palette.length; i++) if (weights[i]! > weights[best]!) best = i;
  return { colour: TINY_COLOURS[best]!, rgb: [rgb[0], rgb[1], rgb[2]], distance: deltaE(lab, palette[best]!), confidence: weights[best]! };
}
