import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { InstanceImageFile } from '../../gpu-agent/training/instance-images.ts';
import type { TrainDefaults } from '../../gpu-agent/training/train-defaults.ts';
import { UsageError } from '../usage-error.ts';
import { TRAIN_DEFAULTS, type ParsedTrain, type TrainFlags } from './train-options.ts';

/** The number flags of `teambooth train` that have defaults but no commander defaults (unset when not given). */
export interface TrainNumberFlags {
  steps?: string;
  lr?: string;
  rank?: string;
}

/** The flags with the defaults filled in where they were not given, as `parseTrainFlags` takes them. */
export function withTrainDefaults<Flags extends Omit<TrainFlags, keyof TrainNumberFlags> & TrainNumberFlags>(flags: Flags): Flags & TrainFlags {
  return {
    ...flags,
    steps: flags.steps ?? String(TRAIN_DEFAULTS.steps),
    lr: flags.lr ?? String(TRAIN_DEFAULTS.learningRate),
    rank: flags.rank ?? String(TRAIN_DEFAULTS.rank),
  };
}

/**
 * The settings with the model's own defaults (its `teambooth.json`) for the number flags and
 * `--batch-size` that were not given; `parsed` was checked with the general defaults before the
 * model was known. An alpha left out follows the rank.
 */
export function withModelDefaults(parsed: ParsedTrain, flags: TrainNumberFlags & { alpha?: string; batchSize?: string }, defaults: TrainDefaults): ParsedTrain {
  const rank = flags.rank === undefined ? defaults.rank : parsed.rank;
  return {
    ...parsed,
    steps: flags.steps === undefined ? defaults.steps : parsed.steps,
    learningRate: flags.lr === undefined ? defaults.learningRate : parsed.learningRate,
    rank,
    alpha: flags.alpha === undefined ? rank : parsed.alpha,
    batchSize: flags.batchSize === undefined ? defaults.batchSize : parsed.batchSize,
  };
}

/** Reads the photos named on the command line (relative to `cwd`); a missing or unreadable one is a usage error naming it. */
export async function readPhotos(paths: readonly string[], cwd: string, signal: AbortSignal): Promise<InstanceImageFile[]> {
  const photos: InstanceImageFile[] = [];
  for (const path of paths) {
    try {
      photos.push({ name: basename(path), data: new Uint8Array(await readFile(resolve(cwd, path), { signal })) });
    } catch (error) {
      throw new UsageError(`cannot read photo ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  return photos;
}
