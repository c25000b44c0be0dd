import type { Logger } from 'pino';
import { UnauthenticatedError } from '../../cluster/raft/errors.ts';
import type { AgentCapabilities, AgentStatus } from '../../cluster/state/types.ts';
import { AgentRejectedError, tokenRefusedError } from './agent-errors.ts';
import type { AgentJobsApi, AgentRecord } from './agent-jobs-api.ts';

/**
 * The agent's heartbeat: tells the cluster every few seconds that the agent is alive and what it
 * can do, and learns from the reply whether it may take jobs. A paused agent stops claiming until
 * an admin sets it active again (the reason is logged once per change); a revoked agent, or a
 * token the cluster refuses, ends the agent. While the cluster is unreachable the heartbeat keeps
 * trying at its usual pace, so the agent reappears as soon as a leader does.
 */

/** Options of {@link AgentHeartbeat}. */
export interface AgentHeartbeatOptions {
  api: AgentJobsApi;
  capabilities: AgentCapabilities;
  intervalMs: number;
  logger: Logger;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** Sends heartbeats and keeps the agent's status; see the module comment. */
export class AgentHeartbeat {
  readonly #options: AgentHeartbeatOptions;
  #status: AgentStatus | undefined;
  #pausedReason: string | null = null;
  #unreachable = false;
  readonly #waiters = new Set<() => void>();

  constructor(options: AgentHeartbeatOptions) {
    this.#options = options;
  }

  /**
   * Beats until `signal` aborts (then resolves). Rejects with an {@link AgentRejectedError} when
   * the agent is revoked or its token refused.
   */
  async run(signal: AbortSignal): Promise<void> {
    const { api, capabilities, intervalMs, logger, sleep } = this.#options;
    while (!signal.aborted) {
      try {
        this.#update(await api.heartbeat(capabilities, signal));
        if (this.#unreachable) logger.info('heartbeat: the cluster answers again');
        this.#unreachable = false;
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof AgentRejectedError) throw error;
        if (error instanceof UnauthenticatedError) throw tokenRefusedError(error);
        const message = error instanceof Error ? error.message : String(error);
        if (!this.#unreachable) logger.warn({ err: message }, 'heartbeat failed; trying again at every beat');
        else logger.debug({ err: message }, 'heartbeat failed');
        this.#unreachable = true;
      }
      await sleep(intervalMs, signal).catch(() => undefined);
    }
  }

  /** Resolves once the cluster has said the agent is active (at once if it has); rejects if `signal` aborts first. */
  whenActive(signal: AbortSignal): Promise<void> {
    if (this.#status === 'active') return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.#waiters.delete(onActive);
        reject(signal.reason);
      };
      const onActive = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      if (signal.aborted) return reject(signal.reason);
      this.#waiters.add(onActive);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  #update(agent: AgentRecord): void {
    const { logger } = this.#options;
    if (agent.status === 'revoked') {
      throw new AgentRejectedError(`agent ${agent.id} ("${agent.name}") has been revoked; create a new token with \`teambooth agents token create --name NAME\` to run an agent here again`);
    }
    const changed = agent.status !== this.#status || agent.pausedReason !== this.#pausedReason;
    this.#status = agent.status;
    this.#pausedReason = agent.pausedReason;
    if (!changed) return;
    if (agent.status === 'paused') {
      logger.warn({ agentId: agent.id, reason: agent.pausedReason }, `agent "${agent.name}" is paused${agent.pausedReason === null ? '' : `: ${agent.pausedReason}`}; taking no jobs until an admin sets it active`);
      return;
    }
    logger.info({ agentId: agent.id }, `agent "${agent.name}" is active; taking jobs`);
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }
}
