import type { BotClusterApi } from '../core/bot-core.ts';
import { isAgentOnline } from '../../cluster/state/agent-online.ts';
import type { AgentView, Job, JobState, ModelVersion } from '../../cluster/state/types.ts';

/** One node as the dashboard shows it; `up` false when it did not answer. */
export interface DashboardNode {
  server: string;
  up: boolean;
  id: string | null;
  role: string | null;
  term: number | null;
  commitIndex: number | null;
  appliedIndex: number | null;
  leaderId: string | null;
  error: string | null;
}

/** The cluster at a glance, as the playground's dashboard shows it. */
export interface Dashboard {
  at: number;
  nodes: DashboardNode[];
  /** The node every answering node agrees leads, or null. */
  leader: string | null;
  currentVersion: string | null;
  /** The last versions, newest first. */
  versions: { id: string; parent: string | null; createdAt: number; subjects: string[]; mergeMethod: string | null; current: boolean }[];
  agents: { id: string; name: string; status: string; online: boolean; provider: string | null; canTrain: boolean }[];
  queue: { counts: Partial<Record<JobState, number>>; active: { id: string; kind: string; state: JobState; what: string; progress: string | null }[] };
  /** Why part of the picture is missing (no leader to answer queries, say); null when complete. */
  problem: string | null;
}

const ACTIVE_STATES: readonly JobState[] = ['queued', 'leased', 'running'];

/**
 * Reads the dashboard from the cluster: every node's own status (a node that does not answer shows
 * as down), then the model versions, agents and queue from whichever node answers (stale reads, so
 * the picture survives a leader change).
 */
export async function readDashboard(cluster: BotClusterApi, now: () => number, signal: AbortSignal): Promise<Dashboard> {
  const statuses = await cluster.statusAll(signal);
  const nodes = statuses.map(({ server, status, error }): DashboardNode => ({
    server,
    up: status !== undefined,
    id: status?.id ?? null,
    role: status?.role ?? null,
    term: status?.term ?? null,
    commitIndex: status?.commitIndex ?? null,
    appliedIndex: status?.appliedIndex ?? null,
    leaderId: status?.leaderId || null,
    error: error ?? null,
  }));
  // A node that does not answer is named by the membership the others report.
  const names = new Map<string, string>();
  for (const { status } of statuses) for (const [id, address] of Object.entries(status?.conf.addresses ?? {})) names.set(address, id);
  for (const node of nodes) node.id ??= names.get(node.server) ?? null;
  const leader = nodes.find((n) => n.role === 'leader')?.id ?? null;
  const dashboard: Dashboard = { at: now(), nodes, leader, currentVersion: null, versions: [], agents: [], queue: { counts: {}, active: [] }, problem: null };
  try {
    const stale = { stale: true, signal } as const;
    const [listed, agents, summary, ...active] = await Promise.all([
      cluster.query({ type: 'listModelVersions' }, stale) as Promise<{ versions: ModelVersion[]; currentVersion: string | null }>,
      cluster.query({ type: 'listAgents' }, stale) as Promise<{ agents: AgentView[] }>,
      cluster.query({ type: 'summary' }, stale) as Promise<{ jobs: Record<JobState, number> }>,
      ...ACTIVE_STATES.map((state) => cluster.query({ type: 'listJobs', state, limit: 20 }, stale) as Promise<{ jobs: Job[] }>),
    ]);
    dashboard.currentVersion = listed.currentVersion;
    dashboard.versions = listed.versions
      .slice(-10)
      .reverse()
      .map((v) => ({ id: v.id, parent: v.parent, createdAt: v.createdAt, subjects: v.subjects, mergeMethod: v.mergeJobId === null ? null : v.mergeMethod, current: v.id === listed.currentVersion }));
    dashboard.agents = agents.agents.map((a) => ({
      id: a.id,
      name: a.name,
      status: a.status,
      online: isAgentOnline(a, dashboard.at),
      provider: a.capabilities?.provider ?? null,
      canTrain: a.capabilities?.canTrain ?? false,
    }));
    dashboard.queue = {
      counts: summary.jobs,
      active: active
        .flatMap((list) => list.jobs)
        .sort((a, b) => a.createdAt - b.createdAt)
        .map((job) => ({ id: job.id, kind: job.kind, state: job.state, what: describeJob(job), progress: job.progress === null ? null : `${job.progress.phase ?? 'step'} ${job.progress.step}/${job.progress.total}` })),
    };
  } catch (error) {
    if (signal.aborted) throw error;
    dashboard.problem = `the cluster did not answer queries: ${(error as Error).message}`;
  }
  return dashboard;
}

function describeJob(job: Job): string {
  if (job.kind === 'imagine') return String(job.params.prompt ?? '');
  if (job.kind === 'train') return `${String(job.params.token ?? '')} ${String(job.params.classWord ?? '')}`;
  return job.params.operation === 'rebuild' ? 'rebuild' : `merge ${String(job.params.token ?? '')}`;
}
