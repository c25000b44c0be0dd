import { STATE_LIMITS } from './limits.ts';
import type { StateData } from './state-data.ts';

/**
 * Records that an attempt failed because of the agent `agentId` (it reported a failure, its lease
 * expired, or the server refused its result), and pauses an active agent once it has failed
 * {@link STATE_LIMITS.agentFailuresToPause} times within {@link STATE_LIMITS.agentFailureWindowMs}:
 * a broken machine would otherwise use up the attempts of every job in the queue. Only failures
 * within the window are kept, measured from `now`, the entry's leader time.
 */
export function recordAgentFailure(data: StateData, agentId: string | null, now: number, reason: string): void {
  const agent = agentId === null ? undefined : data.agents.get(agentId);
  if (!agent || agent.status === 'revoked') return;
  const since = now - STATE_LIMITS.agentFailureWindowMs;
  agent.recentFailures = [...agent.recentFailures.filter((at) => at > since), now];
  if (agent.status !== 'active' || agent.recentFailures.length < STATE_LIMITS.agentFailuresToPause) return;
  agent.status = 'paused';
  agent.pausedReason = `paused automatically: ${agent.recentFailures.length} failed jobs in the last hour; last: ${reason}`;
}
