import type { JobOutput } from '../jobs/job-objects.ts';
import type { QueuePositionView } from '../state/fair-scheduler.ts';
import type { Job } from '../state/types.ts';
import { STATE_LIMITS } from '../state/limits.ts';

/**
 * How clients (the CLI, the chat bots) read and word the job records of the Jobs service (proto/jobs.proto): the record
 * itself, its place in the queue, its failed attempts, durations and paths, for people.
 */

/** A job as the Jobs service reports it: the record and, while it is queued, its place in line. */
export interface JobUpdate {
  job: Job;
  queue: QueuePositionView | null;
}

/** Decodes a JobReply (`job` JSON, `queue` JSON or '' when the job is not queued). */
export function parseJobReply(reply: { job: string; queue: string }): JobUpdate {
  return { job: JSON.parse(reply.job) as Job, queue: reply.queue === '' ? null : (JSON.parse(reply.queue) as QueuePositionView) };
}

/** Whether a job has ended: nothing will change it any more. */
export function isFinished(job: Pick<Job, 'state'>): boolean {
  return job.state === 'succeeded' || job.state === 'failed' || job.state === 'cancelled';
}

/** The outputs a succeeded job's result lists (see cluster/jobs/job-objects.ts). */
export function outputsOf(job: Pick<Job, 'result'>): JobOutput[] {
  const outputs = job.result?.['outputs'];
  return Array.isArray(outputs) ? (outputs as JobOutput[]) : [];
}

/** "next in line", "3rd in line, about 40 s", "2nd in line, waiting for an agent that can run it (none is active)". */
export function describeQueue(queue: QueuePositionView): string {
  const where = queue.position <= 1 ? 'next in line' : `${ordinal(queue.position)} in line`;
  if (queue.capableAgents === 0) return `${where}, waiting for an agent that can run it (none is active now)`;
  // No estimate before the first job of this kind has finished.
  return queue.estimatedWaitMs === null ? where : `${where}, about ${describeDuration(queue.estimatedWaitMs)}`;
}

/** 1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, 21st, ... */
export function ordinal(n: number): string {
  const teens = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teens ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

/** A duration for people: "0.4 s" under ten seconds, "40 s", "3 min", "2 h 5 min". */
export function describeDuration(ms: number): string {
  const seconds = Math.max(0, ms) / 1000;
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 90) return `${Math.round(seconds)} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** "attempt 2 of 3" for the job's current (or last) attempt. */
export function describeAttempt(job: Pick<Job, 'attempts'>): string {
  return `attempt ${job.attempts} of ${STATE_LIMITS.maxJobAttempts}`;
}

/** One line per failed attempt: when, which attempt, which agent, and why. */
export function describeErrors(job: Pick<Job, 'errors'>): string[] {
  return job.errors.map((error) => {
    const agent = error.agentId === null ? 'no agent' : `agent ${error.agentId}`;
    return `${formatTime(error.at)}  attempt ${error.attempt}  ${agent}: ${error.message}`;
  });
}

/** A timestamp in UTC to the second, e.g. 2025-01-02T03:04:05Z; '-' when unknown. */
export function formatTime(ms: number | null | undefined): string {
  return typeof ms === 'number' && ms > 0 ? new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z') : '-';
}

/** What a job is about, for lists: the prompt of an imagine job, the subject of a train job. */
export function describeRequest(job: Pick<Job, 'kind' | 'params'>, maxChars = 48): string {
  const { token, classWord, prompt } = job.params;
  const text = job.kind === 'train' ? `${String(token ?? '?')} ${String(classWord ?? '?')}` : typeof prompt === 'string' ? `"${prompt}"` : '';
  return text.length > maxChars ? `${text.slice(0, maxChars - 1)}…` : text;
}

/** "1.2 s on agent a-1f2e3d4c after 0.3 s in the queue", from the leader's times, which fit each other. */
export function describeRun(job: Job, agentId: string | null): string {
  const began = job.startedAt ?? job.leasedAt ?? job.createdAt;
  const ran = describeDuration((job.finishedAt ?? began) - began);
  const queued = describeDuration((job.leasedAt ?? began) - job.createdAt);
  return `${ran} on ${agentId === null ? 'an agent' : `agent ${agentId}`} after ${queued} in the queue`;
}
