import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { loadProtos } from '../../proto/load.ts';
import type { JobReply } from '../../proto/generated/teambooth/jobs/JobReply.ts';
import type { JobsHandlers } from '../../proto/generated/teambooth/jobs/Jobs.ts';
import { ContentStore } from '../blob-store/content-store.ts';
import type { ModelManifest } from '../blob-store/model-manifest.ts';
import type { S3BlobStore } from '../blob-store/s3-blob-store.ts';
import { CommandRejectedError, UnauthenticatedError } from '../raft/errors.ts';
import type { ClusterBackend } from '../server/backend.ts';
import type { GrpcServiceBinding } from '../server/grpc-server.ts';
import { grpcStatusFromError } from '../server/grpc-status.ts';
import { authorizationToken, requireAdmin, unaryCall } from '../server/unary-call.ts';
import { capabilitiesSchema, fields } from '../state/commands.ts';
import { describeIssues } from '../state/describe-issues.ts';
import type { AgentView, Job, ModelVersion } from '../state/types.ts';
import { agentTokenHash } from './agent-token.ts';
import { ClaimWaiter } from './claim-waiter.ts';
import { presignJobUrls, verifyOutputs, type OutputCheck } from './job-objects.ts';
import { parseJobSpec } from './job-params.ts';
import { requireStoredPhotos, storePhotos } from './photo-uploads.ts';
import { StateAccess } from './state-access.ts';

/** Options of {@link createJobsService}. */
export interface JobsServiceOptions {
  backend: ClusterBackend;
  blobs: S3BlobStore;
  nodeId: string;
  logger: Logger;
  /** Lease an agent gets on a claimed job, renewed by each progress report. */
  leaseMs: number;
  /** Checks an uploaded output before a job may succeed (see cluster/jobs/result-validation). */
  checkOutput: OutputCheck;
  /** Model version manifests by key, shared with the node's other readers of them. */
  manifestAt: (key: string, signal: AbortSignal) => Promise<ModelManifest>;
  /** Side of the base model's images, for checking train photos. */
  modelSize: number;
  now?: () => number;
  /** Randomness in [0, 1) for seeds a submission leaves out. */
  random?: () => number;
  randomBytes?: (size: number) => Uint8Array;
}

/** Longest a Claim waits for a job. */
export const MAX_CLAIM_WAIT_MS = 20_000;
const TERMINAL: ReadonlySet<Job['state']> = new Set(['succeeded', 'failed', 'cancelled']);
const AGENT_TOKEN_HINT = 'pass the token `teambooth agents token create` printed (TEAMBOOTH_AGENT_TOKEN)';

function parseJsonField(field: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new CommandRejectedError(`${field} is not valid JSON`, 'invalid');
  }
}

function requireJobId(jobId: string): void {
  if (!fields.jobId.safeParse(jobId).success) throw new CommandRejectedError(`job_id ${JSON.stringify(jobId.slice(0, 40))} is not a job id: a job id looks like j-42`, 'invalid');
}

/**
 * The `teambooth.jobs.Jobs` service (proto/jobs.proto) of one node. It turns members' and
 * agents' calls into commands of the replicated state (which decides who gets which job), and
 * does what the log cannot: presigned URLs for exactly one job's objects, checking photos before
 * a train job exists, and checking every output an agent uploads before the job may succeed (a
 * bad output fails the attempt and counts against the agent).
 */
export function createJobsService(options: JobsServiceOptions): GrpcServiceBinding {
  const { blobs, leaseMs } = options;
  const logger = options.logger.child({ component: 'jobs-service' });
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const randomBytes = options.randomBytes ?? ((size: number) => new Uint8Array(cryptoRandomBytes(size)));
  const state = new StateAccess(options.backend, options.nodeId);
  const claims = new ClaimWaiter(state, now);
  const watches = new Set<grpc.ServerWritableStream<unknown, JobReply>>();
  const content = new ContentStore({ blobs, logger });
  const { manifestAt } = options;

  const admin = <Req, Res>(run: (request: Req, signal: AbortSignal) => Promise<Res>): grpc.handleUnaryCall<Req, Res> =>
    unaryCall<Req, Res>(logger, now, (request, signal, metadata) => {
      requireAdmin(options.backend, metadata);
      return run(request, signal);
    });
  const open = <Req, Res>(run: (request: Req, signal: AbortSignal) => Promise<Res>): grpc.handleUnaryCall<Req, Res> =>
    unaryCall<Req, Res>(logger, now, (request, signal) => run(request, signal));
  const agentCall = <Req, Res>(run: (request: Req, agent: AgentView, signal: AbortSignal) => Promise<Res>): grpc.handleUnaryCall<Req, Res> =>
    unaryCall<Req, Res>(logger, now, async (request, signal, metadata) => run(request, await authenticateAgent(metadata, signal), signal));

  /** The agent whose token the call carries; revoked or unknown tokens are refused. */
  async function authenticateAgent(metadata: grpc.Metadata, signal: AbortSignal): Promise<AgentView> {
    const token = authorizationToken(metadata, 'Agent');
    if (token === undefined) throw new UnauthenticatedError(`this call needs an agent token: ${AGENT_TOKEN_HINT}`);
    const agent = await state.agentByTokenHash(agentTokenHash(token), signal);
    if (agent === null) throw new UnauthenticatedError(`this agent token is not registered or was revoked: ask an admin for a new one (${AGENT_TOKEN_HINT})`);
    return agent;
  }

  async function reply(job: Job, signal: AbortSignal, stale = false): Promise<JobReply> {
    const queue = job.state === 'queued' ? JSON.stringify(await state.position(job.id, signal, stale)) : '';
    return { job: JSON.stringify(job), queue };
  }

  const handlers: JobsHandlers = {
    Submit: admin(async (request, signal) => {
      const spec = parseJobSpec(request.kind, parseJsonField('params', request.params), random);
      if (spec.kind === 'train') await requireStoredPhotos(blobs, spec.params.uploadId, spec.params.photos, signal);
      const job = await state.propose<Job>(
        {
          type: 'submitJob',
          kind: spec.kind,
          params: spec.params,
          requester: request.requester,
          ...(request.idempotencyKey === '' ? {} : { idempotencyKey: request.idempotencyKey }),
        },
        signal,
      );
      logger.info({ jobId: job.id, kind: job.kind, requester: job.requester }, 'job submitted');
      // This node applied the submission already: its own state answers the position without a ReadIndex round.
      return reply(job, signal, true);
    }),
    Cancel: admin(async (request, signal) => {
      requireJobId(request.jobId);
      const job = await state.propose<Job>({ type: 'cancelJob', jobId: request.jobId, ...(request.requester === '' ? {} : { requester: request.requester }) }, signal);
      return reply(job, signal);
    }),
    Get: open(async (request, signal) => {
      requireJobId(request.jobId);
      return reply(await state.job(request.jobId, signal), signal);
    }),
    UploadPhotos: admin(async (request, signal) => {
      const uploadId = `u-${Buffer.from(randomBytes(8)).toString('hex')}`;
      const stored = await storePhotos(blobs, request.photos.map((p) => ({ name: p.name, data: p.data })), { modelSize: options.modelSize, uploadId, signal });
      return { uploadId: stored.uploadId, names: stored.names };
    }),
    ResultUrls: admin(async (request, signal) => {
      requireJobId(request.jobId);
      const job = await state.job(request.jobId, signal);
      if (job.state !== 'succeeded') throw new CommandRejectedError(`job ${job.id} is ${job.state}; only a succeeded job has results`, 'failed_precondition');
      const outputs = (job.result?.outputs ?? []) as { name: string; key: string }[];
      const urls: Record<string, string> = {};
      for (const output of outputs) urls[output.name] = (await blobs.presignGet(output.key)).url;
      return { urls };
    }),
    Watch: (call) => watch(call),

    AgentHeartbeat: agentCall(async (request, agent, signal) => {
      const parsed = capabilitiesSchema.safeParse(parseJsonField('capabilities', request.capabilities));
      if (!parsed.success) throw new CommandRejectedError(describeIssues('capabilities', parsed.error), 'invalid');
      const updated = await state.propose<AgentView>({ type: 'agentHeartbeat', agentId: agent.id, capabilities: parsed.data }, signal);
      return { agent: JSON.stringify(updated) };
    }),
    Claim: agentCall(async (request, agent, signal) => {
      const waitMs = Math.min(MAX_CLAIM_WAIT_MS, request.waitMs);
      const kinds = request.kinds.length === 0 ? undefined : request.kinds;
      const job = await claims.claim({ agentId: agent.id, leaseMs, ...(kinds === undefined ? {} : { kinds }) }, now() + waitMs, signal);
      if (job === null) return { job: '', leaseMs, inputs: {}, outputs: {} };
      logger.info({ jobId: job.id, agentId: agent.id, attempt: job.attempts }, 'job leased');
      return { job: JSON.stringify(job), leaseMs, ...(await presignJobUrls(blobs, job)) };
    }),
    Progress: agentCall(async (request, agent, signal) => {
      requireJobId(request.jobId);
      const progress = {
        step: request.step,
        total: request.total,
        ...(Number.isFinite(request.loss) ? { loss: request.loss } : {}),
        ...(request.phase === '' ? {} : { phase: request.phase }),
      };
      const job = await state.propose<Job>({ type: 'reportProgress', agentId: agent.id, jobId: request.jobId, leaseMs, progress }, signal);
      return { leaseMs, ...(request.refreshUrls ? await presignJobUrls(blobs, job) : { inputs: {}, outputs: {} }) };
    }),
    Complete: agentCall(async (request, agent, signal) => {
      requireJobId(request.jobId);
      // A local read is enough to decide whether to check the outputs: completeJob itself is refused unless the agent still holds the job.
      const job = await state.job(request.jobId, signal, true);
      if (job.leaseHolder !== agent.id || TERMINAL.has(job.state) || job.state === 'queued') {
        throw new CommandRejectedError(`job ${job.id} is ${job.state}${job.leaseHolder === null ? '' : ` and leased to ${job.leaseHolder}`}, not held by ${agent.id}; drop this work`, 'failed_precondition');
      }
      const verdict = await verifyOutputs(blobs, job, request.outputs, options.checkOutput, signal);
      if (!verdict.ok) {
        const reason = `invalid result: ${verdict.reason}`;
        await state.propose({ type: 'failJob', agentId: agent.id, jobId: job.id, reason }, signal);
        logger.warn({ jobId: job.id, agentId: agent.id, reason }, 'refused an agent result');
        throw new CommandRejectedError(`the result of job ${job.id} was refused (${verdict.reason}); the job goes to another agent`, 'invalid');
      }
      const done = await state.propose<Job>({ type: 'completeJob', agentId: agent.id, jobId: job.id, result: { outputs: verdict.outputs } }, signal);
      logger.info({ jobId: job.id, agentId: agent.id, outputs: verdict.outputs.length }, 'job succeeded');
      return reply(done, signal);
    }),
    ModelFiles: agentCall(async (request, _agent, signal) => modelFiles(request, signal)),
    Fail: agentCall(async (request, agent, signal) => {
      requireJobId(request.jobId);
      const command = request.release
        ? { type: 'releaseJob', agentId: agent.id, jobId: request.jobId }
        : { type: 'failJob', agentId: agent.id, jobId: request.jobId, reason: request.reason === '' ? 'the agent gave no reason' : request.reason.slice(0, 2000), ...(request.final ? { final: true } : {}) };
      const job = await state.propose<Job>(command, signal);
      logger.info({ jobId: job.id, agentId: agent.id, release: request.release, state: job.state }, request.release ? 'job released' : 'job attempt failed');
      return reply(job, signal);
    }),
  };

  /** Presigned GETs of a model version's manifest and of the tensors of it that an agent asks for. */
  async function modelFiles(request: { version: string; hashes: string[] }, signal: AbortSignal) {
    if (!fields.versionId.safeParse(request.version).success) throw new CommandRejectedError(`version ${JSON.stringify(request.version.slice(0, 40))} is not a version id: it looks like v3`, 'invalid');
    if (request.hashes.length > 100_000) throw new CommandRejectedError(`ask for at most 100000 tensors at once (got ${request.hashes.length})`, 'invalid');
    const version = await state.query<ModelVersion>({ type: 'getModelVersion', versionId: request.version }, signal, true);
    const listed = new Set<string>();
    if (request.hashes.length > 0) for (const tensor of Object.values((await manifestAt(version.manifestKey, signal)).tensors)) listed.add(tensor.sha256);
    const urls: Record<string, string> = {};
    for (const hash of request.hashes) {
      if (!listed.has(hash)) throw new CommandRejectedError(`tensor ${hash.slice(0, 64)} is not part of model version ${version.id}; ask only for hashes its manifest lists`, 'invalid');
      urls[hash] = (await content.presignGet(hash)).url;
    }
    return { manifestKey: version.manifestKey, manifestUrl: (await blobs.presignGet(version.manifestKey)).url, urls };
  }

  /**
   * Streams a job: its state now (a linearizable read), then whenever this node's applied copy
   * of it or its queue position changes, until it ends. Any node serves it from its own state.
   */
  function watch(call: grpc.ServerWritableStream<{ jobId: string }, JobReply>): void {
    const controller = new AbortController();
    let last = '';
    let running = false;
    let again = false;
    let unsubscribe = (): void => {};
    const stop = (): void => {
      unsubscribe();
      watches.delete(call);
      controller.abort();
    };
    const fail = (error: unknown): void => {
      if (controller.signal.aborted) return;
      stop();
      call.emit('error', grpcStatusFromError(error, logger));
    };
    const send = async (stale: boolean): Promise<void> => {
      const job = await state.job(call.request.jobId, controller.signal, stale);
      const next = await reply(job, controller.signal, stale);
      const text = `${next.job}\n${next.queue}`;
      if (text !== last && !controller.signal.aborted) {
        last = text;
        call.write(next);
      }
      if (TERMINAL.has(job.state)) {
        stop();
        call.end();
      }
    };
    const refresh = (): void => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      send(true)
        .catch(fail)
        .finally(() => {
          running = false;
          if (again && !controller.signal.aborted) {
            again = false;
            refresh();
          }
        });
    };
    call.on('cancelled', stop);
    try {
      requireJobId(call.request.jobId);
    } catch (error) {
      fail(error);
      return;
    }
    watches.add(call);
    running = true;
    send(false)
      .then(() => {
        running = false;
        if (!controller.signal.aborted) unsubscribe = state.onChange(refresh);
      })
      .catch(fail);
  }

  return {
    definition: loadProtos().jobs.Jobs.service,
    implementation: handlers,
    close: () => {
      claims.close();
      for (const call of [...watches]) {
        watches.delete(call);
        call.end();
      }
    },
  };
}
