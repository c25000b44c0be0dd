/**
 * Records of the replicated state and the result of applying one command.
 * Every record is plain JSON data so snapshots can carry it unchanged.
 */

/** Why a command or query was refused. `stale_sequence` only comes from the exactly-once session check. */
export type ErrorCode = 'invalid' | 'not_found' | 'already_exists' | 'permission_denied' | 'failed_precondition' | 'stale_sequence';

/** The outcome of applying one log entry; the same value is replayed for a retried (clientId, seq). */
export type AppliedResult = { ok: true; value: unknown } | { ok: false; error: { code: ErrorCode; message: string } };

/** How a version was produced: `none` for an imported base model, otherwise the merge method. */
export type MergeMethod = 'none' | 'sum' | 'orthogonal';

/** One version of the shared model. Ids are sequential: v1, v2, ... */
export interface ModelVersion {
  id: string;
  /** The version it was merged onto; null for the first imported base. */
  parent: string | null;
  /** Object-store key of the version's tensor manifest. */
  manifestKey: string;
  /** Subject tokens the version contains. */
  subjects: string[];
  mergeMethod: MergeMethod;
  createdAt: number;
}

export type SubjectStatus = 'reserved' | 'training' | 'merged' | 'failed';

/** A token in the subject registry (e.g. `zxq` for "zxq dog"). A token is taken once. */
export interface Subject {
  token: string;
  classWord: string;
  owner: string;
  status: SubjectStatus;
  /** The version that first merged the subject; null until merged. */
  versionId: string | null;
  createdAt: number;
  updatedAt: number;
}

/** What an agent reports about its hardware. */
export interface AgentCapabilities {
  /** Execution provider actually in use, e.g. `cuda` or `cpu`. */
  provider: string;
  memoryMb: number;
  /** Largest square image side the agent can generate, in pixels. */
  maxImageSize: number;
  canTrain: boolean;
}

export type AgentStatus = 'active' | 'paused' | 'revoked';

/** A registered GPU agent. Only the sha-256 of its token is ever stored. */
export interface Agent {
  id: string;
  name: string;
  owner: string;
  /** Lowercase hex sha-256 of the agent token. Never returned by queries. */
  tokenHash: string;
  capabilities: AgentCapabilities | null;
  lastHeartbeat: number | null;
  status: AgentStatus;
  createdAt: number;
}

/** An agent as queries and command results show it: the token hash is replaced by a short fingerprint. */
export type AgentView = Omit<Agent, 'tokenHash'> & { tokenFingerprint: string };

export type JobKind = 'imagine' | 'train' | 'merge';
export type JobState = 'queued' | 'leased' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** One failed attempt of a job. */
export interface JobError {
  at: number;
  /** The attempt (1-based) that failed. */
  attempt: number;
  /** The agent that held the job, or null when none did. */
  agentId: string | null;
  message: string;
}

/** A unit of work for an agent. */
export interface Job {
  id: string;
  kind: JobKind;
  params: Record<string, unknown>;
  requester: string;
  idempotencyKey: string | null;
  state: JobState;
  /** How many times the job has been leased. */
  attempts: number;
  leaseHolder: string | null;
  leaseExpiresAt: number | null;
  result: Record<string, unknown> | null;
  errors: JobError[];
  createdAt: number;
  updatedAt: number;
}

/** Exactly-once bookkeeping for one client: the last applied sequence number and its result. */
export interface Session {
  clientId: string;
  lastSeq: number;
  /** Timestamp of the last entry from this client; the least recent session is evicted first. */
  lastUsedAt: number;
  /** JSON of the {@link AppliedResult} of `lastSeq`. */
  resultJson: string;
}
