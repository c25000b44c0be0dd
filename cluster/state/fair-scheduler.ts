import { canRun, registeredAgents } from './job-fit.ts';
import { activeCount } from './job-queue.ts';
import { STATE_LIMITS } from './limits.ts';
import type { StateData } from './state-data.ts';
import type { Agent, Job, JobKind, JobState } from './types.ts';

/**
 * Fair scheduling of the queue across requesters, so one member's batch of jobs cannot starve
 * everyone else. A free agent serves the requester with the fewest leased or running jobs; a tie
 * goes to the requester whose oldest job the agent can run has waited longest (is nearest the
 * front of the queue); within a requester, jobs go first in, first out. A requester at
 * {@link STATE_LIMITS.maxActiveJobsPerRequester} active jobs is passed over.
 *
 * Cost: the per-requester queues and active counts are kept as derived indexes, so a pick reads
 * each requester with queued jobs once and walks a requester's queue only past jobs the agent
 * cannot run: O(requesters + skipped jobs), not O(queue).
 */

/** The queued job `agent` should run next, or undefined when it can run none. */
export function pickFairJob(data: StateData, agent: Agent, kinds: readonly JobKind[] | undefined): Job | undefined {
  let best: { job: Job; active: number; order: number } | undefined;
  for (const [requester, own] of data.requesterQueues) {
    const active = activeCount(data, requester);
    if (active >= STATE_LIMITS.maxActiveJobsPerRequester) continue;
    if (best && active > best.active) continue;
    // With as many active jobs as the best so far, only an older job can win.
    const before = best && active === best.active ? best.order : Infinity;
    const found = firstRunnable(data, own, agent, kinds, before);
    if (found) best = { job: found.job, active, order: found.order };
  }
  return best?.job;
}

/** The first job in `own` (a requester's queue) that `agent` can run and that is ahead of `before` in the queue. */
function firstRunnable(
  data: StateData,
  own: Set<string>,
  agent: Agent,
  kinds: readonly JobKind[] | undefined,
  before: number,
): { job: Job; order: number } | undefined {
  for (const id of own) {
    const order = data.queueOrder.get(id) ?? Infinity;
    if (order >= before) return undefined;
    const job = data.jobs.get(id);
    if (job && (kinds === undefined || kinds.includes(job.kind)) && canRun(agent.capabilities, job)) return { job, order };
  }
  return undefined;
}

/** The answer to a `jobQueuePosition` query. */
export interface QueuePositionView {
  jobId: string;
  state: JobState;
  /** 1-based place in the order the fair scheduler would serve the queue; 0 when the job is not queued. */
  position: number;
  /** Jobs served before this one: position - 1, or 0 when not queued. */
  ahead: number;
  /** Active agents that could run the job. */
  capableAgents: number;
  /**
   * Expected wait before an agent leases the job: ceil(position / capableAgents) rounds of the
   * mean duration of its kind. Null when there is no duration yet or no capable agent (or the job
   * has ended); 0 once it is leased or running.
   */
  estimatedWaitMs: number | null;
}

/**
 * Where `job` stands in the queue. The position is a round-robin approximation of the fair
 * order: each round serves one job of every requester with queued jobs, requesters ordered as
 * the scheduler ranks them now (fewer active jobs, then the older first queued job). So a job
 * k-th in its requester's queue has min(their queued, k) jobs of each requester ranked before
 * its own ahead of it, min(their queued, k - 1) of each one ranked after, and its own k - 1.
 * It ignores which agents can run which jobs, the per-requester active limit, and jobs that end
 * meanwhile (which can reorder requesters). Costs O(requesters + k), plus O(agents) for the
 * capable count.
 */
export function jobQueuePosition(data: StateData, job: Job): QueuePositionView {
  const capableAgents = countCapableAgents(data, job);
  const position = job.state === 'queued' ? fairPosition(data, job) : 0;
  return {
    jobId: job.id,
    state: job.state,
    position,
    ahead: Math.max(0, position - 1),
    capableAgents,
    estimatedWaitMs: estimateWait(data, job, position, capableAgents),
  };
}

function fairPosition(data: StateData, job: Job): number {
  const own = data.requesterQueues.get(job.requester);
  if (!own) return 0;
  let k = 0;
  for (const id of own) {
    k += 1;
    if (id === job.id) break;
  }
  const mine = roundRank(data, job.requester, own);
  let position = k;
  for (const [requester, other] of data.requesterQueues) {
    if (requester === job.requester) continue;
    const rank = roundRank(data, requester, other);
    const servedFirst = rank.active < mine.active || (rank.active === mine.active && rank.head < mine.head);
    position += Math.min(other.size, servedFirst ? k : k - 1);
  }
  return position;
}

/** A requester's place in a round: fewer active jobs first, then the older first queued job. */
function roundRank(data: StateData, requester: string, own: Set<string>): { active: number; head: number } {
  const first = own.values().next();
  const head = first.done ? Infinity : (data.queueOrder.get(first.value) ?? Infinity);
  return { active: activeCount(data, requester), head };
}

function countCapableAgents(data: StateData, job: Job): number {
  let count = 0;
  for (const agent of registeredAgents(data)) if (agent.status === 'active' && canRun(agent.capabilities, job)) count += 1;
  return count;
}

function estimateWait(data: StateData, job: Job, position: number, capableAgents: number): number | null {
  if (job.state === 'leased' || job.state === 'running') return 0;
  const stat = data.stats[job.kind];
  if (job.state !== 'queued' || stat.count === 0 || capableAgents === 0) return null;
  return Math.round(Math.ceil(position / capableAgents) * stat.meanMs);
}
