import type { Logger } from 'pino';
import { loadStableDiffusionModel } from '../model-directory.ts';
import { generate } from '../text-to-image.ts';

/**
 * The pixels of one fixed, cheap generation (2 steps, no guidance, seed 3) with the model in
 * `directory`: tests compare them to tell whether two model directories draw the same image.
 */
export async function firstImagePixels(directory: string, logger: Logger): Promise<Buffer> {
  const loaded = await loadStableDiffusionModel(directory, { device: 'cpu', logger, intraOpThreads: 2 });
  try {
    const result = await generate(loaded, { prompt: 'a red star on a blue background', steps: 2, guidanceScale: 1, seed: 3 });
    return Buffer.from(result.images[0]!.data);
  } finally {
    await loaded.release();
  }
}
