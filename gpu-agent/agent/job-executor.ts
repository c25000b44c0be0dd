import type { Logger } from 'pino';
import { parseJobSpec, type JobSpec } from '../../cluster/jobs/job-params.ts';
import { CommandRejectedError, UnauthenticatedError } from '../../cluster/raft/errors.ts';
import { JobInputError, LeaseLostError } from './agent-errors.ts';
import type { AgentJobsApi, ClaimedJob, JobFailure, JobUrls } from './agent-jobs-api.ts';
import type { JobOutput, RunnerContext } from './job-runner.ts';
import { LeaseKeeper } from './lease-keeper.ts';
import { modelVersionOf, type ModelHost } from './model-host.ts';
import { downloadFromUrl, uploadToUrl, type TransferOptions } from './presigned-transfer.ts';
import { retryTransient } from './retry-transient.ts';
import { runImagineJob } from './run-imagine-job.ts';
import { runTrainJob } from './run-train-job.ts';

/**
 * Runs one claimed job from its lease to its report: download the inputs, run the job on the
 * model it needs, upload the outputs, then Complete; or, when something goes wrong, Fail with the
 * reason (for good when the job's own input is bad), give the job back when the agent stops, and
 * say nothing when the cluster took the job away. Exactly one of these ends every claimed job.
 */

/** Options of {@link JobExecutor}. */
export interface JobExecutorOptions {
  api: AgentJobsApi;
  models: ModelHost;
  logger: Logger;
  now: () => number;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  random: () => number;
  /** Scratch folder of the runners. */
  workDir: string;
  /** Told when each job starts and ends (the agent's metrics). */
  observer?: JobObserver;
}

/** How a job ended: `succeeded`, `failed` (reported), `released` (given back at a stop), `lost` (the cluster took it back), `refused` (the cluster refused the result) or `unreported` (the report did not get through). */
export type JobOutcome = 'succeeded' | 'failed' | 'released' | 'lost' | 'refused' | 'unreported';

/** What the executor reports about the jobs it runs. */
export interface JobObserver {
  jobStarted(): void;
  /** `seconds`: from the lease to the end of the job, on the executor's clock. */
  jobEnded(kind: string, outcome: JobOutcome, seconds: number): void;
}

/** How a job ended, as the end-of-job log line says. */
type Outcome = { outcome: 'succeeded' } | { outcome: Exclude<JobOutcome, 'succeeded'>; reason: string; final?: boolean };

/** Runs claimed jobs; see the module comment. */
export class JobExecutor {
  readonly #options: JobExecutorOptions;

  constructor(options: JobExecutorOptions) {
    this.#options = options;
  }

  /**
   * Runs `claim` to its end. `stop` aborts the work and gives the job back; `finalCalls` bounds
   * the Complete and Fail calls (which outlive `stop` by a grace period). Resolves once the job is
   * reported and its work has stopped; rejects only with an UnauthenticatedError (the agent is
   * refused and must exit).
   */
  async run(claim: ClaimedJob, stop: AbortSignal, finalCalls: AbortSignal): Promise<void> {
    const { now, observer } = this.#options;
    const logger = this.#options.logger.child({ jobId: claim.id, kind: claim.kind });
    const started = now();
    logger.info({ attempt: claim.attempts }, 'job started');
    observer?.jobStarted();
    const job = new AbortController();
    const onStop = (): void => job.abort(stop.reason);
    if (stop.aborted) onStop();
    else stop.addEventListener('abort', onStop, { once: true });
    const keeper = new LeaseKeeper({
      ...this.#options,
      jobId: claim.id,
      leaseMs: claim.leaseMs,
      signal: job.signal,
      onLost: (error) => job.abort(error),
      logger,
    });
    const work = this.#work(claim, keeper, job.signal, logger);
    let ended: Outcome | undefined;
    let elapsedMs = 0;
    try {
      const uploaded = await untilAborted(work, job.signal);
      keeper.stop();
      ended = await this.#complete(claim.id, uploaded, finalCalls, logger);
    } catch (error) {
      keeper.stop();
      if (error instanceof UnauthenticatedError) throw error;
      ended = await this.#failed(claim.id, error, stop, finalCalls, logger);
    } finally {
      stop.removeEventListener('abort', onStop);
      job.abort(new Error('the job is over'));
      // The pipeline stops at its next check of the signal; wait for it before the slot takes another job.
      await work.catch(() => undefined);
      elapsedMs = now() - started;
      // Without an outcome the cluster refused the agent mid-job, and nothing was reported.
      observer?.jobEnded(claim.kind, ended?.outcome ?? 'unreported', elapsedMs / 1000);
    }
    const { step, total } = keeper.report;
    logger.info({ ...ended, ms: Math.round(elapsedMs), step, total }, 'job ended');
  }

  /** Downloads, runs and uploads; resolves with the names of the uploaded outputs. */
  async #work(claim: ClaimedJob, keeper: LeaseKeeper, signal: AbortSignal, logger: Logger): Promise<string[]> {
    const spec = parseJobSpec(claim.kind, claim.params, () => {
      throw new Error(`job ${claim.id} has no seed; the cluster always sets one`);
    });
    let urls: JobUrls = { inputs: claim.inputs, outputs: claim.outputs };
    const transfer = (kind: keyof JobUrls): TransferOptions => ({
      signal,
      logger,
      now: this.#options.now,
      sleep: this.#options.sleep,
      random: this.#options.random,
      refreshUrl: async (name, refreshSignal) => {
        urls = await keeper.refreshUrls(refreshSignal);
        return urlOf(urls, kind, name);
      },
    });

    keeper.update({ phase: 'downloading' });
    const inputs = new Map<string, Uint8Array>();
    for (const name of Object.keys(claim.inputs)) inputs.set(name, await downloadFromUrl(name, urlOf(urls, 'inputs', name), transfer('inputs')));
    keeper.update({ phase: 'loading model' });
    const outputs = await this.#options.models.use(modelVersionOf(claim), signal, (loaded) => {
      const context: RunnerContext = {
        loaded,
        inputs,
        signal,
        logger,
        now: this.#options.now,
        workDir: this.#options.workDir,
        basis: claim.basis,
        onProgress: ({ step, total, phase, loss }) => keeper.update({ step, total, phase, loss: loss ?? Number.NaN }),
      };
      return runJob(spec, context);
    });
    keeper.update({ phase: 'uploading' });
    for (const output of outputs) await uploadToUrl(output.name, urlOf(urls, 'outputs', output.name), output.bytes, output.contentType, transfer('outputs'));
    return outputs.map((output) => output.name);
  }

  async #complete(jobId: string, outputs: string[], signal: AbortSignal, logger: Logger): Promise<Outcome> {
    const error = await this.#finalCall('completing the job', (callSignal) => this.#options.api.complete(jobId, outputs, callSignal), signal);
    if (error === undefined) return { outcome: 'succeeded' };
    if (error instanceof CommandRejectedError && error.code === 'invalid') {
      logger.warn({ err: error.message }, 'the cluster refused the result; the job will be retried elsewhere');
      return { outcome: 'refused', reason: error.message };
    }
    if (error instanceof CommandRejectedError && error.code === 'failed_precondition') return { outcome: 'lost', reason: error.message };
    logger.warn({ err: error.message }, 'could not report the result; the lease will expire and the job be retried');
    return { outcome: 'unreported', reason: error.message };
  }

  async #failed(jobId: string, error: unknown, stop: AbortSignal, finalCalls: AbortSignal, logger: Logger): Promise<Outcome> {
    if (error instanceof LeaseLostError) {
      logger.warn({ err: error.message }, 'lost the job; its work was stopped');
      return { outcome: 'lost', reason: error.message };
    }
    const message = error instanceof Error ? error.message || error.name : String(error);
    const failure: JobFailure = stop.aborted
      ? { reason: 'the agent is shutting down', final: false, release: true }
      : { reason: message, final: error instanceof JobInputError, release: false };
    if (!stop.aborted) logger.warn({ err: message, final: failure.final }, 'the job failed');
    const reported = await this.#finalCall('failing the job', (callSignal) => this.#options.api.fail(jobId, failure, callSignal), finalCalls);
    if (reported !== undefined) logger.warn({ err: reported.message }, 'could not report the failure; the lease will expire and the job be retried');
    return { outcome: failure.release ? 'released' : 'failed', reason: failure.reason, final: failure.final };
  }

  /** Complete or Fail, retried while the cluster is unreachable; resolves with the error that ended it, if any. */
  async #finalCall(what: string, call: (signal: AbortSignal) => Promise<void>, signal: AbortSignal): Promise<Error | undefined> {
    try {
      await retryTransient(what, call, { ...this.#options, signal });
      return undefined;
    } catch (error) {
      if (error instanceof UnauthenticatedError) throw error;
      return error instanceof Error ? error : new Error(String(error));
    }
  }
}

/** Runs a job of either kind on the loaded model. */
function runJob(spec: JobSpec, context: RunnerContext): Promise<JobOutput[]> {
  return spec.kind === 'imagine' ? runImagineJob(spec.params, context) : runTrainJob(spec.params, context);
}

function urlOf(urls: JobUrls, kind: keyof JobUrls, name: string): string {
  const url = urls[kind][name];
  if (url === undefined) throw new Error(`the cluster sent no ${kind === 'inputs' ? 'download' : 'upload'} URL for ${name}`);
  return url;
}

/** `promise`, or a rejection with the signal's reason as soon as `signal` aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
