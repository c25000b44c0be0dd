import { TINY_WORLD_WORDS } from '../tokenizer/tiny-world-words.ts';
import type { TinyColour, TinyShape } from '../tokenizer/tiny-world-words.ts';
import { CAPTION_TEMPLATES, composeCaption } from './captions.ts';
import { SIZE_CLASSES, SIZE_WORDS } from './size-classes.ts';
import type { TinySizeClass } from './size-classes.ts';

/** One prompt of the fixed evaluation set, with what an image of it should show. */
export interface EvaluationPrompt {
  prompt: string;
  shape: TinyShape;
  colour: TinyColour;
  background: TinyColour;
  size: TinySizeClass;
}

/** How far (in palette order) each round's background sits from its foreground. */
const BACKGROUND_SHIFTS = [1, 4, 7, 10] as const;

/**
 * The fixed prompt set for measuring prompt fidelity: 48 prompts of the form "a {size} {colour}
 * {shape} on a {background} background", laid out so that each shape appears 4 times, each
 * colour 4 times as the foreground and 4 times as the background, each size 16 times (every shape in every size), and the
 * foreground never equals the background. Deterministic (no randomness at all).
 */
export function evaluationPrompts(): EvaluationPrompt[] {
  const { shapes, colours } = TINY_WORLD_WORDS;
  const n = colours.length;
  const prompts: EvaluationPrompt[] = [];
  for (let i = 0; i < 4 * shapes.length; i++) {
    const round = Math.floor(i / shapes.length);
    const shape = shapes[i % shapes.length]!;
    // 5 and 12 are coprime, so each round of 12 uses every colour once; the round shifts the pairing.
    const colourIndex = (5 * i + round) % n;
    // A shift of 1..n-1 per round keeps the background apart from the foreground and, per round, uses every colour once.
    const background = colours[(colourIndex + BACKGROUND_SHIFTS[round]!) % n]!;
    const size = SIZE_CLASSES[(i + round) % SIZE_CLASSES.length]!;
    const colour = colours[colourIndex]!;
    const prompt = composeCaption(CAPTION_TEMPLATES[0]!, { shape, colour, background, size: SIZE_WORDS[size][0]! });
    prompts.push({ prompt, shape, colour, background, size });
  }
  return prompts;
}
