import { TINY_WORLD_WORDS } from '../tokenizer/tiny-world-words.ts';
import type { TinyColour } from '../tokenizer/tiny-world-words.ts';
import type { Rgb } from './lab-colour.ts';

/**
 * The fixed RGB value of every colour word of the tiny world. The values are saturated,
 * everyday versions of each name, spread so that every pair lies at least 40 ΔE apart
 * (see the palette test), so a renderer, a trained model and the oracle agree on names.
 */
export const TINY_PALETTE: Readonly<Record<TinyColour, Rgb>> = Object.freeze({
  red: [215, 25, 30],
  green: [30, 160, 50],
  blue: [25, 75, 225],
  yellow: [250, 220, 30],
  orange: [245, 130, 20],
  purple: [140, 30, 150],
  white: [245, 245, 245],
  black: [15, 15, 15],
  gray: [128, 128, 128],
  pink: [250, 150, 200],
  cyan: [40, 210, 225],
  brown: [115, 65, 25],
});

/** The colour words in vocabulary order. */
export const TINY_COLOURS: readonly TinyColour[] = TINY_WORLD_WORDS.colours;
