import type { CommandOf } from './commands.ts';
import { endJob, newJob } from './job-attempts.ts';
import { fail, ok } from './results.ts';
import type { ApplyContext, StateData } from './state-data.ts';
import type { AppliedResult, Job, MergeSettings, ModelVersion } from './types.ts';
import { views } from './views.ts';

/**
 * Merging fine-tunes into the shared model, as the replicated state sees it. A train job that
 * succeeds creates a merge job (kind `merge`), which never goes to agents: the leader runs it
 * (`cluster/models/merge-runner.ts`), announces it with `startMerge`, and ends it with
 * `commitMerge` (the new version) or `failMerge`. A merge is deterministic from the state, so when
 * a leader dies mid-merge the next one simply runs it again; `commitMerge` is accepted once, and
 * only onto the version the merge was computed from, so exactly one version results.
 */

/** The commands handled here. */
export type MergeCommand = CommandOf<'startMerge' | 'commitMerge' | 'failMerge' | 'setMergeSettings'>;

/** What a merge job does: fold one subject's LoRA into the current version, or rebuild from the base keeping the newest subjects. */
export type MergeJobParams =
  | { operation: 'merge'; token: string; trainJobId: string; loraKey: string }
  | { operation: 'rebuild'; keepLast: number };

/** The requester of merge jobs the retention policy creates. */
export const CLUSTER_REQUESTER = 'cluster';

export function applyMergeCommand(data: StateData, command: MergeCommand, ctx: ApplyContext): AppliedResult {
  switch (command.type) {
    case 'setMergeSettings': {
      const settings = data.mergeSettings;
      if (command.method !== undefined) settings.method = command.method;
      if (command.keepLastSubjects !== undefined) settings.keepLastSubjects = command.keepLastSubjects;
      if (command.paused !== undefined) settings.paused = command.paused;
      return ok({ ...settings });
    }
    case 'startMerge': {
      const found = pendingMerge(data, command.jobId);
      if (!found.ok) return found.result;
      const job = found.job;
      job.state = 'running';
      job.attempts += 1;
      job.startedAt = ctx.now;
      job.progress = { step: 0, total: 1, loss: null, phase: `merging on ${command.nodeId}`, at: ctx.now };
      job.updatedAt = ctx.now;
      return ok(views.job(job));
    }
    case 'commitMerge':
      return commitMerge(data, command, ctx);
    case 'failMerge': {
      const found = pendingMerge(data, command.jobId);
      if (!found.ok) return found.result;
      found.job.errors.push({ at: ctx.now, attempt: found.job.attempts, agentId: null, message: command.reason });
      endJob(data, found.job, 'failed', ctx.now);
      return ok(views.job(found.job));
    }
  }
}

/**
 * A train job succeeded with the LoRA at `loraKey`: the subject waits for its merge, and a merge
 * job is created (id from this entry's index). Returns the merge job's id.
 */
export function queueMergeOf(data: StateData, trainJob: Job, loraKey: string, ctx: ApplyContext): string | null {
  const token = trainJob.params.token as string;
  const subject = data.subjects.get(token);
  if (subject === undefined || subject.trainJobId !== trainJob.id) return null;
  subject.loraKey = loraKey;
  subject.updatedAt = ctx.now;
  return createMergeJob(data, { operation: 'merge', token, trainJobId: trainJob.id, loraKey }, trainJob.requester, ctx).id;
}

function createMergeJob(data: StateData, params: MergeJobParams, requester: string, ctx: ApplyContext): Job {
  const job = newJob({ id: `j-${ctx.index}`, kind: 'merge', params: { ...params }, requester, idempotencyKey: null, modelVersion: null, basis: null }, ctx.now);
  data.jobs.set(job.id, job);
  data.pendingMerges.add(job.id);
  return job;
}

function commitMerge(data: StateData, command: CommandOf<'commitMerge'>, ctx: ApplyContext): AppliedResult {
  const found = pendingMerge(data, command.jobId);
  if (!found.ok) return found.result;
  const job = found.job;
  const params = job.params as MergeJobParams;
  const current = data.currentVersion === null ? undefined : data.versions.get(data.currentVersion);
  if (current === undefined) return fail('failed_precondition', 'there is no model version to merge onto; import a base model with `teambooth model import DIR` first');
  if (command.parent !== current.id) {
    return fail('failed_precondition', `merge ${job.id} was computed onto ${command.parent}, but the current version is ${current.id} (a rollback or another merge committed first); run it again onto ${current.id}`);
  }
  const nextId = `v${data.versions.size + 1}`;
  if (command.version !== nextId) return fail('failed_precondition', `the next version is ${nextId}, not ${command.version}; run the merge again`);
  let subjects: string[];
  if (params.operation === 'merge') {
    const subject = data.subjects.get(params.token);
    if (subject === undefined || subject.status !== 'training') return fail('failed_precondition', `subject "${params.token}" is not waiting for a merge (it is ${subject?.status ?? 'not registered'})`);
    subjects = [...current.subjects.filter((token) => token !== params.token), params.token];
  } else {
    const unknown = command.subjects.filter((token) => !current.subjects.includes(token));
    if (unknown.length > 0) return fail('invalid', `a rebuild keeps subjects of the current version ${current.id}; ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not in it`);
    subjects = [...command.subjects];
  }
  const slots: Record<string, number> = {};
  for (const token of subjects) {
    const slot = data.subjects.get(token)?.slot;
    if (slot !== null && slot !== undefined) slots[token] = slot;
  }
  const method = mergeMethodOf(params, current, data.mergeSettings);
  const version: ModelVersion = {
    id: nextId,
    parent: current.id,
    manifestKey: command.manifestKey,
    subjects,
    mergeMethod: method,
    slots,
    mergeJobId: job.id,
    createdAt: ctx.now,
  };
  data.versions.set(version.id, version);
  data.currentVersion = version.id;
  if (params.operation === 'merge') {
    const subject = data.subjects.get(params.token)!;
    subject.status = 'merged';
    subject.versionId = version.id;
    subject.updatedAt = ctx.now;
  } else {
    for (const token of current.subjects) {
      const subject = data.subjects.get(token);
      if (subject === undefined || subjects.includes(token) || subject.status !== 'merged') continue;
      subject.status = 'retired';
      subject.slot = null;
      subject.updatedAt = ctx.now;
    }
  }
  job.modelVersion = version.id;
  job.result = { version: version.id, changedTensors: command.changedTensors, changedBytes: command.changedBytes, mergeMs: command.mergeMs };
  endJob(data, job, 'succeeded', ctx.now);
  const keep = data.mergeSettings.keepLastSubjects;
  if (params.operation === 'merge' && keep !== null && subjects.length > keep) {
    createMergeJob(data, { operation: 'rebuild', keepLast: keep }, CLUSTER_REQUESTER, ctx);
  }
  return ok(views.version(version));
}

/** The method a merge records: a rebuild keeps its line's method (unless the line is only the imported base); a merge uses the settings'. */
export function mergeMethodOf(params: MergeJobParams, current: Pick<ModelVersion, 'mergeMethod'>, settings: Pick<MergeSettings, 'method'>): 'sum' | 'orthogonal' {
  return params.operation === 'rebuild' && current.mergeMethod !== 'none' ? current.mergeMethod : settings.method;
}

/** A merge job that has not ended, or the refusal saying why `jobId` is not one. */
function pendingMerge(data: StateData, jobId: string): { ok: true; job: Job } | { ok: false; result: AppliedResult } {
  const job = data.jobs.get(jobId);
  if (!job) return { ok: false, result: fail('not_found', `there is no job ${jobId}; check the id`) };
  if (job.kind !== 'merge') return { ok: false, result: fail('invalid', `job ${jobId} is a ${job.kind} job, not a merge`) };
  if (job.state !== 'queued' && job.state !== 'running') {
    return { ok: false, result: fail('failed_precondition', `merge ${jobId} has already ${job.state === 'cancelled' ? 'been cancelled' : job.state}; nothing to do`) };
  }
  return { ok: true, job };
}
