import { fields } from './commands.ts';
import { fail } from './results.ts';
import type { ApplyContext, StateData } from './state-data.ts';
import type { AppliedResult, Job, Subject } from './types.ts';

/**
 * The subject registry's side of training: a train job reserves its token (and, with the
 * orthogonal method, a slot of the basis) when it is submitted, and a train or merge job that
 * ends without a version gives both back.
 */

/** Reserves the subject a train job is about to train, or says why its token cannot be used. */
export function reserveSubjectForTraining(data: StateData, job: Pick<Job, 'id' | 'params' | 'requester'>, ctx: ApplyContext): { ok: true; subject: Subject } | { ok: false; result: AppliedResult } {
  const token = job.params.token;
  const classWord = job.params.classWord;
  if (!fields.subjectToken.safeParse(token).success || !fields.classWord.safeParse(classWord).success) {
    return { ok: false, result: fail('invalid', 'a train job names its subject: params.token (e.g. zxq) and params.classWord (e.g. dog) are required') };
  }
  if (typeof token !== 'string' || typeof classWord !== 'string') throw new TypeError('checked above');
  const existing = data.subjects.get(token);
  const retryOfOwnFailure = existing?.status === 'failed' && existing.owner === job.requester;
  if (existing && !retryOfOwnFailure) {
    return { ok: false, result: fail('already_exists', `the token "${token}" is already taken (owner ${existing.owner}, ${existing.status}); choose another token`) };
  }
  const subject: Subject = {
    token,
    classWord,
    owner: job.requester,
    status: 'training',
    versionId: null,
    slot: data.mergeSettings.method === 'orthogonal' ? freeSlot(data) : null,
    trainJobId: job.id,
    loraKey: null,
    createdAt: existing?.createdAt ?? ctx.now,
    updatedAt: ctx.now,
  };
  data.subjects.set(token, subject);
  return { ok: true, subject };
}

/** The smallest slot no live subject holds. */
function freeSlot(data: StateData): number {
  const taken = new Set<number>();
  for (const subject of data.subjects.values()) if (subject.slot !== null) taken.add(subject.slot);
  let slot = 0;
  while (taken.has(slot)) slot += 1;
  return slot;
}

/** A train job ended without a LoRA, or a merge job without a version: its subject failed and gives up its slot. */
export function failSubjectOf(data: StateData, job: Job, now: number): void {
  const token = job.kind === 'train' ? job.params.token : job.kind === 'merge' && job.params.operation === 'merge' ? job.params.token : undefined;
  if (typeof token !== 'string') return;
  const subject = data.subjects.get(token);
  const ownJob = job.kind === 'train' ? subject?.trainJobId === job.id : subject?.trainJobId === job.params.trainJobId;
  if (subject === undefined || !ownJob || subject.status !== 'training') return;
  subject.status = 'failed';
  subject.slot = null;
  subject.updatedAt = now;
}
