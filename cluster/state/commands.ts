import { z } from 'zod';
import { CommandRejectedError } from '../raft/errors.ts';
import { describeIssues, requiredOr } from './describe-issues.ts';
import { STATE_LIMITS } from './limits.ts';

/**
 * The commands of the replicated state machine: JSON objects discriminated by `type`, carried in
 * normal Raft entries inside a proposal envelope (see {@link proposalSchema}). Every field is
 * validated here, so apply code only checks what depends on the current state.
 */

/** Shared field schemas, reused by queries. */
export const fields = {
  agentName: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
      error: 'an agent name is 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit (e.g. gpu-box)',
    }),
  /** A user or service identity (chat user id, CLI user). */
  principal: z
    .string()
    .min(1, { error: 'must not be empty' })
    .max(128, { error: 'must be at most 128 characters' })
    .regex(/^[^\p{Cc}]*$/u, { error: 'must not contain control characters' }),
  tokenHash: z.string().regex(/^[0-9a-f]{64}$/, {
    error: 'must be the sha-256 of the agent token as 64 lowercase hex digits (send the hash, never the token)',
  }),
  agentId: z.string().regex(/^a-[0-9a-f]{8,16}$/, { error: 'an agent id looks like a-1f2e3d4c (see `teambooth agents list`)' }),
  versionId: z.string().regex(/^v[1-9][0-9]{0,15}$/, { error: 'a version id looks like v12' }),
  subjectToken: z.string().regex(/^[a-z0-9_-]{2,32}$/, {
    error: 'a subject token is 2-32 lowercase letters, digits, "_" or "-" (e.g. zxq)',
  }),
  classWord: z.string().regex(/^[a-z][a-z0-9 -]{0,31}$/, {
    error: 'a class word is 1-32 lowercase letters, digits, spaces or "-", starting with a letter (e.g. dog)',
  }),
  jobId: z.string().regex(/^j-[1-9][0-9]{0,15}$/, { error: 'a job id looks like j-42' }),
  jobKind: z.enum(['imagine', 'train', 'merge'], { error: requiredOr('must be one of imagine, train, merge') }),
  jobState: z.enum(['queued', 'leased', 'running', 'succeeded', 'failed', 'cancelled'], {
    error: requiredOr('must be one of queued, leased, running, succeeded, failed, cancelled'),
  }),
  subjectStatus: z.enum(['reserved', 'training', 'merged', 'failed', 'retired'], {
    error: requiredOr('must be one of reserved, training, merged, failed, retired'),
  }),
  agentStatus: z.enum(['active', 'paused', 'revoked'], { error: requiredOr('must be one of active, paused, revoked') }),
  kvKey: z.string().min(1, { error: 'must not be empty' }).max(256, { error: 'must be at most 256 characters' }),
  timestamp: z.number().int({ error: 'must be a whole number of milliseconds since the epoch' }).min(0, { error: 'must not be negative' }),
};

/** A JSON object of at most `maxChars` characters when encoded. */
function boundedObject(maxChars: number) {
  return z.record(z.string(), z.unknown(), { error: requiredOr('must be a JSON object') }).superRefine((value, ctx) => {
    const size = JSON.stringify(value).length;
    if (size > maxChars) ctx.addIssue({ code: 'custom', message: `is too large (${size} characters of JSON, limit ${maxChars}); shrink it` });
  });
}

export const capabilitiesSchema = z.strictObject({
  provider: z.string().regex(/^[a-z0-9_-]{1,32}$/, { error: 'must be a short lowercase name such as cuda or cpu' }),
  memoryMb: z.number().int({ error: 'must be a whole number of megabytes' }).min(0).max(16_777_216),
  maxImageSize: z.number().int({ error: 'must be a whole number of pixels' }).min(8).max(16_384),
  canTrain: z.boolean({ error: requiredOr('must be true or false') }),
});

const createAgent = z.strictObject({ type: z.literal('createAgent'), name: fields.agentName, owner: fields.principal, tokenHash: fields.tokenHash });
const revokeAgent = z.strictObject({ type: z.literal('revokeAgent'), agentId: fields.agentId });
const agentHeartbeat = z.strictObject({ type: z.literal('agentHeartbeat'), agentId: fields.agentId, capabilities: capabilitiesSchema.optional() });
const setAgentStatus = z.strictObject({
  type: z.literal('setAgentStatus'),
  agentId: fields.agentId,
  status: z.enum(['active', 'paused'], { error: requiredOr('must be active or paused (use revokeAgent to revoke)') }),
});

const registerModelVersion = z.strictObject({
  type: z.literal('registerModelVersion'),
  parent: fields.versionId.nullable(),
  manifestKey: z.string().min(1, { error: 'must not be empty' }).max(1024, { error: 'must be at most 1024 characters' }),
  subjects: z
    .array(fields.subjectToken)
    .max(4096, { error: 'at most 4096 subjects per version' })
    .refine((tokens) => new Set(tokens).size === tokens.length, { error: 'lists a subject more than once; list each token once' }),
  mergeMethod: z.enum(['none', 'sum', 'orthogonal'], { error: requiredOr('must be one of none (imported base), sum, orthogonal') }),
});
const rollbackModel = z.strictObject({ type: z.literal('rollbackModel'), versionId: fields.versionId });

const reserveSubject = z.strictObject({ type: z.literal('reserveSubject'), token: fields.subjectToken, classWord: fields.classWord, owner: fields.principal });
const updateSubject = z.strictObject({
  type: z.literal('updateSubject'),
  token: fields.subjectToken,
  status: fields.subjectStatus,
  /** Required when status is `merged`. */
  versionId: fields.versionId.optional(),
});

const nodeIdField = z.string().min(1, { error: 'must not be empty' }).max(128, { error: 'must be at most 128 characters' });
const byteCount = z.number().int({ error: 'must be a whole number' }).min(0, { error: 'must not be negative' });
/** The leader begins (or, after a leader change, begins again) a merge job. */
const startMerge = z.strictObject({ type: z.literal('startMerge'), jobId: fields.jobId, nodeId: nodeIdField });
/** The leader's merge is written to the object store: make it the next version. */
const commitMerge = z.strictObject({
  type: z.literal('commitMerge'),
  jobId: fields.jobId,
  /** The id the new version gets (the next one); a mismatch means another version committed first. */
  version: fields.versionId,
  /** The version the merge was computed onto; it must still be current. */
  parent: fields.versionId,
  manifestKey: z.string().min(1, { error: 'must not be empty' }).max(1024, { error: 'must be at most 1024 characters' }),
  /** The subjects a rebuild keeps (ignored for a merge, whose subjects are the parent's plus its own). */
  subjects: z.array(fields.subjectToken).max(4096, { error: 'at most 4096 subjects per version' }),
  changedTensors: byteCount,
  changedBytes: byteCount,
  mergeMs: byteCount,
});
const failMerge = z.strictObject({
  type: z.literal('failMerge'),
  jobId: fields.jobId,
  reason: z.string().min(1, { error: 'must say what went wrong' }).max(2000, { error: 'must be at most 2000 characters' }),
});
const setMergeSettings = z.strictObject({
  type: z.literal('setMergeSettings'),
  method: z.enum(['sum', 'orthogonal'], { error: requiredOr('must be sum or orthogonal') }).optional(),
  /** Keep only this many newest subjects in the shared model (null: keep all). */
  keepLastSubjects: z.int({ error: 'must be a whole number of subjects' }).min(1, { error: 'must be at least 1 (or null to keep every subject)' }).max(4096).nullable().optional(),
  paused: z.boolean({ error: 'must be true or false' }).optional(),
});

const submitJob = z.strictObject({
  type: z.literal('submitJob'),
  kind: fields.jobKind,
  params: boundedObject(STATE_LIMITS.maxJobPayloadChars),
  requester: fields.principal,
  idempotencyKey: z.string().min(1, { error: 'must not be empty' }).max(128, { error: 'must be at most 128 characters' }).optional(),
});
/** How long a lease lasts from now. */
const leaseMs = z
  .number({ error: requiredOr('must be a number of milliseconds') })
  .int({ error: 'must be a whole number of milliseconds' })
  .min(1, { error: 'must be at least 1' })
  .max(STATE_LIMITS.maxLeaseMs, { error: `must be at most ${STATE_LIMITS.maxLeaseMs} (24 hours)` });
const leaseJob = z.strictObject({
  type: z.literal('leaseJob'),
  agentId: fields.agentId,
  leaseMs,
  /** Lease this queued job rather than the one the fair scheduler picks. */
  jobId: fields.jobId.optional(),
  /** Only consider these kinds. */
  kinds: z.array(fields.jobKind).min(1, { error: 'must list at least one kind, or be left out' }).optional(),
});
const startJob = z.strictObject({ type: z.literal('startJob'), agentId: fields.agentId, jobId: fields.jobId });
const stepCount = z
  .number({ error: requiredOr('must be a whole number') })
  .int({ error: 'must be a whole number' })
  .min(0, { error: 'must not be negative' });
const progress = z
  .strictObject(
    {
      step: stepCount,
      total: stepCount,
      loss: z.number({ error: 'must be a finite number' }).optional(),
      phase: z
        .string({ error: 'must be a string' })
        .min(1, { error: 'must not be empty' })
        .max(64, { error: 'must be at most 64 characters' })
        .regex(/^[^\p{Cc}]*$/u, { error: 'must not contain control characters' })
        .optional(),
    },
    { error: requiredOr('must be an object like { step, total }') },
  )
  .refine((p) => p.step <= p.total, { error: 'step must not be greater than total', path: ['step'] });
/** The lease holder's progress; it also renews the lease, so a long job keeps its lease while it reports. */
const reportProgress = z.strictObject({
  type: z.literal('reportProgress'),
  agentId: fields.agentId,
  jobId: fields.jobId,
  leaseMs,
  progress,
});
const completeJob = z.strictObject({
  type: z.literal('completeJob'),
  agentId: fields.agentId,
  jobId: fields.jobId,
  result: boundedObject(STATE_LIMITS.maxJobPayloadChars),
});
const failJob = z.strictObject({
  type: z.literal('failJob'),
  agentId: fields.agentId,
  jobId: fields.jobId,
  reason: z.string().min(1, { error: 'must say what went wrong' }).max(2000, { error: 'must be at most 2000 characters' }),
  /** True when the job's input itself is bad: the job fails for good and the failure does not count against the agent. */
  final: z.boolean({ error: 'must be true or false' }).optional(),
});
const cancelJob = z.strictObject({
  type: z.literal('cancelJob'),
  jobId: fields.jobId,
  /** When given, only the job's requester may cancel; left out for admin cancellation. */
  requester: fields.principal.optional(),
});
/** The lease holder gives the job back unharmed (shutting down): re-queued without counting an attempt. */
const releaseJob = z.strictObject({ type: z.literal('releaseJob'), agentId: fields.agentId, jobId: fields.jobId });
const expireLeases = z.strictObject({ type: z.literal('expireLeases'), now: fields.timestamp });

const put = z.strictObject({
  type: z.literal('put'),
  key: fields.kvKey,
  value: z.unknown().superRefine((value, ctx) => {
    if (value === undefined) {
      ctx.addIssue({ code: 'custom', message: 'is required (any JSON value)' });
      return;
    }
    const size = JSON.stringify(value).length;
    if (size > STATE_LIMITS.maxKvValueChars) ctx.addIssue({ code: 'custom', message: `is too large (${size} characters of JSON, limit ${STATE_LIMITS.maxKvValueChars})` });
  }),
});
const get = z.strictObject({ type: z.literal('get'), key: fields.kvKey });

/** Every command, discriminated on `type`. */
export const commandSchema = z.discriminatedUnion('type', [
  createAgent,
  revokeAgent,
  agentHeartbeat,
  setAgentStatus,
  registerModelVersion,
  rollbackModel,
  reserveSubject,
  updateSubject,
  startMerge,
  commitMerge,
  failMerge,
  setMergeSettings,
  submitJob,
  leaseJob,
  startJob,
  reportProgress,
  completeJob,
  failJob,
  cancelJob,
  releaseJob,
  expireLeases,
  put,
  get,
]);

/** A validated command. */
export type Command = z.infer<typeof commandSchema>;
/** The command whose `type` is `T`. */
export type CommandOf<T extends Command['type']> = Extract<Command, { type: T }>;

/** Names of all command types, in declaration order. */
export const COMMAND_TYPES: readonly Command['type'][] = commandSchema.options.map((option) => option.shape.type.value);

/** The identity part of a proposal; parsed first so even a malformed command is recorded for its session. */
export const proposalIdentitySchema = z.object({
  clientId: z
    .string({ error: requiredOr('must be a string') })
    .min(1, { error: 'must not be empty' })
    .max(128, { error: 'must be at most 128 characters' }),
  seq: z.number({ error: requiredOr('must be a number') }).int({ error: 'must be a whole number' }).min(1, { error: 'must be at least 1' }),
});

/** The JSON carried by a normal log entry: exactly-once identity, the leader's wall time, and the command. */
export const proposalSchema = z.strictObject({
  clientId: proposalIdentitySchema.shape.clientId,
  seq: proposalIdentitySchema.shape.seq,
  at: fields.timestamp,
  command: z.unknown(),
});

/** A proposal as the leader writes it into the log. */
export interface Proposal {
  clientId: string;
  seq: number;
  /** Leader wall time in ms since the epoch, stamped when the command was proposed. */
  at: number;
  command: Command;
}

/**
 * Validates a command; used by apply and by servers that want to refuse bad input before it reaches the log.
 * Returns a description of the problem instead of throwing.
 */
export function checkCommand(input: unknown): { ok: true; command: Command } | { ok: false; message: string } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, message: 'invalid command: expected a JSON object with a "type" field' };
  }
  const type = (input as { type?: unknown }).type;
  if (typeof type !== 'string' || !(COMMAND_TYPES as readonly string[]).includes(type)) {
    const shown = typeof type === 'string' ? `"${type}"` : 'missing';
    return { ok: false, message: `invalid command: type is ${shown}; expected one of ${COMMAND_TYPES.join(', ')}` };
  }
  const parsed = commandSchema.safeParse(input);
  if (!parsed.success) return { ok: false, message: describeIssues(`${type} command`, parsed.error) };
  return { ok: true, command: parsed.data };
}

/** Validates a command, throwing {@link CommandRejectedError} (code `invalid`) with a message that says what to fix. */
export function parseCommand(input: unknown): Command {
  const checked = checkCommand(input);
  if (!checked.ok) throw new CommandRejectedError(checked.message, 'invalid');
  return checked.command;
}
