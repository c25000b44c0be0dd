import type { CommandOf } from './commands.ts';
import { fail, ok } from './results.ts';
import type { ApplyContext, StateData } from './state-data.ts';
import type { AppliedResult, ModelVersion, Subject, SubjectStatus } from './types.ts';
import { views } from './views.ts';

/** The commands handled here. */
export type ModelCommand = CommandOf<'registerModelVersion' | 'rollbackModel' | 'reserveSubject' | 'updateSubject'>;

/** Status changes `updateSubject` allows; `retired` is final. */
const SUBJECT_TRANSITIONS: Record<SubjectStatus, readonly SubjectStatus[]> = {
  reserved: ['training', 'failed'],
  training: ['reserved', 'merged', 'failed'],
  failed: ['reserved', 'training'],
  merged: ['retired'],
  retired: [],
};

/**
 * Applies a command on the model's version history or the subject registry. Versions form a
 * line: a new version must name the current one as its parent, so two merges racing from the
 * same parent cannot both commit.
 */
export function applyModelCommand(data: StateData, command: ModelCommand, ctx: ApplyContext): AppliedResult {
  switch (command.type) {
    case 'registerModelVersion':
      return registerModelVersion(data, command, ctx);
    case 'rollbackModel': {
      const target = data.versions.get(command.versionId);
      if (!target) return unknownVersion(data, command.versionId);
      if (data.currentVersion === target.id) return fail('failed_precondition', `${target.id} is already the current version; nothing to roll back`);
      const previousVersion = data.currentVersion;
      data.currentVersion = target.id;
      return ok({ currentVersion: target.id, previousVersion });
    }
    case 'reserveSubject':
      return reserveSubject(data, command, ctx);
    case 'updateSubject':
      return updateSubject(data, command, ctx);
  }
}

function unknownVersion(data: StateData, versionId: string): AppliedResult {
  const latest = data.versions.size > 0 ? `the latest is v${data.versions.size}` : 'no version has been registered yet';
  return fail('not_found', `there is no model version ${versionId} (${latest}); list versions with listModelVersions`);
}

function registerModelVersion(data: StateData, command: CommandOf<'registerModelVersion'>, ctx: ApplyContext): AppliedResult {
  const current = data.currentVersion;
  if (command.parent !== null && !data.versions.has(command.parent)) return unknownVersion(data, command.parent);
  if (command.parent !== current) {
    if (current === null) return fail('failed_precondition', `there is no model version yet, so parent must be null (got ${command.parent}); import a base model first`);
    if (command.parent === null) return fail('failed_precondition', `a model already exists (current version ${current}); set parent to ${current} to build on it`);
    return fail(
      'failed_precondition',
      `parent ${command.parent} is not the current version ${current} (another merge or a rollback committed first); redo the merge onto ${current}`,
    );
  }
  for (const token of command.subjects) {
    const subject = data.subjects.get(token);
    if (!subject) return fail('not_found', `subject "${token}" is not in the registry; reserve it with reserveSubject before merging it`);
    if (subject.status === 'failed') return fail('failed_precondition', `subject "${token}" failed training; retrain it before merging it into a version`);
  }
  const version: ModelVersion = {
    id: `v${data.versions.size + 1}`,
    parent: command.parent,
    manifestKey: command.manifestKey,
    subjects: [...command.subjects],
    mergeMethod: command.mergeMethod,
    slots: {},
    mergeJobId: null,
    createdAt: ctx.now,
  };
  data.versions.set(version.id, version);
  data.currentVersion = version.id;
  for (const token of command.subjects) {
    const subject = data.subjects.get(token);
    if (subject && subject.status !== 'merged') {
      subject.status = 'merged';
      subject.versionId = version.id;
      subject.updatedAt = ctx.now;
    }
  }
  return ok(views.version(version));
}

function reserveSubject(data: StateData, command: CommandOf<'reserveSubject'>, ctx: ApplyContext): AppliedResult {
  const existing = data.subjects.get(command.token);
  const retryOfOwnFailure = existing?.status === 'failed' && existing.owner === command.owner;
  if (existing && !retryOfOwnFailure) {
    return fail(
      'already_exists',
      `the token "${command.token}" is already taken (owner ${existing.owner}, ${existing.status}); choose another token`,
    );
  }
  const subject: Subject = {
    token: command.token,
    classWord: command.classWord,
    owner: command.owner,
    status: 'reserved',
    versionId: null,
    slot: null,
    trainJobId: null,
    loraKey: null,
    createdAt: existing?.createdAt ?? ctx.now,
    updatedAt: ctx.now,
  };
  data.subjects.set(subject.token, subject);
  return ok(views.subject(subject));
}

function updateSubject(data: StateData, command: CommandOf<'updateSubject'>, ctx: ApplyContext): AppliedResult {
  const subject = data.subjects.get(command.token);
  if (!subject) return fail('not_found', `subject "${command.token}" is not in the registry; reserve it with reserveSubject first`);
  if (command.status === 'merged') {
    if (command.versionId === undefined) return fail('invalid', 'versionId is required with status merged; name the version the subject was merged into');
    if (!data.versions.has(command.versionId)) return unknownVersion(data, command.versionId);
  } else if (command.versionId !== undefined) {
    return fail('invalid', `versionId is only given with status merged (got status ${command.status}); leave it out`);
  }
  if (subject.status === command.status) return fail('failed_precondition', `subject "${subject.token}" is already ${subject.status}; nothing to change`);
  const allowed = SUBJECT_TRANSITIONS[subject.status];
  if (!allowed.includes(command.status)) {
    const options = allowed.length > 0 ? `it can become ${allowed.join(' or ')}` : 'its status is final';
    return fail('failed_precondition', `subject "${subject.token}" is ${subject.status} and cannot become ${command.status}; ${options}`);
  }
  subject.status = command.status;
  subject.versionId = command.status === 'merged' ? (command.versionId ?? null) : subject.versionId;
  subject.updatedAt = ctx.now;
  return ok(views.subject(subject));
}
