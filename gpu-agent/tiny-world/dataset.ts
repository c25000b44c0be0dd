import type { RgbImage } from '../image/rgb-image.ts';
import { Prng } from '../random/prng.ts';
import { TINY_WORLD_WORDS } from '../tokenizer/tiny-world-words.ts';
import type { TinyColour, TinyShape, TinySize } from '../tokenizer/tiny-world-words.ts';
import { CAPTION_TEMPLATES, composeCaption, templateHasSize } from './captions.ts';
import { renderShape } from './render.ts';
import { SHAPE_GEOMETRY } from './shape-geometry.ts';
import { SIZE_CLASSES, SIZE_RADII, SIZE_WORDS } from './size-classes.ts';
import type { TinySizeClass } from './size-classes.ts';

/** Side of every tiny-world image, in pixels. */
export const TINY_IMAGE_SIZE = 64;

/** Pixels kept clear between a figure's bounding circle and the image edge (the oracle reads the background there). */
export const EDGE_MARGIN = 3;

/** What a tiny-world image shows. */
export interface TinyWorldLabels {
  shape: TinyShape;
  colour: TinyColour;
  background: TinyColour;
  /** The drawn size class. */
  size: TinySizeClass;
  /** The size word of the caption, or undefined when the caption does not say the size. */
  sizeWord: TinySize | undefined;
  /** Centre of the shape, in pixels from the left edge. */
  x: number;
  /** Centre of the shape, in pixels from the top edge. */
  y: number;
  /** Radius of the shape's bounding circle, in pixels. */
  radius: number;
  /** `radius` as a fraction of half the image side (1 would touch the edges). */
  scale: number;
  /** Clockwise turn of the shape, in degrees. */
  rotationDeg: number;
}

/** One captioned image of the tiny world. */
export interface TinyWorldSample {
  image: RgbImage;
  caption: string;
  labels: TinyWorldLabels;
}

/**
 * Draws one captioned sample: shape, colour, a different background colour, size class and word,
 * caption template, radius within the class's range, a turn within the shape's allowed range and
 * a centre anywhere that keeps {@link EDGE_MARGIN} pixels clear. The draws happen in that fixed
 * order, so a sample depends only on the generator's state.
 */
export function sampleTinyWorld(prng: Prng): TinyWorldSample {
  const shape = prng.pick(TINY_WORLD_WORDS.shapes);
  const colour = prng.pick(TINY_WORLD_WORDS.colours);
  const background = prng.pick(TINY_WORLD_WORDS.colours.filter((c) => c !== colour));
  const size = prng.pick(SIZE_CLASSES);
  const word = prng.pick(SIZE_WORDS[size]);
  const template = prng.pick(CAPTION_TEMPLATES);
  const [minRadius, maxRadius] = SIZE_RADII[size];
  const radius = minRadius + prng.next() * (maxRadius - minRadius);
  const maxTurn = SHAPE_GEOMETRY[shape].maxRotationDeg;
  const rotationDeg = (prng.next() * 2 - 1) * maxTurn;
  const low = radius + EDGE_MARGIN;
  const high = TINY_IMAGE_SIZE - radius - EDGE_MARGIN;
  const x = low + prng.next() * (high - low);
  const y = low + prng.next() * (high - low);
  const sizeWord = templateHasSize(template) ? word : undefined;
  const caption = composeCaption(template, { shape, colour, background, ...(sizeWord === undefined ? {} : { size: sizeWord }) });
  const image = renderShape({ shape, colour, background, x, y, radius, rotationDeg });
  return {
    image,
    caption,
    labels: { shape, colour, background, size, sizeWord, x, y, radius, scale: radius / (TINY_IMAGE_SIZE / 2), rotationDeg },
  };
}

/** Sample `index` of the data set of `seed`: its own stream, so it does not depend on the other samples or the set's length. */
export function datasetSample(seed: number, index: number): TinyWorldSample {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`a sample index is a non-negative integer (got ${index})`);
  return sampleTinyWorld(Prng.forStream(seed, `tiny-world:sample:${index}`));
}

/**
 * The first `count` samples of the data set of `seed`: deterministic, and a prefix of any longer
 * set of the same seed.
 */
export function generateDataset(seed: number, count: number): TinyWorldSample[] {
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`a data set size is a non-negative integer (got ${count})`);
  return Array.from({ length: count }, (_, index) => datasetSample(seed, index));
}
