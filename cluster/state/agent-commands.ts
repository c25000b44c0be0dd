import { createHash } from 'node:crypto';
import type { CommandOf } from './commands.ts';
import { findUsableAgent, unknownAgent } from './agent-lookup.ts';
import { compareJobIds, failAttempt, failForGood } from './job-attempts.ts';
import { missingAgentReason } from './job-fit.ts';
import { fail, ok } from './results.ts';
import type { ApplyContext, StateData } from './state-data.ts';
import type { Agent, AppliedResult } from './types.ts';
import { views } from './views.ts';

/** The commands handled here. */
export type AgentCommand = CommandOf<'createAgent' | 'revokeAgent' | 'agentHeartbeat' | 'setAgentStatus'>;

/**
 * Applies an agent registry command: register (by token hash), revoke, heartbeat, pause/resume.
 * Names are unique among agents that are not revoked, compared case-insensitively.
 */
export function applyAgentCommand(data: StateData, command: AgentCommand, ctx: ApplyContext): AppliedResult {
  switch (command.type) {
    case 'createAgent':
      return createAgent(data, command, ctx);
    case 'revokeAgent':
      return revokeAgent(data, command, ctx);
    case 'agentHeartbeat': {
      const found = findUsableAgent(data, command.agentId);
      if (!found.ok) return found.result;
      found.agent.lastHeartbeat = ctx.now;
      if (command.capabilities) found.agent.capabilities = { ...command.capabilities };
      return ok(views.agent(found.agent));
    }
    case 'setAgentStatus': {
      const found = findUsableAgent(data, command.agentId);
      if (!found.ok) return found.result;
      found.agent.status = command.status;
      if (command.status === 'active') {
        // Resuming is the admin's word that the agent is fixed: its old failures no longer count.
        found.agent.pausedReason = null;
        found.agent.recentFailures = [];
      }
      return ok(views.agent(found.agent));
    }
  }
}

/** Derives an id like `a-1f2e3d4c` from the entry's index; the same on every replica, unique in the registry. */
function agentIdFor(data: StateData, index: number): string {
  for (let attempt = 0; ; attempt++) {
    const id = `a-${createHash('sha256').update(`agent:${index}:${attempt}`).digest('hex').slice(0, 8)}`;
    if (!data.agents.has(id)) return id;
  }
}

function createAgent(data: StateData, command: CommandOf<'createAgent'>, ctx: ApplyContext): AppliedResult {
  const sameName = data.agentNameIndex.get(command.name.toLowerCase());
  if (sameName !== undefined) {
    const existing = data.agents.get(sameName);
    return fail(
      'already_exists',
      `an agent named "${existing?.name ?? command.name}" already exists (${sameName}); choose another --name or revoke it first`,
    );
  }
  const sameToken = data.agentTokenIndex.get(command.tokenHash);
  if (sameToken !== undefined) {
    return fail('already_exists', `this token is already registered to agent ${sameToken}; generate a new token for "${command.name}"`);
  }
  const agent: Agent = {
    id: agentIdFor(data, ctx.index),
    name: command.name,
    owner: command.owner,
    tokenHash: command.tokenHash,
    capabilities: null,
    lastHeartbeat: null,
    status: 'active',
    pausedReason: null,
    recentFailures: [],
    createdAt: ctx.now,
  };
  data.agents.set(agent.id, agent);
  data.agentNameIndex.set(agent.name.toLowerCase(), agent.id);
  data.agentTokenIndex.set(agent.tokenHash, agent.id);
  return ok(views.agent(agent));
}

/**
 * Revokes an agent for good; the jobs it holds end their attempt (not counted against it) and go
 * back to the queue. Queued jobs that no remaining agent can run then fail for good, rather than
 * wait for an agent that will never come.
 */
function revokeAgent(data: StateData, command: CommandOf<'revokeAgent'>, ctx: ApplyContext): AppliedResult {
  const agent = data.agents.get(command.agentId);
  if (!agent) return unknownAgent(command.agentId);
  if (agent.status === 'revoked') return fail('failed_precondition', `agent ${agent.id} ("${agent.name}") is already revoked; nothing to do`);
  agent.status = 'revoked';
  data.agentNameIndex.delete(agent.name.toLowerCase());
  data.agentTokenIndex.delete(agent.tokenHash);
  const held = [...data.activeJobIndex].filter((id) => data.jobs.get(id)?.leaseHolder === agent.id).sort(compareJobIds);
  for (const jobId of held) {
    const job = data.jobs.get(jobId);
    if (job) failAttempt(data, job, ctx.now, `agent ${agent.id} ("${agent.name}") was revoked while holding the job`);
  }
  failJobsNoAgentCanRun(data, agent, ctx.now);
  return ok(views.agent(agent));
}

/** Fails for good every queued job that no registered agent can run now that `revoked` is gone. */
function failJobsNoAgentCanRun(data: StateData, revoked: Agent, now: number): void {
  for (const jobId of [...data.queue]) {
    const job = data.jobs.get(jobId);
    const missing = job === undefined ? null : missingAgentReason(data, job);
    if (job === undefined || missing === null) continue;
    failForGood(data, job, now, `agent ${revoked.id} ("${revoked.name}") was revoked and no registered agent can run this job any more: ${missing}`);
  }
}
