import { z } from 'zod';
import { StorageError } from '../raft/errors.ts';
import { canonicalJson } from './canonical-json.ts';
import { capabilitiesSchema, fields } from './commands.ts';
import { describeIssues } from './describe-issues.ts';
import { defaultMergeSettings, type StateParts } from './state-data.ts';

/** Marks the bytes as a Teambooth state snapshot; bump `SNAPSHOT_VERSION` when the layout changes. */
const SNAPSHOT_FORMAT = 'teambooth-state';
const SNAPSHOT_VERSION = 3;

const nullableTime = fields.timestamp.nullable();
const jsonObject = z.record(z.string(), z.unknown());
const count = z.number().int().min(0);
const durationStat = z.strictObject({ count, meanMs: z.number().min(0) });

const snapshotSchema = z.strictObject({
  format: z.literal(SNAPSHOT_FORMAT),
  version: z.literal(SNAPSHOT_VERSION),
  appliedIndex: z.number().int().min(0),
  clock: fields.timestamp,
  currentVersion: fields.versionId.nullable(),
  versions: z.array(
    z.strictObject({
      id: fields.versionId,
      parent: fields.versionId.nullable(),
      manifestKey: z.string(),
      subjects: z.array(z.string()),
      mergeMethod: z.enum(['none', 'sum', 'orthogonal']),
      slots: z.record(z.string(), count),
      mergeJobId: fields.jobId.nullable(),
      createdAt: fields.timestamp,
    }),
  ),
  subjects: z.array(
    z.strictObject({
      token: z.string(),
      classWord: z.string(),
      owner: z.string(),
      status: fields.subjectStatus,
      versionId: fields.versionId.nullable(),
      slot: count.nullable(),
      trainJobId: fields.jobId.nullable(),
      loraKey: z.string().nullable(),
      createdAt: fields.timestamp,
      updatedAt: fields.timestamp,
    }),
  ),
  agents: z.array(
    z.strictObject({
      id: z.string(),
      name: z.string(),
      owner: z.string(),
      tokenHash: fields.tokenHash,
      capabilities: capabilitiesSchema.nullable(),
      lastHeartbeat: nullableTime,
      status: fields.agentStatus,
      pausedReason: z.string().nullable(),
      recentFailures: z.array(fields.timestamp),
      createdAt: fields.timestamp,
    }),
  ),
  jobs: z.array(
    z.strictObject({
      id: fields.jobId,
      kind: fields.jobKind,
      params: jsonObject,
      requester: z.string(),
      idempotencyKey: z.string().nullable(),
      state: fields.jobState,
      attempts: count,
      leaseHolder: z.string().nullable(),
      leaseExpiresAt: nullableTime,
      leasedAt: nullableTime,
      startedAt: nullableTime,
      finishedAt: nullableTime,
      progress: z
        .strictObject({ step: count, total: count, loss: z.number().nullable(), phase: z.string().nullable(), at: fields.timestamp })
        .nullable(),
      result: jsonObject.nullable(),
      errors: z.array(z.strictObject({ at: fields.timestamp, attempt: z.number().int().min(0), agentId: z.string().nullable(), message: z.string() })),
      modelVersion: fields.versionId.nullable(),
      basis: z.strictObject({ seed: count, slot: count }).nullable(),
      createdAt: fields.timestamp,
      updatedAt: fields.timestamp,
    }),
  ),
  queue: z.array(fields.jobId),
  kv: z.array(z.tuple([z.string(), z.unknown()])),
  sessions: z.array(z.strictObject({ clientId: z.string(), lastSeq: z.number().int().min(1), lastUsedAt: fields.timestamp, resultJson: z.string() })),
  stats: z.strictObject({ imagine: durationStat, train: durationStat, merge: durationStat }),
  mergeSettings: z.strictObject({
    method: z.enum(['sum', 'orthogonal']),
    basisSeed: count,
    keepLastSubjects: z.number().int().min(1).nullable(),
    paused: z.boolean(),
  }),
});

/** Encodes state parts as canonical JSON: equal state gives byte-identical snapshots on every replica. */
export function encodeSnapshot(parts: StateParts): Uint8Array {
  return new TextEncoder().encode(canonicalJson({ format: SNAPSHOT_FORMAT, version: SNAPSHOT_VERSION, ...parts }));
}

/** Decodes and checks a snapshot made by {@link encodeSnapshot}; throws {@link StorageError} naming the problem. */
export function decodeSnapshot(bytes: Uint8Array): StateParts {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new StorageError(`state snapshot is not valid UTF-8 JSON (${(error as Error).message}); the snapshot file or transfer is corrupt`);
  }
  const format = (json as { format?: unknown; version?: unknown } | null)?.format;
  const version = (json as { version?: unknown } | null)?.version;
  if (format !== SNAPSHOT_FORMAT) throw new StorageError(`data is not a Teambooth state snapshot (format ${JSON.stringify(format)})`);
  if (version === 2) json = upgradeFromVersion2(json as Record<string, unknown>);
  else if (version !== SNAPSHOT_VERSION) {
    throw new StorageError(`state snapshot has layout version ${JSON.stringify(version)}, this build reads version ${SNAPSHOT_VERSION}; run a matching teambooth release`);
  }
  const parsed = snapshotSchema.safeParse(json);
  if (!parsed.success) throw new StorageError(describeIssues('state snapshot', parsed.error));
  const { format: _format, version: _version, ...parts } = parsed.data;
  checkConsistency(parts);
  return parts;
}

/** Layout 2 (before model versions were merged by the cluster): the new fields take their empty values. */
function upgradeFromVersion2(json: Record<string, unknown>): Record<string, unknown> {
  const records = (key: string): Record<string, unknown>[] => (Array.isArray(json[key]) ? (json[key] as Record<string, unknown>[]) : []);
  return {
    ...json,
    version: SNAPSHOT_VERSION,
    versions: records('versions').map((v) => ({ ...v, slots: {}, mergeJobId: null })),
    subjects: records('subjects').map((s) => ({ ...s, slot: null, trainJobId: null, loraKey: null })),
    jobs: records('jobs').map((j) => ({ ...j, modelVersion: null, basis: null })),
    mergeSettings: defaultMergeSettings(),
  };
}

/** Cross-record invariants a corrupt or hand-edited snapshot could break. */
function checkConsistency(parts: StateParts): void {
  const fail = (message: string): never => {
    throw new StorageError(`state snapshot is inconsistent: ${message}`);
  };
  const jobStates = new Map(parts.jobs.map((job) => [job.id, job.state]));
  if (jobStates.size !== parts.jobs.length) fail('two jobs share an id');
  const queued = new Set(parts.queue);
  if (queued.size !== parts.queue.length) fail('a job is queued twice');
  for (const id of parts.queue) if (jobStates.get(id) !== 'queued') fail(`job ${id} is in the queue but not queued`);
  const merges = new Set(parts.jobs.filter((job) => job.kind === 'merge').map((job) => job.id));
  for (const id of parts.queue) if (merges.has(id)) fail(`merge job ${id} is in the agents' queue`);
  for (const [id, state] of jobStates) if (state === 'queued' && !queued.has(id) && !merges.has(id)) fail(`queued job ${id} is missing from the queue`);
  const versionIds = new Set(parts.versions.map((version) => version.id));
  if (parts.currentVersion !== null && !versionIds.has(parts.currentVersion)) fail(`current version ${parts.currentVersion} is not in the version list`);
  if (new Set(parts.agents.map((agent) => agent.id)).size !== parts.agents.length) fail('two agents share an id');
  if (new Set(parts.subjects.map((subject) => subject.token)).size !== parts.subjects.length) fail('two subjects share a token');
  if (new Set(parts.sessions.map((session) => session.clientId)).size !== parts.sessions.length) fail('two sessions share a client id');
}
