import type { Job } from '../state/types.ts';
import type { StateAccess } from './state-access.ts';

/** What an agent asks for when it claims. */
export interface LeaseRequest {
  agentId: string;
  leaseMs: number;
  kinds?: string[];
}

/** A waiting claim's wake-up. */
interface Sleeper {
  wake: () => void;
}

/** A claim that found nothing tries again at least this often, in case a job became eligible without the queue growing (an agent reported new capabilities, a requester's running job ended). */
const RETRY_MS = 1000;

/**
 * Long-polling claims: an agent's Claim proposes `leaseJob`; when nothing is eligible it sleeps
 * until the queue grows (a submission or a re-queued job, seen in this node's applied state) or a
 * second passes, and tries again until its wait is over. All sleepers share one subscription
 * and one look at the queue per change, so idle agents cost no proposals while nothing happens.
 */
export class ClaimWaiter {
  readonly #state: StateAccess;
  readonly #now: () => number;
  readonly #sleepers = new Set<Sleeper>();
  #unsubscribe: (() => void) | undefined;
  #queued = -1;
  #looking = false;

  constructor(state: StateAccess, now: () => number) {
    this.#state = state;
    this.#now = now;
  }

  /** Leases a job for the agent, waiting until `deadline` for one; null when none came. */
  async claim(request: LeaseRequest, deadline: number, signal: AbortSignal): Promise<Job | null> {
    for (;;) {
      const job = await this.#state.propose<Job | null>({ type: 'leaseJob', agentId: request.agentId, leaseMs: request.leaseMs, ...(request.kinds === undefined ? {} : { kinds: request.kinds }) }, signal);
      if (job !== null) return job;
      const left = deadline - this.#now();
      if (left <= 0) return null;
      await this.#sleep(Math.min(left, RETRY_MS), signal);
    }
  }

  /** Wakes every sleeper (the node is closing). */
  close(): void {
    for (const sleeper of [...this.#sleepers]) sleeper.wake();
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  #sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const sleeper: Sleeper = {
        wake: () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', sleeper.wake);
          this.#sleepers.delete(sleeper);
          if (this.#sleepers.size === 0) {
            this.#unsubscribe?.();
            this.#unsubscribe = undefined;
          }
          resolve();
        },
      };
      const timer = setTimeout(sleeper.wake, ms);
      signal.addEventListener('abort', sleeper.wake, { once: true });
      this.#sleepers.add(sleeper);
      if (this.#unsubscribe === undefined) {
        this.#queued = -1;
        this.#unsubscribe = this.#state.onChange(() => this.#look());
        this.#look(); // the baseline, so a job submitted from now on wakes the sleepers
      }
    });
  }

  /** On a change: wakes every sleeper when the number of queued jobs grew. */
  #look(): void {
    if (this.#looking) return;
    this.#looking = true;
    this.#state
      .query<{ queued: number }>({ type: 'queueLength' }, new AbortController().signal, true)
      .then(({ queued }) => {
        const grew = this.#queued >= 0 && queued > this.#queued;
        this.#queued = queued;
        if (grew) for (const sleeper of [...this.#sleepers]) sleeper.wake();
      })
      .catch(() => {})
      .finally(() => {
        this.#looking = false;
      });
  }
}
