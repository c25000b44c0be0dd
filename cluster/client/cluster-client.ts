import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import type { MethodDefinition } from '@grpc/proto-loader';
import type { Logger } from 'pino';
import { loadProtos } from '../../proto/load.ts';
import type { ConfState__Output } from '../../proto/generated/teambooth/cluster/ConfState.ts';
import type { JobReply__Output } from '../../proto/generated/teambooth/jobs/JobReply.ts';
import type { JobsDefinition } from '../../proto/generated/teambooth/jobs/Jobs.ts';
import { NotLeaderError, ProposalDroppedError } from '../raft/errors.ts';
import type { ConfState } from '../raft/types.ts';
import type { NodeStatus } from '../server/backend.ts';
import { errorFromGrpcStatus } from '../server/grpc-status.ts';
import { SessionPool } from '../jobs/session-pool.ts';
import { backoffDelay, type BackoffPolicy } from './backoff.ts';
import { ClusterUnavailableError, ServerUnreachableError } from './client-errors.ts';

/** Options of {@link ClusterClient}. */
export interface ClusterClientOptions {
  /** host:port of one or more nodes; the client finds the leader from there. */
  servers: string[];
  /** Sent as `authorization: Bearer <token>` on admin calls (propose and membership changes). */
  adminToken?: string;
  /** An agent's token, sent as `authorization: Agent <token>` on the agent calls of the Jobs service. */
  agentToken?: string;
  /** PEM material; `cert` and `key` are needed when the servers require client certificates (mutual TLS). */
  tls?: { ca: string; cert?: string; key?: string };
  logger: Logger;
  /** Overall deadline of one operation, retries included (default 10 000 ms). */
  deadlineMs?: number;
  /** Base of the exactly-once identities (default: a random UUID). Must be unique per client instance. */
  clientId?: string;
  /** Randomness in [0, 1) for backoff jitter (default Math.random). */
  random?: () => number;
}

type RetryMode = 'leader' | 'any';

/** Which credential a call carries. */
type CallAuth = 'admin' | 'agent' | 'none';

/** The unary methods of the Jobs service (Watch streams). */
export type JobsUnaryMethod = 'Submit' | 'Cancel' | 'Get' | 'UploadPhotos' | 'ResultUrls' | 'AgentHeartbeat' | 'Claim' | 'Progress' | 'Complete' | 'Fail' | 'ModelFiles';
type JobsRequest<M extends keyof JobsDefinition> = JobsDefinition[M] extends MethodDefinition<infer Req, infer _Res, infer _ReqOut, infer _ResOut> ? Req : never;
type JobsResponse<M extends keyof JobsDefinition> = JobsDefinition[M] extends MethodDefinition<infer _Req, infer _Res, infer _ReqOut, infer ResOut> ? ResOut : never;

/** How {@link ClusterClient.jobs} routes and authenticates one call. */
export interface JobsCallOptions {
  /** `leader` for calls that change state, `any` for reads. */
  mode: RetryMode;
  auth: CallAuth;
  signal?: AbortSignal;
  /** Overall deadline of this call, retries included (default: the client's `deadlineMs`). */
  deadlineMs?: number;
}

const INITIAL_BACKOFF_MS = 25;
const MAX_BACKOFF_MS = 500;
const RETRY_BACKOFF: BackoffPolicy = { baseMs: INITIAL_BACKOFF_MS, maxMs: MAX_BACKOFF_MS };

function confFromProto(conf: ConfState__Output | null): ConfState {
  return { voters: conf?.voters ?? [], learners: conf?.learners ?? [], addresses: { ...conf?.addresses } };
}

function parseResult(result: string): unknown {
  return result === '' ? undefined : JSON.parse(result);
}

function encodeJson(what: string, value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError(`the ${what} must be a JSON value, got ${typeof value}`);
  return json;
}

/**
 * Client of a Teambooth cluster, for the CLI, the bots and the agents.
 *
 * Every operation runs under an overall deadline (`deadlineMs`). Writes go to the leader: the
 * client follows a follower's leader hint at once, tries the other servers when one is
 * unreachable, and backs off exponentially with jitter when no leader is known or the leader
 * dropped the proposal. Reads go to any server, spread round-robin. Errors that retrying cannot
 * fix (bad request, missing admin token, rejected command) are thrown at once, typed.
 *
 * Exactly-once writes: the state machine remembers, per client id, only the latest sequence
 * number it applied. Concurrent proposals therefore each take a session of their own from a
 * pool: session ids are `<clientId>/<n>`, a session serves one proposal at a time, and its
 * sequence number grows by one per proposal and stays the same across that proposal's retries.
 * So a retried write applies once, and proposals pipeline without a lock. The pool grows to the
 * highest number of proposals in flight at once. A `clientId` must not be reused by another
 * client instance (for example after a restart): its low sequence numbers would look like
 * duplicates.
 */
export class ClusterClient {
  readonly #servers: string[];
  readonly #configured: readonly string[];
  readonly #clients = new Map<string, grpc.Client>();
  readonly #credentials: grpc.ChannelCredentials;
  readonly #logger: Logger;
  readonly #deadlineMs: number;
  readonly #attemptMs: number;
  readonly #random: () => number;
  readonly #adminToken: string | undefined;
  readonly #agentToken: string | undefined;
  readonly #methods = loadProtos().cluster.Cluster.service;
  readonly #jobMethods = loadProtos().jobs.Jobs.service as unknown as JobsDefinition;
  readonly #sessions: SessionPool;
  #leader: string | undefined;
  #nextRead = 0;
  #closed = false;

  constructor(options: ClusterClientOptions) {
    const servers = options.servers.map((server) => server.trim()).filter((server) => server !== '');
    if (servers.length === 0) throw new Error('no cluster servers given: pass at least one host:port (for example --servers 127.0.0.1:7001)');
    for (const server of servers) {
      if (!/^(\[[0-9A-Fa-f:.]+\]|[^:[\]\s]+):\d{1,5}$/.test(server)) throw new Error(`server "${server}" is not host:port (for example 127.0.0.1:7001)`);
    }
    this.#configured = [...new Set(servers)];
    this.#servers = [...this.#configured];
    this.#deadlineMs = options.deadlineMs ?? 10_000;
    if (!(this.#deadlineMs > 0)) throw new Error(`deadlineMs must be positive, got ${options.deadlineMs}`);
    this.#attemptMs = Math.max(1000, Math.floor(this.#deadlineMs / 3));
    this.#random = options.random ?? Math.random;
    this.#sessions = new SessionPool(options.clientId ?? randomUUID());
    this.#adminToken = options.adminToken;
    this.#agentToken = options.agentToken;
    this.#logger = options.logger.child({ component: 'cluster-client' });
    const tls = options.tls;
    this.#credentials = tls
      ? grpc.credentials.createSsl(Buffer.from(tls.ca), tls.key ? Buffer.from(tls.key) : null, tls.cert ? Buffer.from(tls.cert) : null)
      : grpc.credentials.createInsecure();
  }

  /** Status of every configured server, in order; a server that does not answer gets `error` instead. */
  async statusAll(signal?: AbortSignal): Promise<Array<{ server: string; status?: NodeStatus; error?: string }>> {
    const deadline = Date.now() + this.#deadlineMs;
    return Promise.all(
      this.#configured.map(async (server) => {
        try {
          const s = await this.#call(server, this.#methods.Status, {}, 'none', deadline, signal);
          const status: NodeStatus = {
            id: s.id,
            address: s.address,
            clusterId: s.clusterId,
            role: s.role as NodeStatus['role'],
            term: s.term,
            commitIndex: s.commitIndex,
            appliedIndex: s.appliedIndex,
            leaderId: s.leaderId,
            leaderAddress: s.leaderAddress,
            conf: confFromProto(s.conf),
            modelVersion: s.modelVersion,
          };
          return { server, status };
        } catch (error) {
          if (signal?.aborted) throw signal.reason;
          return { server, error: (error as Error).message };
        }
      }),
    );
  }

  /** Proposes a command (JSON-encoded) through the leader; resolves with its decoded result once applied. */
  async propose(command: unknown, signal?: AbortSignal): Promise<unknown> {
    const json = encodeJson('command', command);
    return this.#sessions.with(async (session) => {
      const request = { clientId: session.id, seq: session.seq, command: json };
      const response = await this.#retry('leader', (server, deadline) => this.#call(server, this.#methods.Propose, request, 'admin', deadline, signal), signal);
      return parseResult(response.result);
    });
  }

  /** Reads through any server: linearizable (ReadIndex) unless `stale` is set. */
  async query(query: unknown, options?: { stale?: boolean; signal?: AbortSignal }): Promise<unknown> {
    const request = { query: encodeJson('query', query), stale: options?.stale ?? false };
    const signal = options?.signal;
    const response = await this.#retry('any', (server, deadline) => this.#call(server, this.#methods.Query, request, 'none', deadline, signal), signal);
    return parseResult(response.result);
  }

  /** Adds a node as a learner (it is promoted once caught up); resolves with the new membership. */
  async addNode(nodeId: string, address: string, signal?: AbortSignal): Promise<ConfState> {
    const response = await this.#retry('leader', (server, deadline) => this.#call(server, this.#methods.AddNode, { nodeId, address }, 'admin', deadline, signal), signal);
    return confFromProto(response.conf);
  }

  /** Removes a node from the cluster; resolves with the new membership. */
  async removeNode(nodeId: string, signal?: AbortSignal): Promise<ConfState> {
    const response = await this.#retry('leader', (server, deadline) => this.#call(server, this.#methods.RemoveNode, { nodeId }, 'admin', deadline, signal), signal);
    return confFromProto(response.conf);
  }

  /** Asks the leader to hand leadership to `nodeId`. */
  async transferLeadership(nodeId: string, signal?: AbortSignal): Promise<void> {
    await this.#retry('leader', (server, deadline) => this.#call(server, this.#methods.TransferLeader, { nodeId }, 'admin', deadline, signal), signal);
  }

  /** One unary call of the Jobs service, routed and retried like the Cluster calls. */
  async jobs<M extends JobsUnaryMethod>(name: M, request: JobsRequest<M>, options: JobsCallOptions): Promise<JobsResponse<M>> {
    const method = this.#jobMethods[name] as unknown as MethodDefinition<JobsRequest<M>, unknown, unknown, JobsResponse<M>>;
    return this.#retry(
      options.mode,
      (server, deadline) => this.#call(server, method, request, options.auth, deadline, options.signal),
      options.signal,
      options.deadlineMs,
    );
  }

  /**
   * Follows a job: yields its state now and on every change until it ends (the server closes the
   * stream) or `signal` fires. A broken stream is reopened on the next server, so a node going
   * away costs a repeated update, never a lost one: each reopened stream starts with the job's
   * current state.
   */
  async *watchJob(jobId: string, signal?: AbortSignal): AsyncGenerator<JobReply__Output> {
    const method = this.#jobMethods.Watch;
    let failures = 0;
    let server = this.#servers[this.#nextRead++ % this.#servers.length]!;
    for (;;) {
      signal?.throwIfAborted();
      const call = this.#client(server).makeServerStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, { jobId }, new grpc.Metadata(), {});
      const onAbort = (): void => call.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        for await (const reply of call as AsyncIterable<JobReply__Output>) {
          failures = 0;
          yield reply;
        }
        return;
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        const typed = errorFromGrpcStatus(error as grpc.ServiceError, server);
        if (!(typed instanceof ServerUnreachableError) && !(typed instanceof NotLeaderError)) throw typed;
        if (++failures > 3 * this.#servers.length) throw new ClusterUnavailableError(`no server could follow job ${jobId} at ${this.#servers.join(', ')}: is the cluster running?`, typed);
        this.#logger.debug({ server, err: typed.message }, 'job watch broke; reopening on the next server');
        await sleep(Math.min(MAX_BACKOFF_MS, INITIAL_BACKOFF_MS * 2 ** failures), undefined, signal ? { signal } : undefined);
        server = this.#after(server);
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    }
  }

  /** Closes every connection; later calls fail. */
  close(): void {
    this.#closed = true;
    for (const client of this.#clients.values()) client.close();
    this.#clients.clear();
  }

  #client(server: string): grpc.Client {
    if (this.#closed) throw new Error('the cluster client is closed');
    let client = this.#clients.get(server);
    if (!client) {
      client = new grpc.Client(server, this.#credentials, {
        'grpc.max_receive_message_length': 64 * 1024 * 1024,
        'grpc.initial_reconnect_backoff_ms': 100,
        'grpc.max_reconnect_backoff_ms': 1000,
      });
      this.#clients.set(server, client);
    }
    return client;
  }

  /** One unary call to one server; failures become typed errors (errorFromGrpcStatus). */
  #call<Req, Res, ResIn, ReqOut>(
    server: string,
    method: MethodDefinition<Req, ResIn, ReqOut, Res>,
    request: Req,
    auth: CallAuth,
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<Res> {
    signal?.throwIfAborted();
    const client = this.#client(server);
    const metadata = this.#metadata(auth);
    return new Promise<Res>((resolve, reject) => {
      const onAbort = (): void => call.cancel();
      const call = client.makeUnaryRequest<Req, Res>(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        request,
        metadata,
        { deadline },
        (error, response) => {
          signal?.removeEventListener('abort', onAbort);
          if (signal?.aborted) reject(signal.reason);
          else if (error) reject(errorFromGrpcStatus(error, server));
          else resolve(response!);
        },
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** The call metadata for a credential. */
  #metadata(auth: CallAuth): grpc.Metadata {
    const metadata = new grpc.Metadata();
    if (auth === 'admin' && this.#adminToken !== undefined) metadata.set('authorization', `Bearer ${this.#adminToken}`);
    if (auth === 'agent' && this.#agentToken !== undefined) metadata.set('authorization', `Agent ${this.#agentToken}`);
    return metadata;
  }

  /** Runs `attempt` against servers until it succeeds, a non-retryable error comes, or the deadline passes. */
  async #retry<T>(
    mode: RetryMode,
    attempt: (server: string, deadline: number) => Promise<T>,
    signal: AbortSignal | undefined,
    deadlineMs = this.#deadlineMs,
  ): Promise<T> {
    const deadline = Date.now() + deadlineMs;
    const attemptMs = Math.max(this.#attemptMs, Math.floor(deadlineMs / 3));
    const servers = this.#servers;
    let server = mode === 'leader' ? (this.#leader ?? servers[0]!) : servers[this.#nextRead++ % servers.length]!;
    let lastError: Error | undefined;
    let backoffs = 0;
    let hintsFollowed = 0;
    let unreachableInRow = 0;
    for (;;) {
      signal?.throwIfAborted();
      const now = Date.now();
      if (now >= deadline) throw this.#unavailable(mode, lastError);
      try {
        const result = await attempt(server, Math.min(deadline, now + attemptMs));
        if (mode === 'leader') this.#leader = server;
        return result;
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (!(error instanceof Error)) throw error;
        lastError = error;
        let next = this.#after(server);
        let wait = true;
        if (error instanceof NotLeaderError) {
          if (this.#leader === server) this.#leader = undefined;
          unreachableInRow = 0;
          const hint = error.leaderAddress;
          if (hint && hint !== server && hintsFollowed < servers.length) {
            // A follower named the leader: go there now.
            if (!servers.includes(hint)) servers.push(hint);
            if (mode === 'leader') this.#leader = hint;
            next = hint;
            hintsFollowed++;
            wait = false;
          }
        } else if (error instanceof ServerUnreachableError) {
          if (this.#leader === server) this.#leader = undefined;
          // Try every server once before backing off.
          wait = ++unreachableInRow >= servers.length;
        } else if (error instanceof ProposalDroppedError) {
          next = server; // the leader is there but busy (transfer, too many uncommitted bytes)
        } else {
          throw error;
        }
        this.#logger.debug({ server, next, err: error.message, wait }, 'retrying');
        if (wait) {
          unreachableInRow = 0;
          hintsFollowed = 0;
          const delay = Math.min(backoffDelay(backoffs++, RETRY_BACKOFF, this.#random), deadline - Date.now());
          if (delay > 0) await sleep(delay, undefined, signal ? { signal } : undefined);
        }
        server = next;
      }
    }
  }

  #after(server: string): string {
    const servers = this.#servers;
    return servers[(servers.indexOf(server) + 1) % servers.length]!;
  }

  #unavailable(mode: RetryMode, lastError: Error | undefined): ClusterUnavailableError {
    const where = this.#servers.join(', ');
    const last = lastError ? ` (last error: ${lastError.message})` : '';
    const message =
      mode === 'leader'
        ? `no leader reachable at ${where} within ${this.#deadlineMs} ms: is the cluster running, with a majority of its nodes up?${last}`
        : `no server answered at ${where} within ${this.#deadlineMs} ms: is the cluster running?${last}`;
    return new ClusterUnavailableError(message, lastError);
  }
}
