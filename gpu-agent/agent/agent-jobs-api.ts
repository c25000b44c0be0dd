import { z } from 'zod';
import type { ClusterClient } from '../../cluster/client/cluster-client.ts';
import type { AgentCapabilities, AgentStatus } from '../../cluster/state/types.ts';

/**
 * The agent's port to the cluster: the agent calls of the Jobs service (proto/jobs.proto)
 * with their JSON payloads decoded and checked, so the rest of the agent never sees the wire
 * format. {@link clusterJobsApi} implements it over the {@link ClusterClient}, which follows the
 * leader and retries across servers within one call's deadline.
 */

/** The agent's own record, as a heartbeat returns it. */
export interface AgentRecord {
  id: string;
  name: string;
  status: AgentStatus;
  /** Why the agent was paused, when it was paused automatically. */
  pausedReason: string | null;
}

/** Presigned URLs of a job's objects, by name: GET for inputs, PUT for outputs. */
export interface JobUrls {
  inputs: Record<string, string>;
  outputs: Record<string, string>;
}

/** A job this agent has leased. `kind` and `params` are checked by the job runner, not here. */
export interface ClaimedJob extends JobUrls {
  id: string;
  kind: string;
  params: unknown;
  /** This lease is attempt number `attempts` of the job. */
  attempts: number;
  leaseMs: number;
  /** The shared model's version the job runs on; null for the agent's built-in model. */
  modelVersion: string | null;
  /** A train job's slot of the orthogonal basis (only `up` trains); null for a standard LoRA. */
  basis: { seed: number; slot: number } | null;
}

/** Where to download a model version (see ModelFiles in proto/jobs.proto). */
export interface ModelFiles {
  manifestKey: string;
  manifestUrl: string;
  /** Tensor hash -> presigned GET URL, for the hashes asked for. */
  urls: Record<string, string>;
}

/** One progress report; `loss` is NaN when not training. */
export interface ProgressReport {
  step: number;
  total: number;
  loss: number;
  phase: string;
}

/** How a job attempt ended badly (see FailRequest in proto/jobs.proto). */
export interface JobFailure {
  reason: string;
  /** The job's own input is bad: fail it for good. */
  final: boolean;
  /** The agent gives the job back unharmed (shutting down). */
  release: boolean;
}

/** The agent calls of the Jobs service. Errors are the typed errors of the cluster client. */
export interface AgentJobsApi {
  heartbeat(capabilities: AgentCapabilities, signal: AbortSignal): Promise<AgentRecord>;
  /** Long-polls for up to `waitMs` (at most {@link MAX_CLAIM_WAIT_MS}); undefined when no job came. */
  claim(kinds: readonly string[], waitMs: number, signal: AbortSignal): Promise<ClaimedJob | undefined>;
  /** Reports progress and renews the lease; with `refreshUrls`, the reply carries fresh URLs. */
  progress(jobId: string, report: ProgressReport, refreshUrls: boolean, signal: AbortSignal): Promise<JobUrls & { leaseMs: number }>;
  complete(jobId: string, outputs: readonly string[], signal: AbortSignal): Promise<void>;
  fail(jobId: string, failure: JobFailure, signal: AbortSignal): Promise<void>;
  /** The manifest of a model version, and URLs of the tensors in `hashes`. */
  modelFiles(version: string, hashes: readonly string[], signal: AbortSignal): Promise<ModelFiles>;
}

/** The longest long poll the Claim call allows. */
export const MAX_CLAIM_WAIT_MS = 20_000;

/**
 * The deadline of a Claim call. The client gives each try a third of a call's deadline, and a
 * try must outlast the server's wait, so the deadline is three times the wait plus a margin.
 */
export function claimDeadlineMs(waitMs: number): number {
  return 3 * (waitMs + 5_000);
}

const agentSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  status: z.enum(['active', 'paused', 'revoked']),
  pausedReason: z.string().nullish(),
});

const jobSchema = z.looseObject({
  id: z.string().min(1),
  kind: z.string(),
  params: z.unknown(),
  attempts: z.number().int().nonnegative(),
  modelVersion: z.string().nullish(),
  basis: z.strictObject({ seed: z.number().int().nonnegative(), slot: z.number().int().nonnegative() }).nullish(),
});

function decode<T>(what: string, json: string, schema: z.ZodType<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new Error(`the cluster sent ${what} that is not JSON; is this agent as new as the cluster?`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`the cluster sent ${what} this agent does not understand (${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}); is this agent as new as the cluster?`);
  }
  return parsed.data;
}

/** {@link AgentJobsApi} over a cluster client that holds the agent token. */
export function clusterJobsApi(client: Pick<ClusterClient, 'jobs'>): AgentJobsApi {
  const agentCall = { mode: 'leader', auth: 'agent' } as const;
  return {
    async heartbeat(capabilities, signal) {
      const reply = await client.jobs('AgentHeartbeat', { capabilities: JSON.stringify(capabilities) }, { ...agentCall, signal });
      const agent = decode('an agent record', reply.agent, agentSchema);
      return { id: agent.id, name: agent.name, status: agent.status, pausedReason: agent.pausedReason ?? null };
    },
    async claim(kinds, waitMs, signal) {
      const wait = Math.min(waitMs, MAX_CLAIM_WAIT_MS);
      const reply = await client.jobs('Claim', { waitMs: wait, kinds: [...kinds] }, { ...agentCall, signal, deadlineMs: claimDeadlineMs(wait) });
      if (reply.job === '') return undefined;
      const job = decode('a job record', reply.job, jobSchema);
      return {
        id: job.id,
        kind: job.kind,
        params: job.params,
        attempts: job.attempts,
        leaseMs: reply.leaseMs,
        modelVersion: job.modelVersion ?? null,
        basis: job.basis ?? null,
        inputs: { ...reply.inputs },
        outputs: { ...reply.outputs },
      };
    },
    async progress(jobId, report, refreshUrls, signal) {
      const reply = await client.jobs('Progress', { jobId, ...report, refreshUrls }, { ...agentCall, signal });
      return { leaseMs: reply.leaseMs, inputs: { ...reply.inputs }, outputs: { ...reply.outputs } };
    },
    async complete(jobId, outputs, signal) {
      await client.jobs('Complete', { jobId, outputs: [...outputs] }, { ...agentCall, signal });
    },
    async fail(jobId, failure, signal) {
      await client.jobs('Fail', { jobId, ...failure }, { ...agentCall, signal });
    },
    async modelFiles(version, hashes, signal) {
      // The leader has every committed version; a follower may not have applied the newest yet.
      const reply = await client.jobs('ModelFiles', { version, hashes: [...hashes] }, { ...agentCall, signal });
      return { manifestKey: reply.manifestKey, manifestUrl: reply.manifestUrl, urls: { ...reply.urls } };
    },
  };
}
