import { extname, resolve } from 'node:path';
import { MAX_SEED } from '../../gpu-agent/pipeline/gaussian-noise.ts';
import { GenerationRequestError, LIMITS } from '../../gpu-agent/pipeline/generation-request.ts';
import type { GenerationRequest } from '../../gpu-agent/pipeline/generation-request.ts';
import type { SchedulerKind } from '../../gpu-agent/schedulers/scheduler.ts';
import { UsageError } from '../usage-error.ts';

/** The flags of `teambooth imagine`, as commander parses them (strings until checked). */
export interface ImagineFlags {
  model: string;
  lora?: string;
  seed?: string;
  steps: string;
  guidance: string;
  negative?: string;
  scheduler?: SchedulerKind;
  size?: string;
  count: string;
  device: 'auto' | 'cuda' | 'cpu';
  output?: string;
  json?: boolean;
}

/** A request parsed from the command line; sizes stay unset when `--size` is not given (the model's native size). */
export interface ParsedImagine {
  request: Omit<GenerationRequest, 'seed'> & { count: number };
  /** Unset when `--seed` was not given (the command then draws one). */
  seed: number | undefined;
}

/** The flag that sets each request field, for messages. */
const FLAG_OF: Readonly<Record<keyof GenerationRequest, string>> = {
  prompt: 'the prompt',
  negativePrompt: '--negative',
  seed: '--seed',
  steps: '--steps',
  guidanceScale: '--guidance',
  width: '--size width',
  height: '--size height',
  count: '--count',
  scheduler: '--scheduler',
};

/**
 * Checks the flags that do not depend on the model (numbers, ranges, `--size WxH` syntax) and
 * builds the request. Throws a {@link UsageError} naming the flag and what is allowed.
 */
export function parseImagineFlags(prompt: string, flags: ImagineFlags): ParsedImagine {
  if (prompt.trim() === '') throw new UsageError('the prompt must not be empty: describe the image, e.g. teambooth imagine "a red star on a blue background"');
  const steps = integerFlag('--steps', flags.steps, 1, LIMITS.maxSteps);
  const count = integerFlag('--count', flags.count, 1, LIMITS.maxCount);
  const seed = flags.seed === undefined ? undefined : integerFlag('--seed', flags.seed, 0, MAX_SEED);
  const guidanceScale = Number(flags.guidance);
  if (flags.guidance.trim() === '' || !Number.isFinite(guidanceScale) || guidanceScale < 1 || guidanceScale > LIMITS.maxGuidance) {
    throw new UsageError(`--guidance must be a number from 1 (no guidance) to ${LIMITS.maxGuidance} (got ${JSON.stringify(flags.guidance)})`);
  }
  const size = flags.size === undefined ? undefined : parseSize(flags.size);
  return {
    request: {
      prompt,
      ...(flags.negative === undefined ? {} : { negativePrompt: flags.negative }),
      steps,
      guidanceScale,
      count,
      ...(size === undefined ? {} : size),
      ...(flags.scheduler === undefined ? {} : { scheduler: flags.scheduler }),
    },
    seed,
  };
}

/** A pipeline validation error as a usage error that names the flag. */
export function toUsageError(error: GenerationRequestError): UsageError {
  return new UsageError(`${FLAG_OF[error.field]} ${error.rule} (got ${error.got})`);
}

/**
 * The file of each image: `output` itself for one image; for several, `-1`, `-2`, ... before the
 * extension (`out.png` -> `out-1.png`, `out-2.png`). The default is `imagine-SEED.png` in the
 * working directory. `.png` is appended when the name has no extension.
 */
export function outputPaths(cwd: string, output: string | undefined, seed: number, count: number): string[] {
  const base = resolve(cwd, output ?? `imagine-${seed}.png`);
  const withExtension = extname(base) === '' ? `${base}.png` : base;
  if (count === 1) return [withExtension];
  const extension = extname(withExtension);
  const stem = withExtension.slice(0, withExtension.length - extension.length);
  return Array.from({ length: count }, (_, i) => `${stem}-${i + 1}${extension}`);
}

function integerFlag(flag: string, text: string, min: number, max: number): number {
  const value = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new UsageError(`${flag} must be an integer from ${min} to ${max} (got ${JSON.stringify(text)})`);
  return value;
}

function parseSize(text: string): { width: number; height: number } {
  const match = /^\s*(\d+)\s*(?:[xX]\s*(\d+)\s*)?$/.exec(text);
  if (match === null) throw new UsageError(`--size must be WIDTHxHEIGHT in pixels, e.g. 64x64 or 512x768, or one number for a square (got ${JSON.stringify(text)})`);
  const width = Number(match[1]);
  return { width, height: match[2] === undefined ? width : Number(match[2]) };
}
