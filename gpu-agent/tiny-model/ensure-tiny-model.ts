import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { buildTinyVocabulary } from '../tokenizer/tiny-vocabulary.ts';
import { defaultTinyModelConfig, TINY_MODEL_BUILDER_VERSION, type TinyModelConfig } from './tiny-model-config.ts';
import { resolveTinyModelWeights, TINY_MODEL_SUMMARY_FILE, TINY_TRAIN_DEFAULTS, writeTinyModel, type TinyModelWeightsChoice } from './write-tiny-model.ts';

/**
 * The folder name of a tiny model build: `teambooth-tiny-<12 hex>`, a hash of the config, the
 * builder version, the vocabulary, the fine-tune defaults and the weights (the SHA-256 of the
 * trained weights file, or `random`), so any change to what would be written gives a new folder.
 */
export function tinyModelId(config: TinyModelConfig = defaultTinyModelConfig(), weights = 'random'): string {
  const { vocab, merges } = buildTinyVocabulary();
  const base = { config, builder: TINY_MODEL_BUILDER_VERSION, vocab, merges, trainDefaults: TINY_TRAIN_DEFAULTS };
  const identity = weights === 'random' ? base : { ...base, weights };
  const hash = createHash('sha256').update(JSON.stringify(identity)).digest('hex');
  return `teambooth-tiny-${hash.slice(0, 12)}`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Options of {@link ensureTinyModel}. */
export interface EnsureTinyModelOptions {
  config?: TinyModelConfig;
  /** `committed` (default): the trained weights for the default config; `random`: the seeded init. */
  weights?: Exclude<TinyModelWeightsChoice, object>;
  logger?: Logger;
  signal?: AbortSignal;
}

/**
 * Returns the folder of the tiny model under `cacheRoot`, building it first if absent. The build
 * goes to a temporary folder that is renamed into place, so a crashed or concurrent build never
 * leaves a half-written model behind; when two processes race, the first rename wins and both use it.
 */
export async function ensureTinyModel(cacheRoot: string, options: EnsureTinyModelOptions = {}): Promise<string> {
  const config = options.config ?? defaultTinyModelConfig();
  const trained = await resolveTinyModelWeights(config, options.weights ?? 'committed', options.signal);
  const id = tinyModelId(config, trained === undefined ? 'random' : (trained.sha256 ?? 'trained'));
  const target = join(cacheRoot, id);
  if (await exists(join(target, TINY_MODEL_SUMMARY_FILE))) return target;
  await mkdir(cacheRoot, { recursive: true });
  const temporary = await mkdtemp(join(cacheRoot, `.${id}.partial-`));
  try {
    const started = performance.now();
    const summary = await writeTinyModel(temporary, config, { weights: trained === undefined ? 'random' : 'committed', ...(options.signal === undefined ? {} : { signal: options.signal }) });
    try {
      await rename(temporary, target);
    } catch (error) {
      if (!(await exists(join(target, TINY_MODEL_SUMMARY_FILE)))) throw error;
    }
    options.logger?.info({ model: target, parameters: summary.parameters.total, ms: Math.round(performance.now() - started) }, 'built the tiny model');
    return target;
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
}
