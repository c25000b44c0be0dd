import type { RgbImage } from '../image/rgb-image.ts';
import type { StableDiffusionModel } from '../pipeline/model-directory.ts';
import { generate } from '../pipeline/text-to-image.ts';
import type { SchedulerKind } from '../schedulers/scheduler.ts';

/** One image to generate for an evaluation. */
export interface ImageRequest {
  prompt: string;
  seed: number;
}

/**
 * Where an evaluation gets its images: the real pipeline ({@link pipelineImageSource}) or, in
 * tests, anything that answers a prompt and a seed with an image. Rejects with the signal's reason
 * when aborted.
 */
export type ImageSource = (request: ImageRequest, signal?: AbortSignal) => Promise<RgbImage>;

/** Sampling settings of {@link pipelineImageSource}. */
export interface PipelineSamplingSettings {
  steps: number;
  guidanceScale: number;
  /** Default: the model's scheduler_config.json. */
  scheduler?: SchedulerKind;
}

/**
 * An image source over a loaded model: one `generate` call per image (count 1), so the image of
 * (prompt, seed) is exactly what `teambooth imagine PROMPT --seed SEED` draws with the same settings.
 */
export function pipelineImageSource(model: StableDiffusionModel, settings: PipelineSamplingSettings): ImageSource {
  return async (request, signal) => {
    const result = await generate(
      model,
      {
        prompt: request.prompt,
        seed: request.seed,
        steps: settings.steps,
        guidanceScale: settings.guidanceScale,
        count: 1,
        ...(settings.scheduler === undefined ? {} : { scheduler: settings.scheduler }),
      },
      signal === undefined ? {} : { signal },
    );
    const image = result.images[0];
    if (image === undefined) throw new Error(`the pipeline returned no image for "${request.prompt}" (seed ${request.seed})`);
    return { width: image.width, height: image.height, data: image.data };
  };
}
