import { generationTextEntries } from '../image/generation-parameters.ts';
import { encodePng } from '../image/png.ts';
import type { GeneratedImage, GenerationResult } from './text-to-image.ts';

/**
 * One generated image as PNG, with the settings that drew it in its `parameters` text chunk, so
 * the file says how to draw it again. `model` names the model (default: the result's; a LoRA
 * applied on top is named with it).
 */
export function encodeGeneratedPng(result: GenerationResult, image: GeneratedImage, model: string = result.model): Promise<Buffer> {
  const text = generationTextEntries({
    prompt: result.prompt,
    negativePrompt: result.negativePrompt,
    steps: result.steps,
    scheduler: result.scheduler,
    guidanceScale: result.guidanceScale,
    seed: image.seed,
    width: image.width,
    height: image.height,
    model,
  });
  return encodePng(image, { text });
}
