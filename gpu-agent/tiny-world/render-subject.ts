import type { RgbImage } from '../image/rgb-image.ts';
import type { TinyColour } from '../tokenizer/tiny-world-words.ts';
import { TINY_PALETTE } from './palette.ts';
import { rasterise } from './rasterise.ts';
import type { Placement, RasteriseOptions } from './rasterise.ts';
import type { SubjectGlyph } from './subject-glyphs.ts';

/**
 * Renders a subject glyph on a solid background, anti-aliased like the tiny world's shapes.
 * @throws RangeError when the background is one of the glyph's colours.
 */
export function renderSubject(glyph: SubjectGlyph, background: TinyColour, placement: Placement, options: RasteriseOptions = {}): RgbImage {
  if (glyph.colours.includes(background)) {
    throw new RangeError(`the ${glyph.name} subject is partly ${background}: draw it on a background of another colour`);
  }
  const inks = glyph.colours.map((colour) => TINY_PALETTE[colour]);
  return rasterise(TINY_PALETTE[background], (u, v) => inks[glyph.paint(u, v)], placement, options);
}
