/**
 * Every word of the tiny world (the procedurally generated, captioned data set that
 * `teambooth-tiny` is trained on, e.g. "a small red star on a blue background"). The tiny
 * vocabulary makes each of them a single token; the data set generator draws its captions
 * from these lists. The tiny vocabulary's merges are learnt from these lists, so any change here
 * renumbers its tokens: the committed tiny model must then be rebuilt.
 */
export const TINY_WORLD_WORDS = Object.freeze({
  /** Articles, prepositions and caption nouns. */
  fillers: Object.freeze(['a', 'an', 'the', 'on', 'of', 'in', 'with', 'and', 'photo', 'picture', 'image', 'background'] as const),
  /** Shapes drawn in the foreground. */
  shapes: Object.freeze(['circle', 'square', 'triangle', 'star', 'cross', 'ring', 'diamond', 'heart', 'hexagon', 'pentagon', 'crescent', 'arrow'] as const),
  /** Foreground and background colours. */
  colours: Object.freeze(['red', 'green', 'blue', 'yellow', 'orange', 'purple', 'white', 'black', 'gray', 'pink', 'cyan', 'brown'] as const),
  /** Size words (`big` and `large` are synonyms in captions). */
  sizes: Object.freeze(['tiny', 'small', 'medium', 'large', 'big'] as const),
  /** Class nouns for fine-tuning prompts: "a photo of zxq glyph". */
  classNouns: Object.freeze(['shape', 'glyph', 'symbol'] as const),
  /**
   * Rare identifiers for new subjects, DreamBooth style: unusual letter runs the base data set
   * never uses, so a fine-tune can bind one to a subject without overwriting a known word.
   */
  rareTokens: Object.freeze(['sks', 'zxq', 'vfy', 'qjx', 'wzk', 'pxv', 'kqz', 'jvb', 'xqf', 'zvk', 'hjq', 'bxz', 'fqv', 'ykx', 'qzw', 'vjp'] as const),
});

/** A word group of {@link TINY_WORLD_WORDS}. */
export type TinyWorldWordGroup = keyof typeof TINY_WORLD_WORDS;
/** A shape of the tiny world. */
export type TinyShape = (typeof TINY_WORLD_WORDS.shapes)[number];
/** A colour of the tiny world. */
export type TinyColour = (typeof TINY_WORLD_WORDS.colours)[number];
/** A size word of the tiny world. */
export type TinySize = (typeof TINY_WORLD_WORDS.sizes)[number];
/** A rare subject identifier of the tiny world. */
export type TinyRareToken = (typeof TINY_WORLD_WORDS.rareTokens)[number];

/** All tiny-world words, each once, in group order (fillers, shapes, colours, sizes, class nouns, rare tokens). */
export function allTinyWorldWords(): string[] {
  return [...new Set(Object.values(TINY_WORLD_WORDS).flat())];
}
