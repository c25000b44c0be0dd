import { BpeModel, END_OF_WORD } from './bpe-model.ts';
import { byteLevelAlphabet, toByteLevel } from './byte-level-alphabet.ts';
import { allTinyWorldWords } from './tiny-world-words.ts';

/** A CLIP-style vocabulary: `vocab.json` and the rules of `merges.txt` (without the `#version` line). */
export interface TinyVocabulary {
  vocab: Record<string, number>;
  merges: string[];
}

/**
 * The vocabulary of `teambooth-tiny`, built with CLIP's conventions so that the same
 * {@link ClipTokenizer} reads it: ids 0..255 are the byte-level characters (CLIP's order),
 * 256..511 the same with `</w>`, then one token per merge, then `<|startoftext|>` and
 * `<|endoftext|>` as the last two ids.
 *
 * The merges are learnt by plain BPE training on the tiny-world words (each word once): merge
 * the most frequent adjacent pair (ties: the smaller pair in code-unit order) until every word
 * is one symbol. Applying merges in rank order replays that training, so each word encodes to
 * exactly one token; other words still encode, to byte-level pieces. Deterministic.
 */
export function buildTinyVocabulary(): TinyVocabulary {
  const alphabet = byteLevelAlphabet();
  const vocab: Record<string, number> = {};
  let nextId = 0;
  const add = (token: string): void => {
    if (!Object.hasOwn(vocab, token)) vocab[token] = nextId++;
  };
  for (const char of alphabet.vocabularyOrder) add(char);
  for (const char of alphabet.vocabularyOrder) add(char + END_OF_WORD);

  const words = allTinyWorldWords().map((word) => {
    const symbols = Array.from(toByteLevel(alphabet, word));
    symbols[symbols.length - 1] += END_OF_WORD;
    return symbols;
  });
  const merges: string[] = [];
  for (;;) {
    const best = mostFrequentPair(words);
    if (best === undefined) break;
    const [left, right] = best;
    merges.push(`${left} ${right}`);
    add(left + right);
    for (let w = 0; w < words.length; w++) words[w] = mergePair(words[w]!, left, right);
  }
  add('<|startoftext|>');
  add('<|endoftext|>');

  const check = new BpeModel(merges.map((merge) => merge.split(' ') as [string, string]));
  for (const word of allTinyWorldWords()) {
    const pieces = check.pieces(toByteLevel(alphabet, word));
    if (pieces.length !== 1) throw new Error(`tiny vocabulary: "${word}" encodes to ${pieces.length} tokens (${pieces.join(' ')}), not one`);
  }
  return { vocab, merges };
}

function mostFrequentPair(words: readonly string[][]): [string, string] | undefined {
  const counts = new Map<string, number>();
  for (const symbols of words) {
    for (let i = 0; i + 1 < symbols.length; i++) {
      const key = `${symbols[i]} ${symbols[i + 1]}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  let bestKey: string | undefined;
  let bestCount = 0;
  for (const [key, count] of counts) {
    if (count > bestCount || (count === bestCount && bestKey !== undefined && key < bestKey)) {
      bestKey = key;
      bestCount = count;
    }
  }
  return bestKey === undefined ? undefined : (bestKey.split(' ') as [string, string]);
}

function mergePair(symbols: readonly string[], left: string, right: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < symbols.length; i++) {
    if (i + 1 < symbols.length && symbols[i] === left && symbols[i + 1] === right) {
      out.push(left + right);
      i++;
    } else {
      out.push(symbols[i]!);
    }
  }
  return out;
}
