import type { Logger } from 'pino';
import type { Device } from '../onnx/runtime.ts';
import { normalValues, Prng } from '../random/prng.ts';
import { NoiseSchedule } from '../schedulers/noise-schedule.ts';
import { parseSchedulerConfig, resolveSchedulerSettings } from '../schedulers/scheduler-config.ts';
import { diffusersConfigs } from '../tiny-model/diffusers-configs.ts';
import { datasetSample } from '../tiny-world/dataset.ts';
import type { TinySizeClass } from '../tiny-world/size-classes.ts';
import { ClipTokenizer } from '../tokenizer/clip-tokenizer.ts';
import { buildTinyVocabulary } from '../tokenizer/tiny-vocabulary.ts';
import { componentWeights, WEIGHT_PREFIXES, type TrainedTinyWeights } from '../tiny-model/trained-weights.ts';
import { latentSize, type TinyModelConfig } from '../tiny-model/tiny-model-config.ts';
import { buildVaeEncoderGraph } from '../tiny-model/vae-graphs.ts';
import type { AdamWSettings } from '../training/append-adamw.ts';
import { AUTOENCODER_IO, buildAutoencoderLossGraph, type AutoencoderLossSettings } from './autoencoder-loss-graph.ts';
import { compileTrainingStep, type CompiledTrainingStep } from './compile-training-step.ts';
import { buildDenoiserLossGraph, DENOISER_IO } from './denoiser-loss-graph.ts';
import { encodeLatentPool } from './encode-latent-pool.ts';
import { runStage, type StageLoopResult } from './run-stage.ts';
import { imagesToTensor, minSnrTimestepDistribution, sampleDenoiserBatch, subsetPool } from './tiny-world-batches.ts';
import { createWeightTrainer } from './weight-trainer.ts';
import { fromFileTensors, toFileTensors } from './weight-keys.ts';

/** One stage's sizes and learning rate. */
export interface StageSettings {
  steps: number;
  batch: number;
  learningRate: number;
  warmupSteps: number;
  /** Final learning rate as a fraction of the peak (cosine decay). */
  floor: number;
}

/** Everything a base-model training run depends on; the same settings and thread count give the same weights. */
export interface TinyBaseTrainingSettings {
  /** Seed of the data order, noise, timesteps and caption dropout (the init comes from `config.seed`). */
  seed: number;
  autoencoder: StageSettings & AutoencoderLossSettings;
  denoiser: StageSettings & {
    /** Data-set images encoded once into the latent pool. */
    poolSize: number;
    captionDropout: number;
    /** Min-SNR gamma of the timestep distribution ({@link minSnrTimestepDistribution}); 0 samples timesteps uniformly. */
    minSnrGamma: number;
    /**
     * A curriculum: the first `curriculumSteps` steps draw only pool images of these size classes
     * (large shapes show a shape word's outline over the most latent pixels), the rest every image.
     */
    curriculumSizes: TinySizeClass[];
    curriculumSteps: number;
  };
  /**
   * Stage 3: the VAE decoder alone, on the frozen encoder's latents (so the latent space the
   * denoiser learned stays valid), with the autoencoder loss; `steps: 0` skips it.
   */
  decoder: StageSettings;
  optimizer: AdamWSettings;
}

/** Options of {@link trainTinyBase} besides the settings. */
export interface TrainTinyBaseOptions {
  config: TinyModelConfig;
  device: Device;
  logger: Logger;
  intraOpThreads?: number;
  now: () => number;
  /** Stop each stage early when `now()` passes it (the denoiser gets what the VAE left). */
  deadline?: number;
  /** Start from these weights (any subset); with `skipAutoencoder`, the VAE is taken as is. */
  start?: TrainedTinyWeights;
  skipAutoencoder?: boolean;
  /** Skip the denoiser stage (take the text encoder and UNet from `start`, if any). */
  skipDenoiser?: boolean;
  /** Steps between checkpoints; `onCheckpoint` receives the weights so far. */
  checkpointEvery?: number;
  onCheckpoint?: (weights: TrainedTinyWeights) => Promise<void>;
  signal?: AbortSignal;
}

/** What a training run produced. */
export interface TinyBaseTrainingResult {
  weights: TrainedTinyWeights;
  autoencoder: StageLoopResult | undefined;
  denoiser: StageLoopResult | undefined;
  decoder: StageLoopResult | undefined;
}

function dimsOf(compiled: CompiledTrainingStep): Map<string, readonly number[]> {
  return new Map(compiled.parameters.map((p) => [p.name, p.dims]));
}

/**
 * Trains all of `teambooth-tiny` from its init with the project's own training graphs, in two
 * stages: the VAE as a noisy autoencoder on fresh tiny-world images, then (VAE frozen, latents of
 * a fixed pool cached, scaling factor chosen for unit variance) the text encoder and UNet jointly
 * on the epsilon-prediction loss with caption dropout for classifier-free guidance.
 */
export async function trainTinyBase(settings: TinyBaseTrainingSettings, options: TrainTinyBaseOptions): Promise<TinyBaseTrainingResult> {
  const { config, logger, now } = options;
  const session = { device: options.device, logger: logger.child({ component: 'onnx' }, { level: 'warn' }), ...(options.intraOpThreads === undefined ? {} : { intraOpThreads: options.intraOpThreads }) };
  const loop = { logger, now, logEvery: 25, checkpointEvery: options.checkpointEvery ?? 0, ...(options.deadline === undefined ? {} : { deadline: options.deadline }), ...(options.signal === undefined ? {} : { signal: options.signal }) };
  const metadata: Record<string, string> = { seed: String(settings.seed), settings: JSON.stringify(settings) };
  let tensors: TrainedTinyWeights['tensors'] = options.start?.tensors ?? new Map();

  const autoencoderStage = async (stage: 'vae' | 'decoder', stageSettings: StageSettings, dataSeed: number, frozenEncoder: boolean): Promise<StageLoopResult> => {
    const ae = { ...settings.autoencoder, ...stageSettings };
    const loss = buildAutoencoderLossGraph(config, ae, frozenEncoder ? componentWeights({ tensors, scalingFactor: 1, metadata: {} }, WEIGHT_PREFIXES.vae) : undefined);
    const compiled = compileTrainingStep(loss, settings.optimizer, frozenEncoder ? (name) => name.startsWith('vae_decoder/') : undefined);
    const trainer = await createWeightTrainer(compiled, { ...session, start: fromFileTensors(tensors, compiled.parameters.map((p) => p.name)) });
    const dims = dimsOf(compiled);
    const side = latentSize(config);
    const latentCount = config.latentChannels * side * side;
    try {
      const result = await runStage({
        ...loop,
        stage,
        trainer,
        schedule: { peak: ae.learningRate, warmupSteps: ae.warmupSteps, totalSteps: ae.steps, floor: ae.floor },
        batchFor: (step) => {
          const images = Array.from({ length: ae.batch }, (_, i) => datasetSample(dataSeed, step * ae.batch + i).image);
          const noise = normalValues(Prng.forStream(dataSeed, `${stage}-noise:${step}`), ae.batch * latentCount);
          return { [AUTOENCODER_IO.images]: imagesToTensor(images), [AUTOENCODER_IO.noise]: { dtype: 'float32', dims: [ae.batch, config.latentChannels, side, side], data: noise } };
        },
        onCheckpoint: async (step, meanLoss) => {
          await options.onCheckpoint?.({ tensors: toFileTensors(trainer.weights(), dims, tensors), scalingFactor, metadata: { ...metadata, stage, [`${stage}Steps`]: String(step), [`${stage}Loss`]: String(meanLoss) } });
        },
      });
      tensors = toFileTensors(trainer.weights(), dims, tensors);
      metadata[`${stage}Steps`] = String(result.steps);
      metadata[`${stage}Losses`] = result.windowLosses.map((l) => l.toPrecision(4)).join(',');
      return result;
    } finally {
      await trainer.release();
    }
  };

  let scalingFactor = options.start?.scalingFactor ?? 1;
  const autoencoder = options.skipAutoencoder === true ? undefined : await autoencoderStage('vae', settings.autoencoder, settings.seed, false);
  const denoiser = options.skipDenoiser === true ? undefined : await denoiserStage();
  const decoder = settings.decoder.steps === 0 ? undefined : await autoencoderStage('decoder', settings.decoder, settings.seed + 2, true);
  return { weights: { tensors, scalingFactor, metadata }, autoencoder, denoiser, decoder };

  async function denoiserStage(): Promise<StageLoopResult> {
    const dn = settings.denoiser;
    const { vocab, merges } = buildTinyVocabulary();
    const tokenizer = new ClipTokenizer(vocab, merges, { maxLength: config.text.maxTokens });
    const vae = componentWeights({ tensors, scalingFactor: 1, metadata: {} }, WEIGHT_PREFIXES.vae);
    const samples = Array.from({ length: dn.poolSize }, (_, i) => datasetSample(settings.seed + 1, i));
    const encoded = await encodeLatentPool(buildVaeEncoderGraph(config, vae).model, samples, tokenizer, { ...session, logger });
    const pool = encoded.pool;
    scalingFactor = encoded.scalingFactor;
    const curriculumPool = dn.curriculumSteps > 0 ? subsetPool(pool, samples.flatMap((sample, i) => (dn.curriculumSizes.includes(sample.labels.size) ? [i] : []))) : pool;
    if (dn.curriculumSteps > 0) logger.info({ sizes: dn.curriculumSizes, steps: dn.curriculumSteps, images: curriculumPool.ids.length }, 'curriculum: the first steps draw only these sizes');
    const schedulerConfig = parseSchedulerConfig(diffusersConfigs(config, { size: tokenizer.vocabSize, bosId: tokenizer.bosId, eosId: tokenizer.eosId })['scheduler/scheduler_config.json']);
    const schedule = new NoiseSchedule(resolveSchedulerSettings('ddim', schedulerConfig));
    const timestepCdf = dn.minSnrGamma > 0 ? minSnrTimestepDistribution(schedule.alphasCumprod, dn.minSnrGamma) : undefined;
    const compiled = compileTrainingStep(buildDenoiserLossGraph(config, { size: tokenizer.vocabSize, endOfTextId: tokenizer.eosId }), settings.optimizer);
    const trainer = await createWeightTrainer(compiled, { ...session, start: fromFileTensors(tensors, compiled.parameters.map((p) => p.name)) });
    const dims = dimsOf(compiled);
    let denoiser: StageLoopResult;
    try {
      denoiser = await runStage({
        ...loop,
        stage: 'denoiser',
        trainer,
        schedule: { peak: dn.learningRate, warmupSteps: dn.warmupSteps, totalSteps: dn.steps, floor: dn.floor },
        batchFor: (step) => {
          const batch = sampleDenoiserBatch(step < dn.curriculumSteps ? curriculumPool : pool, { rows: dn.batch, captionDropout: dn.captionDropout, alphasCumprod: schedule.alphasCumprod, predictionType: config.scheduler.predictionType, ...(timestepCdf === undefined ? {} : { timestepCdf }) }, Prng.forStream(settings.seed, `denoiser-batch:${step}`));
          return { [DENOISER_IO.inputIds]: batch.inputIds, [DENOISER_IO.sample]: batch.sample, [DENOISER_IO.timestep]: batch.timestep, [DENOISER_IO.target]: batch.target };
        },
        onCheckpoint: async (step, loss) => {
          await options.onCheckpoint?.({ tensors: toFileTensors(trainer.weights(), dims, tensors), scalingFactor, metadata: { ...metadata, stage: 'denoiser', denoiserSteps: String(step), denoiserLoss: String(loss) } });
        },
      });
      tensors = toFileTensors(trainer.weights(), dims, tensors);
    } finally {
      await trainer.release();
    }
    metadata.denoiserSteps = String(denoiser.steps);
    metadata.denoiserLosses = denoiser.windowLosses.map((l) => l.toPrecision(4)).join(',');
    return denoiser;
  }
}
