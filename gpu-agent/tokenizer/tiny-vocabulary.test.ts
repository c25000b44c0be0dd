import { describe, expect, it } from 'vitest';
import { byteLevelAlphabet } from './byte-level-alphabet.ts';
import { ClipTokenizer } from './clip-tokenizer.ts';
import { buildTinyVocabulary } from './tiny-vocabulary.ts';
import { allTinyWorldWords, TINY_WORLD_WORDS } from './tiny-world-words.ts';

describe('buildTinyVocabulary', () => {
  const { vocab, merges } = buildTinyVocabulary();
  const tokenizer = new ClipTokenizer(vocab, merges);
  const byId = Object.fromEntries(Object.entries(vocab).map(([token, id]) => [id, token]));
  const size = Object.keys(vocab).length;

  it('lays out ids as CLIP does: bytes, bytes with </w>, merges, then the two special tokens', () => {
    const { vocabularyOrder } = byteLevelAlphabet();
    vocabularyOrder.forEach((char, i) => {
      expect(vocab[char]).toBe(i);
      expect(vocab[`${char}</w>`]).toBe(256 + i);
    });
    expect(vocab['<|startoftext|>']).toBe(size - 2);
    expect(vocab['<|endoftext|>']).toBe(size - 1);
    expect(new Set(Object.values(vocab)).size).toBe(size);
    expect(Math.max(...Object.values(vocab))).toBe(size - 1);
    expect(tokenizer.vocabSize).toBe(size);
  });

  it('is small: one merge per new symbol, every merge joining two existing tokens', () => {
    expect(size).toBeLessThan(1000);
    expect(size).toBe(512 + merges.length + 2);
    merges.forEach((merge, rank) => {
      const [left, right] = merge.split(' ') as [string, string];
      expect(vocab[left]).toBeLessThan(512 + rank);
      expect(vocab[right]).toBeLessThan(512 + rank);
      expect(vocab[left + right]).toBe(512 + rank);
      expect(byId[512 + rank]).toBe(left + right);
    });
  });

  it('encodes every tiny-world word to exactly one token, its </w> form', () => {
    for (const word of allTinyWorldWords()) {
      expect(tokenizer.tokenize(word), word).toEqual([`${word}</w>`]);
      expect(tokenizer.encode(word.toUpperCase()).tokenCount, word).toBe(1);
    }
  });

  it('encodes a tiny-world caption to one token per word', () => {
    const { ids, tokenCount } = tokenizer.encode('A small red star on a blue background');
    expect(tokenCount).toBe(8);
    expect(ids.slice(1, 9).map((id) => byId[id])).toEqual(['a</w>', 'small</w>', 'red</w>', 'star</w>', 'on</w>', 'a</w>', 'blue</w>', 'background</w>']);
    expect(tokenizer.decode(ids)).toBe('a small red star on a blue background');
  });

  it('still encodes unknown words, to byte-level pieces', () => {
    for (const word of ['dog', 'xylophone', 'élan', '🐶', 'zxqq']) {
      const { ids, tokenCount } = tokenizer.encode(word);
      expect(tokenCount, word).toBeGreaterThan(1);
      expect(ids.every((id) => id < size)).toBe(true);
      expect(tokenizer.decode(ids)).toBe(word);
    }
  });

  it('is deterministic', () => {
    expect(buildTinyVocabulary()).toEqual({ vocab, merges });
  });

  it('keeps the tiny world free of duplicate words', () => {
    const all = Object.values(TINY_WORLD_WORDS).flat();
    expect(new Set(all).size).toBe(all.length);
    expect(TINY_WORLD_WORDS.rareTokens).toHaveLength(16);
    expect(TINY_WORLD_WORDS.colours).toContain('cyan');
  });
});
