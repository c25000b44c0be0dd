import type { RgbImage } from '../image/rgb-image.ts';
import type { TinyColour, TinyShape } from '../tokenizer/tiny-world-words.ts';
import { evaluationPrompts } from '../tiny-world/evaluation-prompts.ts';
import type { EvaluationPrompt } from '../tiny-world/evaluation-prompts.ts';
import { TinyWorldOracle } from '../tiny-world/oracle.ts';
import { SIZE_CLASSES, type TinySizeClass } from '../tiny-world/size-classes.ts';
import { evaluationSeeds } from './evaluation-run.ts';
import type { EvaluationRun } from './evaluation-run.ts';
import { shareFigure } from './figure.ts';
import type { Figure } from './figure.ts';
import type { ImageSource } from './image-source.ts';

/** What the oracle read off one image, and which of the expected background, colour and shape it matched. */
export interface AttributeMatch {
  read: { background: TinyColour; colour: TinyColour | undefined; shape: TinyShape | undefined };
  background: boolean;
  colour: boolean;
  shape: boolean;
  /** Background, foreground colour and shape all match. */
  match: boolean;
}

/** What the oracle read off one generated image, next to what its prompt asked for. */
export interface PromptFidelityCase extends AttributeMatch {
  prompt: string;
  seed: number;
  /** The size class the prompt asked for. */
  size: TinySizeClass;
}

/** Reads an image with the oracle and compares background colour, foreground colour and shape with the expected ones. */
export function matchAttributes(oracle: TinyWorldOracle, image: RgbImage, expected: { background: TinyColour; colour: TinyColour; shape: TinyShape }): AttributeMatch {
  const reading = oracle.read(image);
  const read = { background: reading.background.colour, colour: reading.foreground?.colour, shape: reading.shape?.shape };
  const background = read.background === expected.background;
  const colour = read.colour === expected.colour;
  const shape = read.shape === expected.shape;
  return { read, background, colour, shape, match: background && colour && shape };
}

/** The share of matches that got all three, and each attribute, right. */
export function attributeFigures(matches: readonly AttributeMatch[]): Pick<PromptFidelity, 'all' | 'background' | 'colour' | 'shape'> {
  const count = (pick: (m: AttributeMatch) => boolean): Figure => shareFigure(matches.filter(pick).length, matches.length);
  return { all: count((m) => m.match), background: count((m) => m.background), colour: count((m) => m.colour), shape: count((m) => m.shape) };
}

/** Shape read right, per size class drawn or asked for (every class, with 0 images where none had it). */
export function shapeBySize(matches: readonly (AttributeMatch & { size: TinySizeClass })[]): Record<TinySizeClass, Figure> {
  return Object.fromEntries(SIZE_CLASSES.map((size) => [size, attributeFigures(matches.filter((m) => m.size === size)).shape])) as Record<TinySizeClass, Figure>;
}

/** Prompt fidelity and its per-attribute accuracies. */
export interface PromptFidelity {
  /** Share of images whose background colour, foreground colour and shape all match the prompt. */
  all: Figure;
  background: Figure;
  colour: Figure;
  shape: Figure;
  /** Shape accuracy per asked size class: where the denoiser loses shapes, to read next to the VAE's own ceiling (`measureAutoencoderFidelity`). */
  shapeBySize: Record<TinySizeClass, Figure>;
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
      cases.push({ prompt: prompt.prompt, seed, size: prompt.size, ...matchAttributes(oracle, image, prompt) });
      options.onProgress?.({ stage: 'prompt-fidelity', done: cases.length, total });
    }
  }
  const result = { ...attributeFigures(cases), shapeBySize: shapeBySize(cases), cases };
  options.logger?.debug({ fidelity: result.all.value, images: total }, 'prompt fidelity measured');
  return result;
}
