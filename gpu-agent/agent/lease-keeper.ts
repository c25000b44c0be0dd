import type { Logger } from 'pino';
import { CommandRejectedError } from '../../cluster/raft/errors.ts';
import { LeaseLostError } from './agent-errors.ts';
import type { AgentJobsApi, JobUrls, ProgressReport } from './agent-jobs-api.ts';
import { retryTransient } from './retry-transient.ts';

/**
 * Keeps a claimed job's lease alive and tells the cluster how the job goes. Progress goes out
 * when the step or phase changes, at most once a second (so a fast pipeline does not
 * flood the leader), and a timer sends it every third of the lease whatever happens, so a slow
 * step (a real UNet on a CPU) never lets the lease lapse. When the cluster answers that the job
 * is no longer this agent's (FAILED_PRECONDITION), `onLost` aborts the work at once.
 */

/** Options of {@link LeaseKeeper}. */
export interface LeaseKeeperOptions {
  api: AgentJobsApi;
  jobId: string;
  /** The lease granted by the claim; renewals may change it. */
  leaseMs: number;
  /** The job's signal: aborting it cancels a report in flight and stops the renewals. */
  signal: AbortSignal;
  onLost: (error: LeaseLostError) => void;
  logger: Logger;
  now: () => number;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  random: () => number;
}

/** Least time between two reports caused by step changes. */
const MIN_REPORT_INTERVAL_MS = 1000;
/** Renewals come no more often than this, whatever the lease. */
const MIN_RENEW_MS = 100;

/** Reports a job's progress and renews its lease; see the module comment. */
export class LeaseKeeper {
  readonly #options: LeaseKeeperOptions;
  #report: ProgressReport = { step: 0, total: 0, loss: Number.NaN, phase: 'starting' };
  #changed = false;
  #lastSentAt = Number.NEGATIVE_INFINITY;
  #inFlight = false;
  #leaseMs: number;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: LeaseKeeperOptions) {
    this.#options = options;
    this.#leaseMs = options.leaseMs;
    options.signal.addEventListener('abort', () => this.stop(), { once: true });
    this.#schedule();
  }

  /** Stops reporting (the job is done, or about to be completed). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  /** The latest progress of the job; only a changed step or phase counts as news. */
  update(progress: { step?: number; total?: number; loss?: number; phase?: string }): void {
    const next = { ...this.#report, ...progress };
    if (next.step !== this.#report.step || next.phase !== this.#report.phase) this.#changed = true;
    this.#report = next;
    if (this.#changed && this.#options.now() - this.#lastSentAt >= MIN_REPORT_INTERVAL_MS) this.#send();
  }

  /** The last progress reported through {@link update}. */
  get report(): Readonly<ProgressReport> {
    return this.#report;
  }

  /**
   * Fresh presigned URLs for the job (the old ones expired), through a progress report. Retries
   * while the cluster is unreachable; throws {@link LeaseLostError} (after calling `onLost`) when
   * the job is no longer ours.
   */
  async refreshUrls(signal: AbortSignal): Promise<JobUrls> {
    const { api, jobId, logger } = this.#options;
    try {
      const reply = await retryTransient('refreshing URLs', (callSignal) => api.progress(jobId, this.#report, true, callSignal), { ...this.#options, signal });
      this.#renewed(reply.leaseMs);
      logger.debug({ jobId }, 'got fresh URLs');
      return { inputs: reply.inputs, outputs: reply.outputs };
    } catch (error) {
      throw this.#lostIfRefused(error);
    }
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    if (this.#stopped) return;
    this.#timer = setTimeout(() => this.#renew(), Math.max(MIN_RENEW_MS, this.#leaseMs / 3));
    this.#timer.unref();
  }

  /** The timer's report: when the last one is still on its way (a slow leader), try again a period later. */
  #renew(): void {
    if (this.#inFlight) this.#schedule();
    else this.#send();
  }

  #send(): void {
    const { api, jobId, signal, logger, now } = this.#options;
    if (this.#inFlight || this.#stopped) return;
    this.#inFlight = true;
    this.#changed = false;
    this.#lastSentAt = now();
    const report = { ...this.#report };
    this.#schedule();
    api.progress(jobId, report, false, signal).then(
      (reply) => {
        this.#renewed(reply.leaseMs);
        logger.debug({ jobId, ...report }, 'progress');
      },
      (error: unknown) => {
        if (signal.aborted) return;
        const lost = this.#lostIfRefused(error);
        if (!(lost instanceof LeaseLostError)) logger.warn({ jobId, err: lost.message }, 'progress was not delivered; the next renewal tries again');
      },
    ).finally(() => {
      this.#inFlight = false;
      if (this.#changed && now() - this.#lastSentAt >= MIN_REPORT_INTERVAL_MS) this.#send();
    });
  }

  #renewed(leaseMs: number): void {
    if (leaseMs > 0 && leaseMs !== this.#leaseMs) {
      this.#leaseMs = leaseMs;
      this.#schedule();
    }
  }

  /** Turns FAILED_PRECONDITION into a {@link LeaseLostError} and reports it through `onLost`; other errors pass. */
  #lostIfRefused(error: unknown): Error {
    if (error instanceof CommandRejectedError && error.code === 'failed_precondition') {
      const lost = new LeaseLostError(`the cluster took job ${this.#options.jobId} back: ${error.message}`);
      this.stop();
      this.#options.onLost(lost);
      return lost;
    }
    return error instanceof Error ? error : new Error(String(error));
  }
}
