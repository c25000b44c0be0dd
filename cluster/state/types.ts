/**
 * Records of the replicated state and the result of applying one command.
 * Every record is plain JSON data so snapshots can carry it unchanged.
 */

/** Why a command or query was refused. `stale_sequence` only comes from the exactly-once session check. */
export type ErrorCode =
  | 'invalid'
  | 'not_found'
  | 'already_exists'
  | 'permission_denied'
  | 'failed_precondition'
  /** A per-user quota is used up (e.g. too many queued jobs); the same request may succeed later. */
  | 'resource_exhausted'
  | 'stale_sequence';

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
  /** Each subject's slot of the orthogonal basis (orthogonal merges; empty otherwise). */
  slots: Record<string, number>;
  /** The merge job that produced the version; null for an import. */
  mergeJobId: string | null;
  createdAt: number;
}

/**
 * `retired`: dropped from the shared model by the retention policy; the token stays its owner's
 * and the subject's LoRA stays in the store, but its orthogonal slot is free again.
 */
export type SubjectStatus = 'reserved' | 'training' | 'merged' | 'failed' | 'retired';

/** A token in the subject registry (e.g. `zxq` for "zxq dog"). A token is taken once. */
export interface Subject {
  token: string;
  classWord: string;
  owner: string;
  status: SubjectStatus;
  /** The version that first merged the subject; null until merged. */
  versionId: string | null;
  /** Its slot of the orthogonal basis while it holds one (training with method orthogonal); null otherwise. */
  slot: number | null;
  /** The train job that made (or makes) its LoRA; null for a subject reserved by hand. */
  trainJobId: string | null;
  /** Object-store key of its LoRA once the train job succeeded; null before. */
  loraKey: string | null;
  createdAt: number;
  updatedAt: number;
}

/**
 * How the leader folds fine-tunes into the shared model. `basisSeed` seeds the orthogonal basis
 * every subject's slot is taken from (fixed for the cluster's life). `keepLastSubjects`: when a
 * version holds more subjects, the next version is rebuilt from the base with only the newest
 * ones (null keeps all). `paused`: merges wait in the queue until resumed.
 */
export interface MergeSettings {
  method: 'sum' | 'orthogonal';
  basisSeed: number;
  keepLastSubjects: number | null;
  paused: boolean;
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
  /** Why the agent was paused automatically; null when it is not paused or was paused by hand. */
  pausedReason: string | null;
  /**
   * Times (leader ms) of the attempts that failed because of this agent within the last hour,
   * oldest first; reaching {@link STATE_LIMITS.agentFailuresToPause} pauses the agent.
   */
  recentFailures: number[];
  createdAt: number;
}

/** An agent as queries and command results show it: the token hash is replaced by a short fingerprint. */
export type AgentView = Omit<Agent, 'tokenHash'> & { tokenFingerprint: string };

export type JobKind = 'imagine' | 'train' | 'merge';
export type JobState = 'queued' | 'leased' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** One failed attempt of a job. */
export interface JobError {
  at: number;
  /** The attempt (1-based) that failed; 0 when the job failed before any attempt (no agent left that can run it). */
  attempt: number;
  /** The agent that held the job, or null when none did. */
  agentId: string | null;
  message: string;
}

/** The last progress an agent reported for the attempt it is running. */
export interface JobProgress {
  step: number;
  total: number;
  /** Training loss at `step`; null when the agent did not report one. */
  loss: number | null;
  /** A short label of the stage, e.g. `denoising` or `uploading`; null when not reported. */
  phase: string | null;
  /** When the report was applied (leader ms). */
  at: number;
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
  /** When the current (or last) attempt was leased; null while queued. */
  leasedAt: number | null;
  /** When the current (or last) attempt started running (startJob or its first progress report); null before. */
  startedAt: number | null;
  /** When the job ended (succeeded, failed for good or cancelled); null while it may still run. */
  finishedAt: number | null;
  /** The current attempt's last progress report; null until the first one (and again after a re-queue). */
  progress: JobProgress | null;
  result: Record<string, unknown> | null;
  errors: JobError[];
  /**
   * The model version the job runs on: the current version when an imagine or train job was
   * submitted (null before any version exists: agents use their built-in model); for a merge
   * job, the version it produced once it succeeded.
   */
  modelVersion: string | null;
  /** A train job's slot of the orthogonal basis: the agent trains only `up` against these down-projections. */
  basis: { seed: number; slot: number } | null;
  createdAt: number;
  updatedAt: number;
}

/**
 * Run durations of succeeded jobs of one kind, for queue wait estimates: `meanMs` is the plain
 * mean of the first {@link STATE_LIMITS.durationWindow} durations, then an exponential moving
 * average with weight 1/durationWindow, so it follows recent agents without storing samples.
 */
export interface DurationStat {
  /** How many durations have been recorded. */
  count: number;
  meanMs: number;
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
