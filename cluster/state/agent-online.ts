import type { Agent } from './types.ts';

/** How recent an active agent's last heartbeat must be for it to count as online (agents beat every 5 s). */
export const AGENT_ONLINE_WINDOW_MS = 60_000;

/** Whether an agent is active and heartbeated within {@link AGENT_ONLINE_WINDOW_MS} before `now` (leader ms). */
export function isAgentOnline(agent: Pick<Agent, 'status' | 'lastHeartbeat'>, now: number): boolean {
  return agent.status === 'active' && agent.lastHeartbeat !== null && now - agent.lastHeartbeat < AGENT_ONLINE_WINDOW_MS;
}
