import type { TinyColour, TinyShape, TinySize } from '../tokenizer/tiny-world-words.ts';

/**
 * Caption templates of the tiny world. `{size}`, `{colour}`, `{shape}` and `{background}` are
 * filled in; every other word is a tiny-world filler, and each `a` becomes `an` before a vowel
 * ("an orange arrow", "an image of"). Templates without `{size}` leave the size unsaid.
 */
export const CAPTION_TEMPLATES: readonly string[] = Object.freeze([
  'a {size} {colour} {shape} on a {background} background',
  'a {colour} {shape} on a {background} background',
  'a photo of a {size} {colour} {shape} on a {background} background',
  'a picture of a {colour} {shape} on a {background} background',
  'a image of a {size} {colour} {shape} on a {background} background',
  'the {size} {colour} {shape} on the {background} background',
  'a {size} {colour} {shape} with a {background} background',
  'a photo of a {colour} {shape} in a {background} background',
]);

/** The words that fill a caption template. */
export interface CaptionWords {
  shape: TinyShape;
  colour: TinyColour;
  background: TinyColour;
  /** The size word; a template with `{size}` needs one. */
  size?: TinySize;
}

/** Whether a template mentions the size. */
export function templateHasSize(template: string): boolean {
  return template.includes('{size}');
}

/**
 * Fills a caption template and fixes its articles.
 * @throws RangeError when the template asks for a size and none is given, or names an unknown slot.
 */
export function composeCaption(template: string, words: CaptionWords): string {
  const filled = template.replace(/\{(\w+)\}/g, (_match, slot: string) => {
    switch (slot) {
      case 'shape':
        return words.shape;
      case 'colour':
        return words.colour;
      case 'background':
        return words.background;
      case 'size':
        if (words.size === undefined) throw new RangeError(`the caption template "${template}" needs a size word`);
        return words.size;
      default:
        throw new RangeError(`the caption template "${template}" has an unknown slot {${slot}}`);
    }
  });
  const tokens = filled.split(' ');
  return tokens.map((token, i) => (token === 'a' && /^[aeiou]/.test(tokens[i + 1] ?? '') ? 'an' : token)).join(' ');
}
