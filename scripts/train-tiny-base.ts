/**
 * Trains the built-in `teambooth-tiny` base model from scratch on the tiny world, with the
 * project's own training-graph compiler, and writes the model folder and the weights file that
 * `ensureTinyModel` uses for the default config. Same seed, settings and thread count give the
 * same weights (see gpu-agent/base-training/README.md).
 *
 *   npm run train:tiny-base -- [--minutes 90] [--seed 1] [--out DIR] [--threads 2]
 *     [--vae-steps N] [--vae-batch N] [--steps N] [--batch N] [--pool N] [--decoder-steps N]
 *     [--min-snr-gamma G] [--curriculum-steps N [--curriculum-sizes large]]
 *     [--weights-out FILE] [--init FILE --skip-vae --skip-denoiser]
 *     [--config FILE.json --weights-out FILE] [--eval-seeds N] [--guidance G]
 *   npm run train:tiny-base -- --evaluate WEIGHTS.safetensors [--out DIR] [--eval-seeds N]   (no training)
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { trainTinyBase, type TinyBaseTrainingSettings } from '../gpu-agent/base-training/train-tiny-base.ts';
import { measureModelAutoencoderFidelity } from '../gpu-agent/evaluation/autoencoder-fidelity.ts';
import { pipelineImageSource } from '../gpu-agent/evaluation/image-source.ts';
import { measurePromptFidelity } from '../gpu-agent/evaluation/prompt-fidelity.ts';
import type { Device } from '../gpu-agent/onnx/runtime.ts';
import { loadStableDiffusionModel } from '../gpu-agent/pipeline/model-directory.ts';
import { defaultTinyModelConfig, isDefaultTinyModelConfig, serializeTrainedWeights, TRAINED_WEIGHTS_PATH, validateTinyModelConfig, writeTinyModel, type TinyModelConfig, type TrainedTinyWeights } from '../gpu-agent/tiny-model/index.ts';
import { readTrainedWeightsFile } from '../gpu-agent/tiny-model/trained-weights.ts';
import { SIZE_CLASSES, type TinySizeClass } from '../gpu-agent/tiny-world/size-classes.ts';
import { defaultAdamWSettings } from '../gpu-agent/training/append-adamw.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '90' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: 'tmp/tiny-base' },
    threads: { type: 'string', default: '2' },
    device: { type: 'string', default: 'cpu' },
    'vae-steps': { type: 'string', default: '3000' },
    'vae-batch': { type: 'string', default: '8' },
    steps: { type: 'string', default: '3600' },
    batch: { type: 'string', default: '64' },
    pool: { type: 'string', default: '8192' },
    lr: { type: 'string', default: '1e-3' },
    'min-snr-gamma': { type: 'string', default: '0' },
    'curriculum-steps': { type: 'string', default: '0' },
    'curriculum-sizes': { type: 'string', default: 'large' },
    'weights-out': { type: 'string', default: TRAINED_WEIGHTS_PATH },
    init: { type: 'string' },
    'skip-vae': { type: 'boolean', default: false },
    'skip-denoiser': { type: 'boolean', default: false },
    'decoder-steps': { type: 'string', default: '1500' },
    'checkpoint-every': { type: 'string', default: '250' },
    'eval-seeds': { type: 'string', default: '2' },
    guidance: { type: 'string', default: '7.5' },
    evaluate: { type: 'string' },
    config: { type: 'string' },
  },
});
const number = (name: keyof typeof values): number => {
  const value = Number(values[name]);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a non-negative number (got ${String(values[name])})`);
  return value;
};
/** A comma-separated list of size classes ("large", "medium,large"). */
function sizeClasses(name: 'curriculum-sizes'): TinySizeClass[] {
  const words = String(values[name]).split(',').map((w) => w.trim());
  const unknown = words.filter((w) => !(SIZE_CLASSES as readonly string[]).includes(w));
  if (unknown.length > 0) throw new Error(`--${name} must list size classes from ${SIZE_CLASSES.join(', ')} (got "${String(values[name])}")`);
  return words as TinySizeClass[];
}
const logger = pino({ level: 'info' });
const started = Date.now();
const out = resolve(values.out!);
const weightsOut = resolve(values['weights-out']!);
const settings: TinyBaseTrainingSettings = {
  seed: number('seed'),
  autoencoder: { steps: number('vae-steps'), batch: number('vae-batch'), learningRate: 2e-3, warmupSteps: 50, floor: 0.05, latentNoise: 0.1, latentPenalty: 1e-3, l1Weight: 1 },
  denoiser: { steps: number('steps'), batch: number('batch'), learningRate: number('lr'), warmupSteps: 200, floor: 0.05, poolSize: number('pool'), captionDropout: 0.1, minSnrGamma: number('min-snr-gamma'), curriculumSizes: sizeClasses('curriculum-sizes'), curriculumSteps: number('curriculum-steps') },
  decoder: { steps: number('decoder-steps'), batch: number('vae-batch'), learningRate: 1e-3, warmupSteps: 50, floor: 0.05 },
  optimizer: { ...defaultAdamWSettings(), weightDecay: 1e-4 },
};
const evaluated = values.evaluate === undefined ? undefined : await readTrainedWeightsFile(values.evaluate);
const config = await modelConfig(values.config, evaluated?.weights.metadata.config);
if (values.evaluate === undefined && !isDefaultTinyModelConfig(config) && weightsOut === resolve(TRAINED_WEIGHTS_PATH)) {
  throw new Error(`--config ${values.config} trains a model other than the built-in teambooth-tiny; name where its weights go with --weights-out FILE (${TRAINED_WEIGHTS_PATH} holds the built-in model's)`);
}
const init = values.init === undefined ? undefined : await readTrainedWeightsFile(values.init);
const start = init?.weights;
/** A run that continues from `--init` says so in its metadata: which weights, and how long they had trained. */
const continued: Record<string, string> =
  init === undefined
    ? {}
    : {
        initWeightsSha256: init.sha256,
        initTrainMinutes: init.weights.metadata.initTrainMinutes === undefined ? (init.weights.metadata.trainMinutes ?? '') : String(Number(init.weights.metadata.initTrainMinutes) + Number(init.weights.metadata.trainMinutes)),
        initSettings: init.weights.metadata.settings ?? '',
      };
await mkdir(out, { recursive: true });

/**
 * The model to train: the built-in config, with the sections of `--config FILE` (a JSON object
 * such as `{"vae": {"blockOutChannels": [16, 32, 32]}}`) replacing those fields. An evaluated
 * weights file brings the config it was trained with (metadata `config`).
 */
async function modelConfig(file: string | undefined, recorded: string | undefined): Promise<TinyModelConfig> {
  const base = defaultTinyModelConfig();
  const text = file === undefined ? recorded : await readFile(file, 'utf8');
  if (text === undefined) return base;
  const source = file ?? "the weights file's config";
  let overrides: unknown;
  try {
    overrides = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source} is not JSON: ${(error as Error).message}`);
  }
  if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) throw new Error(`${source} must be a JSON object of config sections`);
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in base)) throw new Error(`${source}: unknown field "${key}" (fields: ${Object.keys(base).join(', ')})`);
    const current = merged[key];
    merged[key] = typeof current === 'object' && current !== null && typeof value === 'object' && value !== null && !Array.isArray(value) ? { ...current, ...value } : value;
  }
  validateTinyModelConfig(merged as unknown as TinyModelConfig);
  return merged as unknown as TinyModelConfig;
}

/** Writes bytes next to the target and renames, so a reader never sees half a file. */
async function writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(`${path}.partial`, bytes);
  await rename(`${path}.partial`, path);
}

async function train(): Promise<TrainedTinyWeights> {
  const result = await trainTinyBase(settings, {
    config,
    device: values.device as Device,
    logger,
    intraOpThreads: number('threads'),
    now: () => Date.now(),
    deadline: started + number('minutes') * 60_000,
    ...(start === undefined ? {} : { start }),
    skipAutoencoder: values['skip-vae'] === true,
    skipDenoiser: values['skip-denoiser'] === true,
    checkpointEvery: number('checkpoint-every'),
    onCheckpoint: async (weights: TrainedTinyWeights) => {
      await writeAtomically(join(out, 'checkpoint.safetensors'), serializeTrainedWeights(weights));
      logger.info({ checkpoint: join(out, 'checkpoint.safetensors'), stage: weights.metadata.stage }, 'checkpoint written');
    },
  });
  const minutes = (Date.now() - started) / 60_000;
  const weights: TrainedTinyWeights = {
    ...result.weights,
    metadata: { ...result.weights.metadata, ...continued, ...(isDefaultTinyModelConfig(config) ? {} : { config: JSON.stringify(config) }), trainMinutes: minutes.toFixed(1), threads: String(number('threads')) },
  };
  const bytes = serializeTrainedWeights(weights);
  await writeAtomically(weightsOut, bytes);
  logger.info({ weights: weightsOut, bytes: bytes.byteLength, minutes: Number(minutes.toFixed(1)), vaeLosses: result.autoencoder?.windowLosses.map((l) => Number(l.toPrecision(4))), denoiserLosses: result.denoiser?.windowLosses.map((l) => Number(l.toPrecision(4))), decoderLosses: result.decoder?.windowLosses.map((l) => Number(l.toPrecision(4))) }, 'trained teambooth-tiny');
  return weights;
}

const weights = evaluated === undefined ? await train() : evaluated.weights;
const modelDir = join(out, 'model');
await rm(modelDir, { recursive: true, force: true });
await writeTinyModel(modelDir, config, { weights });
logger.info({ model: modelDir }, 'wrote the model folder');

const evalSeeds = number('eval-seeds');
if (evalSeeds > 0) {
  const model = await loadStableDiffusionModel(modelDir, { device: values.device as Device, logger: pino({ level: 'warn' }), intraOpThreads: number('threads') });
  try {
    const fidelity = await measurePromptFidelity(pipelineImageSource(model, { steps: 20, guidanceScale: number('guidance') }), { seeds: evalSeeds });
    const { all, background, colour, shape, shapeBySize } = fidelity;
    const autoencoderFidelity = await measureModelAutoencoderFidelity(model, { device: values.device as Device, logger: pino({ level: 'warn' }), intraOpThreads: number('threads') });
    console.log(JSON.stringify({ promptFidelity: { all, background, colour, shape, shapeBySize }, autoencoderFidelity, misses: fidelity.cases.filter((c) => !c.match).slice(0, 12) }, null, 2));
  } finally {
    await model.release();
  }
}
