import { fail } from './results.ts';
import type { StateData } from './state-data.ts';
import type { Agent, AppliedResult } from './types.ts';

/** The refusal for an agent id that is not registered. */
export function unknownAgent(agentId: string): AppliedResult {
  return fail('not_found', `no agent has id ${agentId}; check the id with \`teambooth agents list\``);
}

/** Finds an agent that exists and is not revoked, or the refusal to return. */
export function findUsableAgent(data: StateData, agentId: string): { ok: true; agent: Agent } | { ok: false; result: AppliedResult } {
  const agent = data.agents.get(agentId);
  if (!agent) return { ok: false, result: unknownAgent(agentId) };
  if (agent.status === 'revoked') {
    return {
      ok: false,
      result: fail('permission_denied', `agent ${agent.id} ("${agent.name}") has been revoked; register the machine again with a new token`),
    };
  }
  return { ok: true, agent };
}
