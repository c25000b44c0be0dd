import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { StateAccess } from '../jobs/state-access.ts';
import type { ClusterBackend, NodeStatus } from '../server/backend.ts';
import type { RaftObserver } from '../server/raft-node.ts';
import { AGENT_ONLINE_WINDOW_MS } from '../state/agent-online.ts';
import type { MetricsCounts } from '../state/run-query.ts';
import type { Job } from '../state/types.ts';

/** How one merge attempt of the leader's merge runner ended. */
export type MergeAttemptOutcome = 'committed' | 'failed' | 'interrupted';

/** What the merge runner reports after each attempt. */
export interface MergeObserver {
  mergeEnded(outcome: MergeAttemptOutcome, seconds: number): void;
}

/** Where a node's scrape-time gauges read from. */
export interface NodeMetricsSource {
  backend: Pick<ClusterBackend, 'status'>;
  state: Pick<StateAccess, 'query'>;
  /** The node's clock (ms), to tell which agents are online. */
  now: () => number;
}

/** What one scrape reads from the replicated state (the `metrics` query). */
type StateView = MetricsCounts;

const JOB_LATENCY_BUCKETS = [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
const MERGE_DURATION_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/**
 * A node's `teambooth_*` metrics (docs/operations.md, "Metrics"). Raft status, jobs by state and
 * agents by status are read from this node's applied state when Prometheus scrapes; job latency
 * is observed as this node applies the entry that ends a job (from the job's own timestamps), and
 * merge durations as the merge runner reports them.
 */
export class NodeMetrics implements RaftObserver, MergeObserver {
  readonly #jobLatency: Histogram<'kind' | 'outcome'>;
  readonly #mergeDuration: Histogram<'outcome'>;
  readonly #leaderChanges: Counter;
  readonly #queries = new AbortController();
  #source: NodeMetricsSource | undefined;
  #scrape: Promise<StateView | undefined> | undefined;
  #status: { read: NodeStatus | undefined } | undefined;

  constructor(registry: Registry) {
    const registers = [registry];
    const status = () => this.#readStatus();
    const raftGauge = (name: string, help: string, read: (s: NodeStatus) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const s = status();
          if (s !== undefined) this.set(read(s));
        },
      });
    raftGauge('teambooth_raft_term', 'Current Raft term of this node.', (s) => s.term);
    raftGauge('teambooth_raft_commit_index', 'Highest log index this node knows to be committed.', (s) => s.commitIndex);
    raftGauge('teambooth_raft_applied_index', 'Highest log index this node has applied to its state.', (s) => s.appliedIndex);
    raftGauge('teambooth_raft_is_leader', '1 while this node is the Raft leader, else 0.', (s) => (s.role === 'leader' ? 1 : 0));
    this.#leaderChanges = new Counter({
      name: 'teambooth_raft_leader_changes_total',
      help: 'Times the leader seen by this node became a different node (the first leader seen counts).',
      registers,
    });

    const scrape = () => this.#readState();
    /** A gauge set from the state at each scrape: one value, or one per key under the label `by`. */
    const stateGauge = (name: string, help: string, read: (view: StateView) => number | Record<string, number>, by?: string) =>
      new Gauge({
        name,
        help,
        labelNames: by === undefined ? [] : [by],
        registers,
        async collect() {
          const view = await scrape();
          if (view === undefined) return;
          const value = read(view);
          if (typeof value === 'number') this.set(value);
          else for (const [key, count] of Object.entries(value)) this.set({ [by!]: key }, count);
        },
      });
    stateGauge('teambooth_jobs_queue_length', 'Imagine and train jobs waiting in the queue for an agent.', (view) => view.queued);
    stateGauge('teambooth_jobs', 'Jobs in the replicated state, by state.', (view) => view.jobs, 'state');
    stateGauge('teambooth_agents', 'Registered GPU agents, by status.', (view) => view.agents, 'status');
    stateGauge('teambooth_agents_online', `Active agents whose last heartbeat is less than ${AGENT_ONLINE_WINDOW_MS / 1000} s old.`, (view) => view.online);

    this.#jobLatency = new Histogram({
      name: 'teambooth_job_latency_seconds',
      help: 'From submission to the end of each job that ended while this node ran, by kind and final state.',
      labelNames: ['kind', 'outcome'],
      buckets: JOB_LATENCY_BUCKETS,
      registers,
    });
    this.#mergeDuration = new Histogram({
      name: 'teambooth_merge_duration_seconds',
      help: "Duration of each merge attempt of this node's merge runner, by outcome.",
      labelNames: ['outcome'],
      buckets: MERGE_DURATION_BUCKETS,
      registers,
    });
  }

  /** Starts reading the node's status and state for the gauges. */
  watch(source: NodeMetricsSource): void {
    this.#source = source;
  }

  /** Counts leader changes, as the node's Raft driver reports them. */
  leaderChanged(): void {
    this.#leaderChanges.inc();
  }

  jobEnded(job: Readonly<Job>): void {
    if (job.finishedAt === null) return;
    this.#jobLatency.observe({ kind: job.kind, outcome: job.state }, Math.max(0, job.finishedAt - job.createdAt) / 1000);
  }

  mergeEnded(outcome: MergeAttemptOutcome, seconds: number): void {
    this.#mergeDuration.observe({ outcome }, Math.max(0, seconds));
  }

  /** Stops watching; gauges keep their last values. */
  close(): void {
    this.#queries.abort();
  }

  /** One read of the node's status for all the Raft gauges of a scrape (they collect at once, synchronously, and share it). */
  #readStatus(): NodeStatus | undefined {
    if (this.#status === undefined) {
      this.#status = { read: this.#source?.backend.status() };
      queueMicrotask(() => {
        this.#status = undefined;
      });
    }
    return this.#status.read;
  }

  /** One read of the state for all the gauges of a scrape (they collect at once and share it). */
  #readState(): Promise<StateView | undefined> {
    this.#scrape ??= this.#queryState().finally(() => {
      this.#scrape = undefined;
    });
    return this.#scrape;
  }

  async #queryState(): Promise<StateView | undefined> {
    const source = this.#source;
    if (source === undefined || this.#queries.signal.aborted) return undefined;
    const signal = this.#queries.signal;
    try {
      return await source.state.query<StateView>({ type: 'metrics', now: source.now() }, signal, true);
    } catch {
      // A stopping node refuses reads; the gauges keep their last values.
      return undefined;
    }
  }
}
