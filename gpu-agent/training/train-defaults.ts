import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { DREAMBOOTH_LIMITS, TRAIN_DEFAULTS } from './dreambooth-request.ts';

/** The fine-tune settings a model recommends: what `teambooth train` and agents use when the requester leaves them out. */
export interface TrainDefaults {
  steps: number;
  learningRate: number;
  rank: number;
  /** Subject photos per optimizer step. */
  batchSize: number;
}

/**
 * The optional file at a model directory's root where a model states its own fine-tune defaults
 * (`{"trainDefaults": {"steps": 300, "learningRate": 0.002, "rank": 4, "batchSize": 8}}`); diffusers ignores it.
 * A model without it gets {@link TRAIN_DEFAULTS}, the usual DreamBooth-LoRA settings for SD 1.5.
 */
export const MODEL_SETTINGS_FILE = 'teambooth.json';

const settingsSchema = z.looseObject({
  trainDefaults: z
    .strictObject({
      steps: z.int().min(1).max(DREAMBOOTH_LIMITS.maxSteps),
      learningRate: z.number().gt(0).max(1),
      rank: z.int().min(1).max(DREAMBOOTH_LIMITS.maxRank),
      batchSize: z.int().min(1).max(DREAMBOOTH_LIMITS.maxBatchSize),
    })
    .partial()
    .optional(),
});

/** The fine-tune defaults of the model in `directory`; a malformed settings file is an error naming it. */
export async function readTrainDefaults(directory: string, signal?: AbortSignal): Promise<TrainDefaults> {
  let text: string;
  try {
    text = await readFile(join(directory, MODEL_SETTINGS_FILE), { encoding: 'utf8', ...(signal === undefined ? {} : { signal }) });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return generalDefaults();
    throw error;
  }
  return parseTrainDefaults(text, join(directory, MODEL_SETTINGS_FILE));
}

/** The fine-tune defaults a settings file's text states (the rest from {@link TRAIN_DEFAULTS}); `source` names it in errors. */
export function parseTrainDefaults(text: string, source: string): TrainDefaults {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${source} is not valid JSON`);
  }
  const parsed = settingsSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${source} is not valid: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`);
  return { ...generalDefaults(), ...parsed.data.trainDefaults };
}

function generalDefaults(): TrainDefaults {
  return { steps: TRAIN_DEFAULTS.steps, learningRate: TRAIN_DEFAULTS.learningRate, rank: TRAIN_DEFAULTS.rank, batchSize: TRAIN_DEFAULTS.batchSize };
}
