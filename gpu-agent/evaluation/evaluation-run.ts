import type { Logger } from 'pino';
import type { TinyWorldOracle } from '../tiny-world/oracle.ts';

/** Where an evaluation stands: `done` of `total` images of one stage. */
export interface EvaluationProgress {
  /** The figure being measured, e.g. `prompt-fidelity`. */
  stage: string;
  done: number;
  total: number;
}

/** Settings every measurement takes. */
export interface EvaluationRun {
  /** Images per prompt: seeds 0..seeds-1, so a run is deterministic and repeatable. */
  seeds: number;
  /** Reuse one oracle across measurements (it builds its shape prototypes once); default a new one. */
  oracle?: TinyWorldOracle;
  /** Checked before every image; aborting rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called after every image. */
  onProgress?: (progress: EvaluationProgress) => void;
  /** Gets one debug line per finished stage. */
  logger?: Logger;
}

/** The seeds of a run, 0..count-1. @throws RangeError unless count is a positive integer. */
export function evaluationSeeds(count: number): number[] {
  if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`an evaluation needs a positive whole number of seeds (got ${count})`);
  return Array.from({ length: count }, (_, i) => i);
}
