import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { JobObserver, JobOutcome } from './job-executor.ts';
import type { ModelHost } from './model-host.ts';

const JOB_DURATION_BUCKETS = [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

/**
 * An agent's `teambooth_agent_*` metrics (docs/operations.md, "Metrics"): jobs by kind and
 * outcome, their durations from lease to end, the jobs running now and the model versions it holds.
 */
export class AgentMetrics implements JobObserver {
  readonly #jobs: Counter<'kind' | 'outcome'>;
  readonly #duration: Histogram<'kind'>;
  readonly #busy: Gauge;

  constructor(registry: Registry, sources: { models: Pick<ModelHost, 'loadedCount'> }) {
    const registers = [registry];
    this.#jobs = new Counter({ name: 'teambooth_agent_jobs_total', help: 'Jobs this agent ran to an end, by kind and outcome.', labelNames: ['kind', 'outcome'], registers });
    this.#duration = new Histogram({
      name: 'teambooth_agent_job_duration_seconds',
      help: 'From lease to end of each job this agent ran, by kind.',
      labelNames: ['kind'],
      buckets: JOB_DURATION_BUCKETS,
      registers,
    });
    this.#busy = new Gauge({ name: 'teambooth_agent_busy', help: 'Jobs this agent is running now.', registers });
    const { models } = sources;
    new Gauge({
      name: 'teambooth_agent_models_loaded',
      help: 'Model versions this agent holds loaded (or is loading).',
      registers,
      collect() {
        this.set(models.loadedCount());
      },
    });
  }

  jobStarted(): void {
    this.#busy.inc();
  }

  jobEnded(kind: string, outcome: JobOutcome, seconds: number): void {
    this.#busy.dec();
    this.#jobs.inc({ kind, outcome });
    this.#duration.observe({ kind }, Math.max(0, seconds));
  }
}
