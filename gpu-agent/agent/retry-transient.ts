import type { Logger } from 'pino';
import { ClusterUnavailableError, ServerUnreachableError } from '../../cluster/client/client-errors.ts';
import { NotLeaderError, ProposalDroppedError } from '../../cluster/raft/errors.ts';
import { backoffDelay, type BackoffPolicy } from '../../cluster/client/backoff.ts';

/**
 * Retries a cluster call for as long as the cluster is merely unreachable (a leader being
 * replaced, a network cut, every node restarting), so an agent rides out any outage and
 * reconnects by itself. Only the agent's own shutdown (`signal`) ends the retries. Every other
 * error (a refusal, a refused token, an internal error) is the caller's to handle.
 */

/** Options of {@link retryTransient}. */
export interface RetryTransientOptions {
  signal: AbortSignal;
  logger: Logger;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  random: () => number;
}

/** 200 ms doubling up to 5 s: an outage costs at most 5 s more than it lasts. */
const BACKOFF: BackoffPolicy = { baseMs: 200, maxMs: 5000 };

/** True for errors that mean "no leader reachable right now": retrying later can succeed. */
function isTransientClusterError(error: unknown): boolean {
  return error instanceof ClusterUnavailableError || error instanceof ServerUnreachableError || error instanceof NotLeaderError || error instanceof ProposalDroppedError;
}

/**
 * Runs `call` until it succeeds or fails with a non-transient error. The first failure of an
 * outage is logged as a warning, the following ones at debug, and the recovery at info.
 */
export async function retryTransient<T>(what: string, call: (signal: AbortSignal) => Promise<T>, options: RetryTransientOptions): Promise<T> {
  const { signal, logger } = options;
  for (let attempt = 0; ; attempt++) {
    signal.throwIfAborted();
    try {
      const result = await call(signal);
      if (attempt > 0) logger.info({ attempts: attempt + 1 }, `${what}: the cluster answers again`);
      return result;
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (!isTransientClusterError(error)) throw error;
      const delay = backoffDelay(attempt, BACKOFF, options.random);
      const fields = { err: (error as Error).message, attempt: attempt + 1, delayMs: Math.round(delay) };
      if (attempt === 0) logger.warn(fields, `${what}: the cluster is unavailable; retrying until it answers`);
      else logger.debug(fields, `${what}: still unavailable`);
      await options.sleep(delay, signal);
    }
  }
}
