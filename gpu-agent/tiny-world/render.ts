import type { RgbImage } from '../image/rgb-image.ts';
import type { TinyColour, TinyShape } from '../tokenizer/tiny-world-words.ts';
import { TINY_PALETTE } from './palette.ts';
import { rasterise } from './rasterise.ts';
import type { Placement, RasteriseOptions } from './rasterise.ts';
import { SHAPE_GEOMETRY } from './shape-geometry.ts';

/** One tiny-world scene: a shape of one colour on a solid background of another. */
export interface ShapeScene extends Placement {
  shape: TinyShape;
  colour: TinyColour;
  background: TinyColour;
}

/**
 * Renders a tiny-world scene as a 64x64 (by default) RGB image, anti-aliased by supersampling.
 * Deterministic: the same scene gives the same bytes.
 * @throws RangeError when the shape and the background have the same colour, or the placement is invalid.
 */
export function renderShape(scene: ShapeScene, options: RasteriseOptions = {}): RgbImage {
  if (scene.colour === scene.background) {
    throw new RangeError(`a ${scene.colour} ${scene.shape} on a ${scene.background} background would be invisible: pick two different colours`);
  }
  const geometry = SHAPE_GEOMETRY[scene.shape];
  if (geometry === undefined) throw new RangeError(`unknown shape "${scene.shape}"`);
  const fill = TINY_PALETTE[scene.colour];
  const background = TINY_PALETTE[scene.background];
  if (fill === undefined || background === undefined) throw new RangeError(`unknown colour in "${scene.colour} on ${scene.background}"`);
  return rasterise(background, (u, v) => (geometry.inside(u, v) ? fill : undefined), scene, options);
}
