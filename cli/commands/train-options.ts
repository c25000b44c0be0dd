import { resolve } from 'node:path';
import { MAX_SEED } from '../../gpu-agent/pipeline/gaussian-noise.ts';
import { DREAMBOOTH_LIMITS, TRAIN_DEFAULTS } from '../../gpu-agent/training/dreambooth-request.ts';
import { UsageError } from '../usage-error.ts';

/** The flags of `teambooth train`, as commander parses them (strings until checked). */
export interface TrainFlags {
  token?: string;
  class?: string;
  model: string;
  steps: string;
  lr: string;
  rank: string;
  alpha?: string;
  batchSize?: string;
  seed?: string;
  priorWeight?: string;
  classImages: string;
  flip?: boolean;
  device: 'auto' | 'cuda' | 'cpu';
  output?: string;
  json?: boolean;
}

/** The numbers of a training run, checked. */
export interface ParsedTrain {
  token: string;
  classWord: string;
  steps: number;
  learningRate: number;
  rank: number;
  alpha: number;
  /** Subject photos per step: `--batch-size`, else the model's default (its teambooth.json), else {@link TRAIN_DEFAULTS}'. */
  batchSize: number;
  /** Unset when `--seed` was not given (the command then draws one). */
  seed: number | undefined;
  prior?: { weight: number; classImageCount: number };
  flip: boolean;
  /** Absolute path of the LoRA file to write. */
  output: string;
}

export { TRAIN_DEFAULTS } from '../../gpu-agent/training/dreambooth-request.ts';

/**
 * Checks the flags of `teambooth train` that do not depend on the model or the photos and
 * builds the settings. Throws a {@link UsageError} naming the flag and what is allowed.
 */
export function parseTrainFlags(photos: readonly string[], flags: TrainFlags, cwd: string): ParsedTrain {
  if (photos.length === 0) throw new UsageError('give the photos of the subject: teambooth train a.jpg b.jpg c.jpg --token zxq --class dog');
  if (flags.token === undefined) throw new UsageError('--token is required: the rare word that will name the subject, e.g. --token zxq');
  if (flags.class === undefined) throw new UsageError('--class is required: what the subject is, e.g. --class dog');
  const rank = integerFlag('--rank', flags.rank, 1, DREAMBOOTH_LIMITS.maxRank);
  const prior =
    flags.priorWeight === undefined
      ? undefined
      : { weight: numberFlag('--prior-weight', flags.priorWeight, 0, 100), classImageCount: integerFlag('--class-images', flags.classImages, 1, DREAMBOOTH_LIMITS.maxClassImages) };
  return {
    token: flags.token,
    classWord: flags.class,
    steps: integerFlag('--steps', flags.steps, 1, DREAMBOOTH_LIMITS.maxSteps),
    learningRate: numberFlag('--lr', flags.lr, 0, 1),
    rank,
    alpha: flags.alpha === undefined ? rank : numberFlag('--alpha', flags.alpha, 0, 1e4),
    batchSize: flags.batchSize === undefined ? TRAIN_DEFAULTS.batchSize : integerFlag('--batch-size', flags.batchSize, 1, DREAMBOOTH_LIMITS.maxBatchSize),
    seed: flags.seed === undefined ? undefined : integerFlag('--seed', flags.seed, 0, MAX_SEED),
    ...(prior === undefined ? {} : { prior }),
    flip: flags.flip === true,
    output: resolve(cwd, flags.output ?? `${flags.token}-lora.safetensors`),
  };
}

function integerFlag(flag: string, text: string, min: number, max: number): number {
  const value = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new UsageError(`${flag} must be an integer from ${min} to ${max} (got ${JSON.stringify(text)})`);
  return value;
}

/** A number in (min, max]. */
function numberFlag(flag: string, text: string, min: number, max: number): number {
  const value = text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(value) || value <= min || value > max) throw new UsageError(`${flag} must be a number above ${min} and at most ${max} (got ${JSON.stringify(text)})`);
  return value;
}
