/** The end-of-word marker CLIP appends to the last symbol of every word. */
export const END_OF_WORD = '</w>';

/** Options of {@link BpeModel}. */
export interface BpeModelOptions {
  /** Words whose pieces are remembered (oldest forgotten first). Default 10,000. */
  cacheSize?: number;
}

/**
 * Byte-pair encoding with merge ranks, as CLIP applies it to one byte-level word: the word is
 * split into characters, `</w>` is glued to the last one, then the adjacent pair with the lowest
 * merge rank is merged everywhere (left to right, non-overlapping) until no adjacent pair has a
 * rank. Results are cached per instance, with a bounded cache.
 */
export class BpeModel {
  private readonly ranks = new Map<string, number>();
  private readonly cache = new Map<string, readonly string[]>();
  private readonly cacheSize: number;

  /** `merges` in rank order (best first), each a pair of symbols. */
  constructor(merges: readonly (readonly [string, string])[], options: BpeModelOptions = {}) {
    merges.forEach(([left, right], rank) => {
      const key = pairKey(left, right);
      // A repeated merge keeps its first (best) rank.
      if (!this.ranks.has(key)) this.ranks.set(key, rank);
    });
    this.cacheSize = options.cacheSize ?? 10_000;
  }

  /** The BPE pieces of one byte-level word; the last piece ends with `</w>`. */
  pieces(word: string): readonly string[] {
    const cached = this.cache.get(word);
    if (cached !== undefined) return cached;
    const result = Object.freeze(this.merge(word));
    if (this.cacheSize > 0) {
      if (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(word, result);
    }
    return result;
  }

  private merge(word: string): string[] {
    let symbols = Array.from(word);
    if (symbols.length === 0) return [];
    symbols[symbols.length - 1] += END_OF_WORD;
    while (symbols.length > 1) {
      let bestRank = Infinity;
      let bestLeft = '';
      let bestRight = '';
      for (let i = 0; i + 1 < symbols.length; i++) {
        const rank = this.ranks.get(pairKey(symbols[i]!, symbols[i + 1]!));
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          bestLeft = symbols[i]!;
          bestRight = symbols[i + 1]!;
        }
      }
      if (bestRank === Infinity) break;
      const merged: string[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (i + 1 < symbols.length && symbols[i] === bestLeft && symbols[i + 1] === bestRight) {
          merged.push(bestLeft + bestRight);
          i++;
        } else {
          merged.push(symbols[i]!);
        }
      }
      symbols = merged;
    }
    return symbols;
  }
}

/** Byte-level symbols never contain a space (space is byte 0x20, mapped to U+0120), so it separates. */
function pairKey(left: string, right: string): string {
  return `${left} ${right}`;
}
