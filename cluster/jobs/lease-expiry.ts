import type { Logger } from 'pino';
import type { StateAccess } from './state-access.ts';

/** Options of {@link startLeaseExpiry}. */
export interface LeaseExpiryOptions {
  state: StateAccess;
  logger: Logger;
  /** How often the leader looks for expired leases. */
  intervalMs: number;
  now?: () => number;
}

/**
 * The leader's clock for job leases: leases expire by the leader's time, so only the leader
 * proposes `expireLeases`, and only when its applied state holds a lease that is due (a cheap
 * local query), so an idle cluster writes nothing. Expiry re-queues the job (or fails it after its
 * last attempt) and counts against the agent that let it lapse.
 */
export function startLeaseExpiry(options: LeaseExpiryOptions): { stop(): void } {
  const { state, logger } = options;
  const now = options.now ?? Date.now;
  const controller = new AbortController();
  let busy = false;
  const check = async (): Promise<void> => {
    if (!state.isLeader()) return;
    const at = now();
    const due = await state.query<{ count: number }>({ type: 'dueLeases', now: at }, controller.signal, true);
    if (due.count === 0) return;
    const result = await state.propose<{ expired: { jobId: string; agentId: string | null; state: string }[] }>({ type: 'expireLeases', now: at }, controller.signal);
    for (const lapsed of result.expired) logger.warn(lapsed, 'job lease expired');
  };
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    check()
      .catch((error: unknown) => {
        if (!controller.signal.aborted) logger.debug({ err: error }, 'lease check failed; retrying on the next tick');
      })
      .finally(() => {
        busy = false;
      });
  }, options.intervalMs);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      controller.abort();
    },
  };
}
