import type { StateData } from './state-data.ts';
import type { Agent, AgentCapabilities, Job } from './types.ts';

/**
 * Which agents can run which jobs, by the capabilities agents report in heartbeats: train jobs
 * need `canTrain`, imagine jobs need `maxImageSize` at least the larger of the job's `width`
 * and `height`, merge jobs need nothing more. An agent that has not reported capabilities runs
 * nothing, because nothing is known about it yet.
 */

/** The image side an imagine job needs: the larger of its numeric `width` and `height` params, 0 when it gives neither. */
export function requiredImageSize(job: Pick<Job, 'kind' | 'params'>): number {
  if (job.kind !== 'imagine') return 0;
  const sides = [job.params.width, job.params.height].filter((side): side is number => typeof side === 'number');
  return Math.max(0, ...sides);
}

/** Whether an agent with `capabilities` can run `job`. */
export function canRun(capabilities: AgentCapabilities | null, job: Pick<Job, 'kind' | 'params'>): boolean {
  if (capabilities === null) return false;
  switch (job.kind) {
    case 'train':
      return capabilities.canTrain;
    case 'imagine':
      return capabilities.maxImageSize >= requiredImageSize(job);
    case 'merge':
      return true;
  }
}

/** Why `agent` cannot run `job`, or null when it can. */
export function whyAgentCannotRun(agent: Agent, job: Job): string | null {
  const capabilities = agent.capabilities;
  if (capabilities === null) return `agent ${agent.id} has not reported its capabilities yet; it takes jobs after its first heartbeat with capabilities`;
  if (job.kind === 'train' && !capabilities.canTrain) return `job ${job.id} is a train job and agent ${agent.id} has not reported canTrain: true in a heartbeat`;
  const size = requiredImageSize(job);
  if (capabilities.maxImageSize < size) return `job ${job.id} needs ${size}-pixel images and agent ${agent.id} makes at most ${capabilities.maxImageSize}`;
  return null;
}

/** The agents that are not revoked (active or paused), in registration order. */
export function* registeredAgents(data: StateData): Generator<Agent> {
  for (const id of data.agentNameIndex.values()) {
    const agent = data.agents.get(id);
    if (agent) yield agent;
  }
}

/**
 * Why no registered (active or paused) agent can run `job`, or null when one can. The reason
 * completes "no registered agent can run this job: ..." and says what would change that.
 */
export function missingAgentReason(data: StateData, job: Pick<Job, 'kind' | 'params'>): string | null {
  const agents: Agent[] = [];
  for (const agent of registeredAgents(data)) {
    if (canRun(agent.capabilities, job)) return null;
    agents.push(agent);
  }
  const register = 'ask an admin to register one, see `teambooth agents token create`';
  if (agents.length === 0) return `no agent is registered; ${register}`;
  const group = describeGroup(agents);
  const reported = agents.flatMap((agent) => (agent.capabilities === null ? [] : [agent.capabilities]));
  if (reported.length === 0) return `${group} ${agents.length === 1 ? 'has' : 'have'} not connected and reported capabilities yet; start one, or ${register}`;
  if (job.kind === 'train') return `it needs an agent that can train, and ${group} cannot; ${register}`;
  const largest = Math.max(...reported.map((capabilities) => capabilities.maxImageSize));
  return (
    `it asks for ${requiredImageSize(job)}-pixel images, and the largest that ${group} can make is ${largest} pixels; ` +
    `ask for a width and height of at most ${largest}, or ask an admin to register a bigger agent, see \`teambooth agents token create\``
  );
}

/** "the 2 registered agents (gpu-a, gpu-b)", naming at most five. */
function describeGroup(agents: Agent[]): string {
  const shown = agents.slice(0, 5).map((agent) => agent.name);
  const more = agents.length > shown.length ? ` and ${agents.length - shown.length} more` : '';
  const count = agents.length === 1 ? 'the only registered agent' : `the ${agents.length} registered agents`;
  return `${count} (${shown.join(', ')}${more})`;
}
