import { findUsableAgent } from './agent-lookup.ts';
import { recordAgentFailure } from './agent-failures.ts';
import type { CommandOf } from './commands.ts';
import { pickFairJob } from './fair-scheduler.ts';
import { compareJobIds, endJob, failAttempt, failForGood, newJob, releaseAttempt } from './job-attempts.ts';
import { missingAgentReason, whyAgentCannotRun } from './job-fit.ts';
import { activeCount, dequeue, enqueue, markActive, queuedCount } from './job-queue.ts';
import { recordDuration } from './job-stats.ts';
import { queueMergeOf } from './merge-commands.ts';
import { reserveSubjectForTraining } from './subject-lifecycle.ts';
import { STATE_LIMITS } from './limits.ts';
import { fail, ok } from './results.ts';
import { idempotencyIndexKey, type ApplyContext, type StateData } from './state-data.ts';
import type { Agent, AppliedResult, Job, JobKind } from './types.ts';
import { views } from './views.ts';

/** The commands handled here. */
export type JobCommand = CommandOf<
  'submitJob' | 'leaseJob' | 'startJob' | 'reportProgress' | 'completeJob' | 'failJob' | 'releaseJob' | 'cancelJob' | 'expireLeases'
>;

/**
 * Applies a job queue command. Life of a job: queued -> leased (an agent holds it until
 * `leaseExpiresAt`, which progress reports extend) -> running -> succeeded; a failed attempt
 * (failJob, an expired lease, a revoked holder) re-queues it at the back until its third attempt,
 * which fails it for good, as does a failJob marked `final` (the job's input is bad). Agents are
 * served fairly across requesters (see fair-scheduler.ts) and only jobs their capabilities fit.
 */
export function applyJobCommand(data: StateData, command: JobCommand, ctx: ApplyContext): AppliedResult {
  switch (command.type) {
    case 'submitJob':
      return submitJob(data, command, ctx);
    case 'leaseJob':
      return leaseJob(data, command, ctx);
    case 'startJob': {
      const held = heldJob(data, command.agentId, command.jobId, 'started');
      if (!held.ok) return held.result;
      if (held.job.state === 'running') return fail('failed_precondition', `job ${held.job.id} is already running on ${command.agentId}`);
      held.job.state = 'running';
      held.job.startedAt = ctx.now;
      held.job.updatedAt = ctx.now;
      return ok(views.job(held.job));
    }
    case 'reportProgress':
      return reportProgress(data, command, ctx);
    case 'completeJob': {
      const held = heldJob(data, command.agentId, command.jobId, 'completed');
      if (!held.ok) return held.result;
      const job = held.job;
      endJob(data, job, 'succeeded', ctx.now);
      job.result = structuredClone(command.result);
      if (job.kind === 'train') {
        const loraKey = loraKeyOf(command.result);
        const mergeJobId = loraKey === null ? null : queueMergeOf(data, job, loraKey, ctx);
        if (mergeJobId !== null) job.result.mergeJobId = mergeJobId;
      }
      recordDuration(data.stats[job.kind], ctx.now - (job.startedAt ?? job.leasedAt ?? ctx.now));
      return ok(views.job(job));
    }
    case 'failJob': {
      const held = heldJob(data, command.agentId, command.jobId, 'failed');
      if (!held.ok) return held.result;
      if (command.final === true) {
        // The input itself is bad: another attempt would fail the same way, and it is not the agent's fault.
        failForGood(data, held.job, ctx.now, command.reason);
      } else {
        failAttempt(data, held.job, ctx.now, command.reason);
        recordAgentFailure(data, command.agentId, ctx.now, command.reason);
      }
      return ok(views.job(held.job));
    }
    case 'releaseJob': {
      const held = heldJob(data, command.agentId, command.jobId, 'released');
      if (!held.ok) return held.result;
      releaseAttempt(data, held.job, ctx.now);
      return ok(views.job(held.job));
    }
    case 'cancelJob':
      return cancelJob(data, command, ctx);
    case 'expireLeases':
      return expireLeases(data, command, ctx);
  }
}

function submitJob(data: StateData, command: CommandOf<'submitJob'>, ctx: ApplyContext): AppliedResult {
  const idempotencyKey = command.idempotencyKey ?? null;
  if (idempotencyKey !== null) {
    const existingId = data.idempotencyIndex.get(idempotencyIndexKey(command.requester, idempotencyKey));
    const existing = existingId === undefined ? undefined : data.jobs.get(existingId);
    if (existing) return ok(views.job(existing));
  }
  if (command.kind === 'merge') return fail('invalid', 'merge jobs are created by the cluster when a train job succeeds; submit a train job instead');
  const missing = missingAgentReason(data, command);
  if (missing !== null) return fail('failed_precondition', `no registered agent can run this job: ${missing}`);
  const queued = queuedCount(data, command.requester);
  if (queued >= STATE_LIMITS.maxQueuedJobsPerRequester) {
    return fail('resource_exhausted', `you already have ${queued} queued jobs (the limit); wait for some to finish or cancel one with \`teambooth jobs cancel ID\``);
  }
  const id = `j-${ctx.index}`;
  let basis: Job['basis'] = null;
  if (command.kind === 'train') {
    const reserved = reserveSubjectForTraining(data, { id, params: command.params, requester: command.requester }, ctx);
    if (!reserved.ok) return reserved.result;
    if (reserved.subject.slot !== null) basis = { seed: data.mergeSettings.basisSeed, slot: reserved.subject.slot };
  }
  const job = newJob(
    { id, kind: command.kind, params: structuredClone(command.params), requester: command.requester, idempotencyKey, modelVersion: data.currentVersion, basis },
    ctx.now,
  );

  data.jobs.set(job.id, job);
  enqueue(data, job);
  if (idempotencyKey !== null) data.idempotencyIndex.set(idempotencyIndexKey(job.requester, idempotencyKey), job.id);
  return ok(views.job(job));
}

/** Leases the requested job, or the next job the fair scheduler picks for the agent; the value is null when there is none. */
function leaseJob(data: StateData, command: CommandOf<'leaseJob'>, ctx: ApplyContext): AppliedResult {
  const found = findUsableAgent(data, command.agentId);
  if (!found.ok) return found.result;
  const agent = found.agent;
  if (agent.status === 'paused') {
    const why = agent.pausedReason === null ? '' : ` (${agent.pausedReason})`;
    return fail('failed_precondition', `agent ${agent.id} ("${agent.name}") is paused${why}; set its status to active before it takes jobs`);
  }
  let job: Job | undefined;
  if (command.jobId !== undefined) {
    job = data.jobs.get(command.jobId);
    if (!job) return unknownJob(command.jobId);
    const reason = whyNotLease(data, agent, job, command.kinds);
    if (reason !== null) return fail('failed_precondition', reason);
  } else {
    job = pickFairJob(data, agent, command.kinds);
    if (!job) return ok(null);
  }
  dequeue(data, job);
  markActive(data, job);
  job.state = 'leased';
  job.attempts += 1;
  job.leaseHolder = agent.id;
  job.leaseExpiresAt = ctx.now + command.leaseMs;
  job.leasedAt = ctx.now;
  job.updatedAt = ctx.now;
  return ok(views.job(job));
}

/** Why `agent` may not lease `job` by its id, or null when it may. */
function whyNotLease(data: StateData, agent: Agent, job: Job, kinds: readonly JobKind[] | undefined): string | null {
  if (job.state !== 'queued') return `job ${job.id} is ${job.state}, not queued; only a queued job can be leased`;
  if (kinds && !kinds.includes(job.kind)) return `job ${job.id} is a ${job.kind} job, not one of the requested kinds (${kinds.join(', ')})`;
  const active = activeCount(data, job.requester);
  if (active >= STATE_LIMITS.maxActiveJobsPerRequester) {
    return `job ${job.id} belongs to ${job.requester}, who already has ${active} leased or running jobs (the limit); lease another job, or leave out jobId to get the next fair one`;
  }
  return whyAgentCannotRun(agent, job);
}

/** Records the holder's progress: the job is running, and its lease now ends `leaseMs` from now. */
function reportProgress(data: StateData, command: CommandOf<'reportProgress'>, ctx: ApplyContext): AppliedResult {
  const held = heldJob(data, command.agentId, command.jobId, 'reported on');
  if (!held.ok) return held.result;
  const job = held.job;
  job.state = 'running';
  job.startedAt ??= ctx.now;
  const { step, total, loss, phase } = command.progress;
  job.progress = { step, total, loss: loss ?? null, phase: phase ?? null, at: ctx.now };
  job.leaseExpiresAt = ctx.now + command.leaseMs;
  job.updatedAt = ctx.now;
  return ok(views.job(job));
}

function cancelJob(data: StateData, command: CommandOf<'cancelJob'>, ctx: ApplyContext): AppliedResult {
  const job = data.jobs.get(command.jobId);
  if (!job) return unknownJob(command.jobId);
  if (command.requester !== undefined && command.requester !== job.requester) {
    return fail('permission_denied', `job ${job.id} was submitted by ${job.requester}; only they or an admin can cancel it`);
  }
  if (job.state === 'succeeded' || job.state === 'failed' || job.state === 'cancelled') {
    return fail('failed_precondition', `job ${job.id} has already ${job.state === 'cancelled' ? 'been cancelled' : job.state}; there is nothing to cancel`);
  }
  endJob(data, job, 'cancelled', ctx.now);
  return ok(views.job(job));
}

/** Ends every attempt whose lease ran out by `command.now`, oldest job first; each counts against its agent. */
function expireLeases(data: StateData, command: CommandOf<'expireLeases'>, ctx: ApplyContext): AppliedResult {
  const due = [...data.activeJobIndex]
    .filter((id) => {
      const expiresAt = data.jobs.get(id)?.leaseExpiresAt;
      return expiresAt !== null && expiresAt !== undefined && expiresAt <= command.now;
    })
    .sort(compareJobIds);
  const expired: { jobId: string; agentId: string | null; state: Job['state'] }[] = [];
  for (const id of due) {
    const job = data.jobs.get(id);
    if (!job) continue;
    const agentId = job.leaseHolder;
    const reason = `lease expired: agent ${agentId ?? '(none)'} did not finish the job before its lease ran out`;
    const state = failAttempt(data, job, ctx.now, reason);
    recordAgentFailure(data, agentId, ctx.now, reason);
    expired.push({ jobId: id, agentId, state });
  }
  return ok({ expired });
}

/** The object key of the LoRA a train job's result names (its first output), or null. */
function loraKeyOf(result: Record<string, unknown>): string | null {
  const outputs = result.outputs;
  if (!Array.isArray(outputs)) return null;
  const key = (outputs[0] as { key?: unknown } | undefined)?.key;
  return typeof key === 'string' ? key : null;
}

function unknownJob(jobId: string): AppliedResult {
  return fail('not_found', `there is no job ${jobId}; check the id`);
}

/** A job that `agentId` currently holds (leased or running), or the refusal explaining why it does not. */
function heldJob(data: StateData, agentId: string, jobId: string, verb: string): { ok: true; job: Job } | { ok: false; result: AppliedResult } {
  const job = data.jobs.get(jobId);
  if (!job) return { ok: false, result: unknownJob(jobId) };
  if (job.state !== 'leased' && job.state !== 'running') {
    const why =
      job.state === 'queued'
        ? `it is queued again (its lease expired or was released); lease it again before reporting on it`
        : `it has already ${job.state === 'cancelled' ? 'been cancelled' : job.state}; drop this work`;
    return { ok: false, result: fail('failed_precondition', `job ${job.id} cannot be ${verb} by ${agentId}: ${why}`) };
  }
  if (job.leaseHolder !== agentId) {
    return {
      ok: false,
      result: fail('failed_precondition', `job ${job.id} is leased to ${job.leaseHolder ?? 'no agent'}, not ${agentId}; its lease may have expired and moved on`),
    };
  }
  return { ok: true, job };
}
