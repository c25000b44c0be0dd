import { z } from 'zod';
import { CommandRejectedError } from '../raft/errors.ts';
import { fields } from './commands.ts';
import { describeIssues } from './describe-issues.ts';

/**
 * Read-only queries of the replicated state: JSON objects discriminated by `type`.
 * They run on any replica (after ReadIndex for linearizable reads) and never change state.
 */
const limit = z
  .number()
  .int({ error: 'must be a whole number' })
  .min(1, { error: 'must be at least 1' })
  .max(10_000, { error: 'must be at most 10000' });

/** Every query, discriminated on `type`. */
export const querySchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('listAgents'), status: fields.agentStatus.optional() }),
  z.strictObject({ type: z.literal('getAgent'), agentId: fields.agentId }),
  /** The agent registered with a token hash, or null; lets a server authenticate an agent's token. */
  z.strictObject({ type: z.literal('findAgentByTokenHash'), tokenHash: fields.tokenHash }),
  z.strictObject({
    type: z.literal('listJobs'),
    state: fields.jobState.optional(),
    kind: fields.jobKind.optional(),
    requester: fields.principal.optional(),
    /** Return at most this many, the most recent last. */
    limit: limit.optional(),
  }),
  z.strictObject({ type: z.literal('getJob'), jobId: fields.jobId }),
  /** Where a job stands in the fair order, how many active agents could run it, and an estimate of its wait. */
  z.strictObject({ type: z.literal('jobQueuePosition'), jobId: fields.jobId }),
  /** How many leases have run out by `now` (the leader checks before proposing expireLeases). */
  z.strictObject({ type: z.literal('dueLeases'), now: fields.timestamp }),
  /** How many jobs are queued, in constant time (idle agents' claims wait for it to grow). */
  z.strictObject({ type: z.literal('queueLength') }),
  z.strictObject({ type: z.literal('listModelVersions') }),
  z.strictObject({ type: z.literal('currentModel') }),
  z.strictObject({ type: z.literal('getModelVersion'), versionId: fields.versionId }),
  /** Merge jobs not yet ended, oldest first, with the merge settings (what the leader's merge runner reads). */
  z.strictObject({ type: z.literal('pendingMerges') }),
  z.strictObject({ type: z.literal('mergeSettings') }),
  z.strictObject({ type: z.literal('listSubjects'), status: fields.subjectStatus.optional(), owner: fields.principal.optional() }),
  z.strictObject({ type: z.literal('getSubject'), token: fields.subjectToken }),
  z.strictObject({ type: z.literal('kvGet'), key: fields.kvKey }),
  z.strictObject({ type: z.literal('summary') }),
  /** The counts a node's metrics read at each scrape: jobs by state, agents by status, the queue, and agents online at `now`. */
  z.strictObject({ type: z.literal('metrics'), now: fields.timestamp }),
]);

/** A validated query. */
export type Query = z.infer<typeof querySchema>;
/** The query whose `type` is `T`. */
export type QueryOf<T extends Query['type']> = Extract<Query, { type: T }>;

/** Names of all query types, in declaration order. */
export const QUERY_TYPES: readonly Query['type'][] = querySchema.options.map((option) => option.shape.type.value);

/** Validates a query, throwing {@link CommandRejectedError} (code `invalid`) with a message that says what to fix. */
export function parseQuery(input: unknown): Query {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new CommandRejectedError('invalid query: expected a JSON object with a "type" field', 'invalid');
  }
  const type = (input as { type?: unknown }).type;
  if (typeof type !== 'string' || !(QUERY_TYPES as readonly string[]).includes(type)) {
    const shown = typeof type === 'string' ? `"${type}"` : 'missing';
    throw new CommandRejectedError(`invalid query: type is ${shown}; expected one of ${QUERY_TYPES.join(', ')}`, 'invalid');
  }
  const parsed = querySchema.safeParse(input);
  if (!parsed.success) throw new CommandRejectedError(describeIssues(`${type} query`, parsed.error), 'invalid');
  return parsed.data;
}
