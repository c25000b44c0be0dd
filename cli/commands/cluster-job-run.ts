import type { LoadedConfig } from '../../config/load-config.ts';
import type { Job } from '../../cluster/state/types.ts';
import type { CommandInput, CommonOptions } from '../command.ts';
import { withClient } from '../command-support.ts';
import type { ClusterClientApi } from '../context.ts';
import { downloadOutputs } from './cluster-job-download.ts';
import { startJobProgress, type JobProgressReporter } from './cluster-job-progress.ts';
import { describeErrors, isFinished, parseJobReply } from '../../cluster/client/job-wording.ts';
import { EXIT_INTERRUPTED, interruptible, type Interruption } from './local-model-command.ts';

/** A job for the cluster, as `imagine` and `train` describe it in cluster mode. */
export interface ClusterJobRequest {
  kind: 'imagine' | 'train';
  requester: string;
  /** The job's params; may call the cluster first (train uploads its photos here). */
  params(client: ClusterClientApi, signal: AbortSignal): Promise<Record<string, unknown>>;
  /** Where each output goes: output name -> file path. */
  targets(job: Job): ReadonlyMap<string, string>;
  /** Names the command in messages and the progress bar. */
  label: string;
  /** Only errors on standard error (for `--json`). */
  quiet: boolean;
}

/** How a cluster job ended for the command: its files were written, or the exit status to return. */
export type ClusterJobOutcome = { ok: true; job: Job; agentId: string | null } | { ok: false; status: number };

/**
 * Runs one job on the cluster for a command: submits it (with a fresh idempotency key, so a
 * submission the client retries after a lost reply is still one job), follows it to its end with
 * progress on standard error, and writes its outputs. A failed or cancelled job is reported with
 * its reasons (exit status 1). Ctrl-C cancels the job before the command exits with
 * {@link EXIT_INTERRUPTED}, so no agent works for someone who left. Refusals of the cluster are
 * thrown as its typed errors, whose messages say what to change.
 */
export async function runClusterJob(input: CommandInput<CommonOptions>, loaded: LoadedConfig, request: ClusterJobRequest): Promise<ClusterJobOutcome> {
  return withClient(input, loaded, { admin: true }, async (client) => {
    const scope = interruptible(input);
    const progress = startJobProgress(input.ctx.stderr, { label: request.label, quiet: request.quiet });
    let job: Job | undefined;
    try {
      const params = await request.params(client, scope.signal);
      // Not under Ctrl-C's signal: once sent, the submission must be answered, or the job could
      // exist without the id needed to cancel it.
      job = await submit(client, input, request, params);
      if (!request.quiet) input.ctx.stderr.write(`${request.label}: submitted job ${job.id}\n`);
      const followed = await follow(client, job.id, scope.signal, progress);
      job = followed.job;
      progress.stop();
      if (job.state !== 'succeeded') return { ok: false, status: reportUnfinished(input, request.label, job) };
      await downloadOutputs(client, job, request.targets(job), scope.signal);
      return { ok: true, job, agentId: followed.agentId };
    } catch (error) {
      progress.stop();
      if (!scope.interrupted()) throw error;
      return { ok: false, status: await stopForInterrupt(client, input, request, job) };
    } finally {
      scope.dispose();
    }
  });
}

async function submit(client: ClusterClientApi, input: CommandInput<CommonOptions>, request: ClusterJobRequest, params: Record<string, unknown>): Promise<Job> {
  const reply = await client.jobs(
    'Submit',
    { kind: request.kind, params: JSON.stringify(params), requester: request.requester, idempotencyKey: input.ctx.randomBytes(16).toString('hex') },
    { mode: 'leader', auth: 'admin', signal: input.signal },
  );
  return parseJobReply(reply).job;
}

/** Follows a job until it ends; `agentId` is the last agent seen holding it (a finished job names none). */
async function follow(client: ClusterClientApi, jobId: string, signal: AbortSignal, progress: JobProgressReporter): Promise<{ job: Job; agentId: string | null }> {
  signal.throwIfAborted();
  let last: Job | undefined;
  let agentId: string | null = null;
  for await (const reply of client.watchJob(jobId, signal)) {
    const update = parseJobReply(reply);
    progress.update(update);
    last = update.job;
    agentId = last.leaseHolder ?? agentId;
  }
  if (last === undefined || !isFinished(last)) throw new Error(`the cluster stopped reporting job ${jobId} before it ended; see \`teambooth jobs show ${jobId}\``);
  return { job: last, agentId };
}

/** Says why a job ended without results; returns the exit status. */
function reportUnfinished(input: CommandInput<CommonOptions>, label: string, job: Job): number {
  const { stderr } = input.ctx;
  if (job.state === 'cancelled') {
    stderr.write(`${label}: job ${job.id} was cancelled (by an admin, or with \`teambooth jobs cancel ${job.id}\`); nothing was written\n`);
    return 1;
  }
  const tries = job.attempts === 1 ? '1 attempt' : `${job.attempts} attempts`;
  stderr.write(`${label}: job ${job.id} failed after ${tries}; nothing was written:\n`);
  for (const line of describeErrors(job)) stderr.write(`  ${line}\n`);
  return 1;
}

/** Ctrl-C: cancels the job if it may still run, says so, and returns {@link EXIT_INTERRUPTED}. */
async function stopForInterrupt(client: ClusterClientApi, input: CommandInput<CommonOptions>, request: ClusterJobRequest, job: Job | undefined): Promise<number> {
  const { stderr } = input.ctx;
  if (job === undefined) {
    stderr.write(`${request.label}: interrupted before a job was submitted\n`);
  } else if (isFinished(job)) {
    stderr.write(`${request.label}: interrupted; job ${job.id} had ${job.state}, but its outputs were not all written\n`);
  } else {
    try {
      await client.jobs('Cancel', { jobId: job.id, requester: request.requester }, { mode: 'leader', auth: 'admin', signal: input.signal });
      stderr.write(`${request.label}: interrupted; cancelled job ${job.id}, nothing was written\n`);
    } catch (error) {
      stderr.write(`${request.label}: interrupted, but job ${job.id} could not be cancelled: ${(error as Error).message}\n`);
    }
  }
  return EXIT_INTERRUPTED;
}
