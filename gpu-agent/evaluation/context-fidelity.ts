import type { TinyColour } from '../tokenizer/tiny-world-words.ts';
import { TinyWorldOracle } from '../tiny-world/oracle.ts';
import { evaluationSeeds } from './evaluation-run.ts';
import type { EvaluationRun } from './evaluation-run.ts';
import { contextPrompt } from './evaluation-subject.ts';
import type { EvaluationSubject } from './evaluation-subject.ts';
import { meanFigure, shareFigure } from './figure.ts';
import type { Figure } from './figure.ts';
import type { ImageSource } from './image-source.ts';

/** The order in which context backgrounds are picked: well apart from each other, common colours first. */
const BACKGROUND_PREFERENCE: readonly TinyColour[] = ['green', 'blue', 'white', 'red', 'orange', 'purple', 'gray', 'pink', 'cyan', 'brown', 'yellow', 'black'];

/** Default number of context backgrounds. */
export const DEFAULT_CONTEXT_BACKGROUNDS = 4;

/** The first `count` backgrounds of a fixed preference list that are none of the subject's own colours. */
export function contextBackgrounds(subjectColours: readonly TinyColour[] = [], count = DEFAULT_CONTEXT_BACKGROUNDS): TinyColour[] {
  return BACKGROUND_PREFERENCE.filter((c) => !subjectColours.includes(c)).slice(0, count);
}

/** One image of the subject in a context. */
export interface ContextFidelityCase {
  background: TinyColour;
  seed: number;
  /** The background the oracle read. */
  read: TinyColour;
  match: boolean;
  similarity: number;
}

/** How well the subject goes into contexts it was not trained with. */
export interface ContextFidelity {
  backgrounds: TinyColour[];
  /** Share of images whose background is the requested one. */
  background: Figure;
  /** Mean subject similarity of those images (the subject kept in context). */
  similarity: Figure;
  /** The background share per requested background. */
  perBackground: Partial<Record<TinyColour, Figure>>;
  cases: ContextFidelityCase[];
}

/** Options of {@link measureContextFidelity}. */
export interface ContextFidelityOptions extends EvaluationRun {
  /** Default: {@link contextBackgrounds} of the subject's colours. */
  backgrounds?: readonly TinyColour[];
}

/**
 * Context fidelity: one image of "a photo of <token> <class> on a <colour> background" per
 * background and seed (0..seeds-1), counting the images whose background the oracle reads as the
 * requested colour, and averaging their subject similarity.
 * @throws RangeError when a requested background is one of the subject's own colours, or none is left.
 */
export async function measureContextFidelity(source: ImageSource, subject: EvaluationSubject, options: ContextFidelityOptions): Promise<ContextFidelity> {
  const oracle = options.oracle ?? new TinyWorldOracle();
  const backgrounds = [...(options.backgrounds ?? contextBackgrounds(subject.colours))];
  if (backgrounds.length === 0) throw new RangeError('context fidelity needs at least one background colour');
  const clash = backgrounds.find((b) => subject.colours?.includes(b) === true);
  if (clash !== undefined) throw new RangeError(`the subject is partly ${clash}: pick context backgrounds of other colours`);
  const seeds = evaluationSeeds(options.seeds);
  const total = backgrounds.length * seeds.length;
  const cases: ContextFidelityCase[] = [];
  for (const background of backgrounds) {
    const prompt = contextPrompt(subject, background);
    for (const seed of seeds) {
      options.signal?.throwIfAborted();
      const image = await source({ prompt, seed }, options.signal);
      const read = oracle.read(image).background.colour;
      const { similarity } = oracle.subjectSimilarity(image, subject.references);
      cases.push({ background, seed, read, match: read === background, similarity });
      options.onProgress?.({ stage: 'context-fidelity', done: cases.length, total });
    }
  }
  const perBackground: Partial<Record<TinyColour, Figure>> = {};
  for (const background of backgrounds) {
    const mine = cases.filter((c) => c.background === background);
    perBackground[background] = shareFigure(mine.filter((c) => c.match).length, mine.length);
  }
  const result = {
    backgrounds,
    background: shareFigure(cases.filter((c) => c.match).length, cases.length),
    similarity: meanFigure(cases.map((c) => c.similarity)),
    perBackground,
    cases,
  };
  options.logger?.debug({ fidelity: result.background.value, images: total }, 'context fidelity measured');
  return result;
}
