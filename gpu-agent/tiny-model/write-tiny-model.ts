import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { buildTinyVocabulary } from '../tokenizer/tiny-vocabulary.ts';
import { serializeClipTokenizerFiles } from '../tokenizer/tokenizer-files.ts';
import { writeModel, type WriteModelOptions } from '../onnx/write-model.ts';
import { diffusersConfigs } from './diffusers-configs.ts';
import { buildTextEncoderGraph, type ComponentGraph } from './text-encoder-graph.ts';
import { defaultTinyModelConfig, TINY_MODEL_BUILDER_VERSION, validateTinyModelConfig, type TinyModelConfig } from './tiny-model-config.ts';
import { buildUnetGraph } from './unet-graph.ts';
import { buildVaeDecoderGraph, buildVaeEncoderGraph } from './vae-graphs.ts';

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
}

/** Name of the summary file in a tiny model folder. */
export const TINY_MODEL_SUMMARY_FILE = 'teambooth-tiny.json';

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * Writes `teambooth-tiny` into `dir` in the diffusers/Optimum ONNX layout: `model_index.json`,
 * `text_encoder/`, `unet/` (weights in the external file `model.onnx_data`, like SD's unet),
 * `vae_encoder/`, `vae_decoder/`, `tokenizer/` and `scheduler/`, each with its config. Weights
 * are seeded random (`config.seed`); the same config always gives byte-identical files.
 */
export async function writeTinyModel(dir: string, config: TinyModelConfig = defaultTinyModelConfig(), options: { signal?: AbortSignal } = {}): Promise<TinyModelSummary> {
  validateTinyModelConfig(config);
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
    textEncoder: await writeComponent('text_encoder', buildTextEncoderGraph(config, { size: vocabularySize, endOfTextId: eosId })),
    unet: await writeComponent('unet', buildUnetGraph(config), { externalData: { location: 'model.onnx_data' } }),
    vaeEncoder: await writeComponent('vae_encoder', buildVaeEncoderGraph(config)),
    vaeDecoder: await writeComponent('vae_decoder', buildVaeDecoderGraph(config)),
  };
  for (const [file, contents] of Object.entries(serializeClipTokenizerFiles(vocab, merges, config.text.maxTokens))) await write(join('tokenizer', file), contents);
  for (const [file, value] of Object.entries(diffusersConfigs(config, { size: vocabularySize, bosId, eosId }))) await write(file, json(value));
  const summary: TinyModelSummary = {
    name: 'teambooth-tiny',
    builderVersion: TINY_MODEL_BUILDER_VERSION,
    config,
    vocabularySize,
    parameters: { ...parameters, total: parameters.textEncoder + parameters.unet + parameters.vaeEncoder + parameters.vaeDecoder },
  };
  await write(TINY_MODEL_SUMMARY_FILE, json(summary));
  return summary;
}
