import { describe, expect, it } from 'vitest';
import { byteLevelAlphabet, toByteLevel } from './byte-level-alphabet.ts';
import { cleanClipText } from './clean-clip-text.ts';
import { preTokenizeClip } from './pre-tokenize-clip.ts';

const words = (text: string): string[] => preTokenizeClip(cleanClipText(text)).map((piece) => piece.text);

describe('cleanClipText', () => {
  it('collapses whitespace runs, trims and lower-cases', () => {
    expect(cleanClipText('  A\tRed\n\n STAR \u00a0 ')).toBe('a red star');
  });

  it('unescapes HTML entities twice, as CLIP does', () => {
    expect(cleanClipText('cats &amp; dogs &lt;3 &#39;hi&#x27; &amp;amp;')).toBe("cats & dogs <3 'hi' &");
    expect(cleanClipText('&bogus; &#0;')).toBe('&bogus; &#0;');
  });

  it('normalises to NFC, so a decomposed accent becomes one letter', () => {
    expect(cleanClipText('Cafe\u0301')).toBe('caf\u00e9');
  });
});

describe('preTokenizeClip', () => {
  it('splits letters from punctuation and keeps symbol runs together', () => {
    expect(words('Hello, world!! a -- b ...c')).toEqual(['hello', ',', 'world', '!!', 'a', '--', 'b', '...', 'c']);
  });

  it('takes digits one at a time', () => {
    expect(words('abc123def 2024')).toEqual(['abc', '1', '2', '3', 'def', '2', '0', '2', '4']);
  });

  it("splits CLIP's contractions off the word before them", () => {
    expect(words("Don't it's we're they've I'm you'll he'd")).toEqual(['don', "'t", 'it', "'s", 'we', "'re", 'they', "'ve", 'i', "'m", 'you', "'ll", 'he', "'d"]);
    // An apostrophe not followed by a contraction is an ordinary symbol; "'sup" starts with "'s".
    expect(words("'hello' 'sup")).toEqual(["'", 'hello', "'", "'s", 'up']);
  });

  it('treats letters of every script as letters and other symbols (emoji) as symbol runs', () => {
    expect(words('café naïve 東京 🐶🐱!')).toEqual(['café', 'naïve', '東京', '🐶🐱!']);
  });

  it('keeps the special tokens whole', () => {
    expect(words('<|startoftext|>hi<|endoftext|>')).toEqual(['<|startoftext|>', 'hi', '<|endoftext|>']);
  });

  it('reports where each piece starts', () => {
    expect(preTokenizeClip('a red, star')).toEqual([
      { text: 'a', index: 0 },
      { text: 'red', index: 2 },
      { text: ',', index: 5 },
      { text: 'star', index: 7 },
    ]);
  });
});

describe('byteLevelAlphabet', () => {
  const alphabet = byteLevelAlphabet();

  it('gives each of the 256 bytes its own character', () => {
    expect(new Set(alphabet.byteToChar).size).toBe(256);
    expect(alphabet.vocabularyOrder).toHaveLength(256);
    for (let b = 0; b < 256; b++) expect(alphabet.charToByte.get(alphabet.byteToChar[b]!)).toBe(b);
  });

  it('keeps printable bytes and moves the others above U+00FF in byte order', () => {
    expect(alphabet.byteToChar[0x61]).toBe('a');
    expect(alphabet.byteToChar[0x21]).toBe('!');
    expect(alphabet.byteToChar[0xe9]).toBe('é');
    expect(alphabet.byteToChar[0x00]).toBe('\u0100');
    expect(alphabet.byteToChar[0x0a]).toBe('\u010a');
    expect(alphabet.byteToChar[0x20]).toBe('\u0120');
    expect(alphabet.byteToChar[0xad]).toBe('\u0143');
    expect(alphabet.vocabularyOrder.slice(0, 3)).toEqual(['!', '"', '#']);
    expect(alphabet.vocabularyOrder[255]).toBe('\u0143');
  });

  it('maps UTF-8 bytes, so any text has a byte-level form', () => {
    expect(toByteLevel(alphabet, 'é')).toBe('Ã©');
    expect(toByteLevel(alphabet, '🐶')).toBe('ðŁĲ¶');
  });
});
