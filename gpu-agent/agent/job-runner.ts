import type { Logger } from 'pino';
import type { LoadedModel } from './model-host.ts';

/**
 * What a job runner (imagine, train) gets and gives: the loaded model and the job's downloaded
 * inputs in, the files to upload out. Runners know nothing of the cluster, leases or URLs, so they
 * run the same whether a test or the agent loop calls them.
 */

/** Progress of the work inside a job; `loss` only while training. */
export interface RunnerProgress {
  step: number;
  total: number;
  phase: string;
  loss?: number;
}

/** What a runner works with. */
export interface RunnerContext {
  loaded: LoadedModel;
  /** The job's inputs by name (a train job's photos). */
  inputs: ReadonlyMap<string, Uint8Array>;
  signal: AbortSignal;
  onProgress: (progress: RunnerProgress) => void;
  logger: Logger;
  /** Milliseconds, for the pipeline's timings. */
  now: () => number;
  /** A folder for scratch files (the compiled training graph). */
  workDir: string;
  /** A train job's slot of the orthogonal basis: only `up` trains (null: a standard LoRA). */
  basis: { seed: number; slot: number } | null;
}

/** One file a job produced, under the name the cluster expects (`image-0.png`, `lora.safetensors`). */
export interface JobOutput {
  name: string;
  bytes: Uint8Array;
  contentType: string;
}
