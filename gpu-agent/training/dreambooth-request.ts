import { z } from 'zod';
import type { OrthogonalSlot } from '../lora/orthogonal-basis.ts';
import { MAX_SEED } from '../pipeline/gaussian-noise.ts';
import type { AdamWSettings } from './append-adamw.ts';
import type { InstanceImageFile } from './instance-images.ts';

/** Prior preservation (Ruiz et al. 2023): keep the class prior by also denoising images of the plain class. */
export interface PriorPreservation {
  /** lambda: weight of the class term in the loss (DreamBooth uses 1). */
  weight: number;
  /** Photos of the class; when absent, `classImageCount` images are generated from "a photo of <class>" by the base model. */
  classImages?: readonly InstanceImageFile[];
  /** Class images to generate when none are given (default 8). */
  classImageCount?: number;
  /** Denoising steps per generated class image (default 20). */
  generationSteps?: number;
}

/** What a member asks to train: a LoRA that teaches the model "<token> <class>". */
export interface DreamBoothRequest {
  /** 3 to 20 photos of the subject. */
  images: readonly InstanceImageFile[];
  /** The rare word that will name the subject, e.g. `zxq`. */
  token: string;
  /** The subject's class, e.g. `dog`. */
  classWord: string;
  steps: number;
  learningRate: number;
  rank: number;
  alpha: number;
  seed: number;
  priorPreservation?: PriorPreservation;
  /**
   * Also train on the photos mirrored left-right (default false: a mirrored logo or glyph is another
   * subject; turn it on for subjects that look the same either way, like most animals).
   */
  flip?: boolean;
  /** Subject rows per step (default {@link TRAIN_DEFAULTS}' 1, as DreamBooth trains). */
  batchSize?: number;
  /** Layers to adapt, by the last segments of their module paths (default the attention projections). */
  modules?: readonly string[];
  /** Fixed down-projections by kohya key: only the up-projections train (the orthogonal merge). */
  fixedDown?: ReadonlyMap<string, Float32Array>;
  /**
   * The subject's slot of the orthogonal merge, instead of `fixedDown`: the down-projections are
   * that slot's rows of the seeded orthogonal basis of each adapted layer
   * (`orthogonalDownProjections`), and only the up-projections train.
   */
  orthogonalSlot?: OrthogonalSlot;
  /** AdamW settings other than the learning rate (defaults: PyTorch's, clipping at 1). */
  optimizer?: Partial<AdamWSettings>;
}

/** A request that cannot be served; the message names the field and says what to change. */
export class DreamBoothRequestError extends Error {
  override readonly name = 'DreamBoothRequestError';
}

/**
 * Settings a fine-tune uses when its requester leaves them out (the `teambooth train` flags and
 * cluster train jobs): those commonly used for DreamBooth-LoRA on Stable Diffusion 1.5.
 */
export const TRAIN_DEFAULTS = { steps: 400, learningRate: 1e-4, rank: 4, batchSize: 1, classImages: 8 } as const;

/** Bounds of a request. */
export const DREAMBOOTH_LIMITS = { maxSteps: 20_000, maxRank: 256, maxBatchSize: 16, maxClassImages: 200 } as const;

const schema = z.object({
  token: z.string().regex(/^[\p{L}\p{N}]{2,32}$/u, 'must be one word of 2 to 32 letters or digits, e.g. "zxq"'),
  classWord: z.string().regex(/^[\p{L}][\p{L}\p{N} -]{0,39}$/u, 'must be 1 to 40 letters, digits, spaces or dashes starting with a letter, e.g. "dog"'),
  steps: z.int().min(1).max(DREAMBOOTH_LIMITS.maxSteps),
  learningRate: z.number().gt(0).max(1),
  rank: z.int().min(1).max(DREAMBOOTH_LIMITS.maxRank),
  alpha: z.number().gt(0).max(1e4),
  seed: z.int().min(0).max(MAX_SEED),
  batchSize: z.int().min(1).max(DREAMBOOTH_LIMITS.maxBatchSize).optional(),
  priorPreservation: z
    .object({
      weight: z.number().gt(0).max(100),
      classImageCount: z.int().min(1).max(DREAMBOOTH_LIMITS.maxClassImages).optional(),
      generationSteps: z.int().min(1).max(200).optional(),
    })
    .loose()
    .optional(),
  orthogonalSlot: z.object({ basisSeed: z.int().min(0).max(2 ** 32 - 1), slot: z.int().min(0) }).optional(),
});

/** Checks a request's numbers and words; the images are checked when they are prepared. */
export function validateDreamBoothRequest(request: DreamBoothRequest): void {
  const parsed = schema.safeParse(request);
  if (!parsed.success) {
    throw new DreamBoothRequestError(parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('; '));
  }
  if (request.fixedDown !== undefined && request.orthogonalSlot !== undefined) {
    throw new DreamBoothRequestError('fixedDown and orthogonalSlot both fix the down-projections; give one of them');
  }
  const prior = request.priorPreservation;
  if (prior?.classImages !== undefined && prior.classImages.length > DREAMBOOTH_LIMITS.maxClassImages) {
    throw new DreamBoothRequestError(`priorPreservation.classImages holds ${prior.classImages.length} images, at most ${DREAMBOOTH_LIMITS.maxClassImages} are used`);
  }
}

/** The instance prompt DreamBooth trains on. */
export function instancePrompt(request: Pick<DreamBoothRequest, 'token' | 'classWord'>): string {
  return `a photo of ${request.token} ${request.classWord}`;
}

/** The class prompt of prior preservation. */
export function classPrompt(request: Pick<DreamBoothRequest, 'classWord'>): string {
  return `a photo of ${request.classWord}`;
}
