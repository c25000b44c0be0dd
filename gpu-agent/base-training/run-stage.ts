import type { Logger } from 'pino';
import type { HostTensor } from '../onnx/runtime.ts';
import { learningRateAt, type LearningRateSchedule } from './learning-rate-schedule.ts';
import type { WeightTrainer } from './weight-trainer.ts';

/** How a training stage runs its steps. */
export interface StageLoopOptions {
  /** Name in the log lines (`vae`, `denoiser`). */
  stage: string;
  trainer: WeightTrainer;
  schedule: LearningRateSchedule;
  /** The feeds of step `step` (0-based); must be deterministic in `step` for reproducible runs. */
  batchFor: (step: number) => Readonly<Record<string, HostTensor>>;
  logger: Logger;
  /** Steps between log lines (the mean loss of the window). */
  logEvery: number;
  /** Steps between checkpoints (0: none). */
  checkpointEvery: number;
  onCheckpoint?: (step: number, meanLoss: number) => Promise<void>;
  /** Milliseconds clock (injected). */
  now: () => number;
  /** Stop early once `now()` passes this (the run stays reproducible up to the step it reached). */
  deadline?: number;
  signal?: AbortSignal;
}

/** What a stage did. */
export interface StageLoopResult {
  steps: number;
  /** Mean loss of each logging window, in order. */
  windowLosses: number[];
  /** Mean milliseconds per step. */
  stepMs: number;
  /** True when the deadline stopped the stage before `schedule.totalSteps`. */
  stoppedEarly: boolean;
  /** Steps whose gradient was not finite (skipped by the optimizer). */
  skipped: number;
}

/** Runs `schedule.totalSteps` optimizer steps (or until the deadline), logging the windowed mean loss and checkpointing. */
export async function runStage(options: StageLoopOptions): Promise<StageLoopResult> {
  const { trainer, schedule, logger, now } = options;
  const started = now();
  const windowLosses: number[] = [];
  let window: number[] = [];
  let skipped = 0;
  let step = 0;
  let stoppedEarly = false;
  for (; step < schedule.totalSteps; step++) {
    options.signal?.throwIfAborted();
    if (options.deadline !== undefined && now() > options.deadline) {
      stoppedEarly = true;
      break;
    }
    const learningRate = learningRateAt(schedule, step);
    const result = await trainer.step(options.batchFor(step), learningRate, options.signal === undefined ? {} : { signal: options.signal });
    if (!Number.isFinite(result.gradNorm)) skipped++;
    window.push(result.loss);
    const done = step + 1;
    if (done % options.logEvery === 0 || done === schedule.totalSteps) {
      const mean = window.reduce((a, b) => a + b, 0) / window.length;
      windowLosses.push(mean);
      window = [];
      logger.info({ stage: options.stage, step: done, loss: Number(mean.toPrecision(5)), gradNorm: Number(result.gradNorm.toPrecision(4)), lr: Number(learningRate.toPrecision(3)), msPerStep: Math.round((now() - started) / done) }, 'training');
    }
    if (options.checkpointEvery > 0 && done % options.checkpointEvery === 0 && options.onCheckpoint !== undefined) {
      await options.onCheckpoint(done, windowLosses[windowLosses.length - 1] ?? result.loss);
    }
  }
  return { steps: step, windowLosses, stepMs: step === 0 ? 0 : (now() - started) / step, stoppedEarly, skipped };
}
