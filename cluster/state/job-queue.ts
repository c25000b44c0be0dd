import type { StateData } from './state-data.ts';
import type { Job } from './types.ts';

/**
 * Moves jobs in and out of the queue and the active set. Every such move goes through these
 * functions, so the derived per-requester indexes the fair scheduler reads always agree with
 * `queue` and `activeJobIndex`.
 */

/** Puts a job at the back of the queue and of its requester's queue. */
export function enqueue(data: StateData, job: Job): void {
  data.queue.add(job.id);
  data.queueOrder.set(job.id, data.nextQueueOrder);
  data.nextQueueOrder += 1;
  const own = data.requesterQueues.get(job.requester);
  if (own) own.add(job.id);
  else data.requesterQueues.set(job.requester, new Set([job.id]));
}

/** Takes a job out of the queue, if it is there. */
export function dequeue(data: StateData, job: Job): void {
  if (!data.queue.delete(job.id)) return;
  data.queueOrder.delete(job.id);
  const own = data.requesterQueues.get(job.requester);
  own?.delete(job.id);
  // Only requesters with queued jobs stay, so a lease walks no empty queues.
  if (own?.size === 0) data.requesterQueues.delete(job.requester);
}

/** Counts a job as leased or running. */
export function markActive(data: StateData, job: Job): void {
  if (data.activeJobIndex.has(job.id)) return;
  data.activeJobIndex.add(job.id);
  data.activeByRequester.set(job.requester, activeCount(data, job.requester) + 1);
}

/** Stops counting a job as leased or running, if it was. */
export function markInactive(data: StateData, job: Job): void {
  if (!data.activeJobIndex.delete(job.id)) return;
  const left = activeCount(data, job.requester) - 1;
  if (left > 0) data.activeByRequester.set(job.requester, left);
  else data.activeByRequester.delete(job.requester);
}

/** How many leased or running jobs `requester` has. */
export function activeCount(data: StateData, requester: string): number {
  return data.activeByRequester.get(requester) ?? 0;
}

/** How many queued jobs `requester` has. */
export function queuedCount(data: StateData, requester: string): number {
  return data.requesterQueues.get(requester)?.size ?? 0;
}
