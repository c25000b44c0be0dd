import { z } from 'zod';
import { MAX_SEED } from '../../gpu-agent/pipeline/gaussian-noise.ts';
import { DEFAULTS as IMAGINE_DEFAULTS, LIMITS as IMAGINE_LIMITS } from '../../gpu-agent/pipeline/generation-request.ts';
import { DREAMBOOTH_LIMITS } from '../../gpu-agent/training/dreambooth-request.ts';
import { FILE_NAME, UPLOAD_ID } from '../blob-store/s3-keys.ts';
import { CommandRejectedError } from '../raft/errors.ts';
import { fields } from '../state/commands.ts';
import { describeIssues } from '../state/describe-issues.ts';

/**
 * The parameters of the jobs members submit, checked by the node that takes the submission (the
 * replicated state stores them as free JSON). Settings left out are filled in here, except the
 * training numbers, which the agent takes from the model's own defaults, so a job does not pin
 * settings that suit only one model.
 */

/** The largest image side an imagine job may ask for, and how many photos a train job takes (as training needs). */
export const JOB_LIMITS = { maxImageSide: 2048, maxPhotos: 20, minPhotos: 3 } as const;

const side = z
  .int({ error: 'must be a whole number of pixels' })
  .min(8, { error: 'must be at least 8 pixels' })
  .max(JOB_LIMITS.maxImageSide, { error: `must be at most ${JOB_LIMITS.maxImageSide} pixels` })
  .refine((value) => value % 8 === 0, { error: 'must be a multiple of 8 pixels (the VAE works on 8x8 blocks)' });

export const imagineParamsSchema = z.strictObject({
  prompt: z
    .string()
    .trim()
    .min(1, { error: 'must not be empty: describe the image' })
    .max(IMAGINE_LIMITS.maxPromptChars, { error: `must be at most ${IMAGINE_LIMITS.maxPromptChars} characters` }),
  negativePrompt: z.string().max(IMAGINE_LIMITS.maxPromptChars, { error: `must be at most ${IMAGINE_LIMITS.maxPromptChars} characters` }).optional(),
  seed: z.int({ error: 'must be a whole number' }).min(0, { error: 'must not be negative' }).max(MAX_SEED, { error: `must be at most ${MAX_SEED}` }).optional(),
  steps: z
    .int({ error: 'must be a whole number' })
    .min(1, { error: `must be from 1 to ${IMAGINE_LIMITS.maxSteps}` })
    .max(IMAGINE_LIMITS.maxSteps, { error: `must be from 1 to ${IMAGINE_LIMITS.maxSteps}` })
    .default(IMAGINE_DEFAULTS.steps),
  guidanceScale: z
    .number({ error: 'must be a number' })
    .min(1, { error: `must be from 1 to ${IMAGINE_LIMITS.maxGuidance}` })
    .max(IMAGINE_LIMITS.maxGuidance, { error: `must be from 1 to ${IMAGINE_LIMITS.maxGuidance}` })
    .default(IMAGINE_DEFAULTS.guidanceScale),
  width: side.default(64),
  height: side.default(64),
  count: z
    .int({ error: 'must be a whole number' })
    .min(1, { error: `must be from 1 to ${IMAGINE_LIMITS.maxCount}` })
    .max(IMAGINE_LIMITS.maxCount, { error: `must be from 1 to ${IMAGINE_LIMITS.maxCount}` })
    .default(IMAGINE_DEFAULTS.count),
  scheduler: z.enum(['ddim', 'euler', 'dpm']).optional(),
  /** A LoRA of a finished train job to apply, with its scale. */
  lora: z.strictObject({ jobId: fields.jobId, scale: z.number().min(0).max(4).default(1) }).optional(),
});

export const trainParamsSchema = z.strictObject({
  uploadId: z.string().regex(UPLOAD_ID, { error: 'an upload id looks like u-0123456789abcdef (from UploadPhotos)' }),
  photos: z
    .array(z.string().regex(FILE_NAME, { error: 'a photo name is 1-128 letters, digits, ".", "_" or "-" (as UploadPhotos answered)' }))
    .min(JOB_LIMITS.minPhotos, { error: `needs at least ${JOB_LIMITS.minPhotos} photos` })
    .max(JOB_LIMITS.maxPhotos, { error: `takes at most ${JOB_LIMITS.maxPhotos} photos` }),
  token: fields.subjectToken,
  classWord: fields.classWord,
  steps: z.int().min(1).max(DREAMBOOTH_LIMITS.maxSteps).optional(),
  learningRate: z.number().gt(0).max(1).optional(),
  rank: z.int().min(1).max(DREAMBOOTH_LIMITS.maxRank).optional(),
  seed: z.int().min(0).max(MAX_SEED).optional(),
});

export type ImagineParams = z.output<typeof imagineParamsSchema>;
export type TrainParams = z.output<typeof trainParamsSchema>;

/** A submitted job's kind and checked parameters. */
export type JobSpec = { kind: 'imagine'; params: ImagineParams & { seed: number } } | { kind: 'train'; params: TrainParams & { seed: number } };

/**
 * Checks a submission's parameters and fills in defaults; a seed left out is drawn with `random`
 * (so a retried submission with the same idempotency key still returns the first job). Throws
 * {@link CommandRejectedError} (`invalid`) naming the field to fix.
 */
export function parseJobSpec(kind: string, params: unknown, random: () => number): JobSpec {
  const drawSeed = (): number => Math.floor(random() * (MAX_SEED + 1));
  if (kind === 'imagine') {
    const parsed = imagineParamsSchema.safeParse(params);
    if (!parsed.success) throw new CommandRejectedError(describeIssues('imagine job', parsed.error), 'invalid');
    return { kind, params: { ...parsed.data, seed: parsed.data.seed ?? drawSeed() } };
  }
  if (kind === 'train') {
    const parsed = trainParamsSchema.safeParse(params);
    if (!parsed.success) throw new CommandRejectedError(describeIssues('train job', parsed.error), 'invalid');
    return { kind, params: { ...parsed.data, seed: parsed.data.seed ?? drawSeed() } };
  }
  throw new CommandRejectedError(`a job's kind is imagine or train (got ${JSON.stringify(kind)})`, 'invalid');
}

/** The output names an agent uploads for a job: `image-0.png`... for imagine, `lora.safetensors` for train. */
export function outputNames(spec: JobSpec): string[] {
  if (spec.kind === 'imagine') return Array.from({ length: spec.params.count }, (_, i) => `image-${i}.png`);
  return ['lora.safetensors'];
}
