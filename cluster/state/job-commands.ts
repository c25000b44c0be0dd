import { findUsableAgent } from './agent-lookup.ts';
import type { CommandOf } from './commands.ts';
import { compareJobIds, failAttempt } from './job-attempts.ts';
import { fail, ok } from './results.ts';
import { idempotencyIndexKey, type ApplyContext, type StateData } from './state-data.ts';
import type { Agent, AppliedResult, Job, JobKind } from './types.ts';
import { views } from './views.ts';

/** The commands handled here. */
export type JobCommand = CommandOf<'submitJob' | 'leaseJob' | 'startJob' | 'completeJob' | 'failJob' | 'cancelJob' | 'expireLeases'>;

/**
 * Applies a job queue command. Life of a job: queued -> leased (an agent holds it until
 * `leaseExpiresAt`) -> running -> succeeded; a failed attempt (failJob, an expired lease, a
 * revoked holder) re-queues it until its third attempt, which fails it for good. Jobs are
 * offered first in, first out; a re-queued job goes to the back.
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
      held.job.updatedAt = ctx.now;
      return ok(views.job(held.job));
    }
    case 'completeJob': {
      const held = heldJob(data, command.agentId, command.jobId, 'completed');
      if (!held.ok) return held.result;
      const job = held.job;
      job.state = 'succeeded';
      job.result = structuredClone(command.result);
      job.leaseHolder = null;
      job.leaseExpiresAt = null;
      job.updatedAt = ctx.now;
      data.activeJobIndex.delete(job.id);
      return ok(views.job(job));
    }
    case 'failJob': {
      const held = heldJob(data, command.agentId, command.jobId, 'failed');
      if (!held.ok) return held.result;
      failAttempt(data, held.job, ctx.now, command.reason);
      return ok(views.job(held.job));
    }
    case 'cancelJob':
      return cancelJob(data, command, ctx);
    case 'expireLeases': {
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
        const state = failAttempt(data, job, ctx.now, `lease expired: agent ${agentId ?? '(none)'} did not finish the job before its lease ran out`);
        expired.push({ jobId: id, agentId, state });
      }
      return ok({ expired });
    }
  }
}

function submitJob(data: StateData, command: CommandOf<'submitJob'>, ctx: ApplyContext): AppliedResult {
  const idempotencyKey = command.idempotencyKey ?? null;
  if (idempotencyKey !== null) {
    const existingId = data.idempotencyIndex.get(idempotencyIndexKey(command.requester, idempotencyKey));
    const existing = existingId === undefined ? undefined : data.jobs.get(existingId);
    if (existing) return ok(views.job(existing));
  }
  const job: Job = {
    id: `j-${ctx.index}`,
    kind: command.kind,
    params: structuredClone(command.params),
    requester: command.requester,
    idempotencyKey,
    state: 'queued',
    attempts: 0,
    leaseHolder: null,
    leaseExpiresAt: null,
    result: null,
    errors: [],
    createdAt: ctx.now,
    updatedAt: ctx.now,
  };
  data.jobs.set(job.id, job);
  data.queue.add(job.id);
  if (idempotencyKey !== null) data.idempotencyIndex.set(idempotencyIndexKey(job.requester, idempotencyKey), job.id);
  return ok(views.job(job));
}

/** Why `agent` may not take `job`, or null when it may. */
function ineligibility(agent: Agent, job: Job, kinds: readonly JobKind[] | undefined): string | null {
  if (kinds && !kinds.includes(job.kind)) return `job ${job.id} is a ${job.kind} job, not one of the requested kinds (${kinds.join(', ')})`;
  if (job.kind === 'train' && agent.capabilities?.canTrain !== true) {
    return `job ${job.id} is a train job and agent ${agent.id} has not reported canTrain: true in a heartbeat`;
  }
  return null;
}

/** Leases the requested job, or the oldest queued job the agent can run; the value is null when there is none. */
function leaseJob(data: StateData, command: CommandOf<'leaseJob'>, ctx: ApplyContext): AppliedResult {
  const found = findUsableAgent(data, command.agentId);
  if (!found.ok) return found.result;
  const agent = found.agent;
  if (agent.status === 'paused') return fail('failed_precondition', `agent ${agent.id} ("${agent.name}") is paused; set its status to active before it takes jobs`);
  let job: Job | undefined;
  if (command.jobId !== undefined) {
    job = data.jobs.get(command.jobId);
    if (!job) return unknownJob(command.jobId);
    if (job.state !== 'queued') return fail('failed_precondition', `job ${job.id} is ${job.state}, not queued; only a queued job can be leased`);
    const reason = ineligibility(agent, job, command.kinds);
    if (reason !== null) return fail('failed_precondition', reason);
  } else {
    for (const id of data.queue) {
      const candidate = data.jobs.get(id);
      if (candidate && ineligibility(agent, candidate, command.kinds) === null) {
        job = candidate;
        break;
      }
    }
    if (!job) return ok(null);
  }
  data.queue.delete(job.id);
  data.activeJobIndex.add(job.id);
  job.state = 'leased';
  job.attempts += 1;
  job.leaseHolder = agent.id;
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
  data.queue.delete(job.id);
  data.activeJobIndex.delete(job.id);
  job.state = 'cancelled';
  job.leaseHolder = null;
  job.leaseExpiresAt = null;
  job.updatedAt = ctx.now;
  return ok(views.job(job));
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
