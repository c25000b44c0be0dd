import { describe, expect, it } from 'vitest';
import { byteLevelAlphabet } from './byte-level-alphabet.ts';
import { ClipTokenizer, TokenizerError } from './clip-tokenizer.ts';
import type { ClipTokenizerOptions } from './clip-tokenizer.ts';

/**
 * A CLIP-layout vocabulary small enough to work out by hand: the 256 byte-level characters,
 * the same with `</w>`, one token per merge, then the two special tokens.
 */
function fixtureTokenizer(merges: string[], options: ClipTokenizerOptions = {}): ClipTokenizer {
  const vocab: Record<string, number> = {};
  const add = (token: string): void => {
    if (!Object.hasOwn(vocab, token)) vocab[token] = Object.keys(vocab).length;
  };
  const { vocabularyOrder } = byteLevelAlphabet();
  for (const char of vocabularyOrder) add(char);
  for (const char of vocabularyOrder) add(`${char}</w>`);
  for (const merge of merges) add(merge.replace(' ', ''));
  add('<|startoftext|>');
  add('<|endoftext|>');
  return new ClipTokenizer(vocab, merges, options);
}

// Ranks (best first) chosen so that the expected pieces below can be derived by hand.
const MERGES = ['l o', 'lo w', 'e r</w>', 'lo w</w>', 'n e', 'ne w', 'e s', 'es t</w>', 'a a', 'b c', 'a b'];

describe('ClipTokenizer BPE', () => {
  const tokenizer = fixtureTokenizer(MERGES);

  it('merges the lowest-ranked pair first, with </w> on the last symbol of each word', () => {
    // low: l o w</w> -> lo w</w> -> low</w>
    expect(tokenizer.tokenize('low')).toEqual(['low</w>']);
    // lower: l o w e r</w> -> lo w e r</w> -> low e r</w> -> low er</w>
    expect(tokenizer.tokenize('lower')).toEqual(['low', 'er</w>']);
    // newest: n e w e s t</w> -> ne ... -> new e s t</w> -> new es t</w> -> new est</w>
    expect(tokenizer.tokenize('newest')).toEqual(['new', 'est</w>']);
  });

  it('prefers the better rank, not the leftmost pair', () => {
    // a b c d</w>: (b, c) outranks (a, b); afterwards (a, bc) is no merge.
    expect(tokenizer.tokenize('abcd')).toEqual(['a', 'bc', 'd</w>']);
  });

  it('merges every occurrence left to right without overlap; a</w> is not a', () => {
    expect(tokenizer.tokenize('aaa')).toEqual(['aa', 'a</w>']);
    expect(tokenizer.tokenize('aaaa')).toEqual(['aa', 'a', 'a</w>']);
    expect(tokenizer.tokenize('aaaaa')).toEqual(['aa', 'aa', 'a</w>']);
  });

  it('gives a one-character word its </w> form', () => {
    expect(tokenizer.tokenize('a 7 !')).toEqual(['a</w>', '7</w>', '!</w>']);
  });

  it('tokenizes punctuation, digits and contractions as separate words', () => {
    expect(tokenizer.tokenize("Lower, low's 42")).toEqual(['low', 'er</w>', ',</w>', 'low</w>', "'", 's</w>', '4</w>', '2</w>']);
  });

  it('falls back to bytes for characters outside the merges', () => {
    expect(tokenizer.tokenize('é')).toEqual(['Ã', '©</w>']);
    expect(tokenizer.tokenize('🐶')).toEqual(['ð', 'Ł', 'Ĳ', '¶</w>']);
  });
});

describe('ClipTokenizer.encode', () => {
  const tokenizer = fixtureTokenizer(MERGES);
  const id = (token: string): number => tokenizer.tokenToId(token)!;

  it('gives bos, the content, eos, then eos padding to 77 ids', () => {
    const { ids, tokenCount, truncated, droppedText } = tokenizer.encode('Lower  LOW');
    expect(ids).toHaveLength(77);
    expect(ids.slice(0, 5)).toEqual([tokenizer.bosId, id('low'), id('er</w>'), id('low</w>'), tokenizer.eosId]);
    expect(ids.slice(5).every((value) => value === tokenizer.eosId)).toBe(true);
    expect(tokenCount).toBe(3);
    expect(truncated).toBe(false);
    expect(droppedText).toBeUndefined();
  });

  it('uses the last two ids for bos and eos, as CLIP does', () => {
    expect(tokenizer.bosId).toBe(tokenizer.vocabSize - 2);
    expect(tokenizer.eosId).toBe(tokenizer.vocabSize - 1);
    expect(tokenizer.padId).toBe(tokenizer.eosId);
  });

  it('pads with a configured pad token (SD 2 pads with "!")', () => {
    const sd2 = fixtureTokenizer(MERGES, { padToken: '!' });
    const { ids } = sd2.encode('low');
    expect(sd2.padId).toBe(0);
    expect(ids.slice(0, 4)).toEqual([sd2.bosId, id('low</w>'), sd2.eosId, 0]);
    expect(ids.slice(3).every((value) => value === 0)).toBe(true);
  });

  it('truncates to maxLength - 2 content tokens and reports the dropped words', () => {
    const prompt = Array.from({ length: 80 }, () => 'low').join(' ');
    const result = tokenizer.encode(prompt);
    expect(result.ids).toHaveLength(77);
    expect(result.ids[0]).toBe(tokenizer.bosId);
    expect(result.ids.slice(1, 76).every((value) => value === id('low</w>'))).toBe(true);
    expect(result.ids[76]).toBe(tokenizer.eosId);
    expect(result.tokenCount).toBe(80);
    expect(result.truncated).toBe(true);
    expect(result.droppedText).toBe('low low low low low');
  });

  it('reports a word cut in the middle as dropped, whole', () => {
    // 74 one-token words, then "newest" (2 tokens) and "low": 77 content tokens, room for 75.
    const prompt = `${Array.from({ length: 74 }, () => 'low').join(' ')} NEWEST  low`;
    const result = tokenizer.encode(prompt);
    expect(result.ids[75]).toBe(id('new'));
    expect(result.ids[76]).toBe(tokenizer.eosId);
    expect(result.droppedText).toBe('newest low');
  });

  it('keeps exactly 75 content tokens without truncating', () => {
    const result = tokenizer.encode(Array.from({ length: 75 }, () => 'low').join(' '));
    expect(result.truncated).toBe(false);
    expect(result.ids[76]).toBe(tokenizer.eosId);
  });

  it('honours another maxLength', () => {
    const short = fixtureTokenizer(MERGES, { maxLength: 5 });
    const result = short.encode('low low low low');
    expect(result.ids).toEqual([short.bosId, id('low</w>'), id('low</w>'), id('low</w>'), short.eosId]);
    expect(result.droppedText).toBe('low');
  });

  it('encodes an empty prompt as bos, eos and padding', () => {
    const { ids, tokenCount } = tokenizer.encode('   ');
    expect(ids.slice(0, 3)).toEqual([tokenizer.bosId, tokenizer.eosId, tokenizer.eosId]);
    expect(tokenCount).toBe(0);
  });

  it('maps special tokens written in the text to their ids, as CLIP does', () => {
    expect(tokenizer.encode('low<|endoftext|>').ids.slice(0, 4)).toEqual([tokenizer.bosId, id('low</w>'), tokenizer.eosId, tokenizer.eosId]);
  });
});

describe('ClipTokenizer.decode', () => {
  const tokenizer = fixtureTokenizer(MERGES);

  it('round-trips cleaned text made of words', () => {
    for (const text of ['lower newest low', 'café 東京 🐶', 'a b c 1 2 3']) {
      expect(tokenizer.decode(tokenizer.encode(text).ids)).toBe(text);
    }
  });

  it('puts a space after every word, punctuation included, as CLIP does', () => {
    expect(tokenizer.decode(tokenizer.encode("Lower, low's!").ids)).toBe("lower , low 's !");
  });

  it('stops at the first eos and can keep the special tokens', () => {
    const { ids } = tokenizer.encode('low');
    expect(tokenizer.decode(ids)).toBe('low');
    expect(tokenizer.decode(ids.slice(0, 4), { skipSpecialTokens: false })).toBe('<|startoftext|>low <|endoftext|><|endoftext|>');
  });

  it('replaces invalid UTF-8 and refuses unknown ids', () => {
    const lone = tokenizer.encode('é').ids[1]!; // "Ã": the first byte of é alone
    expect(tokenizer.decode([lone])).toBe('\ufffd');
    expect(() => tokenizer.decode([tokenizer.vocabSize])).toThrow(RangeError);
  });
});

describe('ClipTokenizer construction', () => {
  it('refuses merges that are malformed or make a token missing from the vocabulary', () => {
    expect(() => fixtureTokenizer(['l o', 'lo'])).toThrow(/rule 2 must be two symbols/);
    const vocab = { a: 0, b: 1, '<|startoftext|>': 2, '<|endoftext|>': 3 };
    expect(() => new ClipTokenizer(vocab, ['a b'])).toThrow(/rule 1 \("a b"\) makes "ab", which is not in the vocabulary/);
  });

  it('refuses duplicate ids, bad ids and unknown special tokens', () => {
    expect(() => new ClipTokenizer({ a: 0, b: 0 }, [])).toThrow(/id 0 is used by both "a" and "b"/);
    expect(() => new ClipTokenizer({ a: -1 }, [])).toThrow(TokenizerError);
    expect(() => new ClipTokenizer({ a: 0, '<|endoftext|>': 1 }, [])).toThrow(/bos token "<\|startoftext\|>" is not in the vocabulary/);
    expect(() => fixtureTokenizer([], { padToken: '<pad>' })).toThrow(/pad token/);
    expect(() => fixtureTokenizer([], { maxLength: 2 })).toThrow(/maxLength/);
  });

  it('gives the same pieces with and without its cache', () => {
    const cached = fixtureTokenizer(MERGES, { cacheSize: 2 });
    const uncached = fixtureTokenizer(MERGES, { cacheSize: 0 });
    const text = 'lower newest low lower abcd aaaa lower';
    expect(cached.tokenize(text)).toEqual(uncached.tokenize(text));
    expect(cached.tokenize(text)).toEqual(uncached.tokenize(text));
  });
});
