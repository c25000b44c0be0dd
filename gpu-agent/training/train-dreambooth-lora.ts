import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { findLoraTargets } from '../lora/find-lora-targets.ts';
import { initLoraWeights, type LoraWeights } from '../lora/lora-weights.ts';
import { orthogonalDownProjections } from '../lora/orthogonal-basis.ts';
import { readModel } from '../onnx/read-model.ts';
import type { Device, Provider } from '../onnx/runtime.ts';
import type { StableDiffusionModel } from '../pipeline/model-directory.ts';
import { createScheduler } from '../schedulers/create-scheduler.ts';
import { NoiseSchedule } from '../schedulers/noise-schedule.ts';
import { resolveSchedulerSettings } from '../schedulers/scheduler-config.ts';
import { defaultAdamWSettings } from './append-adamw.ts';
import { createBatchSampler } from './batch-sampler.ts';
import { buildLoraTrainingGraph } from './build-training-graph.ts';
import { TRAIN_DEFAULTS, validateDreamBoothRequest, type DreamBoothRequest } from './dreambooth-request.ts';
import { encodeTrainingData } from './encode-training-data.ts';
import { createLoraTrainingSession } from './lora-training-session.ts';

/** Progress after each optimizer step. */
export interface TrainingProgress {
  /** Steps done, 1..steps. */
  step: number;
  steps: number;
  loss: number;
  gradNorm: number;
}

/** Options of {@link trainDreamBoothLora}. */
export interface TrainOptions {
  /** Checked between steps (and during preparation); aborting rejects with the signal's reason. */
  signal?: AbortSignal;
  onProgress?: (progress: TrainingProgress) => void;
  logger?: Logger;
  /** Device of the training session (default: the provider the model's UNet runs on). */
  device?: Device;
  intraOpThreads?: number;
  /** Milliseconds, for the timings (default `performance.now`). */
  now?: () => number;
  /** Folder for the compiled training model (default: the OS temp dir). */
  workDir?: string;
}

/** What {@link trainDreamBoothLora} returns. */
export interface DreamBoothResult {
  /** The trained LoRA (kohya keys; `serializeLoraFile` writes it). */
  lora: LoraWeights;
  /** Loss of every step, before its update. */
  losses: number[];
  gradNorms: number[];
  /** Mean loss of the last (up to) 10 steps. */
  finalLoss: number;
  /** Steps skipped because the gradient was not finite. */
  skippedSteps: number;
  prompt: string;
  /** `up` only when the down-projections were fixed (`fixedDown` or `orthogonalSlot`: the orthogonal merge). */
  trained: 'both' | 'up';
  provider: Provider;
  /** Milliseconds by the injected clock; `stepsPerSecond` is 0 when the clock did not move. */
  timings: { prepareMs: number; trainMs: number; stepsPerSecond: number };
}

/** Training went wrong in a way a smaller learning rate fixes. */
export class TrainingDivergedError extends Error {
  override readonly name = 'TrainingDivergedError';
}

/** Consecutive non-finite steps after which training gives up. */
const MAX_BAD_STEPS_IN_A_ROW = 5;

/**
 * DreamBooth with LoRA (Ruiz et al. 2023; Hu et al. 2021) on a Stable Diffusion model in the
 * diffusers ONNX layout. Validates the request, encodes the photos (VAE, once) and the prompt
 * "a photo of <token> <class>" (text encoder, once), compiles the UNet with LoRA branches, the
 * loss, its gradients and AdamW into one ONNX graph, then runs one session call per step on a
 * seeded batch (random photo, timestep and noise, `addNoise`). The same model, request and seed
 * give the same LoRA. Reports progress after every step and honours `signal` between steps.
 */
export async function trainDreamBoothLora(model: StableDiffusionModel, request: DreamBoothRequest, options: TrainOptions = {}): Promise<DreamBoothResult> {
  const now = options.now ?? (() => performance.now());
  const logger = (options.logger ?? pino({ level: 'silent' })).child({ component: 'dreambooth', token: request.token });
  const { signal } = options;
  const device: Device = options.device ?? model.provider;
  const started = now();
  validateDreamBoothRequest(request);
  signal?.throwIfAborted();

  const data = await encodeTrainingData(model, request, { device, logger, ...(signal === undefined ? {} : { signal }) });
  const unet = (await readModel(join(model.directory, 'unet', 'model.onnx'), signal === undefined ? {} : { signal })).graph;
  const targets = findLoraTargets(unet, request.modules === undefined ? {} : { modules: request.modules });
  const fixedDown = request.fixedDown ?? (request.orthogonalSlot === undefined ? undefined : orthogonalDownProjections(targets, request.rank, request.orthogonalSlot));
  const start = initLoraWeights(targets, { rank: request.rank, alpha: request.alpha, seed: request.seed, ...(fixedDown === undefined ? {} : { fixedDown }) });
  const trained = fixedDown === undefined ? 'both' : 'up';
  const training = buildLoraTrainingGraph(unet, { lora: start, trainable: trained, optimizer: { ...defaultAdamWSettings(), ...request.optimizer } });
  signal?.throwIfAborted();
  const session = await createLoraTrainingSession(training, start, {
    device,
    logger,
    ...(options.intraOpThreads === undefined ? {} : { intraOpThreads: options.intraOpThreads }),
    ...(options.workDir === undefined ? {} : { workDir: options.workDir }),
  });
  try {
    const scheduler = createScheduler(undefined, model.schedulerConfig);
    const settings = resolveSchedulerSettings(scheduler.kind, model.schedulerConfig);
    const schedule = new NoiseSchedule(settings);
    const sampler = createBatchSampler({
      data,
      batchSize: request.batchSize ?? TRAIN_DEFAULTS.batchSize,
      ...(request.priorPreservation === undefined ? {} : { priorWeight: request.priorPreservation.weight }),
      seed: request.seed,
      scheduler,
      noise: { numTrainTimesteps: settings.numTrainTimesteps, predictionType: settings.predictionType, alphaCumprodAt: (t) => schedule.alphaCumprodAt(t) },
    });
    logger.info({ layers: targets.length, parameters: training.parameters.reduce((n, p) => n + p.dims.reduce((a, b) => a * b, 1), 0), provider: session.provider, images: data.imageNames.length }, 'training starts');
    const prepared = now();
    const losses: number[] = [];
    const gradNorms: number[] = [];
    let skipped = 0;
    let badInARow = 0;
    for (let step = 1; step <= request.steps; step++) {
      signal?.throwIfAborted();
      const result = await session.step(sampler.next(), request.learningRate, signal === undefined ? {} : { signal });
      losses.push(result.loss);
      gradNorms.push(result.gradNorm);
      if (Number.isFinite(result.gradNorm) && Number.isFinite(result.loss)) {
        badInARow = 0;
      } else {
        skipped++;
        badInARow++;
        logger.warn({ step, loss: result.loss, gradNorm: result.gradNorm }, 'non-finite gradient, step skipped');
        if (badInARow >= MAX_BAD_STEPS_IN_A_ROW) {
          throw new TrainingDivergedError(`training diverged: ${badInARow} steps in a row had non-finite gradients (at step ${step}); lower the learning rate (now ${request.learningRate})`);
        }
      }
      options.onProgress?.({ step, steps: request.steps, loss: result.loss, gradNorm: result.gradNorm });
    }
    const finished = now();
    const tail = losses.slice(-10).filter(Number.isFinite);
    const finalLoss = tail.reduce((a, b) => a + b, 0) / Math.max(1, tail.length);
    const trainMs = finished - prepared;
    logger.info({ steps: request.steps, finalLoss, trainMs: Math.round(trainMs) }, 'training finished');
    return {
      lora: session.lora(),
      losses,
      gradNorms,
      finalLoss,
      skippedSteps: skipped,
      prompt: data.prompt,
      trained,
      provider: session.provider,
      timings: { prepareMs: prepared - started, trainMs, stepsPerSecond: trainMs > 0 ? (1000 * request.steps) / trainMs : 0 },
    };
  } finally {
    await session.release();
  }
}
