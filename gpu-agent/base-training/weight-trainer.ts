import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { DEFAULT_OPSET } from '../onnx/ir.ts';
import { createSession, type Device, type HostTensor, type OnnxSession } from '../onnx/runtime.ts';
import { writeModel } from '../onnx/write-model.ts';
import { OptimizerState } from '../training/optimizer-state.ts';
import type { CompiledTrainingStep } from './compile-training-step.ts';

/** What one optimizer step reports. */
export interface WeightStepResult {
  /** The batch's loss before the update. */
  readonly loss: number;
  /** Global gradient norm before clipping; not finite means the step was skipped. */
  readonly gradNorm: number;
}

/** A compiled training step loaded in ONNX Runtime, holding every weight and its AdamW moments. */
export interface WeightTrainer {
  /** Optimizer steps taken so far. */
  readonly steps: number;
  /** Runs one step on a batch (the data inputs of the loss graph). */
  step(batch: Readonly<Record<string, HostTensor>>, learningRate: number, options?: { signal?: AbortSignal }): Promise<WeightStepResult>;
  /** The weights as they are now, by graph name (the arrays are the trainer's own: copy before changing). */
  weights(): ReadonlyMap<string, Float32Array>;
  release(): Promise<void>;
}

/** Options of {@link createWeightTrainer}. */
export interface WeightTrainerOptions {
  device: Device;
  logger: Logger;
  intraOpThreads?: number;
  /** Weights to start from instead of the graph's initial ones (any subset, by graph name). */
  start?: ReadonlyMap<string, Float32Array>;
}

/**
 * Writes a compiled training step to a temporary folder and loads it; each `step` feeds the
 * weights and moments, runs forward, backward and AdamW in one session run, and keeps the updated
 * values for the next. Adam moments start at zero.
 */
export async function createWeightTrainer(compiled: CompiledTrainingStep, options: WeightTrainerOptions): Promise<WeightTrainer> {
  const dir = await mkdtemp(join(tmpdir(), 'teambooth-base-train-'));
  let session: OnnxSession;
  try {
    const path = join(dir, 'training.onnx');
    await writeModel(path, { graph: compiled.graph, opset: DEFAULT_OPSET, producerName: 'teambooth', producerVersion: '0.1.0' }, { externalData: { location: 'training.onnx_data' } });
    session = await createSession(path, { device: options.device, logger: options.logger, ...(options.intraOpThreads === undefined ? {} : { intraOpThreads: options.intraOpThreads }) });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const state = new OptimizerState(compiled.parameters, (name) => options.start?.get(name) ?? compiled.initial.get(name)!);
  return {
    get steps() {
      return state.steps;
    },
    async step(batch, learningRate, stepOptions) {
      const feeds: Record<string, HostTensor> = { ...batch, ...state.feeds(learningRate) };
      const out = await session.run(feeds, stepOptions?.signal === undefined ? {} : { signal: stepOptions.signal });
      const gradNorm = state.update(out);
      return { loss: (out[compiled.loss]!.data as Float32Array)[0]!, gradNorm };
    },
    weights() {
      return state.values;
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
