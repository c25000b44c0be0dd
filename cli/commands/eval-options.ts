import { readdir, readFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { DEFAULTS, LIMITS } from '../../gpu-agent/pipeline/generation-request.ts';
import type { RgbImage } from '../../gpu-agent/image/rgb-image.ts';
import type { TinyColour } from '../../gpu-agent/tokenizer/tiny-world-words.ts';
import { UsageError } from '../usage-error.ts';

/** The flags of `teambooth eval`, as commander parses them (strings until checked). */
export interface EvalFlags {
  model: string;
  lora?: string;
  subject?: string;
  token?: string;
  class?: string;
  seeds: string;
  steps: string;
  guidance: string;
  device: 'auto' | 'cuda' | 'cpu';
  json?: boolean;
}

/** The settings of an evaluation, checked. */
export interface ParsedEval {
  seeds: number;
  steps: number;
  guidanceScale: number;
  /** Present when `--subject` and `--token` are given. */
  subject?: { directory: string; token: string; classNoun: string | undefined };
}

/** Defaults of `teambooth eval`: two seeds per prompt (96 base images), the pipeline's sampling defaults. */
export const EVAL_DEFAULTS = { seeds: 2, steps: DEFAULTS.steps, guidanceScale: DEFAULTS.guidanceScale } as const;

/** The most seeds per prompt `teambooth eval` takes. */
export const MAX_EVAL_SEEDS = 100;

/**
 * Checks the flags of `teambooth eval` that need no files: numbers and ranges, and that
 * `--subject` and `--token` come together. Throws a {@link UsageError} naming the flag.
 */
export function parseEvalFlags(flags: EvalFlags, cwd: string): ParsedEval {
  const seeds = integerFlag('--seeds', flags.seeds, 1, MAX_EVAL_SEEDS);
  const steps = integerFlag('--steps', flags.steps, 1, LIMITS.maxSteps);
  const guidanceScale = Number(flags.guidance);
  if (flags.guidance.trim() === '' || !Number.isFinite(guidanceScale) || guidanceScale < 1 || guidanceScale > LIMITS.maxGuidance) {
    throw new UsageError(`--guidance must be a number from 1 (no guidance) to ${LIMITS.maxGuidance} (got ${JSON.stringify(flags.guidance)})`);
  }
  if (flags.subject === undefined && flags.token !== undefined) {
    throw new UsageError('--token needs --subject: the folder of the photos to compare with, e.g. --subject test/fixtures/subjects/smiley --token zxq');
  }
  if (flags.subject === undefined && flags.class !== undefined) throw new UsageError('--class needs --subject and --token');
  if (flags.subject !== undefined && flags.token === undefined) {
    throw new UsageError('--subject needs --token: the word the LoRA was trained on, e.g. --token zxq');
  }
  const base = { seeds, steps, guidanceScale };
  if (flags.subject === undefined || flags.token === undefined) return base;
  if (!/^[\p{L}\p{N}]{2,32}$/u.test(flags.token)) throw new UsageError(`--token must be one word of 2 to 32 letters or digits, e.g. zxq (got ${JSON.stringify(flags.token)})`);
  if (flags.class !== undefined && !/^[\p{L}][\p{L}\p{N} -]{0,39}$/u.test(flags.class)) {
    throw new UsageError(`--class must be 1 to 40 letters, digits, spaces or dashes starting with a letter, e.g. glyph (got ${JSON.stringify(flags.class)})`);
  }
  return { ...base, subject: { directory: resolve(cwd, flags.subject), token: flags.token, classNoun: flags.class } };
}

/** The reference photos of a subject and what its folder says about it. */
export interface SubjectPhotos {
  photos: RgbImage[];
  /** From `subject.json`, when the folder has one. */
  classNoun?: string;
  colours?: TinyColour[];
}

const PHOTO_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp']);

/**
 * Reads `--subject DIR`: a fixture subject folder (`subject.json` and its photos), or else every
 * PNG, JPEG or WebP file in the folder, in name order.
 * @throws UsageError naming the folder when it cannot be read, is invalid or holds no photo.
 */
export async function readSubjectPhotos(directory: string, signal: AbortSignal): Promise<SubjectPhotos> {
  // sharp loads only when a command needs it, so `--help` stays fast.
  const { decodePng, readSubjectFixture } = await import('../../gpu-agent/tiny-world/subject-fixtures.ts');
  const hasManifest = await readFile(join(directory, 'subject.json'), { signal }).then(
    () => true,
    () => false,
  );
  try {
    if (hasManifest) {
      const fixture = await readSubjectFixture(directory, signal);
      return { photos: fixture.photos, classNoun: fixture.manifest.classNoun, colours: fixture.manifest.colours };
    }
    const names = (await readdir(directory, { withFileTypes: true }))
      .filter((entry) => entry.isFile() && PHOTO_EXTENSIONS.has(extname(entry.name).toLowerCase()))
      .map((entry) => entry.name)
      .sort();
    if (names.length === 0) throw new Error('it holds no subject.json and no PNG, JPEG or WebP photo');
    const photos: RgbImage[] = [];
    for (const name of names) photos.push(await decodePng(await readFile(join(directory, name), { signal })));
    return { photos };
  } catch (error) {
    if (signal.aborted) throw error;
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new UsageError(`--subject: cannot use ${directory} as a subject folder (${reason})`);
  }
}

function integerFlag(flag: string, text: string, min: number, max: number): number {
  const value = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new UsageError(`${flag} must be an integer from ${min} to ${max} (got ${JSON.stringify(text)})`);
  return value;
}
