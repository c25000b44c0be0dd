import { STATE_LIMITS } from './limits.ts';
import type { StateData } from './state-data.ts';
import type { Job } from './types.ts';

/** Orders job ids by creation (the log index in the id), so sets built in any order are walked the same way. */
export function compareJobIds(a: string, b: string): number {
  return Number(a.slice(2)) - Number(b.slice(2));
}

/**
 * Ends the current attempt of a leased or running job as failed: records the reason, then
 * re-queues the job at the back of the queue, or fails it for good once it has used
 * {@link STATE_LIMITS.maxJobAttempts} attempts. Returns the job's new state.
 */
export function failAttempt(data: StateData, job: Job, now: number, message: string): Job['state'] {
  job.errors.push({ at: now, attempt: job.attempts, agentId: job.leaseHolder, message });
  job.leaseHolder = null;
  job.leaseExpiresAt = null;
  job.updatedAt = now;
  data.activeJobIndex.delete(job.id);
  if (job.attempts >= STATE_LIMITS.maxJobAttempts) {
    job.state = 'failed';
  } else {
    job.state = 'queued';
    data.queue.add(job.id);
  }
  return job.state;
}
