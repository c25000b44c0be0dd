import type { RgbImage } from '../image/rgb-image.ts';
import { Prng } from '../random/prng.ts';
import { TINY_WORLD_WORDS } from '../tokenizer/tiny-world-words.ts';
import type { TinyColour } from '../tokenizer/tiny-world-words.ts';
import { EDGE_MARGIN, TINY_IMAGE_SIZE } from './dataset.ts';
import type { Placement } from './rasterise.ts';
import { renderSubject } from './render-subject.ts';
import type { SubjectGlyph } from './subject-glyphs.ts';

/** One "photo" of a subject, and how it was taken. */
export interface SubjectPhoto extends Placement {
  image: RgbImage;
  background: TinyColour;
}

/** The seed of the committed fixture photos in `test/fixtures/subjects/`. */
export const SUBJECT_FIXTURE_SEED = 7;

/** How many photos each committed fixture subject has. */
export const SUBJECT_FIXTURE_PHOTOS = 6;

/** Radius range (pixels) of subject photos: from mid-sized to large, so that the glyph's details show. */
export const SUBJECT_RADII = Object.freeze([12, 24] as const);

/**
 * `count` photos of a subject, as a member would upload them: each on a different background (none
 * of the subject's colours), at a radius spread evenly over {@link SUBJECT_RADII} in shuffled order,
 * anywhere that keeps the edge margin, turned within the glyph's allowed range. Deterministic per
 * (glyph name, seed, index).
 */
export function subjectPhotos(glyph: SubjectGlyph, seed: number, count: number): SubjectPhoto[] {
  const backgrounds = TINY_WORLD_WORDS.colours.filter((c) => !glyph.colours.includes(c));
  if (!Number.isInteger(count) || count < 1 || count > backgrounds.length) {
    throw new RangeError(`a subject takes 1 to ${backgrounds.length} photos (got ${count})`);
  }
  const order = Prng.forStream(seed, `subject:${glyph.name}:order`);
  const chosen = order.shuffle(backgrounds).slice(0, count);
  const sizes = order.shuffle(Array.from({ length: count }, (_, i) => i));
  return chosen.map((background, i) => {
    const prng = Prng.forStream(seed, `subject:${glyph.name}:photo:${i}`);
    const [min, max] = SUBJECT_RADII;
    const radius = min + ((sizes[i]! + prng.next()) / count) * (max - min);
    const low = radius + EDGE_MARGIN;
    const high = TINY_IMAGE_SIZE - radius - EDGE_MARGIN;
    const x = low + prng.next() * (high - low);
    const y = low + prng.next() * (high - low);
    const rotationDeg = (prng.next() * 2 - 1) * glyph.maxRotationDeg;
    const placement = { x, y, radius, rotationDeg };
    return { image: renderSubject(glyph, background, placement), background, ...placement };
  });
}
