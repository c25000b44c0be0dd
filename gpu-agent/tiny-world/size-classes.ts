import type { TinySize } from '../tokenizer/tiny-world-words.ts';

/** The three drawn sizes; every size word names one of them. */
export type TinySizeClass = 'small' | 'medium' | 'large';

/** Radius range (pixels, both ends inclusive) of each size class in a 64x64 image. */
export const SIZE_RADII: Readonly<Record<TinySizeClass, readonly [number, number]>> = Object.freeze({
  small: Object.freeze([8, 11] as const),
  medium: Object.freeze([12.5, 16] as const),
  large: Object.freeze([17.5, 23] as const),
});

/** The size classes, smallest first. */
export const SIZE_CLASSES: readonly TinySizeClass[] = Object.freeze(['small', 'medium', 'large'] as const);

/** The size words that caption each class: `tiny` means small, `big` means large. */
export const SIZE_WORDS: Readonly<Record<TinySizeClass, readonly TinySize[]>> = Object.freeze({
  small: Object.freeze(['small', 'tiny'] as const),
  medium: Object.freeze(['medium'] as const),
  large: Object.freeze(['large', 'big'] as const),
});

/** The size class a size word names. */
export function sizeClassOf(word: TinySize): TinySizeClass {
  if (word === 'tiny') return 'small';
  if (word === 'big') return 'large';
  return word;
}

/** The size class whose radius range is nearest a radius (pixels); ties between ranges go to the midpoint. */
export function sizeClassOfRadius(radius: number): TinySizeClass {
  if (radius < (SIZE_RADII.small[1] + SIZE_RADII.medium[0]) / 2) return 'small';
  if (radius < (SIZE_RADII.medium[1] + SIZE_RADII.large[0]) / 2) return 'medium';
  return 'large';
}
