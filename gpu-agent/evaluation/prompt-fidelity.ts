import type { TinyColour, TinyShape } from '../tokenizer/tiny-world-words.ts';
import { evaluationPrompts } from '../tiny-world/evaluation-prompts.ts';
import type { EvaluationPrompt } from '../tiny-world/evaluation-prompts.ts';
import { TinyWorldOracle } from '../tiny-world/oracle.ts';
import { evaluationSeeds } from './evaluation-run.ts';
import type { EvaluationRun } from './evaluation-run.ts';
import { shareFigure } from './figure.ts';
import type { Figure } from './figure.ts';
import type { ImageSource } from './image-source.ts';

/** What the oracle read off one generated image, next to what its prompt asked for. */
export interface PromptFidelityCase {
  prompt: string;
  seed: number;
  read: { background: TinyColour; colour: TinyColour | undefined; shape: TinyShape | undefined };
  background: boolean;
  colour: boolean;
  shape: boolean;
  /** Background, foreground colour and shape all match. */
  match: boolean;
}

/** Prompt fidelity and its per-attribute accuracies. */
export interface PromptFidelity {
  /** Share of images whose background colour, foreground colour and shape all match the prompt. */
  all: Figure;
  background: Figure;
  colour: Figure;
  shape: Figure;
  cases: PromptFidelityCase[];
}

/** Options of {@link measurePromptFidelity}. */
export interface PromptFidelityOptions extends EvaluationRun {
  /** Default: the fixed 48 {@link evaluationPrompts}. */
  prompts?: readonly EvaluationPrompt[];
}

/**
 * Prompt fidelity on the tiny world: one image per prompt and seed (0..seeds-1) from `source`,
 * each read by the oracle and compared with its prompt's background colour, foreground colour and
 * shape. The size is not scored (the figure is colour, colour and shape).
 */
export async function measurePromptFidelity(source: ImageSource, options: PromptFidelityOptions): Promise<PromptFidelity> {
  const oracle = options.oracle ?? new TinyWorldOracle();
  const prompts = options.prompts ?? evaluationPrompts();
  const seeds = evaluationSeeds(options.seeds);
  const total = prompts.length * seeds.length;
  const cases: PromptFidelityCase[] = [];
  for (const prompt of prompts) {
    for (const seed of seeds) {
      options.signal?.throwIfAborted();
      const image = await source({ prompt: prompt.prompt, seed }, options.signal);
      const reading = oracle.read(image);
      const read = { background: reading.background.colour, colour: reading.foreground?.colour, shape: reading.shape?.shape };
      const background = read.background === prompt.background;
      const colour = read.colour === prompt.colour;
      const shape = read.shape === prompt.shape;
      cases.push({ prompt: prompt.prompt, seed, read, background, colour, shape, match: background && colour && shape });
      options.onProgress?.({ stage: 'prompt-fidelity', done: cases.length, total });
    }
  }
  const count = (pick: (c: PromptFidelityCase) => boolean): Figure => shareFigure(cases.filter(pick).length, cases.length);
  const result = { all: count((c) => c.match), background: count((c) => c.background), colour: count((c) => c.colour), shape: count((c) => c.shape), cases };
  options.logger?.debug({ fidelity: result.all.value, images: total }, 'prompt fidelity measured');
  return result;
}
