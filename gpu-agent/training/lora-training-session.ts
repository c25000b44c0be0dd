import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { DEFAULT_OPSET, type ValueInfo } from '../onnx/ir.ts';
import { createSession, type Device, type HostTensor, type OnnxSession, type Provider } from '../onnx/runtime.ts';
import { writeModel } from '../onnx/write-model.ts';
import type { LoraLayer, LoraWeights } from '../lora/lora-weights.ts';
import { floatTensor } from '../pipeline/host-tensors.ts';
import { LOSS_IO } from './append-dreambooth-loss.ts';
import type { TrainingGraph } from './build-training-graph.ts';
import { OptimizerState } from './optimizer-state.ts';

/** One batch of a training step; `rows` rows of each tensor, row-major. */
export interface TrainingBatch {
  readonly rows: number;
  /** Dims of one latent, `[C, h, w]`. */
  readonly latentDims: readonly number[];
  /** Dims of one row of text states, `[tokens, width]`. */
  readonly textDims: readonly number[];
  /** Noisy latents `[rows, C, h, w]`. */
  readonly sample: Float32Array;
  /** One train timestep per row. */
  readonly timesteps: readonly number[];
  /** Text encoder states `[rows, tokens, width]`. */
  readonly text: Float32Array;
  /** What the UNet should predict (the noise, or v), shaped like `sample`. */
  readonly target: Float32Array;
  /** Weight of each row's mean squared error in the loss. */
  readonly weights: Float32Array;
}

/** What one optimizer step reports. */
export interface StepResult {
  /** The loss of the batch before the update. */
  readonly loss: number;
  /** Global gradient norm before clipping; not finite means the step was skipped. */
  readonly gradNorm: number;
}

/** A compiled training step loaded in ONNX Runtime, holding the LoRA and the optimizer state. */
export interface LoraTrainingSession {
  readonly provider: Provider;
  /** Optimizer steps taken so far. */
  readonly steps: number;
  /** Runs one AdamW step on a batch. */
  step(batch: TrainingBatch, learningRate: number, options?: { signal?: AbortSignal }): Promise<StepResult>;
  /** The LoRA as it is now (copies). */
  lora(): LoraWeights;
  release(): Promise<void>;
}

/** Options of {@link createLoraTrainingSession}. */
export interface TrainingSessionOptions {
  device: Device;
  logger: Logger;
  intraOpThreads?: number;
  /** Folder for the compiled model (default: a fresh folder in the OS temp dir, removed on release). */
  workDir?: string;
}

/**
 * Writes a training graph to a temporary folder (weights as external data, so a full-size UNet
 * fits) and loads it on `options.device`. The session starts from `start` (the LoRA the graph
 * was built from) with zero Adam moments.
 */
export async function createLoraTrainingSession(training: TrainingGraph, start: LoraWeights, options: TrainingSessionOptions): Promise<LoraTrainingSession> {
  const dir = await mkdtemp(join(options.workDir ?? tmpdir(), 'teambooth-train-'));
  let session: OnnxSession;
  try {
    const path = join(dir, 'training.onnx');
    await writeModel(path, { graph: training.graph, opset: DEFAULT_OPSET, producerName: 'teambooth', producerVersion: '0.1.0' }, { externalData: { location: 'training.onnx_data' } });
    session = await createSession(path, { device: options.device, logger: options.logger, ...(options.intraOpThreads === undefined ? {} : { intraOpThreads: options.intraOpThreads }) });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const layers = new Map(start.layers.map((layer) => [layer.key, layer]));
  const initial = new Map<string, Float32Array>();
  for (const names of training.lora) {
    const layer = layers.get(names.key)!;
    initial.set(names.down, layer.down);
    initial.set(names.up, layer.up);
  }
  const state = new OptimizerState(training.parameters, (name) => initial.get(name)!);
  // Fixed projections (orthogonal merge) are not parameters: they keep their initial values.
  const current = (name: string): Float32Array => state.values.get(name) ?? initial.get(name)!;
  const { unet } = training;
  return {
    provider: session.provider,
    get steps() {
      return state.steps;
    },
    async step(batch, learningRate, stepOptions) {
      const rows = batch.rows;
      const sampleDims = fitDims(unet.sample, [rows, ...batch.latentDims]);
      const f32 = (data: Float32Array, shape: readonly number[]): HostTensor => ({ dtype: 'float32', dims: shape, data });
      const feeds: Record<string, HostTensor> = {
        [unet.sample.name]: f32(batch.sample, sampleDims),
        [unet.timestep.name]: timestepTensor(unet.timestep, batch.timesteps),
        [unet.encoderHiddenStates.name]: f32(batch.text, fitDims(unet.encoderHiddenStates, [rows, ...batch.textDims])),
        [LOSS_IO.target]: f32(batch.target, sampleDims),
        [LOSS_IO.rowWeights]: f32(batch.weights, [rows]),
        ...state.feeds(learningRate),
      };
      const out = await session.run(feeds, stepOptions?.signal === undefined ? {} : { signal: stepOptions.signal });
      const gradNorm = state.update(out);
      return { loss: (out[LOSS_IO.loss]!.data as Float32Array)[0]!, gradNorm };
    },
    lora() {
      return {
        layers: training.lora.map((names): LoraLayer => {
          const layer = layers.get(names.key)!;
          return { ...layer, down: Float32Array.from(current(names.down)), up: Float32Array.from(current(names.up)) };
        }),
      };
    },
    async release() {
      try {
        await session.release();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/** The dims of a feed, checked against the static dims of the graph input. */
function fitDims(input: ValueInfo, dims: readonly number[]): number[] {
  const fits = input.shape.length === dims.length && input.shape.every((d, i) => typeof d !== 'number' || d === dims[i]);
  if (!fits) throw new Error(`UNet input "${input.name}" is [${input.shape.join(', ')}] but the batch is [${dims.join(', ')}]`);
  return [...dims];
}

/** One timestep per row, or one for the whole batch when the UNet takes a single timestep (shape `[]` or `[1]`). */
function timestepTensor(input: ValueInfo, timesteps: readonly number[]): HostTensor {
  const perRow = input.shape.length === 1 && input.shape[0] !== 1;
  if (!perRow && timesteps.some((t) => t !== timesteps[0])) {
    throw new Error(`this UNet takes one timestep per batch ("${input.name}" is [${input.shape.join(', ')}]); train with batch size 1 and without prior preservation`);
  }
  const values = perRow ? timesteps : timesteps.slice(0, 1);
  return floatTensor(Float32Array.from(values), input.shape.length === 0 ? [] : [values.length], input.dtype as HostTensor['dtype']);
}
