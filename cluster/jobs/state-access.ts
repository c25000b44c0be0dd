import { randomUUID } from 'node:crypto';
import type { ClusterBackend } from '../server/backend.ts';
import type { AgentView, Job } from '../state/types.ts';
import { SessionPool } from './session-pool.ts';

/** A queued job's place in line, as the `jobQueuePosition` query answers it. */
export interface QueuePosition {
  jobId: string;
  state: Job['state'];
  position: number;
  ahead: number;
  capableAgents: number;
  estimatedWaitMs: number | null;
}

/**
 * Typed commands and queries of the replicated state for the node's own services: proposals
 * carry this node's exactly-once sessions, queries decode their JSON. A proposal on a follower
 * throws `NotLeaderError` (the caller's client follows the hint).
 */
export class StateAccess {
  readonly #backend: ClusterBackend;
  readonly #sessions: SessionPool;

  constructor(backend: ClusterBackend, nodeId: string) {
    this.#backend = backend;
    this.#sessions = new SessionPool(`node:${nodeId}:${randomUUID()}`);
  }

  /** Proposes a command and resolves with its decoded result once applied. */
  propose<T>(command: Record<string, unknown> & { type: string }, signal: AbortSignal): Promise<T> {
    return this.#sessions.with(async (session) => {
      const result = await this.#backend.propose({ clientId: session.id, seq: session.seq, command: JSON.stringify(command) }, signal);
      return JSON.parse(result) as T;
    });
  }

  /** Runs a query: linearizable by default, from this node's applied state with `stale`. */
  async query<T>(query: Record<string, unknown> & { type: string }, signal: AbortSignal, stale = false): Promise<T> {
    return JSON.parse(await this.#backend.query({ query: JSON.stringify(query), stale }, signal)) as T;
  }

  job(jobId: string, signal: AbortSignal, stale = false): Promise<Job> {
    return this.query<Job>({ type: 'getJob', jobId }, signal, stale);
  }

  position(jobId: string, signal: AbortSignal, stale = false): Promise<QueuePosition> {
    return this.query<QueuePosition>({ type: 'jobQueuePosition', jobId }, signal, stale);
  }

  agentByTokenHash(tokenHash: string, signal: AbortSignal): Promise<AgentView | null> {
    return this.query<AgentView | null>({ type: 'findAgentByTokenHash', tokenHash }, signal, true);
  }

  /** Whether this node leads now (only the leader proposes housekeeping commands). */
  isLeader(): boolean {
    return this.#backend.status().role === 'leader';
  }

  onChange(listener: () => void): () => void {
    return this.#backend.onChange(listener);
  }
}
