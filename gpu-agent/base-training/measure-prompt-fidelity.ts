import type { RgbImage } from '../image/rgb-image.ts';
import { generate } from '../pipeline/text-to-image.ts';
import type { StableDiffusionModel } from '../pipeline/model-directory.ts';
import { evaluationPrompts, type EvaluationPrompt } from '../tiny-world/evaluation-prompts.ts';
import { TinyWorldOracle } from '../tiny-world/oracle.ts';

/** Settings of {@link measurePromptFidelity}. */
export interface PromptFidelitySettings {
  /** One image per prompt and seed. */
  seeds: readonly number[];
  steps: number;
  guidanceScale: number;
  /** Prompts to use (default: the fixed {@link evaluationPrompts}). */
  prompts?: readonly EvaluationPrompt[];
  signal?: AbortSignal;
}

/** What the oracle read off one generated image, against what its prompt asked for. */
export interface FidelityCase {
  prompt: string;
  seed: number;
  background: boolean;
  colour: boolean;
  shape: boolean;
  /** All three match. */
  match: boolean;
  read: { background: string; colour: string | undefined; shape: string | undefined };
}

/** The shares of images whose attributes match their prompts. */
export interface PromptFidelitySummary {
  images: number;
  /** Background, foreground colour and shape all match. */
  fidelity: number;
  background: number;
  colour: number;
  shape: number;
}

/** Reads a generated image with the oracle and compares it with its prompt. */
export function judgeImage(oracle: TinyWorldOracle, image: RgbImage, prompt: EvaluationPrompt, seed: number): FidelityCase {
  const reading = oracle.read(image);
  const background = reading.background.colour === prompt.background;
  const colour = reading.foreground?.colour === prompt.colour;
  const shape = reading.shape?.shape === prompt.shape;
  return {
    prompt: prompt.prompt,
    seed,
    background,
    colour,
    shape,
    match: background && colour && shape,
    read: { background: reading.background.colour, colour: reading.foreground?.colour, shape: reading.shape?.shape },
  };
}

/**
 * Prompt fidelity of a model on the tiny world: generates one image per evaluation prompt and
 * seed through the real pipeline and counts, with the oracle, how many show the asked background
 * colour, foreground colour and shape (all three, and each on its own).
 */
export async function measurePromptFidelity(model: StableDiffusionModel, settings: PromptFidelitySettings): Promise<{ summary: PromptFidelitySummary; cases: FidelityCase[] }> {
  const oracle = new TinyWorldOracle();
  const cases: FidelityCase[] = [];
  for (const prompt of settings.prompts ?? evaluationPrompts()) {
    for (const seed of settings.seeds) {
      const result = await generate(model, { prompt: prompt.prompt, seed, steps: settings.steps, guidanceScale: settings.guidanceScale }, settings.signal === undefined ? {} : { signal: settings.signal });
      cases.push(judgeImage(oracle, result.images[0]!, prompt, seed));
    }
  }
  const share = (pick: (c: FidelityCase) => boolean): number => (cases.length === 0 ? 0 : cases.filter(pick).length / cases.length);
  return {
    summary: { images: cases.length, fidelity: share((c) => c.match), background: share((c) => c.background), colour: share((c) => c.colour), shape: share((c) => c.shape) },
    cases,
  };
}
