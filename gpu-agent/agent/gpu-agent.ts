import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { UnauthenticatedError } from '../../cluster/raft/errors.ts';
import type { AgentCapabilities } from '../../cluster/state/types.ts';
import type { Provider } from '../onnx/runtime.ts';
import { tokenRefusedError } from './agent-errors.ts';
import { AgentHeartbeat } from './agent-heartbeat.ts';
import { MAX_CLAIM_WAIT_MS, type AgentJobsApi } from './agent-jobs-api.ts';
import { backoffDelay } from '../../cluster/client/backoff.ts';
import { JobExecutor, type JobObserver } from './job-executor.ts';
import { TINY_MODEL_VERSION, type ModelHost } from './model-host.ts';
import { retryTransient } from './retry-transient.ts';

/**
 * The GPU agent process: loads the model, heartbeats with its capabilities, and runs up to
 * `maxJobs` claim loops, each taking one job at a time from the cluster. A stop (SIGTERM) ends
 * the loops, gives running jobs back and releases the model within a grace period; a refusal
 * (revoked, token not accepted) ends the agent with an error. Cluster outages only slow it down:
 * every call is retried until a leader answers again.
 */

/** Options of {@link GpuAgent}. */
export interface GpuAgentOptions {
  api: AgentJobsApi;
  models: ModelHost;
  logger: Logger;
  /** Jobs run at once (claim loops). */
  maxJobs: number;
  canTrain: boolean;
  /** Largest image side offered to the cluster (default 512 on the CPU, 1024 on CUDA). */
  maxImageSize?: number;
  memoryMb: number;
  /** Scratch folder of the job runners. */
  workDir: string;
  now: () => number;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  random: () => number;
  /** Default 5000 ms. */
  heartbeatMs?: number;
  /** Long-poll wait of one Claim (default and most: 20 000 ms). */
  claimWaitMs?: number;
  /** After a stop: how long reports may still take, and running work may take to stop (default 3000 ms). */
  shutdownGraceMs?: number;
  /** Told when each job starts and ends (the agent's metrics). */
  observer?: JobObserver;
}

/** Largest image side by provider, when not configured. */
const DEFAULT_MAX_IMAGE_SIZE = { cpu: 512, cuda: 1024 } as const;

/** Waits between failed claims that were not outages (a paused agent's claim is refused, for example). */
const CLAIM_BACKOFF = { baseMs: 200, maxMs: 5000 };

/** The agent; see the module comment. */
export class GpuAgent {
  readonly #options: GpuAgentOptions;

  constructor(options: GpuAgentOptions) {
    if (!Number.isInteger(options.maxJobs) || options.maxJobs < 1) throw new RangeError(`maxJobs must be a positive integer (got ${options.maxJobs})`);
    this.#options = options;
  }

  /**
   * Runs until `stop` aborts, then shuts down and resolves. Rejects with an AgentRejectedError
   * when the cluster refuses the agent, and with the load error when the model cannot be loaded.
   */
  async run(stop: AbortSignal): Promise<void> {
    const { models, logger, maxJobs, canTrain } = this.#options;
    let provider: Provider;
    try {
      provider = (await models.get(TINY_MODEL_VERSION, stop)).model.provider;
    } catch (error) {
      await models.release();
      if (stop.aborted) return;
      throw error;
    }
    const capabilities: AgentCapabilities = {
      provider,
      memoryMb: this.#options.memoryMb,
      maxImageSize: this.#options.maxImageSize ?? DEFAULT_MAX_IMAGE_SIZE[provider],
      canTrain,
    };
    logger.info({ ...capabilities, maxJobs }, 'agent started');

    const life = new AbortController();
    const onStop = (): void => life.abort(stop.reason);
    if (stop.aborted) onStop();
    else stop.addEventListener('abort', onStop, { once: true });
    let fatal: Error | undefined;
    const die = (error: unknown): void => {
      fatal ??= error instanceof UnauthenticatedError ? tokenRefusedError(error) : error instanceof Error ? error : new Error(String(error));
      life.abort(fatal);
    };
    const graceMs = this.#options.shutdownGraceMs ?? 3000;
    const finalCalls = new AbortController();
    life.signal.addEventListener('abort', () => setTimeout(() => finalCalls.abort(new Error('the shutdown grace period is over')), graceMs).unref(), { once: true });

    const heartbeat = new AgentHeartbeat({ api: this.#options.api, capabilities, intervalMs: this.#options.heartbeatMs ?? 5000, logger, sleep: this.#options.sleep });
    const executor = new JobExecutor(this.#options);
    const tasks = Promise.all([
      heartbeat.run(life.signal).catch(die),
      ...Array.from({ length: maxJobs }, (_, slot) => this.#claimLoop(slot, heartbeat, executor, life.signal, finalCalls.signal).catch(die)),
    ]);

    await new Promise<void>((resolve) => (life.signal.aborted ? resolve() : life.signal.addEventListener('abort', () => resolve(), { once: true })));
    logger.info({ reason: fatal?.message ?? 'stop requested' }, 'agent stopping');
    stop.removeEventListener('abort', onStop);
    // A wall-clock bound (not the injected clock): it decides when the process may exit.
    const timer = new AbortController();
    const stopped = await Promise.race([tasks.then(() => true), delay(graceMs + 1000, false, { signal: timer.signal }).catch(() => false)]);
    timer.abort();
    if (stopped) await models.release();
    else logger.warn({ graceMs }, 'a job did not stop within the grace period; exiting without waiting for it');
    if (fatal !== undefined) throw fatal;
    logger.info('agent stopped');
  }

  /** One claim loop: wait until active, long-poll for a job, run it, again; until `signal` aborts. */
  async #claimLoop(slot: number, heartbeat: AgentHeartbeat, executor: JobExecutor, signal: AbortSignal, finalCalls: AbortSignal): Promise<void> {
    const { api, logger, sleep, random } = this.#options;
    const kinds = this.#options.canTrain ? ['imagine', 'train'] : ['imagine'];
    const waitMs = Math.min(this.#options.claimWaitMs ?? MAX_CLAIM_WAIT_MS, MAX_CLAIM_WAIT_MS);
    let refusals = 0;
    while (!signal.aborted) {
      try {
        await heartbeat.whenActive(signal);
        const claim = await retryTransient('claiming a job', (callSignal) => api.claim(kinds, waitMs, callSignal), { signal, logger, sleep, random });
        refusals = 0;
        if (claim !== undefined) await executor.run(claim, signal, finalCalls);
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof UnauthenticatedError) throw error;
        const wait = backoffDelay(refusals++, CLAIM_BACKOFF, random);
        logger.warn({ slot, err: error instanceof Error ? error.message : String(error), delayMs: Math.round(wait) }, 'claiming a job failed; trying again');
        await sleep(wait, signal).catch(() => undefined);
      }
    }
  }
}
