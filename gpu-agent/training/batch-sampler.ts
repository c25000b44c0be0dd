import { writePredictionTarget, type PredictionType } from '../schedulers/prediction-target.ts';
import type { Scheduler } from '../schedulers/scheduler.ts';
import { seededRandom } from '../tiny-model/seeded-random.ts';
import type { EncodedTrainingData } from './encode-training-data.ts';
import type { TrainingBatch } from './lora-training-session.ts';

/** How the noise schedule is seen by the sampler. */
export interface NoiseSettings {
  numTrainTimesteps: number;
  predictionType: PredictionType;
  /** alpha_bar at a train timestep. */
  alphaCumprodAt(timestep: number): number;
}

/** Options of {@link createBatchSampler}. */
export interface BatchSamplerOptions {
  data: EncodedTrainingData;
  /** Subject rows per batch; with prior preservation as many class rows follow. */
  batchSize: number;
  /** lambda of prior preservation; class rows are used only when set. */
  priorWeight?: number;
  seed: number;
  /** The scheduler's forward noising (`Scheduler.addNoise`). */
  scheduler: Pick<Scheduler, 'addNoise'>;
  noise: NoiseSettings;
}

/**
 * Draws DreamBooth batches from a seeded stream: for each row a random photo (mirrored ones
 * included), a uniform train timestep and standard normal noise, noised with the scheduler's
 * `addNoise`; the target is the noise (or v = sqrt(abar) noise - sqrt(1 - abar) x0 for
 * v-prediction models). Subject rows weigh `1 / batchSize` in the loss and class rows
 * `lambda / batchSize`. The same options always give the same batches.
 */
export function createBatchSampler(options: BatchSamplerOptions): { next(): TrainingBatch } {
  const { data, batchSize, noise: settings } = options;
  const random = seededRandom(options.seed, 'dreambooth-batches');
  const latentSize = data.latentDims[0] * data.latentDims[1] * data.latentDims[2];
  const textSize = data.textDims[0] * data.textDims[1];
  const prior = options.priorWeight !== undefined && data.classLatents.length > 0 && data.classText !== undefined;
  if (data.instanceLatents.length === 0) throw new Error('no subject latents to train on');
  const rows = prior ? 2 * batchSize : batchSize;
  return {
    next() {
      const sample = new Float32Array(rows * latentSize);
      const target = new Float32Array(rows * latentSize);
      const text = new Float32Array(rows * textSize);
      const weights = new Float32Array(rows);
      const timesteps: number[] = [];
      for (let row = 0; row < rows; row++) {
        const isClass = row >= batchSize;
        const pool = isClass ? data.classLatents : data.instanceLatents;
        const latent = pool[Math.floor(random.uniform() * pool.length)]!;
        const t = Math.floor(random.uniform() * settings.numTrainTimesteps);
        const eps = Float32Array.from({ length: latentSize }, () => random.normal());
        sample.set(options.scheduler.addNoise(latent, eps, t), row * latentSize);
        writePredictionTarget(target.subarray(row * latentSize, (row + 1) * latentSize), settings.predictionType, settings.alphaCumprodAt(t), latent, eps);
        text.set(isClass ? data.classText! : data.instanceText, row * textSize);
        weights[row] = (isClass ? options.priorWeight! : 1) / batchSize;
        timesteps.push(t);
      }
      return { rows, latentDims: data.latentDims, textDims: data.textDims, sample, timesteps, text, target, weights };
    },
  };
}
