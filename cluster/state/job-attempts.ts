import { dequeue, enqueue, markInactive } from './job-queue.ts';
import { STATE_LIMITS } from './limits.ts';
import type { StateData } from './state-data.ts';
import { failSubjectOf } from './subject-lifecycle.ts';
import type { Job } from './types.ts';

/** A new queued job record: no attempt yet, created now. */
export function newJob(fields: Pick<Job, 'id' | 'kind' | 'params' | 'requester' | 'idempotencyKey' | 'modelVersion' | 'basis'>, now: number): Job {
  return {
    ...fields,
    state: 'queued',
    attempts: 0,
    leaseHolder: null,
    leaseExpiresAt: null,
    leasedAt: null,
    startedAt: null,
    finishedAt: null,
    progress: null,
    result: null,
    errors: [],
    createdAt: now,
    updatedAt: now,
  };
}

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
  if (job.attempts >= STATE_LIMITS.maxJobAttempts) {
    failForGood(data, job, now, message);
    return job.state;
  }
  recordError(job, now, message);
  requeue(data, job, now);
  return job.state;
}

/**
 * Gives a held job back without blame (its agent is shutting down): it goes back to the queue,
 * and the attempt neither counts towards the job's limit nor leaves an error.
 */
export function releaseAttempt(data: StateData, job: Job, now: number): void {
  job.attempts = Math.max(0, job.attempts - 1);
  requeue(data, job, now);
}

/** Ends the current attempt and puts the job at the back of its requester's queue. */
function requeue(data: StateData, job: Job, now: number): void {
  markInactive(data, job);
  job.state = 'queued';
  job.leaseHolder = null;
  job.leaseExpiresAt = null;
  // The attempt's times and progress go with it; the next attempt starts afresh.
  job.leasedAt = null;
  job.startedAt = null;
  job.progress = null;
  job.updatedAt = now;
  enqueue(data, job);
}

/** Fails a job for good whatever its attempts, recording `message` (against its holder, if any). */
export function failForGood(data: StateData, job: Job, now: number, message: string): void {
  recordError(job, now, message);
  endJob(data, job, 'failed', now);
}

/**
 * Moves a job to a final state: out of the queue, the active set and the pending merges, with no
 * lease, finished now. A train or merge job that did not succeed fails its subject.
 */
export function endJob(data: StateData, job: Job, state: 'succeeded' | 'failed' | 'cancelled', now: number): void {
  dequeue(data, job);
  markInactive(data, job);
  data.pendingMerges.delete(job.id);
  if (state !== 'succeeded') failSubjectOf(data, job, now);
  job.state = state;
  job.leaseHolder = null;
  job.leaseExpiresAt = null;
  job.finishedAt = now;
  job.updatedAt = now;
  data.observer.jobEnded?.(job);
}

/** Appends the failure of the current attempt (attempt 0 when the job was never leased). */
function recordError(job: Job, now: number, message: string): void {
  job.errors.push({ at: now, attempt: job.attempts, agentId: job.leaseHolder, message });
}
