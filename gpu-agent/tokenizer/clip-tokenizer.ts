import { join } from 'node:path';
import { BpeModel, END_OF_WORD } from './bpe-model.ts';
import { byteLevelAlphabet, toByteLevel } from './byte-level-alphabet.ts';
import type { ByteLevelAlphabet } from './byte-level-alphabet.ts';
import { cleanClipText } from './clean-clip-text.ts';
import { preTokenizeClip } from './pre-tokenize-clip.ts';
import { readClipTokenizerFiles } from './tokenizer-files.ts';

/** Settings of a {@link ClipTokenizer}; the defaults are Stable Diffusion 1.5's. */
export interface ClipTokenizerOptions {
  /** Length of every encoded sequence, bos and eos included. Default 77. */
  maxLength?: number;
  /** Default `<|startoftext|>`. */
  bosToken?: string;
  /** Default `<|endoftext|>`. */
  eosToken?: string;
  /** Fills the sequence after eos. Default: the eos token (SD 1.5); SD 2 uses `!`. */
  padToken?: string;
  /** Stands for a BPE piece missing from the vocabulary. Default: the eos token. */
  unkToken?: string;
  /** Words whose BPE pieces are cached per tokenizer. Default 10,000. */
  cacheSize?: number;
}

/** The result of {@link ClipTokenizer.encode}. */
export interface ClipEncoding {
  /** Exactly `maxLength` ids: bos, the content tokens, eos, then padding. */
  ids: number[];
  /** Content tokens in the whole prompt before truncation (bos, eos and padding not counted). */
  tokenCount: number;
  /** True when the prompt had more than `maxLength - 2` content tokens and was cut. */
  truncated: boolean;
  /**
   * When truncated: the cleaned prompt text from the first word that did not fit entirely,
   * e.g. `"on a blue background"`; what the model never saw.
   */
  droppedText?: string;
}

/** A problem with a tokenizer's vocabulary, merges or settings. */
export class TokenizerError extends Error {
  override readonly name = 'TokenizerError';
  /** What the problem is in: the vocabulary, the merge rules, or the settings. */
  readonly part: 'vocab' | 'merges' | 'settings';

  constructor(part: TokenizerError['part'], message: string) {
    super(message);
    this.part = part;
  }
}

/** The file of a diffusers tokenizer directory that holds each part. */
const PART_FILES: Readonly<Record<TokenizerError['part'], string>> = Object.freeze({
  vocab: 'vocab.json',
  merges: 'merges.txt',
  settings: 'tokenizer_config.json',
});

/**
 * CLIP's byte-level BPE tokenizer, as Stable Diffusion's text encoder expects it: cleanup
 * (HTML unescape, NFC, whitespace collapse, lower case), CLIP's pre-tokenisation pattern, the
 * byte-to-unicode mapping, BPE with `</w>` end-of-word markers and merge ranks, then bos ... eos
 * padded to a fixed length.
 */
export class ClipTokenizer {
  /** Length of every encoded sequence. */
  readonly maxLength: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  readonly unkId: number;
  /** One more than the largest id: the rows the text encoder's embedding table needs. */
  readonly vocabSize: number;

  private readonly encoder: ReadonlyMap<string, number>;
  private readonly decoder: ReadonlyMap<number, string>;
  private readonly bpe: BpeModel;
  private readonly alphabet: ByteLevelAlphabet;
  private readonly specialTokens: ReadonlySet<string>;

  /**
   * @param vocab token -> id, as in `vocab.json`.
   * @param merges merge rules in rank order, each `"left right"` as in `merges.txt` (without
   *   its `#version` line).
   * @throws TokenizerError when an id is not a non-negative integer, two tokens share an id, a
   *   merge is malformed or makes a token missing from the vocabulary, or a special token is unknown.
   */
  constructor(vocab: Readonly<Record<string, number>>, merges: readonly string[], options: ClipTokenizerOptions = {}) {
    const encoder = new Map<string, number>();
    const decoder = new Map<number, string>();
    for (const [token, id] of Object.entries(vocab)) {
      if (!Number.isSafeInteger(id) || id < 0) throw new TokenizerError('vocab', `the id of ${JSON.stringify(token)} must be a non-negative integer (got ${JSON.stringify(id)})`);
      const other = decoder.get(id);
      if (other !== undefined) throw new TokenizerError('vocab', `id ${id} is used by both ${JSON.stringify(other)} and ${JSON.stringify(token)}`);
      encoder.set(token, id);
      decoder.set(id, token);
    }
    if (encoder.size === 0) throw new TokenizerError('vocab', 'the vocabulary is empty');

    const pairs = merges.map((line, i) => parseMerge(line, i, encoder));
    const maxLength = options.maxLength ?? 77;
    if (!Number.isInteger(maxLength) || maxLength < 3) throw new TokenizerError('settings', `maxLength must be an integer of at least 3 (got ${maxLength})`);

    const special = (what: string, token: string): number => {
      const id = encoder.get(token);
      if (id === undefined) throw new TokenizerError('vocab', `the ${what} token ${JSON.stringify(token)} is not in the vocabulary`);
      return id;
    };
    const bosToken = options.bosToken ?? '<|startoftext|>';
    const eosToken = options.eosToken ?? '<|endoftext|>';
    this.maxLength = maxLength;
    this.bosId = special('bos', bosToken);
    this.eosId = special('eos', eosToken);
    this.padId = special('pad', options.padToken ?? eosToken);
    this.unkId = special('unk', options.unkToken ?? eosToken);
    this.vocabSize = Math.max(...decoder.keys()) + 1;
    this.encoder = encoder;
    this.decoder = decoder;
    this.bpe = new BpeModel(pairs, options.cacheSize === undefined ? {} : { cacheSize: options.cacheSize });
    this.alphabet = byteLevelAlphabet();
    this.specialTokens = new Set([bosToken, eosToken]);
  }

  /**
   * Loads a diffusers `tokenizer/` directory: `vocab.json`, `merges.txt`, and, when present,
   * `tokenizer_config.json` and `special_tokens_map.json` (max length, bos, eos, pad, unk).
   * @throws Error (TokenizerError for bad content) naming the missing or malformed file.
   */
  static async load(dir: string, options: { signal?: AbortSignal; cacheSize?: number } = {}): Promise<ClipTokenizer> {
    const files = await readClipTokenizerFiles(dir, options.signal);
    try {
      return new ClipTokenizer(files.vocab, files.merges, { ...files.options, ...(options.cacheSize === undefined ? {} : { cacheSize: options.cacheSize }) });
    } catch (error) {
      if (error instanceof TokenizerError) throw new TokenizerError(error.part, `${join(dir, PART_FILES[error.part])}: ${error.message}`);
      throw error;
    }
  }

  /** The id of a vocabulary token (e.g. `"star</w>"`), or undefined. */
  tokenToId(token: string): number | undefined {
    return this.encoder.get(token);
  }

  /** The vocabulary token of an id, or undefined. */
  idToToken(id: number): string | undefined {
    return this.decoder.get(id);
  }

  /** The BPE pieces of a text, without bos/eos: e.g. `["a</w>", "red</w>", "star</w>"]`. */
  tokenize(text: string): string[] {
    return this.tokenizeWords(cleanClipText(text)).flatMap((word) => word.pieces);
  }

  /**
   * Encodes a prompt to exactly `maxLength` ids: bos, at most `maxLength - 2` content tokens,
   * eos, padding. A longer prompt is cut and the result says so, with the dropped words.
   */
  encode(text: string): ClipEncoding {
    const cleaned = cleanClipText(text);
    const words = this.tokenizeWords(cleaned);
    const content: number[] = [];
    for (const word of words) for (const piece of word.pieces) content.push(this.encoder.get(piece) ?? this.unkId);

    const room = this.maxLength - 2;
    const truncated = content.length > room;
    const kept = truncated ? content.slice(0, room) : content;
    const ids = [this.bosId, ...kept, this.eosId];
    while (ids.length < this.maxLength) ids.push(this.padId);
    if (!truncated) return { ids, tokenCount: content.length, truncated };

    let tokensBefore = 0;
    let droppedText = '';
    for (const word of words) {
      if (tokensBefore + word.pieces.length > room) {
        droppedText = cleaned.slice(word.index);
        break;
      }
      tokensBefore += word.pieces.length;
    }
    return { ids, tokenCount: content.length, truncated, droppedText };
  }

  /**
   * Turns ids back into text: pieces joined, bytes decoded as UTF-8 (invalid sequences become
   * U+FFFD), each `</w>` a space. With `skipSpecialTokens` (default) bos and eos are left out
   * and everything after the first eos (the padding) is ignored.
   * @throws RangeError for an id outside the vocabulary.
   */
  decode(ids: readonly number[], options: { skipSpecialTokens?: boolean } = {}): string {
    const skip = options.skipSpecialTokens ?? true;
    let text = '';
    for (const id of ids) {
      if (skip && id === this.eosId) break;
      if (skip && id === this.bosId) continue;
      const token = this.decoder.get(id);
      if (token === undefined) throw new RangeError(`token id ${id} is not in the vocabulary (size ${this.vocabSize})`);
      text += token;
    }
    const bytes: number[] = [];
    for (const char of text) {
      const byte = this.alphabet.charToByte.get(char);
      if (byte !== undefined) bytes.push(byte);
      else bytes.push(...new TextEncoder().encode(char));
    }
    return new TextDecoder('utf-8').decode(new Uint8Array(bytes)).replaceAll(END_OF_WORD, ' ').trim();
  }

  private tokenizeWords(cleaned: string): { index: number; pieces: readonly string[] }[] {
    return preTokenizeClip(cleaned).map(({ text, index }) => {
      if (this.specialTokens.has(text)) return { index, pieces: [text] };
      return { index, pieces: this.bpe.pieces(toByteLevel(this.alphabet, text)) };
    });
  }
}

function parseMerge(line: string, index: number, vocab: ReadonlyMap<string, number>): [string, string] {
  const parts = line.split(' ');
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
    throw new TokenizerError('merges', `rule ${index + 1} must be two symbols separated by one space (got ${JSON.stringify(line)})`);
  }
  const [left, right] = parts as [string, string];
  if (!vocab.has(left + right)) throw new TokenizerError('merges', `rule ${index + 1} (${JSON.stringify(line)}) makes ${JSON.stringify(left + right)}, which is not in the vocabulary`);
  return [left, right];
}
