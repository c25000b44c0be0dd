import { SCHEDULER_KINDS } from '../schedulers/scheduler.ts';
import type { SchedulerKind } from '../schedulers/scheduler.ts';
import { MAX_SEED } from './gaussian-noise.ts';
import type { ModelGeometry } from './model-geometry.ts';


/** What to generate. Unset fields take the model's defaults. */
export interface GenerationRequest {
  prompt: string;
  /** What to steer away from; the empty string (as Stable Diffusion does) when omitted. */
  negativePrompt?: string;
  /** Seed of the first image, 0..4294967295; image i uses `seed + i` (mod 2^32). Random when omitted. */
  seed?: number;
  /** Denoising steps, 1..{@link LIMITS.maxSteps}. */
  steps: number;
  /**
   * Classifier-free guidance scale, 1..{@link LIMITS.maxGuidance}. 1 turns guidance off: the UNet
   * runs once per image on the prompt alone and the negative prompt has no effect.
   */
  guidanceScale: number;
  /** Image size in pixels; default the model's native size. */
  width?: number;
  height?: number;
  /** Images to generate, 1..{@link LIMITS.maxCount}; default 1. */
  count?: number;
  /** Default: the model's scheduler_config.json. */
  scheduler?: SchedulerKind;
}

/** A request after validation, with defaults filled in. */
export interface ValidatedRequest {
  prompt: string;
  negativePrompt: string;
  seed: number | undefined;
  steps: number;
  guidanceScale: number;
  width: number;
  height: number;
  count: number;
  scheduler: SchedulerKind | undefined;
}

/** Limits that do not depend on the model. */
export const LIMITS = {
  maxPromptChars: 2000,
  maxSteps: 150,
  maxGuidance: 30,
  maxCount: 4,
} as const;

/** Defaults for callers that let the user omit them (the CLI, the bots). */
export const DEFAULTS = { steps: 20, guidanceScale: 7.5, count: 1 } as const;

/** A request field that is not allowed, with the rule it broke. */
export class GenerationRequestError extends Error {
  override readonly name = 'GenerationRequestError';
  constructor(
    /** The request field, e.g. `steps`. */
    readonly field: keyof GenerationRequest,
    /** What is allowed, phrased to follow the field's name: `must be an integer from 1 to 150`. */
    readonly rule: string,
    /** The offending value, as text. */
    readonly got: string,
  ) {
    super(`${field} ${rule} (got ${got})`);
  }
}

/**
 * Checks a request against the fixed {@link LIMITS} and the model's geometry (sizes in multiples
 * of `geometry.sizeMultiple` within `geometry.minSize..maxSize`, or exactly the fixed size of a
 * static export) and fills in the defaults. Throws a {@link GenerationRequestError}.
 */
export function validateRequest(request: GenerationRequest, geometry: ModelGeometry): ValidatedRequest {
  const prompt = request.prompt;
  if (typeof prompt !== 'string' || prompt.trim() === '') throw new GenerationRequestError('prompt', 'must not be empty: describe the image', JSON.stringify(prompt ?? ''));
  if (prompt.length > LIMITS.maxPromptChars) throw new GenerationRequestError('prompt', `must be at most ${LIMITS.maxPromptChars} characters`, `${prompt.length}`);
  const negativePrompt = request.negativePrompt ?? '';
  if (typeof negativePrompt !== 'string' || negativePrompt.length > LIMITS.maxPromptChars) {
    throw new GenerationRequestError('negativePrompt', `must be text of at most ${LIMITS.maxPromptChars} characters`, `${String(negativePrompt).length} characters`);
  }
  if (request.seed !== undefined && (!Number.isInteger(request.seed) || request.seed < 0 || request.seed > MAX_SEED)) {
    throw new GenerationRequestError('seed', `must be an integer from 0 to ${MAX_SEED}`, String(request.seed));
  }
  integerIn('steps', request.steps, 1, LIMITS.maxSteps);
  const guidance = request.guidanceScale;
  if (typeof guidance !== 'number' || !Number.isFinite(guidance) || guidance < 1 || guidance > LIMITS.maxGuidance) {
    throw new GenerationRequestError('guidanceScale', `must be a number from 1 (no guidance) to ${LIMITS.maxGuidance}`, String(guidance));
  }
  const count = request.count ?? 1;
  integerIn('count', count, 1, LIMITS.maxCount);
  const width = request.width ?? geometry.fixedSize?.width ?? geometry.nativeWidth;
  const height = request.height ?? geometry.fixedSize?.height ?? geometry.nativeHeight;
  checkSize('width', width, geometry, geometry.fixedSize?.width);
  checkSize('height', height, geometry, geometry.fixedSize?.height);
  const scheduler = request.scheduler;
  if (scheduler !== undefined && !(SCHEDULER_KINDS as readonly string[]).includes(scheduler)) {
    throw new GenerationRequestError('scheduler', `must be one of ${SCHEDULER_KINDS.join(', ')}`, JSON.stringify(scheduler));
  }
  return { prompt, negativePrompt, seed: request.seed, steps: request.steps, guidanceScale: guidance, width, height, count, scheduler };
}

function integerIn(field: keyof GenerationRequest, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new GenerationRequestError(field, `must be an integer from ${min} to ${max}`, String(value));
  }
}

function checkSize(field: 'width' | 'height', value: number, geometry: ModelGeometry, fixed: number | undefined): void {
  if (fixed !== undefined) {
    if (value !== fixed) throw new GenerationRequestError(field, `must be ${fixed}: this model was exported for one image size only`, String(value));
    return;
  }
  const { minSize, maxSize, sizeMultiple } = geometry;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minSize || value > maxSize || value % sizeMultiple !== 0) {
    throw new GenerationRequestError(field, `must be a multiple of ${sizeMultiple} from ${minSize} to ${maxSize} pixels for this model (native size ${geometry.nativeWidth}x${geometry.nativeHeight})`, String(value));
  }
}
