import type { ClipTokenizer } from '../tokenizer/clip-tokenizer.ts';
import { TINY_WORLD_WORDS } from '../tokenizer/tiny-world-words.ts';
import { DreamBoothRequestError } from './dreambooth-request.ts';

/** Words of the tiny world's captions: the base model already means something by each. */
const KNOWN_WORDS: ReadonlySet<string> = new Set(
  [TINY_WORLD_WORDS.fillers, TINY_WORLD_WORDS.shapes, TINY_WORLD_WORDS.colours, TINY_WORLD_WORDS.sizes, TINY_WORLD_WORDS.classNouns].flat(),
);

/**
 * Refuses a subject token the model does not read as one rare word: DreamBooth binds the subject
 * to a single token, and a token made of several pieces, or a word the base model already knows
 * ("red", "star"), would drag other prompts along with the subject.
 */
export function checkSubjectToken(tokenizer: ClipTokenizer, token: string, classWord: string): void {
  const word = token.toLowerCase();
  const examples = TINY_WORLD_WORDS.rareTokens.slice(0, 4).join(', ');
  if (word === classWord.toLowerCase()) throw new DreamBoothRequestError(`the token must differ from the class word "${classWord}"`);
  if (KNOWN_WORDS.has(word)) {
    throw new DreamBoothRequestError(`the token "${token}" is a word the base model already knows; pick a rare word such as ${examples}`);
  }
  const pieces = tokenizer.tokenize(word);
  if (pieces.length !== 1) {
    throw new DreamBoothRequestError(
      `the token "${token}" is ${pieces.length} tokens for this model (${pieces.join(' ')}); pick a word it reads as one rare token, such as ${examples}`,
    );
  }
}
