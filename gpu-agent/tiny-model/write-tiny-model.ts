import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { buildTinyVocabulary } from '../tokenizer/tiny-vocabulary.ts';
import { serializeClipTokenizerFiles } from '../tokenizer/tokenizer-files.ts';
import { writeModel, type WriteModelOptions } from '../onnx/write-model.ts';
import { diffusersConfigs } from './diffusers-configs.ts';
import { buildTextEncoderGraph, type ComponentGraph } from './text-encoder-graph.ts';
import { defaultTinyModelConfig, TINY_MODEL_BUILDER_VERSION, validateTinyModelConfig, type TinyModelConfig } from './tiny-model-config.ts';
import { buildUnetGraph } from './unet-graph.ts';
import { componentWeights, readCommittedWeights, WEIGHT_PREFIXES, type TrainedTinyWeights } from './trained-weights.ts';
import { buildVaeDecoderGraph, buildVaeEncoderGraph } from './vae-graphs.ts';
import { MODEL_SETTINGS_FILE, type TrainDefaults } from '../training/train-defaults.ts';

/** Parameter counts of each component. */
export interface TinyModelParameters {
  textEncoder: number;
  unet: number;
  vaeEncoder: number;
  vaeDecoder: number;
  total: number;
}

/** What {@link writeTinyModel} wrote; also saved as `teambooth-tiny.json` in the model folder. */
export interface TinyModelSummary {
  name: 'teambooth-tiny';
  builderVersion: number;
  config: TinyModelConfig;
  vocabularySize: number;
  parameters: TinyModelParameters;
  /** `random` (seeded init) or `trained` (with the SHA-256 of the committed weights file when it came from there). */
  weights: { kind: 'random' } | { kind: 'trained'; sha256?: string; metadata: Readonly<Record<string, string>> };
}

/**
 * Which weights {@link writeTinyModel} writes: `committed` (the default) takes the committed
 * trained weights when the config is the default one and the file is there, else the random init;
 * `random` always the seeded init; or explicit trained weights.
 */
export type TinyModelWeightsChoice = 'committed' | 'random' | TrainedTinyWeights;

/** Whether `config` is exactly {@link defaultTinyModelConfig}, the config the committed weights were trained for. */
export function isDefaultTinyModelConfig(config: TinyModelConfig): boolean {
  return JSON.stringify(config) === JSON.stringify(defaultTinyModelConfig());
}

/** Resolves a {@link TinyModelWeightsChoice} to trained weights (with the file's SHA-256), or undefined for the random init. */
export async function resolveTinyModelWeights(config: TinyModelConfig, choice: TinyModelWeightsChoice = 'committed', signal?: AbortSignal): Promise<{ weights: TrainedTinyWeights; sha256?: string } | undefined> {
  if (choice === 'random') return undefined;
  if (choice !== 'committed') return { weights: choice };
  return isDefaultTinyModelConfig(config) ? readCommittedWeights(undefined, signal) : undefined;
}

/** Name of the summary file in a tiny model folder. */
export const TINY_MODEL_SUMMARY_FILE = 'teambooth-tiny.json';

/**
 * The fine-tune settings `teambooth-tiny` recommends (written to `teambooth.json`). SD 1.5's usual
 * settings (400 steps at 1e-4) leave the 1.5 M-parameter model almost unchanged. Over the 7 fixture
 * subjects (pooled subject fidelity gain over the base model, 4 seeds each): one photo per step,
 * 1000 steps at 5e-3, +0.093 in about 10 s per subject; 8 photos per step at 2.5e-3, +0.162 with
 * no subject below its base in about 20 s; at 5e-3 +0.163 but one subject below its base and
 * context fidelity 88 % instead of 93 %; 4 photos +0.137; 3000 steps of one photo +0.113; 1e-2
 * at one photo loses context (72 %). docs/quality.md has the current figures.
 */
export const TINY_TRAIN_DEFAULTS: TrainDefaults = { steps: 1000, learningRate: 2.5e-3, rank: 4, batchSize: 8 };

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * Writes `teambooth-tiny` into `dir` in the diffusers/Optimum ONNX layout: `model_index.json`,
 * `text_encoder/`, `unet/` (weights in the external file `model.onnx_data`, like SD's unet),
 * `vae_encoder/`, `vae_decoder/`, `tokenizer/` and `scheduler/`, each with its config. Weights
 * are the committed trained ones for the default config (see {@link TinyModelWeightsChoice}), else
 * seeded random (`config.seed`); the same config and weights always give byte-identical files.
 */
export async function writeTinyModel(dir: string, config: TinyModelConfig = defaultTinyModelConfig(), options: { signal?: AbortSignal; weights?: TinyModelWeightsChoice } = {}): Promise<TinyModelSummary> {
  validateTinyModelConfig(config);
  const trained = await resolveTinyModelWeights(config, options.weights, options.signal);
  const source = (prefix: string) => (trained === undefined ? undefined : componentWeights(trained.weights, prefix));
  const { vocab, merges } = buildTinyVocabulary();
  const bosId = vocab['<|startoftext|>'];
  const eosId = vocab['<|endoftext|>'];
  if (bosId === undefined || eosId === undefined) throw new Error('the tiny vocabulary lacks <|startoftext|> or <|endoftext|>');
  const vocabularySize = Object.keys(vocab).length;
  const signal = options.signal;
  const write = async (path: string, contents: string): Promise<void> => {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), contents, { signal });
  };
  const writeComponent = async (component: string, graph: ComponentGraph, modelOptions: WriteModelOptions = {}): Promise<number> => {
    signal?.throwIfAborted();
    await mkdir(join(dir, component), { recursive: true });
    await writeModel(join(dir, component, 'model.onnx'), graph.model, { ...modelOptions, ...(signal === undefined ? {} : { signal }) });
    return graph.parameters;
  };

  const parameters = {
    textEncoder: await writeComponent('text_encoder', buildTextEncoderGraph(config, { size: vocabularySize, endOfTextId: eosId }, source(WEIGHT_PREFIXES.textEncoder))),
    unet: await writeComponent('unet', buildUnetGraph(config, source(WEIGHT_PREFIXES.unet)), { externalData: { location: 'model.onnx_data' } }),
    vaeEncoder: await writeComponent('vae_encoder', buildVaeEncoderGraph(config, source(WEIGHT_PREFIXES.vae))),
    vaeDecoder: await writeComponent('vae_decoder', buildVaeDecoderGraph(config, source(WEIGHT_PREFIXES.vae))),
  };
  for (const [file, contents] of Object.entries(serializeClipTokenizerFiles(vocab, merges, config.text.maxTokens))) await write(join('tokenizer', file), contents);
  for (const [file, value] of Object.entries(diffusersConfigs(config, { size: vocabularySize, bosId, eosId }, trained?.weights.scalingFactor))) await write(file, json(value));
  const summary: TinyModelSummary = {
    name: 'teambooth-tiny',
    builderVersion: TINY_MODEL_BUILDER_VERSION,
    config,
    vocabularySize,
    parameters: { ...parameters, total: parameters.textEncoder + parameters.unet + parameters.vaeEncoder + parameters.vaeDecoder },
    weights:
      trained === undefined
        ? { kind: 'random' }
        : { kind: 'trained', ...(trained.sha256 === undefined ? {} : { sha256: trained.sha256 }), metadata: trained.weights.metadata },
  };
  await write(MODEL_SETTINGS_FILE, json({ trainDefaults: TINY_TRAIN_DEFAULTS }));
  await write(TINY_MODEL_SUMMARY_FILE, json(summary));
  return summary;
}
