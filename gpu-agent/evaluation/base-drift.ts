import type { Figure } from './figure.ts';
import type { PromptFidelity } from './prompt-fidelity.ts';

/** How much a LoRA moved the base model's behaviour on the base prompts. */
export interface BaseDrift {
  /** Prompt fidelity of the base model. */
  base: Figure;
  /** Prompt fidelity of the LoRA-applied (or merged) model on the same prompts and seeds. */
  adapted: Figure;
  /**
   * `adapted - base` (negative: the fine-tune cost base fidelity), over the images of both
   * measurements together.
   */
  drift: Figure;
  /** Images (same prompt and seed) where exactly one of the two models matched the prompt. */
  flipped: number;
}

/**
 * Base drift from two prompt-fidelity measurements over the same prompts and seeds.
 * @throws RangeError when the two measurements are not over the same prompts and seeds.
 */
export function baseDrift(base: PromptFidelity, adapted: PromptFidelity): BaseDrift {
  const key = (c: { prompt: string; seed: number }): string => `${c.seed}\0${c.prompt}`;
  const baseCases = new Map(base.cases.map((c) => [key(c), c]));
  if (baseCases.size !== adapted.cases.length || adapted.cases.some((c) => !baseCases.has(key(c)))) {
    throw new RangeError('base drift compares two prompt-fidelity runs over the same prompts and seeds');
  }
  const flipped = adapted.cases.filter((c) => baseCases.get(key(c))!.match !== c.match).length;
  return {
    base: base.all,
    adapted: adapted.all,
    drift: { value: adapted.all.value - base.all.value, images: base.all.images + adapted.all.images },
    flipped,
  };
}
