import { enqueue, markActive } from './job-queue.ts';
import { emptyDurationStats } from './job-stats.ts';
import { STATE_LIMITS } from './limits.ts';
import { SessionTable } from './session-table.ts';
import type { Agent, DurationStat, Job, JobKind, MergeSettings, ModelVersion, Session, Subject } from './types.ts';

/**
 * The in-memory replicated state. Maps keep insertion order, which is the order entries were
 * applied in, so iteration is the same on every replica. The fields marked derived are rebuilt
 * from the records on restore (see {@link createStateData}); everything else is what a snapshot carries.
 */
export interface StateData {
  appliedIndex: number;
  /** Monotonic state clock: the largest leader timestamp applied so far (ms since the epoch). */
  clock: number;
  currentVersion: string | null;
  versions: Map<string, ModelVersion>;
  subjects: Map<string, Subject>;
  agents: Map<string, Agent>;
  jobs: Map<string, Job>;
  /** Ids of queued jobs, in the order they are offered to agents. */
  queue: Set<string>;
  kv: Map<string, unknown>;
  sessions: SessionTable;
  /** Run durations of succeeded jobs per kind, for wait estimates. */
  stats: Record<JobKind, DurationStat>;
  mergeSettings: MergeSettings;
  /** Derived: ids of merge jobs not yet ended (queued or running), oldest first; the leader runs them in order. */
  pendingMerges: Set<string>;
  /** Derived: lowercased name -> id of every agent that is not revoked. */
  agentNameIndex: Map<string, string>;
  /** Derived: token hash -> id of every agent that is not revoked. */
  agentTokenIndex: Map<string, string>;
  /** Derived: `requester \0 idempotencyKey` -> job id. */
  idempotencyIndex: Map<string, string>;
  /** Derived: ids of leased or running jobs. */
  activeJobIndex: Set<string>;
  /** Derived: requester -> ids of their queued jobs in queue order; only requesters with queued jobs. */
  requesterQueues: Map<string, Set<string>>;
  /** Derived: queued job id -> a number that grows along the queue, to compare jobs of different requesters. */
  queueOrder: Map<string, number>;
  /** Derived: the number the next job put at the back of the queue gets in {@link StateData.queueOrder}. */
  nextQueueOrder: number;
  /** Derived: requester -> how many of their jobs are leased or running; only requesters with some. */
  activeByRequester: Map<string, number>;
  /** Not replicated: who is told of jobs reaching a final state as entries apply (see {@link StateObserver}). */
  observer: StateObserver;
}

/**
 * Told of changes as entries apply, on this replica only (the node's metrics). It must not change
 * what it is given: every replica must still end in the same state.
 */
export interface StateObserver {
  /** A job reached a final state (succeeded, failed or cancelled) in the entry being applied. */
  jobEnded?(job: Readonly<Job>): void;
}

/** The part of {@link StateData} that a snapshot carries; the indexes are derived from it. */
export interface StateParts {
  appliedIndex: number;
  clock: number;
  currentVersion: string | null;
  versions: ModelVersion[];
  subjects: Subject[];
  agents: Agent[];
  jobs: Job[];
  queue: string[];
  kv: [string, unknown][];
  sessions: Session[];
  stats: Record<JobKind, DurationStat>;
  mergeSettings: MergeSettings;
}

/**
 * Merge settings of a new cluster: `sum` merges, every subject kept, a fixed basis seed for
 * clusters that switch to `orthogonal`. In the tiny world neither method keeps seven merged
 * subjects clearly above the base model's own score for them (docs/quality.md, "Merging subjects").
 */
export function defaultMergeSettings(): MergeSettings {
  return { method: 'sum', basisSeed: 0x7eab_b007, keepLastSubjects: null, paused: false };
}

/** The key of a job's idempotency key in {@link StateData.idempotencyIndex}. */
export function idempotencyIndexKey(requester: string, key: string): string {
  return `${requester}\u0000${key}`;
}

/** Builds state (with its indexes) from snapshot parts, or an empty state when none are given. */
export function createStateData(parts?: StateParts, observer: StateObserver = {}): StateData {
  const data: StateData = {
    appliedIndex: parts?.appliedIndex ?? 0,
    clock: parts?.clock ?? 0,
    currentVersion: parts?.currentVersion ?? null,
    versions: new Map((parts?.versions ?? []).map((v) => [v.id, v])),
    subjects: new Map((parts?.subjects ?? []).map((s) => [s.token, s])),
    agents: new Map((parts?.agents ?? []).map((a) => [a.id, a])),
    jobs: new Map((parts?.jobs ?? []).map((j) => [j.id, j])),
    queue: new Set(),
    kv: new Map(parts?.kv ?? []),
    sessions: new SessionTable(STATE_LIMITS.maxSessions, parts?.sessions ?? []),
    stats: parts?.stats ?? emptyDurationStats(),
    mergeSettings: parts?.mergeSettings ?? defaultMergeSettings(),
    pendingMerges: new Set(),
    agentNameIndex: new Map(),
    agentTokenIndex: new Map(),
    idempotencyIndex: new Map(),
    activeJobIndex: new Set(),
    requesterQueues: new Map(),
    queueOrder: new Map(),
    nextQueueOrder: 0,
    activeByRequester: new Map(),
    observer,
  };
  for (const id of parts?.queue ?? []) {
    const job = data.jobs.get(id);
    if (job) enqueue(data, job);
  }
  for (const agent of data.agents.values()) {
    if (agent.status === 'revoked') continue;
    data.agentNameIndex.set(agent.name.toLowerCase(), agent.id);
    data.agentTokenIndex.set(agent.tokenHash, agent.id);
  }
  for (const job of data.jobs.values()) {
    if (job.idempotencyKey !== null) data.idempotencyIndex.set(idempotencyIndexKey(job.requester, job.idempotencyKey), job.id);
    if (job.kind === 'merge') {
      if (job.state === 'queued' || job.state === 'running') data.pendingMerges.add(job.id);
    } else if (job.state === 'leased' || job.state === 'running') markActive(data, job);
  }
  return data;
}

/** Snapshot parts of `data`, in a deterministic order. */
export function stateParts(data: StateData): StateParts {
  return {
    appliedIndex: data.appliedIndex,
    clock: data.clock,
    currentVersion: data.currentVersion,
    versions: [...data.versions.values()],
    subjects: [...data.subjects.values()],
    agents: [...data.agents.values()],
    jobs: [...data.jobs.values()],
    queue: [...data.queue],
    kv: [...data.kv.entries()],
    sessions: data.sessions.list(),
    stats: data.stats,
    mergeSettings: data.mergeSettings,
  };
}

/** Where and when an entry is applied: its log index and the state clock after it. */
export interface ApplyContext {
  index: number;
  now: number;
}
