/** One piece of text found by {@link preTokenizeClip}, with where it starts in the input. */
export interface PreToken {
  text: string;
  /** Offset (UTF-16 code units) of the piece in the input string. */
  index: number;
}

/**
 * CLIP's pre-tokenisation pattern: the two special tokens, the English contractions
 * (`'s 't 're 've 'm 'll 'd`), runs of letters, single digits, and runs of other non-space
 * symbols. Whitespace separates pieces and is dropped. The input is expected to be cleaned
 * (lower-case) already.
 */
const CLIP_PATTERN = String.raw`<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+`;

/** Splits cleaned text into CLIP's pre-tokens ("words" for BPE), in order. */
export function preTokenizeClip(text: string): PreToken[] {
  const pattern = new RegExp(CLIP_PATTERN, 'gu');
  const pieces: PreToken[] = [];
  for (const match of text.matchAll(pattern)) pieces.push({ text: match[0], index: match.index });
  return pieces;
}
